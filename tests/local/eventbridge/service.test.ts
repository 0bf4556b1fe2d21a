// The local EventBridge and SQS, in process: routing by pattern, Lambda targets and their
// permission, retries and the dead-letter queue, bus-to-bus targets, archives that survive a
// restart, replays restricted to FilterArns; and both wire protocols through the AWS CLI.
import * as path from "path";
import { expect } from "chai";
import { startEventBridgeService, type DeliveryRecord, type LocalEventBridgeService } from "../../../local/aws/eventbridge";
import { policyAllowsService, startSqsService, type LocalSqsService } from "../../../local/aws/sqs";
import { LOCAL_ACCOUNT_ID } from "../../../local/aws/types";
import { runAwsCli } from "../../support/tools";
import { tempDir } from "../../support/tmp";

const ARN = `arn:aws:events:us-east-1:${LOCAL_ACCOUNT_ID}`;
const FN = `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT_ID}:function:recorder`;
const PATTERN = JSON.stringify({ source: ["app.jobs"], "detail-type": ["Job Failed"] });

/** The AWS CLI (found on PATH) against a local endpoint, with throw-away credentials and no user config. */
const aws = (endpoint: string, ...args: string[]): Promise<any> => runAwsCli(endpoint, args);

/** A Lambda stand-in: records invokes, fails as told. */
function fakeLambda() {
  const invokes: { arn: string; payload: any; type: string }[] = [];
  let failures: string[] = [];
  return {
    invokes,
    failWith(...codes: string[]) {
      failures = codes;
    },
    lambda: {
      async invoke(arn: string, payload: string, type: "RequestResponse" | "Event") {
        const code = failures.shift();
        if (code) throw Object.assign(new Error(`injected ${code}`), { code });
        invokes.push({ arn, payload: JSON.parse(payload), type });
        return { statusCode: 202, payload: "" };
      },
    },
  };
}

