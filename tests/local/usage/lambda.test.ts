// The local Lambda's cost meter (local/usage/lambda.ts): billed duration and GB-seconds, SQS
// requests of a mapping, and a real local Lambda counting invocations, retries, log bytes and its
// event source mappings' reads.
import * as fs from "fs";
import * as path from "path";
import { randomUUID } from "crypto";
import { expect } from "chai";
import { startLambdaService, type InvocationRecord, type LocalLambdaService } from "../../../local/aws/lambda";
import { billedDurationMs, durationUnit, lambdaGbSeconds, meterInvocation, sqsBatchRequests } from "../../../local/usage/lambda";
import { startSqsService, type LocalSqsService } from "../../../local/aws/sqs";
import { UsageMeter } from "../../../local/usage/meter";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, sdkEnvironment, type LocalFunctionConfig } from "../../../local/aws/types";
import { FakeStreams } from "../fixtures/fakeStream";
import { tempDir } from "../../support/tmp";

const JOB = () => randomUUID();

describe("Lambda usage: pure rules", () => {
  // https://aws.amazon.com/lambda/pricing/: duration "rounded up to the nearest 1 ms"; the INIT
  // phase is billed since 1 August 2025 (https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/).
  // AWS's own platform.report records: 1233.96 ms + init 463.512 ms -> billedDurationMs 1698; 1072.145 ms warm -> 1073.
  it("bills the run plus the INIT phase, rounded up to the next millisecond", () => {
    expect(billedDurationMs(1233.96, 463.512)).to.equal(1698);
    expect(billedDurationMs(1072.145)).to.equal(1073);
    expect(billedDurationMs(5)).to.equal(5);
    expect(billedDurationMs(1.1, 2.9)).to.equal(4);
    expect(billedDurationMs(0.2)).to.equal(1);
    expect(billedDurationMs(0)).to.equal(1);
  });

  // https://aws.amazon.com/lambda/pricing/: "the amount of memory you allocate" (GB = MB / 1024) × duration, priced per architecture.
  it("multiplies the configured memory in GB by the billed seconds, per architecture", () => {
    expect(lambdaGbSeconds(1024, 1000)).to.equal(1);
    expect(lambdaGbSeconds(256, 1698)).to.be.closeTo(0.4245, 1e-12);
    expect(lambdaGbSeconds(128, 1)).to.be.closeTo(0.000125, 1e-15);
    expect(durationUnit(["arm64"])).to.equal("lambda.gbSecondsArm64");
    expect(durationUnit(["x86_64"])).to.equal("lambda.gbSecondsX86");
    expect(durationUnit(undefined)).to.equal("lambda.gbSecondsX86"); // Lambda's default architecture
  });

  // https://aws.amazon.com/sqs/pricing/: "Each 64 KB chunk of a payload is billed as 1 request";
  // ReceiveMessage and DeleteMessageBatch carry at most 10 messages a call.
  it("counts an SQS mapping's calls: up to 10 messages a call, one request per 64 KB chunk of each", () => {
    expect(sqsBatchRequests([])).to.equal(0);
    expect(sqsBatchRequests(Array(10).fill(100))).to.equal(1);
    expect(sqsBatchRequests(Array(11).fill(100))).to.equal(2);
    expect(sqsBatchRequests([65_536])).to.equal(1);
    expect(sqsBatchRequests([65_537])).to.equal(2);
    expect(sqsBatchRequests(Array(10).fill(10_000))).to.equal(2); // 100,000 bytes in one call
  });

  it("charges an invocation to the jobs of its event, split evenly, under lambda:<function>", () => {
    const meter = new UsageMeter();
    const [a, b] = [JOB(), JOB()];
    const config = { name: "fn", arn: "arn", code: "", handler: "index.handler", environment: {}, timeoutSeconds: 3, memorySize: 512, architectures: ["arm64"] };
    const metered = meterInvocation(meter, config, JSON.stringify({ Records: [{ body: JSON.stringify({ jobId: a }) }, { body: JSON.stringify({ jobId: b }) }] }))!;
    metered.ran(99.5, 0.7); // billed 101 ms
    metered.logged(300);
    expect(meter.job(a)).to.deep.equal({ "lambda.requests": 0.5, "lambda.gbSecondsArm64": (0.5 * 0.101) / 2, "logs.ingestedBytes": 150 });
    expect(meter.report().bySource["lambda:fn"]["lambda.requests"]).to.equal(1);
    expect(meterInvocation(undefined, config, "{}")).to.equal(undefined);
  });
});

