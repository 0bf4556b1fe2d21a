import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { s3Client } from "../shared/clients";
import { config, required } from "../shared/config";
import { ENV } from "../shared/env";
import { isJobId } from "../shared/ids";
import type { JobEventDetail } from "../shared/jobEvents";
import { errorDetails, logger } from "../shared/logger";
import { jobKey } from "../shared/store/s3";
import type { JobRecord } from "../shared/types";
import { putJobEvents } from "./putJobEvents";

/** `events/<jobId>.json`: the last version of the job whose status change is on the bus. */
export function publishedKey(jobId: string): string {
  return `events/${jobId}.json`;
}

/** The job an S3 "Object Created" event (through EventBridge and SQS) is about, if it is one. */
function jobIdOf(body: string): string | undefined {
  let event: { source?: string; detail?: { object?: { key?: string } } };
  try {
    event = JSON.parse(body);
  } catch {
    return undefined;
  }
  const m = /^jobs\/([^/]+)\.json$/.exec(event?.detail?.object?.key ?? "");
  return event.source === "aws.s3" && m && isJobId(m[1]) ? m[1] : undefined;
}

async function readJson<T>(bucket: string, key: string): Promise<{ value: T; etag: string } | undefined> {
  try {
    const out = await s3Client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return { value: JSON.parse(await out.Body!.transformToString("utf-8")) as T, etag: out.ETag! };
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === "NoSuchKey" || e.$metadata?.httpStatusCode === 404) return undefined;
    throw err;
  }
}

/**
 * Job events of store `s3`: the bucket tells EventBridge of every job record written ("Using
 * EventBridge", Amazon S3 User Guide), a rule queues those notifications, and this function reads
 * the record they name. S3 says that an object changed, not from what, and a notification may come
 * late, twice or after a later one: so the record carries its status changes (`statusChanges`,
 * appended by the store), and `events/<jobId>.json` remembers the last one put on the bus. Each
 * notification puts the changes after that one, in order; a change is put again only if the
 * marker could not be moved past it (at least once).
 */
export function createBucketPublisher() {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const bus = required(process.env[ENV.JOB_EVENTS_BUS], ENV.JOB_EVENTS_BUS);
    const bucket = required(config().jobsBucket, ENV.JOBS_BUCKET);
    const failed: string[] = [];
    for (const message of event.Records ?? []) {
      const jobId = jobIdOf(message.body);
      if (!jobId) continue;
      try {
        await publishChanges(bus, bucket, jobId);
      } catch (err) {
        logger.error("Could not publish a job's events", { jobId, ...errorDetails(err) });
        failed.push(message.messageId);
      }
    }
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

async function publishChanges(bus: string, bucket: string, jobId: string): Promise<void> {
  const record = await readJson<JobRecord>(bucket, jobKey(jobId));
  if (!record || record.value.kind !== "job") return;
  const job = record.value;
  const marker = await readJson<{ version: number }>(bucket, publishedKey(jobId));
  const published = marker?.value.version ?? 0;
  const changes = (job.statusChanges ?? []).filter((c) => c.version > published);
  if (changes.length === 0) return;
  const details: JobEventDetail[] = changes.map((c) => ({
    jobId,
    status: c.status,
    previousStatus: c.previousStatus,
    owner: job.owner,
    createdAt: job.createdAt,
    updatedAt: c.updatedAt,
    ...(c.error ? { error: c.error } : {}),
  }));
  const put = await putJobEvents(bus, details);
  if (put > 0) await movePublished(bucket, jobId, changes[put - 1].version, marker?.etag);
  if (put < details.length) throw new Error(`${details.length - put} of ${details.length} events of job ${jobId} were not put`);
}

/** Moves the marker forward (never back), conditionally on the marker that was read. */
async function movePublished(bucket: string, jobId: string, version: number, etag: string | undefined): Promise<void> {
  try {
    await s3Client().send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: publishedKey(jobId),
        Body: JSON.stringify({ version }),
        ContentType: "application/json",
        ...(etag ? { IfMatch: etag } : { IfNoneMatch: "*" }),
      }),
    );
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    // Another notification of the same job moved it meanwhile: its events are on the bus too.
    if (status === 412 || status === 409) return;
    throw err;
  }
}
