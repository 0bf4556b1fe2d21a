// End to end on the local cloud (`npm start -- --faults`): when recording a job's failure fails
// too, the failure is not lost. It waits in the dead-letter queue and in the failures archive; the
// job is not terminal (readers would see TIMED_OUT after its deadline); replaying the archive with
// the README's command (`aws events start-replay ... FilterArns=[failureRuleArn]`) re-runs the
// recording, and the job ends in the right state. A second replay changes nothing.
//
// The fault: every DynamoDB write fails (InternalServerError) from the moment the job is RUNNING,
// so the job's outcome cannot be written (backend lambda: the worker throws, Lambda retries it and
// sends its destination record to the failures bus; backend stepfunctions: the state machine ends
// in RecordingFailed, whose status change reaches the failures bus through the default bus), and
// the failure recorder's own writes fail too (Lambda retries it, then dead-letters the event).
// Each backend has its file (tests/e2e/failureReplay.*.test.ts), so that npm test's workers run them side by side.
import { expect } from "chai";
import { clientFor, isTerminal } from "../support/localCloud";
import { armFault, clearFaults, sleep, startFaultCloud, type FaultCloud } from "../reliability/support";
import { runAwsCli } from "../support/tools";

/** The AWS CLI (found on PATH) against a local endpoint, as the README's replay command runs it. */
const aws = (endpoint: string, ...args: string[]): Promise<any> => runAwsCli(endpoint, args);

/** SQS's JSON protocol, as current SDKs speak it. */
async function sqs(endpoint: string, action: string, body: object): Promise<any> {
  const res = await fetch(endpoint, { method: "POST", headers: { "X-Amz-Target": `AmazonSQS.${action}`, "Content-Type": "application/x-amz-json-1.0" }, body: JSON.stringify(body) });
  const out = await res.json();
  if (res.status !== 200) throw new Error(`${action}: ${res.status} ${JSON.stringify(out)}`);
  return out;
}

async function until<T>(read: () => Promise<T | undefined>, what: string, ms: number): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await read();
    if (v !== undefined) return v;
    if (Date.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(200);
  }
}

const CASES: { backend: string; deadLettered: (event: any, jobId: string) => boolean; code: string }[] = [
  {
    backend: "lambda",
    /** What the failure recorder got (the dead-letter record's `requestPayload`): Lambda's destination record of the worker, as an event. */
    deadLettered: (event: any, jobId: string) => event.source === "lambda" && event.detail?.requestPayload?.jobId === jobId,
    /** The worker crashed on its write: its error type is the job's error code. */
    code: "InternalServerError",
  },
  {
    backend: "stepfunctions",
    deadLettered: (event: any, jobId: string) => event.source === "aws.states" && event.detail?.name === jobId && event.detail.status === "FAILED" && event.detail.error === "RecordingFailed",
    code: "RecordingFailed",
  },
];

