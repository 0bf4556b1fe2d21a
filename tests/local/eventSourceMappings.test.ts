import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { LambdaApiError, startLambdaService, type LocalLambdaService } from "../../local/aws/lambda";
import { partitionLane } from "../../local/aws/lambda/streamPoller";
import { startSqsService, type LocalSqsService } from "../../local/aws/sqs";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, sdkEnvironment, type DynamoDbStreamRecord, type LocalEventSourceMapping } from "../../local/aws/types";
import { FakeStreams } from "./fixtures/fakeStream";
import { tempDir } from "../support/tmp";

/**
 * Records every batch it gets to $RECORD_FILE (ids and the whole event), then acts on the items'
 * `flag`: `slow` sleeps, `poison` throws, `failTwice` throws the first two times it sees the item,
 * `partial` / `partialOnce` report the item in `batchItemFailures` (always / the first time),
 * `badPartial` reports an unknown identifier; `block` waits until $RECORD_FILE.release exists;
 * `rendezvous` waits until `need` invocations have arrived at the rendezvous (and fails after 10 s
 * alone: only concurrent batches can meet). Stream items are NewImage `{id, flag, need}`, SQS items
 * a JSON body `{id, flag}`.
 */
const CONSUMER = `
const fs = require("fs");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function item(r) {
  if (r.dynamodb) {
    const img = r.dynamodb.NewImage || r.dynamodb.OldImage || {};
    return { id: img.id && img.id.S, flag: img.flag && img.flag.S, need: img.need && Number(img.need.S), key: r.dynamodb.SequenceNumber };
  }
  let b = {};
  try { b = JSON.parse(r.body); } catch {}
  return { id: b.id, flag: b.flag, key: r.messageId };
}
function timesSeen(id) {
  return fs.readFileSync(process.env.RECORD_FILE, "utf8").split("\\n").filter(Boolean).filter((l) => JSON.parse(l).ids.includes(id)).length;
}
exports.handler = async (event, context) => {
  const start = Date.now();
  const items = event.Records.map(item);
  const ids = items.map((i) => i.id);
  fs.appendFileSync(process.env.RECORD_FILE, JSON.stringify({ requestId: context.awsRequestId, ids, start, event }) + "\\n");
  if (items.some((i) => i.flag === "slow")) await sleep(400);
  if (items.some((i) => i.flag === "block")) {
    while (!fs.existsSync(process.env.RECORD_FILE + ".release")) {
      if (Date.now() - start > 20000) throw new Error("never released");
      await sleep(20);
    }
  }
  const meet = items.find((i) => i.flag === "rendezvous");
  if (meet) {
    const arrived = process.env.RECORD_FILE + ".arrived";
    fs.appendFileSync(arrived, ids.join(",") + "\\n");
    while (fs.readFileSync(arrived, "utf8").split("\\n").filter(Boolean).length < meet.need) {
      if (Date.now() - start > 10000) throw new Error("nobody came to the rendezvous");
      await sleep(20);
    }
  }
  fs.appendFileSync(process.env.RECORD_FILE + ".end", JSON.stringify({ requestId: context.awsRequestId, end: Date.now() }) + "\\n");
  if (items.some((i) => i.flag === "poison")) throw new Error("poison in " + ids.join(","));
  if (items.some((i) => i.flag === "failTwice" && timesSeen(i.id) <= 2)) throw new Error("not yet");
  if (items.some((i) => i.flag === "badPartial")) return { batchItemFailures: [{ itemIdentifier: "no-such-item" }] };
  const failed = items.filter((i) => i.flag === "partial" || (i.flag === "partialOnce" && timesSeen(i.id) <= 1));
  if (failed.length) return { batchItemFailures: failed.map((i) => ({ itemIdentifier: i.key })) };
  return { ok: ids.length };
};`;

interface Call {
  requestId: string;
  ids: string[];
  start: number;
  event: { Records: any[] };
}

function readJsonLines<T>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

