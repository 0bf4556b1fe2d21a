// CONTRACT.md, "Push on completion", end to end over real HTTP on the local cloud: job events on the
// stack's bus (seen by a rule to an SQS queue of the test) and signed webhooks to a receiver of the
// test, verified with the `standardwebhooks` package. The configurations are spread over the
// tests/e2e/push.*.test.ts files, so that npm test's workers run them side by side.
import * as http from "http";
import type { AddressInfo } from "net";
import { expect } from "chai";
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { Webhook } from "standardwebhooks";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/aws/types";
import { clientFor, isTerminal, startCloud, type CloudHandle, type JobApi } from "../support/localCloud";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A webhook receiver: answers each request with the next status of `answers` (then 204). */
class Receiver {
  readonly received: { headers: Record<string, string>; body: string; at: number }[] = [];
  answers: number[] = [];
  private server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      this.received.push({ headers: req.headers as Record<string, string>, body, at: Date.now() });
      res.writeHead(this.answers.shift() ?? 204).end();
    });
  });
  url = "";
  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
    return this;
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
  async waitFor(count: number, timeoutMs = 30_000): Promise<void> {
    const started = Date.now();
    while (this.received.length < count) {
      if (Date.now() - started > timeoutMs) throw new Error(`the receiver got ${this.received.length} of ${count} deliveries in ${timeoutMs} ms`);
      await sleep(100);
    }
  }
}