/** Prints a line while loading and `event.n` characters per invocation, then sleeps `event.ms` (or throws with `event.fail`). */
const PRINTER = `
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
console.log("loading");
exports.handler = async (event) => {
  if (event.n) console.log("x".repeat(event.n));
  if (event.ms) await sleep(event.ms);
  if (event.fail) throw new Error("failed as asked");
  return { ok: true };
};`;

const arnOf = (name: string) => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${name}`;

function fn(name: string, extra: Partial<LocalFunctionConfig> & { architectures?: string[] } = {}): LocalFunctionConfig {
  return { name, arn: arnOf(name), code: PRINTER, handler: "index.handler", environment: {}, timeoutSeconds: 10, memorySize: 256, ...extra };
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The bytes of the lines of a function's log file (each line a CloudWatch log event). */
function logFileBytes(stateDir: string, name: string): number {
  const lines = fs.readFileSync(path.join(stateDir, "logs", `${name}.log`), "utf8").split("\n").filter(Boolean);
  return lines.reduce((n, l) => n + Buffer.byteLength(l), 0);
}

describe("Lambda usage: a local Lambda counting real invocations", function () {
  this.timeout(60_000);
  let stateDir: string;
  let meter: UsageMeter;
  let lambda: LocalLambdaService;
  let sqs: LocalSqsService;
  let streams: FakeStreams;
  const records: InvocationRecord[] = [];

  beforeEach(async () => {
    stateDir = tempDir("lambda-usage-");
    meter = new UsageMeter();
    records.length = 0;
    streams = new FakeStreams();
    sqs = await startSqsService();
    lambda = await startLambdaService({
      stateDir,
      environment: () => sdkEnvironment({ dynamodb: "http://127.0.0.1:1", s3: "http://127.0.0.1:2", lambda: "", sfn: "http://127.0.0.1:3" }),
      meter,
      onInvocation: (r) => records.push(r),
      retryDelaysMs: [20],
      streams: () => streams,
      queues: () => sqs,
      mappingPollIntervalMs: 50,
    });
  });

  afterEach(async () => {
    await lambda?.stop();
    await sqs?.stop();
  });

  // https://aws.amazon.com/lambda/pricing/: a request per invocation; GB-s of the configured memory × the billed duration
  // (INIT included on the cold start); https://aws.amazon.com/cloudwatch/pricing/: log ingestion per byte.
  it("counts each invocation's request, its GB-seconds on its architecture and its log bytes, per job", async () => {
    await lambda.createFunction(fn("printer", { architectures: ["arm64"] }));
    const [cold, warm] = [JOB(), JOB()];
    const before = Date.now();
    await lambda.invoke("printer", JSON.stringify({ jobId: cold, n: 1000, ms: 60 }), "RequestResponse");
    const elapsed = Date.now() - before;
    await lambda.invoke("printer", JSON.stringify({ jobId: warm, n: 10 }), "RequestResponse");

    const [first, second] = records;
    expect(first.initDurationMs).to.be.a("number");
    expect(second.initDurationMs).to.equal(undefined);
    const coldUnits = meter.job(cold);
    expect(coldUnits["lambda.requests"]).to.equal(1);
    expect(coldUnits["lambda.gbSecondsX86"]).to.equal(undefined);
    expect(coldUnits["lambda.gbSecondsArm64"]).to.be.closeTo(0.25 * (billedDurationMs(first.durationMs, first.initDurationMs) / 1000), 1e-12);
    // The handler slept 60 ms; the whole call (process start included) took `elapsed`.
    expect(coldUnits["lambda.gbSecondsArm64"]).to.be.within(0.25 * 0.055, 0.25 * ((elapsed + 2) / 1000));
    expect(meter.job(warm)["lambda.gbSecondsArm64"]).to.be.closeTo(0.25 * (Math.max(1, Math.ceil(second.durationMs)) / 1000), 1e-12);
    expect(meter.report().bySource["lambda:printer"]["lambda.requests"]).to.equal(2);

    // Logs: what the function printed (the load line goes to the first invocation) plus Lambda's platform records.
    expect(coldUnits["logs.ingestedBytes"]).to.be.above(1000 + "loading".length + 3 * 60);
    expect(meter.job(warm)["logs.ingestedBytes"]).to.be.above(10 + 2 * 60);
    await lambda.stop();
    const logged = logFileBytes(stateDir, "printer");
    expect(meter.report().totals["logs.ingestedBytes"]).to.equal(logged);
    const log = fs.readFileSync(path.join(stateDir, "logs", "printer.log"), "utf8");
    expect(log.match(/"platform\.initStart"/g)).to.have.length(1);
    expect(log.match(/"platform\.start"/g)).to.have.length(2);
  });

  // https://aws.amazon.com/lambda/pricing/: each attempt of an async invocation runs the function and is billed (x86_64 when no architecture is set).
  it("counts every attempt of an async invocation, retries included, on x86_64 by default", async () => {
    await lambda.createFunction(fn("failer"));
    lambda.putEventInvokeConfig("failer", { maximumRetryAttempts: 1, maximumEventAgeInSeconds: 60 });
    const job = JOB();
    await lambda.invoke("failer", JSON.stringify({ jobId: job, fail: true }), "Event");
    await lambda.idle();
    expect(records).to.have.length(2);
    const units = meter.job(job);
    expect(units["lambda.requests"]).to.equal(2);
    expect(units["lambda.gbSecondsArm64"]).to.equal(undefined);
    const billed = records.reduce((n, r) => n + billedDurationMs(r.durationMs, r.initDurationMs), 0);
    expect(units["lambda.gbSecondsX86"]).to.be.closeTo(0.25 * (billed / 1000), 1e-12);
  });

  // https://aws.amazon.com/sqs/pricing/: the mapping's ReceiveMessage and DeleteMessageBatch calls are
  // billed requests, one per 64 KB chunk of a call's payload; https://aws.amazon.com/lambda/pricing/: one invocation per batch.
  it("counts an SQS mapping's receives and deletes as SQS requests, and one invocation per batch", async () => {
    await lambda.createFunction(fn("consumer"));
    const queue = sqs.createQueue("usage-jobs", { VisibilityTimeout: "5" });
    const small = JOB();
    const big = JOB();
    for (let i = 0; i < 12; i++) await sqs.sendMessage(queue.url, JSON.stringify({ jobId: small, i }));
    lambda.createEventSourceMapping({ uuid: randomUUID(), eventSourceArn: queue.arn, functionName: "consumer", batchSize: 10 });
    await waitFor(() => sqs.messages(queue.arn).length === 0 && records.length === 2, "12 messages in 2 batches");
    // Receives of 10 and 2 messages, each batch deleted in one call: 4 requests; 2 invocations.
    expect(meter.job(small)["sqs.requests"]).to.equal(4);
    expect(meter.job(small)["lambda.requests"]).to.equal(2);

    await sqs.sendMessage(queue.url, JSON.stringify({ jobId: big, pad: "p".repeat(70_000) }));
    await waitFor(() => sqs.messages(queue.arn).length === 0 && records.length === 3, "the big message processed");
    // A 70 KB message is 2 chunks to receive; its delete carries only a receipt handle.
    expect(meter.job(big)["sqs.requests"]).to.equal(3);
    expect(meter.report().bySource["sqs:usage-jobs"]["sqs.requests"]).to.equal(7);
  });

  // https://aws.amazon.com/dynamodb/pricing/on-demand/: "GetRecords API calls invoked by AWS Lambda as
  // part of DynamoDB triggers are free" (counted, at a zero price); one invocation per batch.
  it("counts a stream mapping's reads and its batch's invocation, split among the batch's jobs", async () => {
    await lambda.createFunction(fn("trigger"));
    const arn = streams.create("usage-table");
    const [a, b] = [JOB(), JOB()];
    streams.append(arn, a);
    const last = streams.append(arn, b);
    const uuid = randomUUID();
    lambda.createEventSourceMapping({ uuid, eventSourceArn: arn, functionName: "trigger", startingPosition: "TRIM_HORIZON", batchSize: 10 });
    await waitFor(() => lambda.getEventSourceMapping(uuid)?.checkpoint === last.dynamodb.SequenceNumber, "the batch processed");
    expect(meter.job(a)).to.include({ "dynamodb.streamReadRequestsByLambda": 0.5, "lambda.requests": 0.5 });
    expect(meter.job(b)).to.include({ "dynamodb.streamReadRequestsByLambda": 0.5, "lambda.requests": 0.5 });
    expect(meter.report().bySource["dynamodb:usage-table"]).to.deep.equal({ "dynamodb.streamReadRequestsByLambda": 1 });
  });

  it("counts nothing without a meter (the service works as before)", async () => {
    const plain = await startLambdaService({ stateDir: tempDir("lambda-usage-plain-"), environment: () => ({}) });
    try {
      await plain.createFunction(fn("plain"));
      const out = await plain.invoke("plain", JSON.stringify({ jobId: JOB() }), "RequestResponse");
      expect(JSON.parse(out.payload)).to.deep.equal({ ok: true });
      expect(meter.report().totals).to.deep.equal({});
    } finally {
      await plain.stop();
    }
  });
});
