import { expect } from "chai";
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
import { DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBRecord, DynamoDBStreamEvent, SQSEvent } from "aws-lambda";
import type { JobDefinition } from "../../lambdas/jobs/types";
import { createStreamWorker } from "../../lambdas/worker/streamWorker";
import { createStreamFailureRecorder, streamFailurePatch } from "../../lambdas/worker/streamFailures";
import { Clock, JOB_TIMEOUT_SECONDS, T0, configure, lambdaContext, makeRecord, rawJob, seed, useFakeAws, writeRaw } from "./support/harness";

const ID = "c56a4180-65aa-42ec-a945-5fd21dec0538";
const OTHER = "0b7e3a52-1c1d-4e0e-9f3a-6d2f1c9e8a41";
const EVENT = "7f2a0c1e9b8d4c3aa1b2c3d4e5f60718";
const OTHER_EVENT = "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a";
const STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/async-api-jobs/stream/2026-03-01T00:00:00.000";
const iso = (ms: number) => new Date(ms).toISOString();

function testJob(): JobDefinition & { runs: unknown[] } {
  const runs: unknown[] = [];
  return { name: "test", schema: {}, runs, run: async (input) => (runs.push(input), { ok: true }) };
}

function streamRecord(jobId: string, overrides: Partial<DynamoDBRecord> = {}, kind = "job", sequence = "100"): DynamoDBRecord {
  return {
    eventID: EVENT,
    eventName: "INSERT",
    eventVersion: "1.1",
    eventSource: "aws:dynamodb",
    awsRegion: "us-east-1",
    dynamodb: { Keys: { pk: { S: jobId } }, NewImage: { pk: { S: jobId }, kind: { S: kind }, jobId: { S: jobId } }, SequenceNumber: sequence, StreamViewType: "NEW_IMAGE", SizeBytes: 100 },
    eventSourceARN: STREAM,
    ...overrides,
  };
}
const batch = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });

describe("lambdas/worker/streamWorker (backend stream)", () => {
  const fake = useFakeAws();
  let clock: Clock;
  beforeEach(() => {
    clock = new Clock();
    configure({ store: "dynamodb", backend: "stream" });
  });

  it("runs an inserted job as one delivery named by the record's eventID, and records the result", async () => {
    await seed(makeRecord({ jobId: ID, input: JSON.stringify({ n: 1 }) }));
    const job = testJob();
    await createStreamWorker(job, { now: clock.now })(batch(streamRecord(ID)), lambdaContext("request-of-this-invocation"));
    expect(job.runs).to.deep.equal([{ n: 1 }]);
    expect(rawJob(fake, ID)).to.include({ status: "SUCCEEDED", runId: EVENT, result: '{"ok":true}' });
  });

  it("ignores modifications, deletions and records that are no job (the filter should have dropped them)", async () => {
    await seed(makeRecord({ jobId: ID }));
    const job = testJob();
    const worker = createStreamWorker(job, { now: clock.now });
    await worker(batch(streamRecord(ID, { eventName: "MODIFY" }), streamRecord(ID, { eventName: "REMOVE" }), streamRecord(ID, {}, "idempotency")), lambdaContext());
    await worker(batch(streamRecord("../../etc/passwd")), lambdaContext());
    expect(job.runs).to.have.length(0);
    expect(rawJob(fake, ID)!.status).to.equal("PENDING");
  });

  it("runs a started job again only when the mapping retries the same record; another record of it is a duplicate", async () => {
    await seed(makeRecord({ jobId: ID, status: "RUNNING", runId: EVENT, startedAt: iso(T0), deadline: iso(T0 + (JOB_TIMEOUT_SECONDS + 30) * 1000) }));
    const job = testJob();
    const worker = createStreamWorker(job, { now: clock.now });
    await worker(batch(streamRecord(ID, { eventID: OTHER_EVENT })), lambdaContext());
    expect(job.runs, "another delivery").to.have.length(0);
    await worker(batch(streamRecord(ID)), lambdaContext());
    expect(job.runs, "the mapping's retry").to.have.length(1);
    expect(rawJob(fake, ID)!.status).to.equal("SUCCEEDED");
  });

  it("gives a record API Gateway wrote without a deadline the deadline createdAt + start allowance + timeout", async () => {
    const record = makeRecord({ jobId: ID });
    delete (record as Partial<typeof record>).deadline;
    writeRaw(fake, record);
    clock.advance((300 + JOB_TIMEOUT_SECONDS) * 1000 + 1);
    const job = testJob();
    await createStreamWorker(job, { now: clock.now })(batch(streamRecord(ID)), lambdaContext());
    expect(job.runs, "too late to run").to.have.length(0);
    expect(rawJob(fake, ID)).to.include({ status: "TIMED_OUT", deadline: iso(T0 + (300 + JOB_TIMEOUT_SECONDS) * 1000) });
  });

  it("runs such a record while it is in time, and writes the deadline of the run", async () => {
    const record = makeRecord({ jobId: ID });
    delete (record as Partial<typeof record>).deadline;
    writeRaw(fake, record);
    clock.advance(5_000);
    const job = testJob();
    await createStreamWorker(job, { now: clock.now })(batch(streamRecord(ID)), lambdaContext());
    expect(job.runs).to.have.length(1);
    expect(rawJob(fake, ID)).to.include({ status: "SUCCEEDED", startedAt: iso(T0 + 5_000), deadline: iso(T0 + 5_000 + (JOB_TIMEOUT_SECONDS + 30) * 1000) });
  });
});

