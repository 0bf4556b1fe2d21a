import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { s3Client } from "../shared/clients";
import { config, required } from "../shared/config";
import { ENV } from "../shared/env";
import { isJobId } from "../shared/ids";
import type { JobEventDetail } from "../shared/jobEvents";
import { errorDetails, logger } from "../shared/logger";
import { isMissing, isPreconditionFailure, jobKey } from "../shared/store/s3";
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
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/**
 * Job events of store `s3`: the bucket tells EventBridge of every job record written ("Using
 * EventBridge", Amazon S3 User Guide), a rule queues those notifications, and this function reads
 * the record they name. S3 says that an object changed, not from what, and a notification may come
 * late, twice or after a later one: so the record carries its status changes (`statusChanges`,
 * appended by the store), and `events/<jobId>.json` remembers the last one put on the bus, and who
 * is putting them (see publishChanges). Each change goes out in order; again only when a publisher
 * failed after putting it (at least once).
 */
export function createBucketPublisher(options: { now?: () => number } = {}) {
  const now = options.now ?? Date.now;
  return async (event: SQSEvent, context?: { awsRequestId?: string }): Promise<SQSBatchResponse> => {
    const holder = context?.awsRequestId ?? `${process.pid}-${Math.random().toString(36).slice(2)}`;
    const bus = required(process.env[ENV.JOB_EVENTS_BUS], ENV.JOB_EVENTS_BUS);
    const bucket = required(config().jobsBucket, ENV.JOBS_BUCKET);
    const failed: string[] = [];
    for (const message of event.Records ?? []) {
      const jobId = jobIdOf(message.body);
      if (!jobId) continue;
      try {
        await publishChanges(bus, bucket, jobId, holder, now);
      } catch (err) {
        logger.error("Could not publish a job's events", { jobId, ...errorDetails(err) });
        failed.push(message.messageId);
      }
    }
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

/**
 * `events/<jobId>.json`: the last version put on the bus; while a publisher is at work, its lease;
 * `dirty` when a notification came in meanwhile (its holder then reads the record once more).
 */
interface Marker {
  version: number;
  lease?: { holder: string; until: number };
  dirty?: boolean;
}

/** How long a lease holds without its holder (a publisher that crashed): longer than the function's timeout. */
export const LEASE_MS = 60_000;


/**
 * One publisher at a time per job, so that a job's events go out in order even when its
 * notifications are handled side by side: the first takes the marker's lease (a conditional
 * write), the others mark it dirty and are done. The holder puts every change after the marker's
 * version, moves the version, and gives the lease back, conditionally on the marker it wrote: a
 * notification that came in meanwhile changed it, so the holder reads the record again first.
 */
async function publishChanges(bus: string, bucket: string, jobId: string, holder: string, now: () => number): Promise<void> {
  // Take the lease, or leave the work to the one who has it.
  const lease = () => ({ holder, until: now() + LEASE_MS });
  let version = 0;
  let etag: string | undefined;
  for (;;) {
    const marker = await readJson<Marker>(bucket, publishedKey(jobId));
    const held = marker?.value.lease;
    if (held && held.holder !== holder && held.until > now()) {
      if ((await writeMarker(bucket, jobId, { ...marker!.value, dirty: true }, marker!.etag)) !== undefined) return;
      continue;
    }
    version = marker?.value.version ?? 0;
    etag = await writeMarker(bucket, jobId, { version, lease: lease() }, marker?.etag);
    if (etag !== undefined) break;
  }

  for (;;) {
    const record = await readJson<JobRecord>(bucket, jobKey(jobId));
    const job = record?.value.kind === "job" ? record.value : undefined;
    const changes = (job?.statusChanges ?? []).filter((c) => c.version > version);
    const details: JobEventDetail[] = changes.map((c) => ({
      jobId,
      status: c.status,
      previousStatus: c.previousStatus,
      owner: job!.owner,
      createdAt: job!.createdAt,
      updatedAt: c.updatedAt,
      ...(c.error ? { error: c.error } : {}),
    }));
    const put = details.length > 0 ? await putJobEvents(bus, details) : 0;
    if (put > 0) version = changes[put - 1].version;
    if (put < details.length) {
      // Give the lease back at what was put; the notification is retried.
      await writeMarker(bucket, jobId, { version }, etag);
      throw new Error(`${details.length - put} of ${details.length} events of job ${jobId} were not put`);
    }
    if ((await writeMarker(bucket, jobId, { version }, etag)) !== undefined) return;
    // Marked dirty meanwhile: keep the lease (clearing the flag) and read the record again.
    do {
      const current = await readJson<Marker>(bucket, publishedKey(jobId));
      etag = await writeMarker(bucket, jobId, { version, lease: lease() }, current?.etag);
    } while (etag === undefined);
  }
}

/** A conditional write of the marker (on `etag`, or on there being none): its new ETag, or undefined when it lost. */
async function writeMarker(bucket: string, jobId: string, marker: Marker, etag: string | undefined): Promise<string | undefined> {
  try {
    const out = await s3Client().send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: publishedKey(jobId),
        Body: JSON.stringify(marker),
        ContentType: "application/json",
        ...(etag ? { IfMatch: etag } : { IfNoneMatch: "*" }),
      }),
    );
    return out.ETag ?? "";
  } catch (err) {
    // Another publisher wrote the marker (or, with If-Match, removed it) since it was read.
    if (isPreconditionFailure(err) || (etag !== undefined && isMissing(err))) return undefined;
    throw err;
  }
}