export function describePush(config: { backend: string; store: string; auth: string }): void {
  describe(`e2e: job events and webhooks, backend=${config.backend} store=${config.store} auth=${config.auth}`, function () {
    this.timeout(120_000);
    let cloud: CloudHandle;
    let api: JobApi;
    let sqs: SQSClient;
    let events: EventBridgeClient;
    const receivers: Receiver[] = [];
    const receiver = async () => {
      const r = await new Receiver().start();
      receivers.push(r);
      return r;
    };

    before(async () => {
      // Finished jobs stay readable two days: the dead-letter test moves the clock 24 hours on.
      cloud = await startCloud([`backend=${config.backend}`, `store=${config.store}`, `auth=${config.auth}`, "resultTtlMinutes=2880"], { faults: true });
      api = clientFor(cloud);
      const aws = { region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS } };
      sqs = new SQSClient({ ...aws, endpoint: cloud.outputs.localEndpoints.sqs });
      events = new EventBridgeClient({ ...aws, endpoint: cloud.outputs.localEndpoints.eventbridge });
    });
    after(async () => {
      for (const r of receivers) await r.stop();
      sqs?.destroy();
      events?.destroy();
      if (cloud) expect(await cloud.stop()).to.equal(0);
    });

    const submit = async (input: unknown, callbackUrl?: string) => {
      const res = await api.submit(input, callbackUrl ? { "Callback-Url": callbackUrl } : {});
      expect(res.status, res.text).to.equal(202);
      return res.body.jobId as string;
    };

    it("exports the bus, the webhook secret and the dead-letter queue", () => {
      expect(cloud.outputs.jobEventsBusArn).to.match(/^arn:aws:events:[a-z0-9-]+:\d{12}:event-bus\/jobs-job-events-/);
      expect(cloud.outputs.webhookSecret, "written in clear by the local cloud").to.match(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(cloud.outputs.webhookDeadLetterQueueUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+\/\d{12}\/jobs-webhooks-dlq-/);
    });

    // "Events": every status change, in order per job, from the store's change feed.
    it("an events subscriber (a rule to an SQS queue) sees PENDING → RUNNING → SUCCEEDED in order for each job, and CANCELLED for a cancel", async () => {
      const bus = cloud.outputs.jobEventsBusArn.split("/").pop();
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `subscriber-${Date.now()}` }));
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
      const { RuleArn } = await events.send(new PutRuleCommand({ Name: `subscriber-${Date.now()}`, EventBusName: bus, EventPattern: JSON.stringify({ source: ["async-api"], "detail-type": ["Job Status Change"] }) }));
      const policy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage", Resource: Attributes!.QueueArn, Condition: { ArnEquals: { "aws:SourceArn": RuleArn } } }] };
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: JSON.stringify(policy) } }));
      await events.send(new PutTargetsCommand({ Rule: RuleArn!.split("/").pop(), EventBusName: bus, Targets: [{ Id: "queue", Arn: Attributes!.QueueArn }] }));

      const done = await Promise.all([submit({ seconds: 1 }), submit({ seconds: 0 })]);
      const cancelled = await submit({ seconds: 30 });
      await api.waitFor(cancelled, (s) => s === "RUNNING" || isTerminal(s));
      expect((await api.cancel(cancelled)).status).to.equal(202);
      for (const id of done) await api.waitFor(id);

      const seen = new Map<string, { status: string; previousStatus: string | null }[]>();
      const complete = () => done.every((id) => seen.get(id)?.some((e) => e.status === "SUCCEEDED")) && seen.get(cancelled)?.some((e) => e.status === "CANCELLED");
      for (let i = 0; i < 60 && !complete(); i++) {
        const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        for (const m of out.Messages ?? []) {
          const event = JSON.parse(m.Body!);
          expect(event).to.deep.include({ source: "async-api", "detail-type": "Job Status Change" });
          expect(Object.keys(event.detail).sort()).to.include.members(["createdAt", "jobId", "owner", "previousStatus", "status", "updatedAt"]);
          expect(m.Body, "no input or result in an event").to.not.match(/"(input|result|resultUrl)"/);
          const list = seen.get(event.detail.jobId) ?? [];
          list.push({ status: event.detail.status, previousStatus: event.detail.previousStatus });
          seen.set(event.detail.jobId, list);
        }
      }
      // At least once: a repeat is allowed, never another order.
      const statuses = (id: string) => (seen.get(id) ?? []).map((e) => e.status).filter((s, i, all) => i === 0 || s !== all[i - 1]);
      for (const id of done) expect(statuses(id), id).to.deep.equal(["PENDING", "RUNNING", "SUCCEEDED"]);
      expect(statuses(cancelled)).to.deep.equal(["PENDING", "RUNNING", "CANCELLED"]);
      for (const list of seen.values()) {
        for (const [i, e] of list.entries()) if (i > 0 && e.status !== list[i - 1].status) expect(e.previousStatus).to.equal(list[i - 1].status);
        expect(list[0]).to.deep.equal({ status: "PENDING", previousStatus: null });
      }
    });

    // "Webhooks": one signed delivery per ended job, the job as GET shows it.
    it("POSTs exactly one signed delivery to the Callback-Url, verified by standardwebhooks, with the job as GET shows it", async () => {
      const hooks = await receiver();
      const jobId = await submit({ seconds: 0, fail: true }, hooks.url);
      await hooks.waitFor(1);
      await sleep(1500);
      expect(hooks.received, "exactly one delivery").to.have.length(1);
      const [delivery] = hooks.received;
      const payload = new Webhook(cloud.outputs.webhookSecret).verify(delivery.body, delivery.headers) as any;
      expect(delivery.headers["webhook-id"]).to.equal(`msg_${jobId}`);
      expect(payload.type).to.equal("job.failed");
      expect(Date.parse(payload.timestamp)).to.be.closeTo(Date.now(), 30_000);
      const got = await api.get(jobId);
      expect(payload.data).to.deep.equal(got.body);
      expect(payload.data.error.code).to.equal("TimerFailed");
    });

    it("retries a receiver that answers 500 twice: delivered on the third attempt, with the same webhook-id", async () => {
      const hooks = await receiver();
      hooks.answers = [500, 500];
      const jobId = await submit({ seconds: 0 }, hooks.url);
      await hooks.waitFor(3, 40_000);
      await sleep(1000);
      expect(hooks.received).to.have.length(3);
      expect(new Set(hooks.received.map((r) => r.headers["webhook-id"]))).to.deep.equal(new Set([`msg_${jobId}`]));
      for (const r of hooks.received) expect((new Webhook(cloud.outputs.webhookSecret).verify(r.body, r.headers) as any).type).to.equal("job.succeeded");
      // Growing delays: about 2 s, then about 4 s (equal jitter: at least half of each).
      expect(hooks.received[1].at - hooks.received[0].at).to.be.at.least(900);
      expect(hooks.received[2].at - hooks.received[1].at).to.be.at.least(1900);
    });

    it("leaves a delivery whose receiver stays down past the retry window (the test clock moved 24 hours) in the dead-letter queue", async () => {
      const hooks = await receiver();
      hooks.answers = [503];
      const jobId = await submit({ seconds: 0 }, hooks.url);
      await hooks.waitFor(1);
      await hooks.stop(); // down from now on
      receivers.splice(receivers.indexOf(hooks), 1);
      const moved = await fetch(`${cloud.outputs.adminUrl}/_local/clock`, { method: "POST", body: JSON.stringify({ offsetMs: 24 * 3600 * 1000 + 60_000 }) });
      expect(moved.status).to.equal(200);
      try {
        let letter: any;
        for (let i = 0; i < 30 && !letter; i++) {
          const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: cloud.outputs.webhookDeadLetterQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
          letter = (out.Messages ?? []).map((m) => JSON.parse(m.Body!)).find((l) => l.jobId === jobId);
        }
        expect(letter, "the delivery is in the dead-letter queue").to.not.equal(undefined);
        expect(letter).to.deep.include({ jobId, webhookId: `msg_${jobId}`, reason: "RetriesExhausted", callbackUrl: hooks.url });
        expect(letter.attempts).to.be.at.least(2);
        expect((await api.get(jobId)).body.status, "delivery never changes the job").to.equal("SUCCEEDED");
      } finally {
        await fetch(`${cloud.outputs.adminUrl}/_local/clock`, { method: "POST", body: JSON.stringify({ offsetMs: 0 }) });
      }
    });
  });
}
