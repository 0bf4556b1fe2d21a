import type { Context, DynamoDBStreamEvent } from "aws-lambda";
import type { JobDefinition } from "../jobs/types";
import { isJobId } from "../shared/ids";
import { logger } from "../shared/logger";
import { createDelivery, type WorkerOptions } from "./asyncWorker";

export type StreamWorkerHandler = (event: DynamoDBStreamEvent, context: Pick<Context, "awsRequestId" | "getRemainingTimeInMillis">) => Promise<void>;

/**
 * The worker of backend `stream`: the jobs table's stream, through an event source mapping
 * filtered to inserted job records, hands it the PENDING record API Gateway wrote. Each record is
 * one delivery named by its `eventID`, which stays the same when the mapping retries the batch, so
 * a retry runs a started job again and any other delivery of it is ignored (as on backend
 * `lambda`). Job errors are recorded; a failure to record is thrown, so the mapping retries and
 * in the end sends the batch to its on-failure destination (lambdas/worker/streamFailures.ts).
 */
export function createStreamWorker(job: JobDefinition, options: WorkerOptions = {}): StreamWorkerHandler {
  const deliver = createDelivery(job, options);
  return async (event, context) => {
    for (const record of event?.Records ?? []) {
      const image = record.dynamodb?.NewImage;
      // The mapping's filter lets only these through; a record it let by mistake is not a job.
      if (record.eventName !== "INSERT" || image?.kind?.S !== "job") continue;
      const jobId = image.jobId?.S;
      if (!isJobId(jobId) || !record.eventID) {
        logger.warn("Ignoring a stream record without a valid job id", { eventID: record.eventID });
        continue;
      }
      await deliver(jobId, record.eventID, context);
    }
  };
}
