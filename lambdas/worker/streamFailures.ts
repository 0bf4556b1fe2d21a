import { GetRecordsCommand, GetShardIteratorCommand } from "@aws-sdk/client-dynamodb-streams";
import type { _Record as StreamRecord } from "@aws-sdk/client-dynamodb-streams";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { dynamoStreamsClient } from "../shared/clients";
import { config } from "../shared/config";
import { isJobId } from "../shared/ids";
import { logger } from "../shared/logger";
import { TIMED_OUT_ERROR, isPastDeadline } from "../shared/status";
import { applyTransition, storeFromEnv } from "../shared/store";
import type { JobPatch } from "../shared/store";
import type { WorkerOptions } from "./asyncWorker";

/** What a stream event source mapping sends its on-failure destination for a batch it gave up on. */
export interface StreamFailureRecord {
  requestContext?: { requestId?: string; functionArn?: string; condition?: string; approximateInvokeCount?: number };
  responseContext?: { statusCode?: number; executedVersion?: string; functionError?: string };
  version?: string;
  timestamp?: string;
  DDBStreamBatchInfo?: {
    shardId?: string;
    startSequenceNumber?: string;
    endSequenceNumber?: string;
    batchSize?: number;
    streamArn?: string;
  };
}

export type StreamFailureHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** Stream records of a batch are read back at most this many pages at a time (a batch is 1 record by default). */
const MAX_PAGES = 20;

/** The job's status when the mapping gave up on its delivery (never copies anything the function said). */
export function streamFailurePatch(condition: string | undefined): JobPatch {
  // AWS documents one condition string (RetryAttemptsExhausted) in its example; the age one is
  // matched loosely (RecordAgeExceeded, MaximumRecordAgeExceeded…), since no page spells it out.
  if (condition !== undefined && /RecordAge/i.test(condition)) {
    return { status: "FAILED", error: { code: "RecordAgeExceeded", message: "The job was not started before its delivery expired." } };
  }
  return { status: "FAILED", error: { code: "WorkerFailed", message: "The job's worker failed before it could record an outcome." } };
}

/** The batch's records could not all be read back yet: SQS redelivers the message later. */
class BatchNotReadYet extends Error {
  constructor() {
    super("the failed batch's records were not reached within the pages read");
    this.name = "BatchNotReadYet";
  }
}

/**
 * The job ids (and event ids) of the records from `start` to `end` of a shard, read back from the
 * stream. An empty page is not the end: GetRecords "might take multiple calls to get to a portion
 * of the shard that contains stream records" (AWS, DynamoDB Streams API, GetRecords). Reading ends
 * at the batch's last record, past it, or where the shard ends; otherwise the batch is read again later.
 */
async function jobsOfBatch(streamArn: string, shardId: string, start: string, end: string): Promise<{ jobId: string; eventID: string }[]> {
  const client = dynamoStreamsClient();
  const { ShardIterator } = await client.send(
    new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: "AT_SEQUENCE_NUMBER", SequenceNumber: start }),
  );
  const found: { jobId: string; eventID: string }[] = [];
  const past = (seq: string | undefined) => seq !== undefined && (seq.length > end.length || (seq.length === end.length && seq > end));
  let iterator = ShardIterator;
  for (let page = 0; iterator && page < MAX_PAGES; page++) {
    const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
    const records: StreamRecord[] = out.Records ?? [];
    for (const record of records) {
      const seq = record.dynamodb?.SequenceNumber;
      if (past(seq)) return found;
      const image = record.dynamodb?.NewImage;
      const jobId = image?.jobId?.S;
      if (record.eventName === "INSERT" && image?.kind?.S === "job" && isJobId(jobId) && record.eventID) found.push({ jobId, eventID: record.eventID });
      if (seq === end) return found;
    }
    // No next iterator: the shard is closed and read to its end.
    if (!out.NextShardIterator) return found;
    iterator = out.NextShardIterator;
  }
  throw new BatchNotReadYet();
}

/**
 * Backend `stream`'s failure recorder, fed by the SQS queue that is the event source mapping's
 * on-failure destination. The mapping's record names only the stream positions of the batch, so
 * the recorder reads those records back (the stream keeps them 24 hours) and records each job
 * FAILED, or TIMED_OUT past its deadline, through the status rules: a job already finished or
 * cancelled stays so, and a RUNNING job started by another delivery is not touched. A message it
 * cannot handle now (the stream or the store failing) is reported as a batch item failure, so SQS
 * redelivers it and in the end moves it to the dead-letter queue.
 */
export function createStreamFailureRecorder(options: WorkerOptions = {}): StreamFailureHandler {
  const now = options.now ?? Date.now;

  return async (event) => {
    const batchItemFailures: SQSBatchResponse["batchItemFailures"] = [];
    const cfg = config();
    const store = storeFromEnv({ now });
    for (const message of event?.Records ?? []) {
      let record: StreamFailureRecord;
      try {
        record = JSON.parse(message.body) as StreamFailureRecord;
      } catch {
        logger.warn("Ignoring a message that is not JSON", { messageId: message.messageId });
        continue;
      }
      const info = record?.DDBStreamBatchInfo;
      if (!info?.streamArn || !info.shardId || !info.startSequenceNumber || !info.endSequenceNumber) {
        logger.warn("Ignoring a message that is no stream failure record", { messageId: message.messageId });
        continue;
      }
      const condition = record.requestContext?.condition;
      try {
        const jobs = await jobsOfBatch(info.streamArn, info.shardId, info.startSequenceNumber, info.endSequenceNumber);
        if (jobs.length === 0) logger.warn("No job found in the failed batch (records older than 24 hours are gone)", { messageId: message.messageId, condition });
        for (const { jobId, eventID } of jobs) {
          const failed = streamFailurePatch(condition);
          const outcome = await applyTransition(
            store,
            jobId,
            (current, at) => {
              // A RUNNING job belongs to the delivery that started it: another delivery's failure is not its outcome.
              if (current.status === "RUNNING" && current.runId && current.runId !== eventID) return undefined;
              return isPastDeadline(current, at) ? { status: "TIMED_OUT", error: { ...TIMED_OUT_ERROR } } : failed;
            },
            { now, resultTtlSeconds: cfg.resultTtlSeconds },
          );
          logger.info(outcome.applied ? "Recorded a job whose delivery failed" : "Failure not recorded", {
            jobId,
            condition,
            ...(outcome.applied ? { status: outcome.record.status } : { reason: outcome.reason, current: outcome.current?.status }),
          });
        }
      } catch (err) {
        logger.warn("Could not record the failed batch yet; SQS will redeliver it", { messageId: message.messageId, error: (err as Error).name });
        batchItemFailures.push({ itemIdentifier: message.messageId });
      }
    }
    return { batchItemFailures };
  };
}
