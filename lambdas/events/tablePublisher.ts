import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { required } from "../shared/config";
import { ENV } from "../shared/env";
import { statusChangeEvent, type JobEventDetail } from "../shared/jobEvents";
import { errorDetails, logger } from "../shared/logger";
import type { JobRecord } from "../shared/types";
import { putJobEvents } from "./putJobEvents";

/** A stream record's image as a job record. */
const image = (value: unknown) => (value ? (unmarshall(value as Record<string, AttributeValue>) as JobRecord) : undefined);

/**
 * Job events from the jobs table's stream (view type NEW_AND_OLD_IMAGES): each write whose new
 * image has another status than the old one (or a new job) is one event. The stream hands a
 * shard's records over in order; a batch whose events could not all be put reports the first one
 * left (ReportBatchItemFailures), so Lambda retries from there and nothing after it goes first.
 */
export function createTablePublisher() {
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const bus = required(process.env[ENV.JOB_EVENTS_BUS], ENV.JOB_EVENTS_BUS);
    const pending: { detail: JobEventDetail; sequence: string }[] = [];
    for (const record of event.Records ?? []) {
      const detail = record.eventName === "REMOVE" ? undefined : statusChangeEvent(image(record.dynamodb?.OldImage), image(record.dynamodb?.NewImage));
      if (detail) pending.push({ detail, sequence: record.dynamodb!.SequenceNumber! });
    }
    let put = 0;
    try {
      put = await putJobEvents(bus, pending.map((p) => p.detail));
    } catch (err) {
      logger.error("Could not put job events", errorDetails(err));
    }
    if (put === pending.length) return { batchItemFailures: [] };
    logger.warn("Job events left for a retry", { put, left: pending.length - put });
    return { batchItemFailures: [{ itemIdentifier: pending[put].sequence }] };
  };
}