async function waitFor(check: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const functionArn = (name: string) => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${name}`;
const seqOf = (r: DynamoDbStreamRecord) => r.dynamodb.SequenceNumber;

describe("local Lambda event source mappings", function () {
  this.timeout(60_000);
  let lambda: LocalLambdaService;
  let sqs: LocalSqsService;
  let streams: FakeStreams;
  let stateDir: string;
  let recordDir: string;
  const logLines: string[] = [];
  let n = 0;

  async function startLambda(dir: string): Promise<LocalLambdaService> {
    const endpoints = { dynamodb: "http://127.0.0.1:1", s3: "http://127.0.0.1:2", lambda: "", sfn: "http://127.0.0.1:3" };
    return startLambdaService({
      stateDir: dir,
      environment: () => sdkEnvironment(endpoints),
      log: (l) => logLines.push(l),
      streams: () => streams,
      queues: () => sqs,
      mappingRetryDelaysMs: [50, 100],
      mappingPollIntervalMs: 100,
    });
  }

  /** A consumer function with its own record file. */
  async function consumer(service = lambda): Promise<{ name: string; file: string; calls: () => Call[]; ends: () => { requestId: string; end: number }[] }> {
    const name = `consumer-${++n}`;
    const file = path.join(recordDir, `${name}.jsonl`);
    await service.createFunction({ name, arn: functionArn(name), code: CONSUMER, handler: "index.handler", environment: { RECORD_FILE: file }, timeoutSeconds: 30, memorySize: 256 });
    return { name, file, calls: () => readJsonLines<Call>(file), ends: () => readJsonLines(`${file}.end`) };
  }

  function destinationRecords(queueArn: string): any[] {
    return sqs.messages(queueArn).map((m) => JSON.parse(m.body));
  }

  before(async () => {
    stateDir = tempDir("esm-lambda-");
    recordDir = tempDir("esm-rec-");
    streams = new FakeStreams();
    sqs = await startSqsService({ dir: path.join(stateDir, "sqs") });
    lambda = await startLambda(path.join(stateDir, "lambda"));
  });

  after(async () => {
    await lambda?.stop();
    await sqs?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
    fs.rmSync(recordDir, { recursive: true, force: true });
  });

  describe("creating mappings", () => {
    it("rejects what CreateEventSourceMapping rejects", async () => {
      const fn = await consumer();
      const arn = streams.create("rejects");
      const base = { uuid: crypto.randomUUID(), eventSourceArn: arn, functionName: fn.name, startingPosition: "TRIM_HORIZON" as const };
      const codeOf = (m: LocalEventSourceMapping) => {
        try {
          lambda.createEventSourceMapping(m);
          return "created";
        } catch (e) {
          expect(e).to.be.instanceOf(LambdaApiError);
          return (e as LambdaApiError).code;
        }
      };
      expect(codeOf({ ...base, functionName: "missing" })).to.equal("ResourceNotFoundException");
      expect(codeOf({ ...base, filterPatterns: ['{"eventName": "INSERT"}'] })).to.equal("InvalidParameterValueException");
      // AWS, "Using event filtering with a DynamoDB event source": only the `dynamodb` key can be filtered on.
      expect(codeOf({ ...base, filterPatterns: ['{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"kind": {"S": ["job"]}}}}'] })).to.equal("InvalidParameterValueException");
      expect(codeOf({ ...base, startingPosition: undefined })).to.equal("InvalidParameterValueException");
      expect(codeOf({ ...base, maximumRecordAgeInSeconds: 10 })).to.equal("InvalidParameterValueException");
      expect(codeOf({ ...base, eventSourceArn: `arn:aws:kinesis:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:stream/s` })).to.equal("InvalidParameterValueException");
      const queue = sqs.createQueue(`rejects-${n}`);
      expect(codeOf({ ...base, eventSourceArn: queue.arn, startingPosition: "LATEST" })).to.equal("InvalidParameterValueException");
      for (const parallelizationFactor of [0, 11, 2.5]) expect(codeOf({ ...base, parallelizationFactor }), `parallelizationFactor ${parallelizationFactor}`).to.equal("InvalidParameterValueException");
      expect(codeOf({ uuid: base.uuid, eventSourceArn: queue.arn, functionName: fn.name, parallelizationFactor: 2 }), "parallelizationFactor on SQS").to.equal("InvalidParameterValueException");
      // AWS, "Creating and configuring an Amazon SQS event source mapping": above 10 needs a batching window.
      expect(codeOf({ uuid: base.uuid, eventSourceArn: queue.arn, functionName: fn.name, batchSize: 11 }), "SQS batchSize 11 without a window").to.equal("InvalidParameterValueException");
      expect(codeOf(base)).to.equal("created");
      expect(lambda.getEventSourceMapping(base.uuid)?.parallelizationFactor, "the default").to.equal(1);
      expect(codeOf({ ...base, parallelizationFactor: 10 })).to.equal("created");
      expect(lambda.getEventSourceMapping(base.uuid)?.parallelizationFactor).to.equal(10);
      expect(codeOf({ ...base, uuid: crypto.randomUUID() })).to.equal("ResourceConflictException");
      await lambda.deleteEventSourceMapping(base.uuid);
      expect(lambda.getEventSourceMapping(base.uuid)).to.equal(undefined);
    });
  });

  describe("DynamoDB streams", () => {
    it("delivers matching records in batches of batchSize, drops the rest and checkpoints past them", async () => {
      const fn = await consumer();
      const arn = streams.create("filters");
      const appended = [
        streams.append(arn, "j1", { kind: "job" }),
        streams.append(arn, "n1", { kind: "note" }),
        streams.append(arn, "j2", { kind: "job" }),
        streams.append(arn, "j3", { kind: "job" }, { eventName: "MODIFY" }),
        streams.append(arn, "j4", { kind: "job" }),
        streams.append(arn, "j5", { kind: "job" }),
        streams.append(arn, "j6", { kind: "job" }),
        streams.append(arn, "n2", { kind: "note" }),
      ];
      const uuid = crypto.randomUUID();
      lambda.createEventSourceMapping({
        uuid,
        eventSourceArn: arn,
        functionName: fn.name,
        startingPosition: "TRIM_HORIZON",
        batchSize: 3,
        filterPatterns: ['{"dynamodb":{"NewImage":{"kind":{"S":["job"]}}}}'],
      });
      const last = seqOf(appended[appended.length - 1]);
      await waitFor(() => lambda.getEventSourceMapping(uuid)?.checkpoint === last, 10_000, "checkpoint at the last record");
      // Reads of 3: [j1 n1 j2] [j3 j4 j5] [j6 n2] -> filtered batches.
      expect(fn.calls().map((c) => c.ids)).to.deep.equal([["j1", "j2"], ["j3", "j4", "j5"], ["j6"]]);
      const first = fn.calls()[0].event.Records[0];
      expect(first).to.deep.equal(JSON.parse(JSON.stringify(appended[0])));
      expect(lambda.getEventSourceMapping(uuid)).to.include({ state: "Enabled", lastProcessingResult: "OK", kind: "dynamodb" });
    });

    it("starts at LATEST: records written before the mapping are not delivered", async () => {
      const fn = await consumer();
      const arn = streams.create("latest");
      streams.append(arn, "before");
      lambda.createEventSourceMapping({ uuid: crypto.randomUUID(), eventSourceArn: arn, functionName: fn.name, startingPosition: "LATEST" });
      streams.append(arn, "after");
      await waitFor(() => fn.calls().length > 0);
      await sleep(300);
      expect(fn.calls().map((c) => c.ids)).to.deep.equal([["after"]]);
    });

    it("processes one batch at a time, in order", async () => {
      const fn = await consumer();
      const arn = streams.create("ordered");
      lambda.createEventSourceMapping({ uuid: crypto.randomUUID(), eventSourceArn: arn, functionName: fn.name, startingPosition: "TRIM_HORIZON", batchSize: 1 });
      streams.append(arn, "o1", { flag: "slow" });
      streams.append(arn, "o2", { flag: "slow" });
      streams.append(arn, "o3");
      streams.append(arn, "o4");
      await waitFor(() => fn.calls().length === 4);
      const calls = fn.calls();
      const ends = new Map(fn.ends().map((e) => [e.requestId, e.end]));
      expect(calls.map((c) => c.ids[0])).to.deep.equal(["o1", "o2", "o3", "o4"]);
      for (let i = 1; i < calls.length; i++) expect(calls[i].start, `batch ${i + 1} started before batch ${i} ended`).to.be.at.least(ends.get(calls[i - 1].requestId)!);
    });

    it("retries a failing batch, then sends AWS's on-failure record to the SQS destination and moves on", async () => {
      const fn = await consumer();
      const arn = streams.create("retries");
      const dlq = sqs.createQueue(`stream-failures-${n}`);
      const p = streams.append(arn, "p", { flag: "poison" });
      const q = streams.append(arn, "q");
      lambda.createEventSourceMapping({
        uuid: crypto.randomUUID(),
        eventSourceArn: arn,
        functionName: fn.name,
        startingPosition: "TRIM_HORIZON",
        batchSize: 2,
        maximumRetryAttempts: 2,
        onFailureDestination: dlq.arn,
      });
      await waitFor(() => destinationRecords(dlq.arn).length === 1);
      expect(fn.calls().map((c) => c.ids)).to.deep.equal([["p", "q"], ["p", "q"], ["p", "q"]]);
      const record = destinationRecords(dlq.arn)[0];
      expect(Object.keys(record)).to.deep.equal(["requestContext", "responseContext", "version", "timestamp", "DDBStreamBatchInfo"]);
      expect(record.requestContext).to.deep.equal({
        requestId: fn.calls()[2].requestId,
        functionArn: functionArn(fn.name),
        condition: "RetryAttemptsExhausted",
        approximateInvokeCount: 3,
      });
      expect(record.responseContext).to.deep.equal({ statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" });
      expect(record.version).to.equal("1.0");
      expect(record.timestamp).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const arrival = new Date(p.dynamodb.ApproximateCreationDateTime * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
      expect(record.DDBStreamBatchInfo).to.deep.include({
        startSequenceNumber: seqOf(p),
        endSequenceNumber: seqOf(q),
        approximateArrivalOfFirstRecord: arrival,
        batchSize: 2,
        streamArn: arn,
      });
      expect(record.DDBStreamBatchInfo.approximateArrivalOfLastRecord).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(record.DDBStreamBatchInfo.shardId, "the source's own shard id").to.equal(`shardId-00000001-fake-${arn.length}`);
      // The shard moved on.
      streams.append(arn, "r");
      await waitFor(() => fn.calls().some((c) => c.ids.includes("r")));
      expect(fn.calls().pop()!.ids).to.deep.equal(["r"]);
    });

    it("retries until the batch succeeds (no record sent anywhere)", async () => {
      const fn = await consumer();
      const arn = streams.create("eventually");
      const dlq = sqs.createQueue(`eventually-failures-${n}`);
      const uuid = crypto.randomUUID();
      lambda.createEventSourceMapping({ uuid, eventSourceArn: arn, functionName: fn.name, startingPosition: "TRIM_HORIZON", onFailureDestination: dlq.arn });
      const t = streams.append(arn, "t", { flag: "failTwice" });
      await waitFor(() => lambda.getEventSourceMapping(uuid)?.checkpoint === seqOf(t));
      expect(fn.calls().map((c) => c.ids)).to.deep.equal([["t"], ["t"], ["t"]]);
      expect(destinationRecords(dlq.arn)).to.deep.equal([]);
    });

    it("bisects a failing batch to isolate the bad record, without consuming retries", async () => {
      const fn = await consumer();
      const arn = streams.create("bisect");
      const dlq = sqs.createQueue(`bisect-failures-${n}`);
      streams.append(arn, "a", {}, { notify: false });
      streams.append(arn, "b", {}, { notify: false });
      const bad = streams.append(arn, "x", { flag: "poison" }, { notify: false });
      const d = streams.append(arn, "d");
      const uuid = crypto.randomUUID();
      lambda.createEventSourceMapping({
        uuid,
        eventSourceArn: arn,
        functionName: fn.name,
        startingPosition: "TRIM_HORIZON",
        batchSize: 4,
        bisectBatchOnFunctionError: true,
        maximumRetryAttempts: 0,
        onFailureDestination: dlq.arn,
      });
      await waitFor(() => lambda.getEventSourceMapping(uuid)?.checkpoint === seqOf(d));
      expect(fn.calls().map((c) => c.ids)).to.deep.equal([["a", "b", "x", "d"], ["a", "b"], ["x", "d"], ["x"], ["d"]]);
      const records = destinationRecords(dlq.arn);
      expect(records).to.have.length(1);
      expect(records[0].DDBStreamBatchInfo).to.include({ startSequenceNumber: seqOf(bad), endSequenceNumber: seqOf(bad), batchSize: 1 });
      expect(records[0].requestContext).to.include({ condition: "RetryAttemptsExhausted", approximateInvokeCount: 3 });
    });

    it("gives up on records older than maximumRecordAgeInSeconds without invoking", async () => {
      const fn = await consumer();
      const arn = streams.create("aged");
      const dlq = sqs.createQueue(`aged-failures-${n}`);
      const old1 = streams.append(arn, "old1", {}, { createdAt: Date.now() - 2 * 3600_000 });
      const old2 = streams.append(arn, "old2", {}, { createdAt: Date.now() - 3600_000 });
      const fresh = streams.append(arn, "fresh");
      const uuid = crypto.randomUUID();
      lambda.createEventSourceMapping({
        uuid,
        eventSourceArn: arn,
        functionName: fn.name,
        startingPosition: "TRIM_HORIZON",
        maximumRecordAgeInSeconds: 60,
        onFailureDestination: dlq.arn,
      });
      await waitFor(() => lambda.getEventSourceMapping(uuid)?.checkpoint === seqOf(fresh));
      expect(fn.calls().map((c) => c.ids)).to.deep.equal([["fresh"]]);
      const [record] = destinationRecords(dlq.arn);
      expect(record.requestContext).to.include({ condition: "RecordAgeExceeded", approximateInvokeCount: 0 });
      expect(record).to.not.have.property("responseContext");
      expect(record.DDBStreamBatchInfo).to.include({ startSequenceNumber: seqOf(old1), endSequenceNumber: seqOf(old2), batchSize: 2 });
    });

    it("gives up on a retried batch once its records exceed the maximum age", async () => {
      const fn = await consumer();
      const arn = streams.create("aging");
      const dlq = sqs.createQueue(`aging-failures-${n}`);
      // Stream times are whole seconds: pick the one that crosses the 60 s limit 0.5-1.5 s from now.
      const createdAt = Math.ceil((Date.now() + 500 - 60_000) / 1000) * 1000;
      streams.append(arn, "stale", { flag: "poison" }, { createdAt });
      lambda.createEventSourceMapping({
        uuid: crypto.randomUUID(),
        eventSourceArn: arn,
        functionName: fn.name,
        startingPosition: "TRIM_HORIZON",
        maximumRecordAgeInSeconds: 60,
        onFailureDestination: dlq.arn,
      });
      await waitFor(() => destinationRecords(dlq.arn).length === 1, 10_000);
      const [record] = destinationRecords(dlq.arn);
      const invoked = fn.calls().length;
      expect(invoked).to.be.at.least(2);
      expect(record.requestContext).to.include({ condition: "RecordAgeExceeded", approximateInvokeCount: invoked });
      expect(record.responseContext).to.deep.equal({ statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" });
    });

    it("ReportBatchItemFailures: finishes the records before the first failure and retries from it", async () => {
      const fn = await consumer();
      const arn = streams.create("partial");
      const dlq = sqs.createQueue(`partial-failures-${n}`);
      streams.append(arn, "a", {}, { notify: false });
      streams.append(arn, "b", { flag: "partialOnce" }, { notify: false });
      const c = streams.append(arn, "c");
      const uuid = crypto.randomUUID();
      lambda.createEventSourceMapping({
        uuid,
        eventSourceArn: arn,
        functionName: fn.name,
        startingPosition: "TRIM_HORIZON",
        functionResponseTypes: ["ReportBatchItemFailures"],
        onFailureDestination: dlq.arn,
      });
      await waitFor(() => lambda.getEventSourceMapping(uuid)?.checkpoint === seqOf(c));
      expect(fn.calls().map((call) => call.ids)).to.deep.equal([["a", "b", "c"], ["b", "c"]]);
      expect(destinationRecords(dlq.arn)).to.deep.equal([]);
    });

    it("ReportBatchItemFailures: a suffix that keeps failing is given up on after its retries", async () => {
      const fn = await consumer();
      const arn = streams.create("partial-exhausted");
      const dlq = sqs.createQueue(`partial-exhausted-failures-${n}`);
      streams.append(arn, "a", {}, { notify: false });
      const b = streams.append(arn, "b", { flag: "partial" }, { notify: false });
      const c = streams.append(arn, "c");
      const uuid = crypto.randomUUID();
      lambda.createEventSourceMapping({
        uuid,
        eventSourceArn: arn,
        functionName: fn.name,
        startingPosition: "TRIM_HORIZON",
        maximumRetryAttempts: 1,
        functionResponseTypes: ["ReportBatchItemFailures"],
        onFailureDestination: dlq.arn,
      });
      await waitFor(() => destinationRecords(dlq.arn).length === 1);
      expect(fn.calls().map((call) => call.ids)).to.deep.equal([["a", "b", "c"], ["b", "c"]]);
      const [record] = destinationRecords(dlq.arn);
      expect(record.DDBStreamBatchInfo).to.include({ startSequenceNumber: seqOf(b), endSequenceNumber: seqOf(c), batchSize: 2 });
      expect(record.requestContext).to.include({ condition: "RetryAttemptsExhausted", approximateInvokeCount: 2 });
      // The function answered (200) without a function error.
      expect(record.responseContext).to.deep.equal({ statusCode: 200, executedVersion: "$LATEST" });
      await waitFor(() => lambda.getEventSourceMapping(uuid)?.checkpoint === seqOf(c));
    });

    it("ReportBatchItemFailures: an unknown itemIdentifier fails the whole batch", async () => {
      const fn = await consumer();
      const arn = streams.create("bad-partial");
      const dlq = sqs.createQueue(`bad-partial-failures-${n}`);
      streams.append(arn, "a", { flag: "badPartial" });
      lambda.createEventSourceMapping({
        uuid: crypto.randomUUID(),
        eventSourceArn: arn,
        functionName: fn.name,
        startingPosition: "TRIM_HORIZON",
        maximumRetryAttempts: 1,
        functionResponseTypes: ["ReportBatchItemFailures"],
        onFailureDestination: dlq.arn,
      });
      await waitFor(() => destinationRecords(dlq.arn).length === 1);
      expect(fn.calls().map((call) => call.ids)).to.deep.equal([["a"], ["a"]]);
    });

    it("persists checkpoints: after a restart it resumes after the last finished record, not at LATEST", async () => {
      const dir = path.join(stateDir, "restart");
      const arn = streams.create("restart");
      let first: LocalLambdaService | undefined = await startLambda(dir);
      let second: LocalLambdaService | undefined;
      try {
        const fn = await consumer(first);
        const mapping = { eventSourceArn: arn, functionName: fn.name, startingPosition: "LATEST" as const };
        const firstUuid = crypto.randomUUID();
        first.createEventSourceMapping({ uuid: firstUuid, ...mapping });
        const r1 = streams.append(arn, "r1");
        await waitFor(() => first!.getEventSourceMapping(firstUuid)?.checkpoint === seqOf(r1));
        await first.stop();
        first = undefined;
        // Written while the local cloud is down: must still be delivered.
        const r2 = streams.append(arn, "r2");
        second = await startLambda(dir);
        await second.createFunction({ name: fn.name, arn: functionArn(fn.name), code: CONSUMER, handler: "index.handler", environment: { RECORD_FILE: path.join(recordDir, `${fn.name}.jsonl`) }, timeoutSeconds: 10, memorySize: 256 });
        const uuid = crypto.randomUUID(); // a new UUID: checkpoints follow (function, stream)
        second.createEventSourceMapping({ uuid, ...mapping });
        await waitFor(() => second!.getEventSourceMapping(uuid)?.checkpoint === seqOf(r2));
        expect(fn.calls().map((c) => c.ids)).to.deep.equal([["r1"], ["r2"]]);
      } finally {
        await first?.stop();
        await second?.stop();
      }
    });

    it("stops promptly with an invocation in flight, leaving no poller behind; the unfinished record comes again after a restart", async () => {
      const dir = path.join(stateDir, "stopping");
      const arn = streams.create("stopping");
      const service = await startLambda(dir);
      const fn = await consumer(service);
      const mapping = { eventSourceArn: arn, functionName: fn.name, startingPosition: "TRIM_HORIZON" as const };
      service.createEventSourceMapping({ uuid: crypto.randomUUID(), ...mapping });
      streams.append(arn, "s1", { flag: "slow" });
      await waitFor(() => fn.calls().length === 1);
      expect(streams.listenerCount(arn)).to.equal(1);
      const started = Date.now();
      await service.stop();
      expect(Date.now() - started).to.be.below(3000);
      expect(streams.listenerCount(arn)).to.equal(0);
      const reads = streams.reads(arn);
      const s2 = streams.append(arn, "s2");
      await sleep(300);
      expect(streams.reads(arn)).to.equal(reads);
      // At least once: s1 never finished, so the restarted mapping delivers it again.
      const again = await startLambda(dir);
      try {
        await again.createFunction({ name: fn.name, arn: functionArn(fn.name), code: CONSUMER, handler: "index.handler", environment: { RECORD_FILE: path.join(recordDir, `${fn.name}.jsonl`) }, timeoutSeconds: 10, memorySize: 256 });
        const uuid = crypto.randomUUID();
        again.createEventSourceMapping({ uuid, ...mapping });
        await waitFor(() => again.getEventSourceMapping(uuid)?.checkpoint === seqOf(s2));
        expect(fn.calls().map((c) => c.ids)).to.deep.equal([["s1"], ["s1", "s2"]]);
      } finally {
        await again.stop();
      }
    });
  });

  describe("DynamoDB streams with a parallelizationFactor", () => {
    /** Item ids (FakeStreams keys `{pk: {S: id}}`) that hash to the given lanes, one per entry. */
    function idsInLanes(prefix: string, factor: number, lanes: number[]): string[] {
      const ids: string[] = [];
      for (const lane of lanes) {
        for (let i = 0; ; i++) {
          const id = `${prefix}${i}`;
          if (!ids.includes(id) && partitionLane({ pk: { S: id } }, factor) === lane) {
            ids.push(id);
            break;
          }
        }
      }
      return ids;
    }

    const nOf = (c: Call) => c.event.Records.map((r: any) => r.dynamodb.NewImage.n?.S);

    it("hashes a record's Keys to a lane: the same keys always to the same lane, key order ignored, spread over the lanes", () => {
      expect(partitionLane({ pk: { S: "x" } }, 1)).to.equal(0);
      const lanes = new Set<number>();
      for (let i = 0; i < 200; i++) {
        const lane = partitionLane({ pk: { S: `item-${i}` }, sk: { N: "1" } }, 10);
        expect(lane).to.be.within(0, 9);
        expect(partitionLane({ sk: { N: "1" }, pk: { S: `item-${i}` } }, 10)).to.equal(lane);
        lanes.add(lane);
      }
      expect(lanes.size).to.equal(10);
    });

    it("runs batches of different items at once, one batch at a time per lane, at most parallelizationFactor", async () => {
      const fn = await consumer();
      const arn = streams.create("parallel");
      const [a, b, c, a2] = idsInLanes("par", 3, [0, 1, 2, 0]);
      const uuid = crypto.randomUUID();
      // Three batches that can only succeed together (each waits for the other two), and a fourth
      // on the first one's lane, which must wait for it: with 3 lanes of one batch each, never more than 3 at once.
      streams.append(arn, a, { flag: "rendezvous", need: "3" }, { notify: false });
      streams.append(arn, b, { flag: "rendezvous", need: "3" }, { notify: false });
      streams.append(arn, c, { flag: "rendezvous", need: "3" }, { notify: false });
      const last = streams.append(arn, a2, { flag: "slow" });
      lambda.createEventSourceMapping({ uuid, eventSourceArn: arn, functionName: fn.name, startingPosition: "TRIM_HORIZON", batchSize: 1, parallelizationFactor: 3 });
      await waitFor(() => lambda.getEventSourceMapping(uuid)?.checkpoint === seqOf(last), 20_000, "checkpoint at the last record");
      const calls = fn.calls();
      expect(calls.map((call) => call.ids[0]).sort(), "each record once: the rendezvous met").to.deep.equal([a, b, c, a2].sort());
      // All three were running at once: each waited at the rendezvous for the other two (alone, it fails after 10 s).
      expect(fs.readFileSync(`${fn.file}.arrived`, "utf8").split("\n").filter(Boolean).sort()).to.deep.equal([a, b, c].sort());
      const endOf = new Map(fn.ends().map((e) => [e.requestId, e.end]));
      const first = calls.find((call) => call.ids[0] === a)!;
      const next = calls.find((call) => call.ids[0] === a2)!;
      expect(next.start, "the lane's next batch waited for its current one").to.be.at.least(endOf.get(first.requestId)!);
      expect(lambda.getEventSourceMapping(uuid)).to.include({ parallelizationFactor: 3, lastProcessingResult: "OK" });
    });

    it("keeps the records of one item in order, in one lane, while other items run beside them", async () => {
      const fn = await consumer();
      const arn = streams.create("ordered-keys");
      const [other] = idsInLanes("ord", 4, [(partitionLane({ pk: { S: "item" } }, 4) + 1) % 4]);
      // The item's first record meets the other item's at a rendezvous: the lanes overlap.
      streams.append(arn, "item", { n: "1", flag: "rendezvous", need: "2" }, { notify: false });
      streams.append(arn, other, { n: "x", flag: "rendezvous", need: "2" }, { notify: false });
      for (const k of ["2", "3", "4", "5"]) streams.append(arn, "item", { n: k, flag: k === "3" ? "slow" : "" }, { notify: false });
      const last = streams.append(arn, "item", { n: "6" });
      const uuid = crypto.randomUUID();
      lambda.createEventSourceMapping({ uuid, eventSourceArn: arn, functionName: fn.name, startingPosition: "TRIM_HORIZON", batchSize: 1, parallelizationFactor: 4 });
      await waitFor(() => lambda.getEventSourceMapping(uuid)?.checkpoint === seqOf(last), 20_000, "checkpoint at the last record");
      const itemCalls = fn.calls().filter((call) => call.ids[0] === "item");
      expect(itemCalls.map((call) => nOf(call)[0])).to.deep.equal(["1", "2", "3", "4", "5", "6"]);
      const endOf = new Map(fn.ends().map((e) => [e.requestId, e.end]));
      for (let i = 1; i < itemCalls.length; i++) {
        expect(itemCalls[i].start, `the item's record ${i + 1} started before record ${i} ended`).to.be.at.least(endOf.get(itemCalls[i - 1].requestId)!);
      }
      expect(fn.calls().filter((call) => call.ids[0] === other)).to.have.length(1);
    });

    it("moves the checkpoint only past records whose lanes finished them; after a restart the unfinished record comes again", async () => {
      const dir = path.join(stateDir, "parallel-restart");
      const arn = streams.create("parallel-restart");
      const [a0, blocked, c0, c1] = idsInLanes("ckp", 2, [0, 1, 0, 0]);
      let first: LocalLambdaService | undefined = await startLambda(dir);
      let second: LocalLambdaService | undefined;
      try {
        const fn = await consumer(first);
        const mapping = { eventSourceArn: arn, functionName: fn.name, startingPosition: "TRIM_HORIZON" as const, batchSize: 1, parallelizationFactor: 2 };
        const firstUuid = crypto.randomUUID();
        const ra0 = streams.append(arn, a0, {}, { notify: false });
        streams.append(arn, blocked, { flag: "block" }, { notify: false });
        streams.append(arn, c0, {}, { notify: false });
        const rc1 = streams.append(arn, c1, {});
        first.createEventSourceMapping({ uuid: firstUuid, ...mapping });
        // The other lane finishes a0, c0 and c1 while the blocked record's lane waits.
        await waitFor(() => fn.ends().length === 3 && fn.calls().length === 4, 15_000, "three records done, the blocked one running");
        await waitFor(() => first!.getEventSourceMapping(firstUuid)?.checkpoint === seqOf(ra0), 5_000, "checkpoint at a0");
        await sleep(300);
        expect(first.getEventSourceMapping(firstUuid)?.checkpoint, "not past the unfinished record").to.equal(seqOf(ra0));
        await first.stop();
        first = undefined;

        fs.writeFileSync(`${fn.file}.release`, "");
        second = await startLambda(dir);
        await second.createFunction({ name: fn.name, arn: functionArn(fn.name), code: CONSUMER, handler: "index.handler", environment: { RECORD_FILE: fn.file }, timeoutSeconds: 30, memorySize: 256 });
        const uuid = crypto.randomUUID();
        second.createEventSourceMapping({ uuid, ...mapping });
        await waitFor(() => second!.getEventSourceMapping(uuid)?.checkpoint === seqOf(rc1), 15_000, "checkpoint at the last record after the restart");
        const ids = fn.calls().map((c) => c.ids[0]);
        expect(ids.filter((id) => id === blocked), "the unfinished record came again").to.have.length(2);
        expect(ids.filter((id) => id === a0), "a0 was finished before the checkpoint: not again").to.have.length(1);
        // At least once: c0 and c1 were finished but behind the checkpoint, so they may come again.
        expect(ids.filter((id) => id === c0).length).to.be.within(1, 2);
      } finally {
        await first?.stop();
        await second?.stop();
      }
    });

    it("retries, bisects and gives up per lane: the other lane's batch runs once", async () => {
      const fn = await consumer();
      const arn = streams.create("parallel-failures");
      const dlq = sqs.createQueue(`parallel-failures-${n}`);
      const [p, b1, a2, b2] = idsInLanes("pf", 2, [0, 1, 0, 1]);
      const poison = streams.append(arn, p, { flag: "poison" }, { notify: false });
      streams.append(arn, b1, {}, { notify: false });
      streams.append(arn, a2, {}, { notify: false });
      const last = streams.append(arn, b2, {}, { notify: false });
      const uuid = crypto.randomUUID();
      lambda.createEventSourceMapping({
        uuid,
        eventSourceArn: arn,
        functionName: fn.name,
        startingPosition: "TRIM_HORIZON",
        batchSize: 4,
        parallelizationFactor: 2,
        bisectBatchOnFunctionError: true,
        maximumRetryAttempts: 1,
        onFailureDestination: dlq.arn,
      });
      await waitFor(() => lambda.getEventSourceMapping(uuid)?.checkpoint === seqOf(last), 15_000, "checkpoint at the last record");
      const batches = fn.calls().map((c) => c.ids);
      expect(batches.filter((ids) => ids.includes(p) || ids.includes(a2))).to.deep.equal([[p, a2], [p], [p], [a2]]);
      expect(batches.filter((ids) => ids.includes(b1) || ids.includes(b2))).to.deep.equal([[b1, b2]]);
      const records = destinationRecords(dlq.arn);
      expect(records).to.have.length(1);
      expect(records[0].DDBStreamBatchInfo).to.include({ startSequenceNumber: seqOf(poison), endSequenceNumber: seqOf(poison), batchSize: 1 });
      expect(records[0].requestContext).to.include({ condition: "RetryAttemptsExhausted", approximateInvokeCount: 3 });
    });
  });

  describe("SQS queues", () => {
    it("delivers Lambda's SQS event and deletes the messages on success", async () => {
      const fn = await consumer();
      const queue = sqs.createQueue(`jobs-${n}`, { VisibilityTimeout: "1" });
      const uuid = crypto.randomUUID();
      lambda.createEventSourceMapping({ uuid, eventSourceArn: queue.arn, functionName: fn.name, batchSize: 10 });
      const bodies = ["m1", "m2", "m3"].map((id) => JSON.stringify({ id }));
      const sent = await Promise.all(bodies.map((b) => sqs.sendMessage(queue.url, b, { kind: { DataType: "String", StringValue: "job" } })));
      await waitFor(() => sqs.messages(queue.arn).length === 0 && fn.calls().length > 0);
      const calls = fn.calls();
      expect(calls).to.have.length(1);
      const [record] = calls[0].event.Records;
      expect(calls[0].event.Records.map((r: any) => r.messageId)).to.deep.equal(sent.map((s) => s.messageId));
      expect(Object.keys(record)).to.deep.equal(["messageId", "receiptHandle", "body", "attributes", "messageAttributes", "md5OfBody", "eventSource", "eventSourceARN", "awsRegion"]);
      expect(record).to.include({ body: bodies[0], md5OfBody: crypto.createHash("md5").update(bodies[0]).digest("hex"), eventSource: "aws:sqs", eventSourceARN: queue.arn, awsRegion: LOCAL_REGION });
      expect(record.receiptHandle).to.be.a("string").and.not.empty;
      expect(record.attributes).to.include({ ApproximateReceiveCount: "1" });
      expect(record.attributes).to.have.keys("ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp");
      expect(record.messageAttributes).to.deep.equal({ kind: { stringValue: "job", stringListValues: [], binaryListValues: [], dataType: "String" } });
    });

    it("leaves failed messages to reappear after the visibility timeout, then deletes them", async () => {
      const fn = await consumer();
      const queue = sqs.createQueue(`flaky-${n}`, { VisibilityTimeout: "1" });
      lambda.createEventSourceMapping({ uuid: crypto.randomUUID(), eventSourceArn: queue.arn, functionName: fn.name });
      await sqs.sendMessage(queue.arn, JSON.stringify({ id: "f", flag: "failTwice" }));
      await waitFor(() => fn.calls().length === 3 && sqs.messages(queue.arn).length === 0, 15_000);
      const calls = fn.calls();
      expect(calls.map((c) => c.event.Records[0].attributes.ApproximateReceiveCount)).to.deep.equal(["1", "2", "3"]);
      // Hidden for the queue's 1 s visibility timeout after each receive.
      const firstReceived = Number(calls[0].event.Records[0].attributes.ApproximateFirstReceiveTimestamp);
      expect(calls[1].start - firstReceived).to.be.at.least(1000);
      expect(calls[2].start - firstReceived).to.be.at.least(2000);
    });

    it("ReportBatchItemFailures: deletes the others, redelivers only the reported messages", async () => {
      const fn = await consumer();
      const queue = sqs.createQueue(`partial-${n}`, { VisibilityTimeout: "1" });
      lambda.createEventSourceMapping({ uuid: crypto.randomUUID(), eventSourceArn: queue.arn, functionName: fn.name, functionResponseTypes: ["ReportBatchItemFailures"] });
      await Promise.all([
        sqs.sendMessage(queue.arn, JSON.stringify({ id: "a" })),
        sqs.sendMessage(queue.arn, JSON.stringify({ id: "b", flag: "partialOnce" })),
        sqs.sendMessage(queue.arn, JSON.stringify({ id: "c" })),
      ]);
      await waitFor(() => fn.calls().length === 1);
      await waitFor(() => sqs.messages(queue.arn).length === 1);
      expect(JSON.parse(sqs.messages(queue.arn)[0].body).id).to.equal("b");
      await waitFor(() => fn.calls().length === 2 && sqs.messages(queue.arn).length === 0, 10_000);
      expect(fn.calls().map((c) => c.ids)).to.deep.equal([["a", "b", "c"], ["b"]]);
    });

    it("drops messages that match no filter without invoking", async () => {
      const fn = await consumer();
      const queue = sqs.createQueue(`filtered-${n}`, { VisibilityTimeout: "1" });
      lambda.createEventSourceMapping({ uuid: crypto.randomUUID(), eventSourceArn: queue.arn, functionName: fn.name, filterPatterns: ['{"body":{"kind":["job"]}}'] });
      await sqs.sendMessage(queue.arn, JSON.stringify({ id: "skip", kind: "note" }));
      await sqs.sendMessage(queue.arn, "not json");
      await sqs.sendMessage(queue.arn, JSON.stringify({ id: "take", kind: "job" }));
      await waitFor(() => sqs.messages(queue.arn).length === 0 && fn.calls().length > 0);
      expect(fn.calls().flatMap((c) => c.ids)).to.deep.equal(["take"]);
    });

    it("with the queue's redrive policy, a message that keeps failing ends up in the dead-letter queue", async () => {
      const fn = await consumer();
      const dlq = sqs.createQueue(`redrive-dlq-${n}`);
      const queue = sqs.createQueue(`redrive-${n}`, { VisibilityTimeout: "1", RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }) });
      lambda.createEventSourceMapping({ uuid: crypto.randomUUID(), eventSourceArn: queue.arn, functionName: fn.name });
      const { messageId } = await sqs.sendMessage(queue.arn, JSON.stringify({ id: "p", flag: "poison" }));
      await waitFor(() => sqs.messages(dlq.arn).length === 1, 15_000);
      expect(sqs.messages(queue.arn)).to.deep.equal([]);
      expect(sqs.messages(dlq.arn)[0].messageId).to.equal(messageId);
      expect(fn.calls()).to.have.length(2);
    });
  });

  describe("local SQS as a QueueSource", () => {
    it("receives with a visibility timeout and receive counts, deletes by receipt handle, notifies listeners", async () => {
      const queue = sqs.createQueue(`source-${n++}`);
      let notified = 0;
      const unsubscribe = sqs.onMessage(queue.arn, () => notified++);
      await sqs.sendMessage(queue.url, "one");
      await sqs.sendMessage(queue.url, "two");
      expect(notified).to.equal(2);
      const [a, b] = sqs.receive(queue.arn, 10, 1);
      expect([a.body, b.body]).to.deep.equal(["one", "two"]);
      expect(a.attributes.ApproximateReceiveCount).to.equal("1");
      expect(a.md5OfBody).to.equal(crypto.createHash("md5").update("one").digest("hex"));
      expect(sqs.receive(queue.arn, 10, 1)).to.deep.equal([]);
      sqs.deleteMessage(queue.arn, a.receiptHandle);
      await sleep(1100);
      const again = sqs.receive(queue.url, 10, 30);
      expect(again.map((m) => [m.body, m.attributes.ApproximateReceiveCount])).to.deep.equal([["two", "2"]]);
      sqs.deleteMessage(queue.arn, b.receiptHandle); // stale handle: deletes nothing
      expect(sqs.messages(queue.arn)).to.have.length(1);
      sqs.deleteMessage(queue.arn, again[0].receiptHandle);
      expect(sqs.messages(queue.arn)).to.have.length(0);
      unsubscribe();
      await sqs.sendMessage(queue.url, "three");
      expect(notified).to.equal(2);
    });
  });
});
