/**
 * What the local Lambda counts for the cost meter (local/usage), as AWS bills it.
 *
 * Invocations (https://aws.amazon.com/lambda/pricing/): every attempt that runs the handler is a
 * request (a synchronous invoke, each attempt of an async event, each batch of an event source
 * mapping, a destination function's invocation), and its duration is billed as the configured
 * memory (GB = MB / 1024) × the duration rounded up to the next millisecond, per architecture.
 * Since 1 August 2025 the INIT phase of a cold start is billed too, for ZIP functions on managed
 * runtimes as for the others ("AWS Lambda standardizes billing for INIT phase",
 * https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/): the
 * REPORT's Billed Duration is then ⌈Duration + Init Duration⌉ (AWS's own `platform.report`
 * records show e.g. 1233.96 + 463.512 → billedDurationMs 1698).
 *
 * Logs (https://aws.amazon.com/cloudwatch/pricing/, ingestion per byte): every line the function
 * writes to stdout/stderr and every platform record Lambda adds (platform.initStart on a cold start,
 * platform.start, platform.report), each counted as the bytes of its text (the log event's message;
 * CloudWatch's per-event overhead is not counted). A line belongs to the invocation running on the
 * process, or, between invocations, to the last one that ran there (lines a handler prints just
 * before it returns may reach the service after its result); lines printed before the first
 * invocation (the bundle's load) go to the first invocation.
 *
 * Event source mappings: the SQS poller's ReceiveMessage and DeleteMessageBatch calls are billed
 * SQS requests (https://aws.amazon.com/sqs/pricing/: ≤ 10 messages a call, each 64 KB chunk of a
 * call's payload one request); the DynamoDB stream poller's GetRecords calls are free ("GetRecords
 * API calls invoked by AWS Lambda as part of DynamoDB triggers are free",
 * https://aws.amazon.com/dynamodb/pricing/on-demand/), counted for completeness.
 *
 * Jobs: the `jobId`/`pk` fields of the invocation's event (`jobIdsInJson`): a batch's units are
 * split among the jobs of its records.
 */
import type { UsageMeter } from "./meter";
import type { UnitKey } from "./prices";
import { jobIdsInJson } from "./jobIds";
import { messagePayloadBytes, sqsRequestsFor } from "./sqs";
import type { DynamoDbStreamRecord, LocalFunctionConfig, ReceivedQueueMessage } from "../aws/types";


/** Most messages one ReceiveMessage or DeleteMessageBatch call carries. */
export const SQS_MESSAGES_PER_CALL = 10;

/** Lambda's billed duration: the run plus the INIT phase (cold start), rounded up to the next millisecond, at least 1 ms. */
export function billedDurationMs(durationMs: number, initDurationMs = 0): number {
  // Round to the microsecond first so float noise (1.1 + 2.9 = 4.000000000000001) does not add a millisecond.
  return Math.max(1, Math.ceil(Math.round((durationMs + initDurationMs) * 1000) / 1000));
}

/** GB-seconds of one invocation: configured memory in GB (MB / 1024) × billed seconds. */
export function lambdaGbSeconds(memorySizeMB: number, billedMs: number): number {
  return (memorySizeMB / 1024) * (billedMs / 1000);
}

/** The duration unit of a function's architecture (x86_64 unless `arm64` is named). */
export function durationUnit(architectures?: readonly string[]): UnitKey {
  return architectures?.includes("arm64") ? "lambda.gbSecondsArm64" : "lambda.gbSecondsX86";
}

/** SQS requests of calls carrying these payloads, at most 10 messages a call, each call one request per 64 KB chunk. */
export function sqsBatchRequests(payloadBytes: readonly number[]): number {
  let requests = 0;
  for (let i = 0; i < payloadBytes.length; i += SQS_MESSAGES_PER_CALL) {
    requests += sqsRequestsFor(payloadBytes.slice(i, i + SQS_MESSAGES_PER_CALL).reduce((a, b) => a + b, 0));
  }
  return requests;
}

/** The counting of one invocation attempt. */
export interface MeteredInvocation {
  /** Bytes written to the function's log on its behalf (its own lines, platform records). */
  logged(bytes: number): void;
  /** The handler ran: counts the request and its billed duration, and the log bytes so far. */
  ran(durationMs: number, initDurationMs?: number, response?: string): void;
}

/**
 * Starts counting one invocation attempt of `config` with this event (undefined without a meter).
 * Its jobs are those the event names, else those its response names (the submit function's event
 * is the POST, whose answer names the new job): so log bytes wait for the end of the invocation.
 */
export function meterInvocation(meter: UsageMeter | undefined, config: LocalFunctionConfig, payload: string): MeteredInvocation | undefined {
  if (!meter) return undefined;
  const source = `lambda:${config.name}`;
  let jobIds = jobIdsInJson(payload);
  let pendingLogBytes = 0;
  let ended = false;
  return {
    logged: (bytes) => {
      if (ended) meter.count("logs.ingestedBytes", bytes, { jobIds, source });
      else pendingLogBytes += bytes;
    },
    ran(durationMs, initDurationMs, response) {
      if (jobIds.length === 0) jobIds = jobIdsInJson(response);
      ended = true;
      const options = { jobIds, source };
      meter.count("logs.ingestedBytes", pendingLogBytes, options);
      meter.count("lambda.requests", 1, options);
      meter.count(durationUnit(config.architectures), lambdaGbSeconds(config.memorySize, billedDurationMs(durationMs, initDurationMs)), options);
    },
  };
}

/** The queue's name in its ARN. */
function queueName(queueArn: string): string {
  return queueArn.split(":")[5] ?? queueArn;
}

/** The table's name in a stream ARN (`…:table/<name>/stream/<label>`). */
function tableName(streamArn: string): string {
  return /:table\/([^/]+)/.exec(streamArn)?.[1] ?? streamArn;
}

/** An SQS mapping received these messages (ReceiveMessage calls of up to 10; the payload is their bodies and attributes). */
export function meterQueueReceive(meter: UsageMeter | undefined, queueArn: string, messages: readonly ReceivedQueueMessage[]): void {
  if (!meter || messages.length === 0) return;
  const jobIds = [...new Set(messages.flatMap((m) => jobIdsInJson(m.body)))];
  const requests = sqsBatchRequests(messages.map((m) => messagePayloadBytes(m.body, m.messageAttributes)));
  meter.count("sqs.requests", requests, { jobIds, source: `sqs:${queueName(queueArn)}` });
}

/** An SQS mapping deleted these messages (DeleteMessageBatch calls of up to 10; the payload is their receipt handles). */
export function meterQueueDelete(meter: UsageMeter | undefined, queueArn: string, deleted: readonly { body: string; receiptHandle: string }[]): void {
  if (!meter || deleted.length === 0) return;
  const jobIds = [...new Set(deleted.flatMap((m) => jobIdsInJson(m.body)))];
  meter.count("sqs.requests", sqsBatchRequests(deleted.map((m) => Buffer.byteLength(m.receiptHandle))), { jobIds, source: `sqs:${queueName(queueArn)}` });
}

/** A stream mapping read these records from the stream (one GetRecords call on AWS). */
export function meterStreamRead(meter: UsageMeter | undefined, streamArn: string, records: readonly DynamoDbStreamRecord[]): void {
  if (!meter || records.length === 0) return;
  meter.count("dynamodb.streamReadRequestsByLambda", 1, { jobIds: jobIdsInJson(JSON.stringify(records)), source: `dynamodb:${tableName(streamArn)}` });
}
