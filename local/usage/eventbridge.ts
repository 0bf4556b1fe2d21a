/**
 * What the local EventBridge counts for the cost meter (local/usage), as Amazon EventBridge bills
 * it (https://aws.amazon.com/eventbridge/pricing/):
 *
 * - `eventbridge.events`: each event published to a bus by PutEvents (custom events; also Lambda's
 *   destination events, which Lambda puts with PutEvents on the function's behalf), one per 64 KB
 *   chunk of the entry ("Each 64 KB chunk of a payload is billed as one event"). An entry's size is
 *   EventBridge's: 14 bytes for a Time, and the UTF-8 bytes of Source, DetailType, Detail and each
 *   Resource (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html).
 *   Entries PutEvents rejects (FailedEntryCount) are not ingested, so not counted; nor are events
 *   from AWS services (`aws.*` sources: S3 object events, Step Functions status changes), rule
 *   matching, deliveries to targets in the same account, archives or replays.
 * - `sqs.requests`: a SendMessage EventBridge makes to an SQS target or dead-letter queue is an SQS
 *   request billed to the queue's owner (https://aws.amazon.com/sqs/pricing/), counted here since it
 *   does not go through the SQS HTTP API.
 *
 * Jobs: the `jobId`s in the event's detail (`jobIdsInJson`).
 */
import type { UsageMeter } from "./meter";
import { jobIdsInJson, jobIdsInKey } from "./jobIds";

const CHUNK_BYTES = 64 * 1024;

export interface EventEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  Time?: unknown;
}

/** A PutEvents entry's size, as EventBridge calculates it. */
export function putEventsEntrySize(entry: EventEntry): number {
  const bytes = (text: unknown) => (typeof text === "string" ? Buffer.byteLength(text) : 0);
  return (entry.Time !== undefined && entry.Time !== null ? 14 : 0) + bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail) + (entry.Resources ?? []).reduce((n, r) => n + bytes(r), 0);
}

/** Events billed for one entry: one per 64 KB chunk, at least one. */
export function billedEvents(entry: EventEntry): number {
  return Math.max(1, Math.ceil(putEventsEntrySize(entry) / CHUNK_BYTES));
}

/**
 * Whether EventBridge bills an event from this source. AWS management events (`aws.*`, e.g. Step
 * Functions' status changes) are free; S3's object events are "AWS opt-in data events", billed
 * like custom events (https://aws.amazon.com/eventbridge/pricing/, "Event buses").
 */
export function isBilledSource(source: string | undefined): boolean {
  const s = source ?? "";
  return !s.startsWith("aws.") || OPT_IN_DATA_EVENT_SOURCES.has(s);
}

/** Services whose data plane events reach EventBridge once opted in (S3: a bucket's EventBridge notifications). */
const OPT_IN_DATA_EVENT_SOURCES = new Set(["aws.s3"]);

/** Counts an event published to `busName` (nothing for an AWS service's). */
export function meterPublishedEvent(meter: UsageMeter | undefined, busName: string, entry: EventEntry): void {
  if (!meter || !isBilledSource(entry.Source)) return;
  meter.count("eventbridge.events", billedEvents(entry), { jobIds: jobIdsOfEvent(entry), source: `eventbridge:${busName}` });
}

/** The jobs an event is about: its detail's `jobId`, else (S3's object events) the object's key. */
function jobIdsOfEvent(entry: EventEntry): string[] {
  const named = jobIdsInJson(entry.Detail);
  if (named.length || entry.Source !== "aws.s3") return named;
  try {
    return jobIdsInKey((JSON.parse(entry.Detail ?? "{}") as { object?: { key?: string } }).object?.key);
  } catch {
    return [];
  }
}
