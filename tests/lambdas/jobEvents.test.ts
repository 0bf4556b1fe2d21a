// CONTRACT.md, "Events": every status change of a job is one event, from the store's change feed,
// in order per job; a publisher that fails leaves the rest for a retry.
import { expect } from "chai";
import { marshall } from "@aws-sdk/util-dynamodb";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { DynamoDBStreamEvent, SQSEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { createBucketPublisher, publishedKey } from "../../lambdas/events/bucketPublisher";
import { createTablePublisher } from "../../lambdas/events/tablePublisher";
import { ENV } from "../../lambdas/shared/env";
import { statusChangeEvent } from "../../lambdas/shared/jobEvents";
import { storeFromEnv, transition } from "../../lambdas/shared/store";
import type { JobRecord } from "../../lambdas/shared/types";
import { ALICE, Clock, JOBS_BUCKET, T0, configure, makeRecord, useFakeAws } from "./support/harness";

const A = "3b241101-e2bb-4255-8caf-4136c566a962";
const B = "3b241101-e2bb-4255-8caf-4136c566a963";
const iso = (ms: number) => new Date(ms).toISOString();

describe("job events", () => {
  const fake = useFakeAws();
  const events = mockClient(EventBridgeClient);
  let put: { jobId: string; status: string; previousStatus: string | null }[][];
  let refuseFrom: number;
  beforeEach(() => {
    events.reset();
    put = [];
    refuseFrom = Infinity;
    process.env[ENV.JOB_EVENTS_BUS] = "jobs-job-events";
    events.on(PutEventsCommand).callsFake((input) => {
      const entries = input.Entries.map((e: any) => JSON.parse(e.Detail));
      const accepted = put.flat().length;
      const results = input.Entries.map((_e: any, i: number) => (accepted + i >= refuseFrom ? { ErrorCode: "InternalFailure", ErrorMessage: "try again" } : { EventId: `e${accepted + i}` }));
      const ok = results.filter((r: any) => r.EventId).length;
      put.push(entries.slice(0, ok));
      return { FailedEntryCount: input.Entries.length - ok, Entries: results };
    });
  });
  after(() => events.restore());

  it("an event is a status change: the first write is one (previousStatus null), progress is not, nor an idempotency record", () => {
    const pending = makeRecord({ jobId: A });
    const running = { ...pending, status: "RUNNING" as const, updatedAt: iso(T0 + 1) };
    expect(statusChangeEvent(undefined, pending)).to.deep.equal({ jobId: A, status: "PENDING", previousStatus: null, owner: ALICE, createdAt: iso(T0), updatedAt: iso(T0) });
    expect(statusChangeEvent(pending, running)).to.deep.include({ status: "RUNNING", previousStatus: "PENDING" });
    expect(statusChangeEvent(running, { ...running, progress: { percent: 5, updatedAt: iso(T0) } } as JobRecord)).to.equal(undefined);
    expect(statusChangeEvent(undefined, { kind: "idempotency" } as any)).to.equal(undefined);
    const failed = statusChangeEvent(running, { ...running, status: "FAILED", error: { code: "TimerFailed", message: "m" }, input: "{}", result: "1" } as JobRecord)!;
    expect(failed.error).to.deep.equal({ code: "TimerFailed", message: "m" });
    expect(JSON.stringify(failed), "never the input or the result").to.not.match(/input|result/);
  });

  describe("from the table's stream", () => {
    const image = (r: Partial<JobRecord>) => marshall(r, { removeUndefinedValues: true });
    let seq = 0;
    const record = (eventName: "INSERT" | "MODIFY" | "REMOVE", old: Partial<JobRecord> | undefined, next: Partial<JobRecord> | undefined) => ({
      eventName,
      dynamodb: { SequenceNumber: String(++seq).padStart(21, "0"), ...(old ? { OldImage: image(old) } : {}), ...(next ? { NewImage: image(next) } : {}) },
    });
    const a = makeRecord({ jobId: A });
    const b = makeRecord({ jobId: B });
    const batch = () =>
      ({
        Records: [
          record("INSERT", undefined, a),
          record("INSERT", undefined, b),
          record("MODIFY", a, { ...a, status: "RUNNING" }),
          record("MODIFY", { ...a, status: "RUNNING" }, { ...a, status: "RUNNING", progress: { percent: 50, updatedAt: iso(T0) } }),
          record("MODIFY", { ...a, status: "RUNNING" }, { ...a, status: "SUCCEEDED" }),
          record("INSERT", undefined, { pk: "idem#x", kind: "idempotency" } as any),
          record("REMOVE", { ...b }, undefined),
        ],
      }) as unknown as DynamoDBStreamEvent;

    it("puts one event per status change, in order, never two of one job in one request", async () => {
      const out = await createTablePublisher()(batch());
      expect(out).to.deep.equal({ batchItemFailures: [] });
      expect(put.map((req) => req.map((d) => `${d.jobId === A ? "A" : "B"}:${d.previousStatus}→${d.status}`))).to.deep.equal([
        ["A:null→PENDING", "B:null→PENDING"],
        ["A:PENDING→RUNNING"],
        ["A:RUNNING→SUCCEEDED"],
      ]);
      const entry = events.commandCalls(PutEventsCommand)[0].args[0].input.Entries![0];
      expect(entry).to.deep.include({ EventBusName: "jobs-job-events", Source: "async-api", DetailType: "Job Status Change" });
    });

    it("reports the first event not put, so the stream retries from it and nothing after it goes first", async () => {
      refuseFrom = 2; // A:PENDING→RUNNING is refused
      const b1 = batch();
      const out = await createTablePublisher()(b1);
      expect(out.batchItemFailures).to.deep.equal([{ itemIdentifier: b1.Records[2].dynamodb!.SequenceNumber }]);
      expect(put.flat().map((d) => d.status)).to.deep.equal(["PENDING", "PENDING"]);
    });
  });

  describe("from the bucket's notifications", () => {
    beforeEach(() => configure({ store: "s3" }));
    const notification = (jobId: string, i = 0) => ({ messageId: `m${i}`, body: JSON.stringify({ source: "aws.s3", "detail-type": "Object Created", detail: { bucket: { name: JOBS_BUCKET }, object: { key: `jobs/${jobId}.json` } } }) });

    it("the store records each status change in the record; the publisher puts those not yet published, once, in order", async () => {
      const clock = new Clock();
      const store = storeFromEnv({ now: clock.now });
      await store.createJob(makeRecord({ jobId: A }));
      clock.advance(10);
      await transition(store, A, () => ({ status: "RUNNING", startedAt: iso(clock.t) }), { now: clock.now });
      // A progress report (lambdas/shared/progress.ts writes it with replaceJob): no status change.
      const running = (await store.getJob(A))!;
      await store.replaceJob({ ...running, progress: { percent: 10, updatedAt: iso(clock.t) } }, running.version);
      clock.advance(10);
      await transition(store, A, () => ({ status: "SUCCEEDED", result: "1" }), { now: clock.now });
      const changes = (await store.getJob(A))!.statusChanges!;
      expect(changes.map((c) => [c.previousStatus, c.status, c.version])).to.deep.equal([
        [null, "PENDING", 1],
        ["PENDING", "RUNNING", 2],
        ["RUNNING", "SUCCEEDED", 4],
      ]);

      // Four notifications (one per write), late and out of order: the changes go out once, in order.
      const publish = createBucketPublisher();
      const sqs = (...records: ReturnType<typeof notification>[]) => ({ Records: records }) as unknown as SQSEvent;
      expect(await publish(sqs(notification(A, 3), notification(A, 1)))).to.deep.equal({ batchItemFailures: [] });
      expect(await publish(sqs(notification(A, 0), notification(A, 2)))).to.deep.equal({ batchItemFailures: [] });
      expect(put.flat().map((d) => `${d.previousStatus}→${d.status}`)).to.deep.equal(["null→PENDING", "PENDING→RUNNING", "RUNNING→SUCCEEDED"]);
      expect(JSON.parse(fake.objects.get(`${JOBS_BUCKET}/${publishedKey(A)}`)!.body)).to.deep.equal({ version: 4 });
    });

    // Notifications of one job handled side by side (two batches at once): one publisher at a time
    // holds the marker's lease; the other marks it dirty, and the holder reads the record again.
    it("two notifications of one job handled at once put its events once each, in order", async () => {
      const clock = new Clock();
      const store = storeFromEnv({ now: clock.now });
      await store.createJob(makeRecord({ jobId: A }));
      const publish = createBucketPublisher({ now: clock.now });
      let during: Promise<unknown> | undefined;
      let first = true;
      events.on(PutEventsCommand).callsFake(async (input) => {
        const entries = input.Entries.map((e: any) => JSON.parse(e.Detail));
        if (first) {
          first = false;
          // While the first publisher puts PENDING: the job moves on and its notification is handled.
          await transition(store, A, () => ({ status: "RUNNING", startedAt: iso(clock.t) }), { now: clock.now });
          during = publish({ Records: [notification(A, 9)] } as unknown as SQSEvent, { awsRequestId: "second" });
          await during;
        }
        put.push(entries);
        return { FailedEntryCount: 0, Entries: entries.map((_e: unknown, i: number) => ({ EventId: `e${i}` })) };
      });
      expect(await publish({ Records: [notification(A, 0)] } as unknown as SQSEvent, { awsRequestId: "first" })).to.deep.equal({ batchItemFailures: [] });
      await during;
      expect(put.flat().map((d) => `${d.previousStatus}→${d.status}`)).to.deep.equal(["null→PENDING", "PENDING→RUNNING"]);
      expect(JSON.parse(fake.objects.get(`${JOBS_BUCKET}/${publishedKey(A)}`)!.body)).to.deep.equal({ version: 2 });
    });

    it("a notification whose events could not all be put is retried from the first one left", async () => {
      const clock = new Clock();
      const store = storeFromEnv({ now: clock.now });
      await store.createJob(makeRecord({ jobId: B }));
      await transition(store, B, () => ({ status: "CANCELLED" }), { now: clock.now });
      refuseFrom = 1;
      const publish = createBucketPublisher();
      const sqs = { Records: [notification(B)] } as unknown as SQSEvent;
      expect(await publish(sqs)).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "m0" }] });
      refuseFrom = Infinity;
      expect(await publish(sqs)).to.deep.equal({ batchItemFailures: [] });
      expect(put.flat().map((d) => d.status)).to.deep.equal(["PENDING", "CANCELLED"]);
      // Notifications of other objects are not job events.
      expect(await publish({ Records: [{ messageId: "x", body: JSON.stringify({ source: "aws.s3", detail: { object: { key: "results/x.json" } } }) }] } as unknown as SQSEvent)).to.deep.equal({ batchItemFailures: [] });
    });
  });
});