/** The replay suite for one backend (`lambda` or `stepfunctions`). */
export function describeFailureReplay(which: string): void {
  const { backend, deadLettered, code } = CASES.find((c) => c.backend === which)!;
  describe(`e2e: a failure whose recording failed, replayed from the archive (backend ${backend})`, function () {
    this.timeout(120_000);
    let cloud: FaultCloud;

    before(async () => {
      cloud = await startFaultCloud([`backend=${backend}`, "store=dynamodb", "auth=none", "jobTimeoutSeconds=60"]);
    });
    after(async () => {
      if (!cloud) return;
      await clearFaults(cloud).catch(() => undefined);
      const exit = await cloud.stop();
      expect(exit, `the local cloud exits 0; it printed:\n${cloud.output().slice(-3000)}`).to.equal(0);
    });

    it(`keeps the event in the dead-letter queue and the archive, and a replay ends the job FAILED (${code})`, async () => {
      const o = cloud.outputs;
      const endpoints = cloud.endpoints as typeof cloud.endpoints & { eventbridge: string; sqs: string };
      expect(o.failureBusArn).to.match(/^arn:aws:events:us-east-1:000000000000:event-bus\/jobs-failures-/);
      expect(o.failureRuleArn).to.match(/:rule\/jobs-failures-[0-9a-f]{7}\/jobs-failures-rule-/);
      expect(o.failureArchiveArn).to.match(/:archive\/jobs-failures-archive-/);
      expect(o.deadLetterQueueUrl).to.equal(`${endpoints.sqs}/000000000000/${o.deadLetterQueueUrl.split("/").pop()}`);
      const api = clientFor(cloud);
      const began = Date.now();

      const submitted = await api.submit({ seconds: 1 });
      expect(submitted.status, submitted.text).to.equal(202);
      const jobId: string = submitted.body.jobId;
      await api.waitFor(jobId, (s) => s === "RUNNING");
      await armFault(cloud, { kind: "dynamodbWrites", count: 10_000, code: "InternalServerError" });

      // 1. The failure recorder could not write either: after Lambda's retries, its destination
      //    record (the failure event as requestPayload) is in the dead-letter queue.
      const message = await until(
        async () => {
          const out = await sqs(endpoints.sqs, "ReceiveMessage", { QueueUrl: o.deadLetterQueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 });
          return (out.Messages ?? []).find((m: any) => deadLettered(JSON.parse(m.Body).requestPayload ?? {}, jobId));
        },
        "the dead-lettered failure",
        45_000,
      );
      const record = JSON.parse(message.Body);
      expect(record.requestContext).to.include({ condition: "RetriesExhausted", approximateInvokeCount: 3 });
      expect(record.requestContext.functionArn).to.match(/:function:jobs-failure-recorder-function-[0-9a-f]{7}:\$LATEST$/);
      expect(record.responsePayload.errorType, "the recorder's own write failed").to.equal("InternalServerError");
      const deadLetteredAfter = Date.now() - began;

      // 2. The same event is in the archive.
      const archive = await aws(endpoints.eventbridge, "events", "describe-archive", "--archive-name", o.failureArchiveArn.split("/").pop());
      expect(archive).to.include({ EventSourceArn: o.failureBusArn, RetentionDays: 7, EventCount: 1 });
      expect(JSON.parse(archive.EventPattern)).to.deep.include({ source: [backend === "lambda" ? "lambda" : "aws.states"] });

      // 3. Nothing recorded the job's end: it is not terminal (its deadline is minutes away).
      await clearFaults(cloud);
      await sleep(1500);
      const waiting = await api.get(jobId);
      expect(waiting.body.status).to.equal("RUNNING");

      // 4. Replay the archive to the failures rule (the README's command): the recording runs again.
      const replayName = `failures-${Date.now()}`;
      const started = await aws(
        endpoints.eventbridge,
        "events",
        "start-replay",
        "--replay-name",
        replayName,
        "--event-source-arn",
        o.failureArchiveArn,
        "--destination",
        JSON.stringify({ Arn: o.failureBusArn, FilterArns: [o.failureRuleArn] }),
        "--event-start-time",
        new Date(began - 60_000).toISOString(),
        "--event-end-time",
        new Date().toISOString(),
      );
      expect(started.State).to.equal("STARTING");
      await until(async () => ((await aws(endpoints.eventbridge, "events", "describe-replay", "--replay-name", replayName)).State === "COMPLETED" ? true : undefined), "the replay", 15_000);
      const { last } = await api.waitFor(jobId, isTerminal, 20_000);
      expect(last.body.status).to.equal("FAILED");
      expect(last.body.error.code).to.equal(code);
      expect(last.text).not.to.match(/arn:|000000000000/);

      // 5. Replaying again changes nothing: the first terminal state wins.
      const again = `${replayName}-again`;
      await aws(endpoints.eventbridge, "events", "start-replay", "--replay-name", again, "--event-source-arn", o.failureArchiveArn, "--destination", JSON.stringify({ Arn: o.failureBusArn, FilterArns: [o.failureRuleArn] }), "--event-start-time", new Date(began - 60_000).toISOString(), "--event-end-time", new Date().toISOString());
      await until(async () => ((await aws(endpoints.eventbridge, "events", "describe-replay", "--replay-name", again)).State === "COMPLETED" ? true : undefined), "the second replay", 15_000);
      await sleep(1500);
      const after = await api.get(jobId);
      expect(after.body).to.deep.equal(last.body);
      console.log(`      (${backend}: dead-lettered ${(deadLetteredAfter / 1000).toFixed(1)} s after the submit; FAILED ${((Date.now() - began) / 1000).toFixed(1)} s after it, two replays included)`);
    });
  });
}