describe("lambdas/worker/streamFailures (backend stream's on-failure queue)", () => {
  const fake = useFakeAws();
  // Mocked for this suite only (mockClient takes effect at once, for every client in the process).
  let streams: AwsClientStub<DynamoDBStreamsClient>;
  let clock: Clock;
  before(() => {
    streams = mockClient(DynamoDBStreamsClient);
  });
  beforeEach(() => {
    clock = new Clock();
    configure({ store: "dynamodb", backend: "stream" });
    streams.reset();
  });
  after(() => streams.restore());

  const failure = (condition: string, start = "100", end = "100") => ({
    requestContext: { requestId: "r-1", functionArn: "arn:aws:lambda:us-east-1:123456789012:function:w", condition, approximateInvokeCount: 3 },
    responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
    version: "1.0",
    timestamp: iso(T0),
    DDBStreamBatchInfo: { shardId: "shardId-00000001", startSequenceNumber: start, endSequenceNumber: end, batchSize: 1, streamArn: STREAM },
  });
  const sqs = (...bodies: unknown[]): SQSEvent =>
    ({ Records: bodies.map((b, i) => ({ messageId: `m-${i}`, receiptHandle: `h-${i}`, body: typeof b === "string" ? b : JSON.stringify(b), attributes: {}, messageAttributes: {}, md5OfBody: "", eventSource: "aws:sqs", eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:q", awsRegion: "us-east-1" })) }) as unknown as SQSEvent;
  const serve = (...records: DynamoDBRecord[]) => {
    streams.on(GetShardIteratorCommand).resolves({ ShardIterator: "it-1" });
    streams.on(GetRecordsCommand, { ShardIterator: "it-1" }).resolves({ Records: records as any, NextShardIterator: "it-2" });
    streams.on(GetRecordsCommand, { ShardIterator: "it-2" }).resolves({ Records: [], NextShardIterator: "it-3" });
  };

  it("reads the failed record back from the stream (at its sequence number) and records the job FAILED", async () => {
    await seed(makeRecord({ jobId: ID }));
    serve(streamRecord(ID));
    const out = await createStreamFailureRecorder({ now: clock.now })(sqs(failure("RetryAttemptsExhausted")));
    expect(out.batchItemFailures).to.deep.equal([]);
    expect(streams.commandCalls(GetShardIteratorCommand)[0].args[0].input).to.deep.include({ StreamArn: STREAM, ShardId: "shardId-00000001", ShardIteratorType: "AT_SEQUENCE_NUMBER", SequenceNumber: "100" });
    expect(rawJob(fake, ID)).to.deep.include({ status: "FAILED", error: { code: "WorkerFailed", message: "The job's worker failed before it could record an outcome." } });
  });

  it("says RecordAgeExceeded for a job the mapping gave up on by age, and TIMED_OUT past the deadline", async () => {
    await seed(makeRecord({ jobId: ID }));
    await seed(makeRecord({ jobId: OTHER, deadline: iso(T0 - 1) }));
    serve(streamRecord(ID, {}, "job", "100"), streamRecord(OTHER, {}, "job", "101"));
    await createStreamFailureRecorder({ now: clock.now })(sqs(failure("RecordAgeExceeded", "100", "101")));
    expect(rawJob(fake, ID)!.error).to.deep.equal({ code: "RecordAgeExceeded", message: "The job was not started before its delivery expired." });
    expect(rawJob(fake, OTHER)!.status).to.equal("TIMED_OUT");
  });

  it("stops at the batch's last sequence number", async () => {
    await seed(makeRecord({ jobId: ID }));
    await seed(makeRecord({ jobId: OTHER }));
    serve(streamRecord(ID, {}, "job", "100"), streamRecord(OTHER, {}, "job", "1000"));
    await createStreamFailureRecorder({ now: clock.now })(sqs(failure("RetryAttemptsExhausted", "100", "999")));
    expect(rawJob(fake, ID)!.status).to.equal("FAILED");
    expect(rawJob(fake, OTHER)!.status, "sequence 1000 is after 999 (compared as numbers)").to.equal("PENDING");
  });

  it("leaves a job that finished, and a RUNNING job another delivery started", async () => {
    await seed(makeRecord({ jobId: ID, status: "SUCCEEDED", result: "1" }));
    await seed(makeRecord({ jobId: OTHER, status: "RUNNING", runId: OTHER_EVENT, startedAt: iso(T0) }));
    serve(streamRecord(ID, {}, "job", "100"), streamRecord(OTHER, {}, "job", "101"));
    await createStreamFailureRecorder({ now: clock.now })(sqs(failure("RetryAttemptsExhausted", "100", "101")));
    expect(rawJob(fake, ID)!.status).to.equal("SUCCEEDED");
    expect(rawJob(fake, OTHER)!.status).to.equal("RUNNING");
  });

  // AWS, DynamoDB Streams API reference, GetRecords: "If there are no stream records available in the
  // portion of the shard that the iterator points to, GetRecords returns an empty list. Note that it
  // might take multiple calls to get to a portion of the shard that contains stream records."
  it("reads past empty pages to the batch's records", async () => {
    await seed(makeRecord({ jobId: ID }));
    streams.on(GetShardIteratorCommand).resolves({ ShardIterator: "it-1" });
    streams.on(GetRecordsCommand, { ShardIterator: "it-1" }).resolves({ Records: [], NextShardIterator: "it-2" });
    streams.on(GetRecordsCommand, { ShardIterator: "it-2" }).resolves({ Records: [], NextShardIterator: "it-3" });
    streams.on(GetRecordsCommand, { ShardIterator: "it-3" }).resolves({ Records: [streamRecord(ID)] as any, NextShardIterator: "it-4" });
    const out = await createStreamFailureRecorder({ now: clock.now })(sqs(failure("RetryAttemptsExhausted")));
    expect(out.batchItemFailures).to.deep.equal([]);
    expect(rawJob(fake, ID)!.status).to.equal("FAILED");
  });

  it("does not drop a batch it could not reach yet: a batch item failure, so SQS redelivers it", async () => {
    await seed(makeRecord({ jobId: ID }));
    streams.on(GetShardIteratorCommand).resolves({ ShardIterator: "it" });
    streams.on(GetRecordsCommand).resolves({ Records: [], NextShardIterator: "it" });
    const out = await createStreamFailureRecorder({ now: clock.now })(sqs(failure("RetryAttemptsExhausted")));
    expect(out.batchItemFailures).to.deep.equal([{ itemIdentifier: "m-0" }]);
    expect(rawJob(fake, ID)!.status).to.equal("PENDING");
  });

  it("takes any record-age condition as RecordAgeExceeded (AWS's example names only RetryAttemptsExhausted)", () => {
    for (const condition of ["RecordAgeExceeded", "MaximumRecordAgeExceeded"]) expect(streamFailurePatch(condition).error?.code, condition).to.equal("RecordAgeExceeded");
    expect(streamFailurePatch("RetryAttemptsExhausted").error?.code).to.equal("WorkerFailed");
  });

  it("reports a message it could not handle as a batch item failure (SQS redelivers it), and drops what is no failure record", async () => {
    streams.on(GetShardIteratorCommand).rejects(Object.assign(new Error("boom"), { name: "InternalServerError" }));
    const out = await createStreamFailureRecorder({ now: clock.now })(sqs("not json", { hello: 1 }, failure("RetryAttemptsExhausted")));
    expect(out.batchItemFailures).to.deep.equal([{ itemIdentifier: "m-2" }]);
  });
});