describe("local/aws/eventbridge and local/aws/sqs", function () {
  this.timeout(60_000);
  let dir: string;
  let sqs: LocalSqsService;
  let events: LocalEventBridgeService;
  let fake: ReturnType<typeof fakeLambda>;
  let deliveries: DeliveryRecord[];
  let dlq: { url: string; arn: string };

  /** The program's shape: a bus, its rule → a function (retry policy, DLQ), an archive with the rule's pattern. */
  async function start(): Promise<void> {
    fake = fakeLambda();
    deliveries = [];
    sqs = await startSqsService({ dir: path.join(dir, "sqs") });
    events = await startEventBridgeService({ dir: path.join(dir, "events"), lambda: fake.lambda, sqs, retryDelaysMs: [10, 20], onDelivery: (d) => deliveries.push(d) });
    dlq = sqs.createQueue("failures-dlq", { SqsManagedSseEnabled: "true" });
    events.createEventBus("failures");
    const ruleArn = events.putRule({ name: "failures-rule", eventBusName: "failures", eventPattern: PATTERN });
    events.putTarget("failures-rule", "failures", { id: "recorder", arn: FN, retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 60 }, deadLetterArn: dlq.arn });
    events.createArchive({ name: "failures-archive", eventSourceArn: `${ARN}:event-bus/failures`, eventPattern: PATTERN, retentionDays: 7 });
    sqs.setQueuePolicy(dlq.url, JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: ["sqs:SendMessage"], Resource: [dlq.arn], Condition: { ArnEquals: { "aws:SourceArn": [ruleArn] } } }],
    }));
  }

  beforeEach(async () => {
    dir = tempDir("async-api-events-");
    await start();
  });
  afterEach(async () => {
    await events?.stop();
    await sqs?.stop();
  });

  const put = (detail: object, detailType = "Job Failed", bus = "failures") =>
    events.putEvents([{ Source: "app.jobs", DetailType: detailType, Detail: JSON.stringify(detail), EventBusName: bus }]);

  it("routes a matching event to the Lambda target (async invoke) once a permission lets EventBridge call it from that rule; archives only matching events", async () => {
    events.addLambdaPermission("recorder", `${ARN}:rule/failures/failures-rule`);
    const [first] = put({ jobId: "a" });
    put({ jobId: "b" }, "Job Succeeded");
    await events.idle();
    expect(fake.invokes).to.have.length(1);
    expect(fake.invokes[0]).to.deep.include({ arn: FN, type: "Event" });
    expect(fake.invokes[0].payload).to.deep.include({ version: "0", id: (first as { EventId: string }).EventId, source: "app.jobs", "detail-type": "Job Failed", account: LOCAL_ACCOUNT_ID, region: "us-east-1", detail: { jobId: "a" } });
    expect(fake.invokes[0].payload.time).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(events.archivedEvents("failures-archive").map((e) => e.event.detail)).to.deep.equal([{ jobId: "a" }]);
  });

  it("dead-letters an event it may not deliver (no permission: not retried), with EventBridge's attributes; drops it if the queue's policy does not allow the rule", async () => {
    put({ jobId: "a" });
    await events.idle();
    expect(fake.invokes).to.have.length(0);
    const [message] = sqs.messages(dlq.url);
    expect(JSON.parse(message.body).detail).to.deep.equal({ jobId: "a" });
    expect(Object.fromEntries(Object.entries(message.attributes).map(([k, v]) => [k, v.StringValue]))).to.deep.include({
      ERROR_CODE: "NO_PERMISSIONS",
      RETRY_ATTEMPTS: "0",
      RULE_ARN: `${ARN}:rule/failures/failures-rule`,
      TARGET_ARN: FN,
    });
    expect(deliveries.map((d) => d.outcome)).to.deep.equal(["dead-lettered"]);

    sqs.setQueuePolicy(dlq.url, JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage", Resource: dlq.arn, Condition: { ArnEquals: { "aws:SourceArn": `${ARN}:rule/other` } } }] }));
    put({ jobId: "b" });
    await events.idle();
    expect(sqs.messages(dlq.url)).to.have.length(1);
    expect(deliveries.map((d) => d.outcome)).to.deep.equal(["dead-lettered", "dropped"]);
  });

  it("retries a throttled delivery, and dead-letters it once the retry policy is exhausted", async () => {
    events.addLambdaPermission(FN, `${ARN}:rule/failures/failures-rule`);
    fake.failWith("TooManyRequestsException", "TooManyRequestsException");
    put({ jobId: "a" });
    await events.idle();
    expect(fake.invokes).to.have.length(1);
    expect(deliveries[0]).to.include({ outcome: "delivered", attempts: 3 });

    fake.failWith("TooManyRequestsException", "TooManyRequestsException", "TooManyRequestsException");
    put({ jobId: "b" });
    await events.idle();
    const [message] = sqs.messages(dlq.url);
    expect(message.attributes.EXHAUSTED_RETRY_CONDITION.StringValue).to.equal("MaximumRetryAttemptsExhausted");
    expect(message.attributes.RETRY_ATTEMPTS.StringValue).to.equal("2");
    expect(message.attributes.ERROR_CODE.StringValue).to.equal("THROTTLING");
  });

  it("forwards to another bus (needs a role; no retry policy), where the event is new and routed by that bus's rules and archives", async () => {
    events.putRule({ name: "forward", eventPattern: PATTERN });
    expect(() => events.putTarget("forward", "default", { id: "bus", arn: `${ARN}:event-bus/failures`, roleArn: "arn:aws:iam::000000000000:role/r", retryPolicy: { maximumRetryAttempts: 1 } })).to.throw(/RetryPolicy is not supported/);
    events.putTarget("forward", "default", { id: "bus", arn: `${ARN}:event-bus/failures`, roleArn: "arn:aws:iam::000000000000:role/r" });
    events.addLambdaPermission("recorder", `${ARN}:rule/failures/failures-rule`);
    const { eventId } = await events.publish("default", { source: "app.jobs", detailType: "Job Failed", detail: { jobId: "c" } });
    await events.idle();
    expect(fake.invokes).to.have.length(1);
    expect(fake.invokes[0].payload.detail).to.deep.equal({ jobId: "c" });
    expect(fake.invokes[0].payload.id).not.to.equal(eventId);
    expect(events.archivedEvents("failures-archive")).to.have.length(1);
    const missing = await events.publish("nope", { source: "x", detailType: "y", detail: {} }).catch((e) => e);
    expect(missing).to.be.instanceOf(Error).with.property("name", "ResourceNotFoundException");
  });

  it("keeps archives and queues across a restart; a replay (through the AWS CLI) re-sends the window's events to the FilterArns rules only, marked with replay-name, without archiving them again", async () => {
    put({ jobId: "early" });
    await events.idle();
    await new Promise((r) => setTimeout(r, 1100)); // event times are whole seconds
    const from = new Date();
    put({ jobId: "a" });
    put({ jobId: "b" });
    await events.idle();
    expect(sqs.messages(dlq.url), "no permission yet: dead-lettered").to.have.length(3);

    // Restart: the program declares everything again; the archive's events and the queue's messages are still there.
    await events.stop();
    await sqs.stop();
    await start();
    expect(events.archivedEvents("failures-archive").map((e) => e.event.detail.jobId)).to.deep.equal(["early", "a", "b"]);
    expect(sqs.messages(dlq.url)).to.have.length(3);
    events.addLambdaPermission("recorder", `${ARN}:rule/failures/failures-rule`);
    // A second rule on the same bus, not in FilterArns, must not see the replay.
    events.putRule({ name: "audit", eventBusName: "failures", eventPattern: PATTERN });
    events.putTarget("audit", "failures", { id: "audit", arn: `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT_ID}:function:audit` });
    events.addLambdaPermission("audit", `${ARN}:rule/failures/audit`);

    const archives = await aws(events.endpoint, "events", "list-archives");
    expect(archives.Archives).to.have.length(1);
    expect(archives.Archives[0]).to.include({ ArchiveName: "failures-archive", EventSourceArn: `${ARN}:event-bus/failures`, State: "ENABLED", EventCount: 3, RetentionDays: 7 });
    const started = await aws(
      events.endpoint,
      "events",
      "start-replay",
      "--replay-name",
      "again-1",
      "--event-source-arn",
      `${ARN}:archive/failures-archive`,
      "--destination",
      JSON.stringify({ Arn: `${ARN}:event-bus/failures`, FilterArns: [`${ARN}:rule/failures/failures-rule`] }),
      "--event-start-time",
      new Date(Math.floor(from.getTime() / 1000) * 1000).toISOString(),
      "--event-end-time",
      new Date(Date.now() + 1000).toISOString(),
    );
    expect(started).to.include({ ReplayArn: `${ARN}:replay/again-1`, State: "STARTING" });
    await events.idle();
    const described = await aws(events.endpoint, "events", "describe-replay", "--replay-name", "again-1");
    expect(described).to.include({ ReplayName: "again-1", State: "COMPLETED", EventSourceArn: `${ARN}:archive/failures-archive` });
    expect(described.Destination.FilterArns).to.deep.equal([`${ARN}:rule/failures/failures-rule`]);
    expect(fake.invokes.map((i) => i.arn)).to.deep.equal([FN, FN], "the audit rule is not in FilterArns");
    expect(fake.invokes.map((i) => i.payload.detail.jobId).sort()).to.deep.equal(["a", "b"], "'early' is outside the window");
    expect(fake.invokes.every((i) => i.payload["replay-name"] === "again-1")).to.equal(true);
    expect(events.archivedEvents("failures-archive")).to.have.length(3);

    // The replay name is taken now; a replay must go to the archive's own bus.
    const err = await aws(events.endpoint, "events", "start-replay", "--replay-name", "again-1", "--event-source-arn", `${ARN}:archive/failures-archive`, "--destination", JSON.stringify({ Arn: `${ARN}:event-bus/failures` }), "--event-start-time", "2020-01-01T00:00:00Z", "--event-end-time", "2020-01-02T00:00:00Z").catch((e) => e);
    expect(String(err.stderr ?? err)).to.contain("ResourceAlreadyExistsException");
    expect(() => events.startReplay({ ReplayName: "x", EventSourceArn: `${ARN}:archive/failures-archive`, Destination: { Arn: `${ARN}:event-bus/default` }, EventStartTime: 0, EventEndTime: Date.now() / 1000 })).to.throw(/Cross event bus replay/);
    expect(() => events.startReplay({ ReplayName: "y", EventSourceArn: `${ARN}:archive/failures-archive`, Destination: { Arn: `${ARN}:event-bus/failures`, FilterArns: [`${ARN}:rule/forward`] }, EventStartTime: 0, EventEndTime: Date.now() / 1000 })).to.throw(/FilterArns/);
  });

  it("speaks PutEvents and TestEventPattern (JSON protocol) and SQS's query protocol to the AWS CLI", async () => {
    const putOut = await aws(events.endpoint, "events", "put-events", "--entries", JSON.stringify([{ Source: "app.jobs", DetailType: "Job Failed", Detail: '{"jobId":"cli"}', EventBusName: "failures" }, { Source: "aws.states", DetailType: "x", Detail: "{}" }]));
    expect(putOut.FailedEntryCount).to.equal(1);
    expect(putOut.Entries[1].ErrorCode).to.equal("NotAuthorizedForSourceException");
    const tested = await aws(events.endpoint, "events", "test-event-pattern", "--event-pattern", PATTERN, "--event", JSON.stringify({ id: "1", source: "app.jobs", "detail-type": "Job Failed", account: LOCAL_ACCOUNT_ID, time: "2026-01-01T00:00:00Z", region: "us-east-1", resources: [], detail: {} }));
    expect(tested.Result).to.equal(true);
    await events.idle();

    // Debian's aws-cli 2.9 speaks SQS's query protocol (and checks the MD5 of bodies and attributes).
    const received = await aws(sqs.endpoint, "sqs", "receive-message", "--queue-url", dlq.url, "--message-attribute-names", "All", "--attribute-names", "All");
    expect(received.Messages).to.have.length(1);
    expect(JSON.parse(received.Messages[0].Body).detail).to.deep.equal({ jobId: "cli" });
    expect(received.Messages[0].MessageAttributes.ERROR_CODE).to.deep.equal({ StringValue: "NO_PERMISSIONS", DataType: "String" });
    expect(received.Messages[0].Attributes.ApproximateReceiveCount).to.equal("1");
    const attributes = await aws(sqs.endpoint, "sqs", "get-queue-attributes", "--queue-url", dlq.url, "--attribute-names", "All");
    expect(attributes.Attributes).to.include({ ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "1", SqsManagedSseEnabled: "true" });
    await aws(sqs.endpoint, "sqs", "delete-message", "--queue-url", dlq.url, "--receipt-handle", received.Messages[0].ReceiptHandle);
    expect(sqs.messages(dlq.url)).to.have.length(0);

    // And the JSON protocol, as current SDKs send it.
    const res = await fetch(sqs.endpoint, { method: "POST", headers: { "X-Amz-Target": "AmazonSQS.SendMessage", "Content-Type": "application/x-amz-json-1.0" }, body: JSON.stringify({ QueueUrl: dlq.url, MessageBody: "hello" }) });
    expect(res.status).to.equal(200);
    expect(await res.json()).to.include({ MD5OfMessageBody: "5d41402abc4b2a76b9719d911017c592" });
    const missing = await fetch(sqs.endpoint, { method: "POST", headers: { "X-Amz-Target": "AmazonSQS.ReceiveMessage", "Content-Type": "application/x-amz-json-1.0" }, body: JSON.stringify({ QueueUrl: `${sqs.endpoint}/000000000000/nope` }) });
    expect(missing.status).to.equal(400);
    expect(((await missing.json()) as { __type: string }).__type).to.equal("com.amazonaws.sqs#QueueDoesNotExist");
  });

  it("evaluates queue policies for service principals: Allow with ArnEquals/ArnLike on aws:SourceArn, Deny wins", () => {
    const q = "arn:aws:sqs:us-east-1:000000000000:q";
    const allow = (condition: object) => JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage", Resource: q, Condition: condition }] });
    expect(policyAllowsService(allow({ ArnEquals: { "aws:SourceArn": "arn:r1" } }), "events.amazonaws.com", "sqs:SendMessage", q, "arn:r1")).to.equal(true);
    expect(policyAllowsService(allow({ ArnEquals: { "aws:SourceArn": "arn:r1" } }), "events.amazonaws.com", "sqs:SendMessage", q, "arn:r2")).to.equal(false);
    expect(policyAllowsService(allow({ ArnLike: { "aws:SourceArn": "arn:r*" } }), "events.amazonaws.com", "sqs:SendMessage", q, "arn:r2")).to.equal(true);
    expect(policyAllowsService(allow({ ArnEquals: { "aws:SourceArn": "arn:r1" } }), "sns.amazonaws.com", "sqs:SendMessage", q, "arn:r1")).to.equal(false);
    expect(policyAllowsService(allow({ Bool: { "aws:SecureTransport": "true" } }), "events.amazonaws.com", "sqs:SendMessage", q, "arn:r1"), "an unknown condition does not apply").to.equal(false);
    const withDeny = JSON.stringify({ Statement: [...JSON.parse(allow({})).Statement, { Effect: "Deny", Principal: "*", Action: "sqs:*", Resource: q }] });
    expect(policyAllowsService(withDeny, "events.amazonaws.com", "sqs:SendMessage", q, "arn:r1")).to.equal(false);
    expect(policyAllowsService(undefined, "events.amazonaws.com", "sqs:SendMessage", q, "arn:r1")).to.equal(false);
  });
});
