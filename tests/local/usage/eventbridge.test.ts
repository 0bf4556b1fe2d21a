// The local EventBridge's cost meter (local/usage/eventbridge.ts): events by 64 KB chunk of the
// PutEvents entry, AWS services' events free, and the SQS messages it sends to targets and
// dead-letter queues, with a real local EventBridge and SQS and the SDK's PutEvents.
import { expect } from "chai";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { startEventBridgeService, type LocalEventBridgeService } from "../../../local/aws/eventbridge";
import { billedEvents, isBilledSource, putEventsEntrySize } from "../../../local/usage/eventbridge";
import { startSqsService, type LocalSqsService } from "../../../local/aws/sqs";
import { UsageMeter } from "../../../local/usage/meter";
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION } from "../../../local/aws/types";

const JOB_A = "11111111-2222-4333-8444-555555555555";
const JOB_B = "66666666-7777-4888-9999-aaaaaaaaaaaa";

describe("EventBridge usage: pure rules", () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html: Time is 14
  // bytes; Source, DetailType, Detail and each Resource their UTF-8 bytes.
  it("sizes a PutEvents entry as EventBridge does", () => {
    expect(putEventsEntrySize({ Source: "app", DetailType: "Job", Detail: '{"a":"é"}', Resources: ["r1", "r2"] })).to.equal(3 + 3 + 10 + 4);
    expect(putEventsEntrySize({ Source: "app", DetailType: "Job", Time: new Date() })).to.equal(14 + 6);
  });

  // https://aws.amazon.com/eventbridge/pricing/: "Each 64 KB chunk of a payload is billed as one event".
  it("bills one event per 64 KB chunk of the entry, at least one", () => {
    expect(billedEvents({ Source: "a", DetailType: "b", Detail: "{}" })).to.equal(1);
    expect(billedEvents({ Source: "a", DetailType: "b", Detail: "x".repeat(65_536 - 2) })).to.equal(1);
    expect(billedEvents({ Source: "a", DetailType: "b", Detail: "x".repeat(65_536 - 1) })).to.equal(2);
    expect(billedEvents({ Source: "a", DetailType: "b", Detail: "x".repeat(256 * 1024 - 2) })).to.equal(4);
  });

  // https://aws.amazon.com/eventbridge/pricing/ ("Event buses"): AWS management events are free;
  // "AWS opt-in data events" (S3's object events) are billed.
  it("bills custom events and S3's opt-in data events, not AWS management events", () => {
    expect(isBilledSource("aws.s3"), "S3 object events are opt-in data events, billed").to.equal(true);
    expect(isBilledSource("aws.states")).to.equal(false);
    expect(isBilledSource("app.jobs")).to.equal(true);
    expect(isBilledSource("lambda")).to.equal(true);
  });
});

describe("EventBridge usage: a local EventBridge counting real PutEvents", function () {
  const FN = `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:no-permission`;
  let sqs: LocalSqsService;
  let events: LocalEventBridgeService;
  let client: EventBridgeClient;
  let meter: UsageMeter;
  let target: { url: string; arn: string };
  let dlq: { url: string; arn: string };

  before(async () => {
    meter = new UsageMeter();
    sqs = await startSqsService({ meter });
    const lambda = { invoke: async () => ({ statusCode: 202, payload: "" }) };
    events = await startEventBridgeService({ lambda, sqs, meter, retryDelaysMs: [10] });
    target = sqs.createQueue("events-target");
    dlq = sqs.createQueue("events-dlq");
    events.createEventBus("jobs");
    const ruleArn = events.putRule({ name: "all-jobs", eventBusName: "jobs", eventPattern: JSON.stringify({ source: ["app.jobs", "lambda"] }) });
    events.putTarget("all-jobs", "jobs", { id: "queue", arn: target.arn });
    // No lambda:InvokeFunction permission: a final failure, so each event goes to the dead-letter queue.
    events.putTarget("all-jobs", "jobs", { id: "fn", arn: FN, deadLetterArn: dlq.arn });
    for (const q of [target, dlq]) {
      const statement = { Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage", Resource: q.arn, Condition: { ArnEquals: { "aws:SourceArn": ruleArn } } };
      sqs.setQueuePolicy(q.url, JSON.stringify({ Version: "2012-10-17", Statement: [statement] }));
    }
    client = new EventBridgeClient({ endpoint: events.endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS }, maxAttempts: 1 });
  });

  after(async () => {
    client?.destroy();
    await events?.stop();
    await sqs?.stop();
  });

  beforeEach(() => meter.reset());

  // https://aws.amazon.com/eventbridge/pricing/ (custom events, 64 KB chunks) and
  // https://aws.amazon.com/sqs/pricing/ (each SendMessage to the queues, 64 KB chunks).
  it("counts each published entry by 64 KB chunk, not the failed ones, and the SQS sends of its deliveries, per job", async () => {
    const out = await client.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: "jobs", Source: "app.jobs", DetailType: "Job Created", Detail: JSON.stringify({ jobId: JOB_A }) },
          { EventBusName: "jobs", Source: "app.jobs", DetailType: "Job Created", Detail: JSON.stringify({ jobId: JOB_B, pad: "p".repeat(70 * 1024) }) },
          { EventBusName: "jobs", Source: "app.jobs", DetailType: "Job Created", Detail: "not json" },
          { EventBusName: "no-such-bus", Source: "app.jobs", DetailType: "Job Created", Detail: JSON.stringify({ jobId: JOB_A }) },
        ],
      }),
    );
    expect(out.FailedEntryCount).to.equal(2);
    await events.idle();
    expect(sqs.messages(target.url)).to.have.length(2);
    expect(sqs.messages(dlq.url)).to.have.length(2);

    const report = meter.report();
    expect(report.totals["eventbridge.events"]).to.equal(1 + 2);
    expect(meter.job(JOB_A)).to.deep.equal({ "eventbridge.events": 1, "sqs.requests": 2 }); // target + dead-letter queue
    expect(meter.job(JOB_B)).to.deep.equal({ "eventbridge.events": 2, "sqs.requests": 4 }); // 70 KB: 2 chunks each
    expect(report.bySource["eventbridge:jobs"]).to.deep.equal({ "eventbridge.events": 3 });
    expect(report.bySource["sqs:events-target"]).to.deep.equal({ "sqs.requests": 3 });
    expect(report.bySource["sqs:events-dlq"]).to.deep.equal({ "sqs.requests": 3 });
    expect(report.notPerJob).to.deep.equal({});
  });

  it("counts S3's object events (for the job of the key) and Lambda destination events (PutEvents on the function's behalf), not AWS management events", async () => {
    await events.publish("jobs", { source: "aws.s3", detailType: "Object Created", detail: { object: { key: `jobs/${JOB_A}.json` } } });
    await events.publish("jobs", { source: "aws.states", detailType: "Step Functions Execution Status Change", detail: { status: "SUCCEEDED" } });
    await events.publish("jobs", { source: "lambda", detailType: "Lambda Function Invocation Result - Success", detail: { responsePayload: { jobId: JOB_B } } });
    await events.idle();
    expect(meter.report().totals["eventbridge.events"]).to.equal(2);
    expect(meter.job(JOB_A)["eventbridge.events"]).to.equal(1);
    expect(meter.job(JOB_B)["eventbridge.events"]).to.equal(1);
  });
});
