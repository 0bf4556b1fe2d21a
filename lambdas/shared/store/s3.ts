import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import type { S3Client } from "@aws-sdk/client-s3";
import { s3Client } from "../clients";
import { isExpired } from "../status";
import type { IdempotencyRecord, JobRecord, StatusChange } from "../types";
import { s3IndexKey, s3IndexPosition, s3OwnerPrefix } from "./listIndex";
import { isOwnWrite } from "./ownWrite";
import { ConflictError } from "./types";
import type { JobStore, ListedJob, ListedPage, ListPosition, StoreOptions } from "./types";

/** Jobs of a page read at once (a page is at most 101 keys). */
const LIST_READ_CONCURRENCY = 16;

/** `jobs/<jobId>.json` */
export function jobKey(jobId: string): string {
  return `jobs/${jobId}.json`;
}

/** `idempotency/<sha256>.json` for the record `idem#<sha256>`. */
export function idempotencyKey(pk: string): string {
  return `idempotency/${pk.startsWith("idem#") ? pk.slice("idem#".length) : pk}.json`;
}

function status(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

export function isMissing(err: unknown): boolean {
  const name = (err as Error | undefined)?.name;
  return name === "NoSuchKey" || name === "NotFound" || status(err) === 404;
}

/** A conditional PutObject that lost: 412 PreconditionFailed, or 409 when a concurrent conditional write is in flight. */
export function isPreconditionFailure(err: unknown): boolean {
  const name = (err as Error | undefined)?.name;
  return name === "PreconditionFailed" || name === "ConditionalRequestConflict" || status(err) === 412 || status(err) === 409;
}

interface Read<T> {
  value: T;
  etag: string;
}

/**
 * Job and idempotency records as JSON objects in one bucket. Optimistic locking with S3
 * conditional writes: create with `If-None-Match: *`, replace with `If-Match: <ETag of the read>`.
 * The lifecycle rule deletes by whole days, so reads check `expiresAt` themselves.
 */
export class S3JobStore implements JobStore {
  private readonly now: () => number;
  /** ETag of the last read of each job at the version read, for `replaceJob`'s If-Match. */
  private readonly etags = new Map<string, { version: number; etag: string }>();

  constructor(
    private readonly bucket: string,
    options: StoreOptions = {},
    private readonly client: S3Client = s3Client(),
  ) {
    this.now = options.now ?? Date.now;
  }

  private async read<T>(key: string): Promise<Read<T> | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const text = await out.Body!.transformToString("utf-8");
      return { value: JSON.parse(text) as T, etag: out.ETag! };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  private async write(key: string, value: unknown, condition: { IfNoneMatch: "*" } | { IfMatch: string }, what: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: JSON.stringify(value),
          ContentType: "application/json",
          ...condition,
        }),
      );
      return out.ETag;
    } catch (err) {
      // S3 answers an `If-Match` write to a key that is gone (deleted by the lifecycle rule, or
      // released in between) with 404: the object changed since it was read, so it is a conflict too.
      if (isPreconditionFailure(err) || ("IfMatch" in condition && isMissing(err))) {
        // An SDK retry of a write that was applied finds its own object (./ownWrite.ts).
        const current = await this.read(key);
        if (current && isOwnWrite(value, current.value)) return current.etag;
        throw new ConflictError(what);
      }
      throw err;
    }
  }

  async getJob(jobId: string): Promise<JobRecord | undefined> {
    const read = await this.read<JobRecord>(jobKey(jobId));
    if (!read || read.value.kind !== "job" || isExpired(read.value, this.now())) return undefined;
    this.remember(jobId, read.value.version, read.etag);
    return read.value;
  }

  private remember(jobId: string, version: number, etag: string): void {
    this.etags.delete(jobId);
    this.etags.set(jobId, { version, etag });
    // A container serves one request at a time: a handful of entries is plenty.
    while (this.etags.size > 32) this.etags.delete(this.etags.keys().next().value as string);
  }

  /**
   * The owner's index entry goes first: a job whose entry could not be written would never be
   * listed, while an entry whose job could not be written is only skipped by the list.
   */
  async createJob(record: JobRecord): Promise<void> {
    record = withStatusChange(record);
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: s3IndexKey(record.owner, record), Body: "", ContentType: "application/octet-stream" }),
    );
    const etag = await this.write(jobKey(record.jobId), record, { IfNoneMatch: "*" }, `job ${record.jobId} exists`);
    if (etag) this.remember(record.jobId, record.version, etag);
  }

  async replaceJob(record: JobRecord, expectedVersion: number): Promise<JobRecord> {
    let known = this.etags.get(record.jobId);
    if (!known || known.version !== expectedVersion) {
      const current = await this.read<JobRecord>(jobKey(record.jobId));
      if (!current || current.value.version !== expectedVersion) {
        throw new ConflictError(`job ${record.jobId} is not at version ${expectedVersion}`);
      }
      known = { version: expectedVersion, etag: current.etag };
    }
    const written: JobRecord = withStatusChange({ ...record, version: expectedVersion + 1 });
    this.etags.delete(record.jobId);
    const etag = await this.write(jobKey(record.jobId), written, { IfMatch: known.etag }, `job ${record.jobId} is not at version ${expectedVersion}`);
    if (etag) this.remember(record.jobId, written.version, etag);
    return written;
  }

  /**
   * One ListObjectsV2 of the owner's index prefix (keys in ascending order: newest first, see
   * listIndex.ts), then the jobs those keys name. An entry whose job is missing or expired is skipped.
   */
  async listJobs(owner: string, options: { limit: number; after?: ListPosition }): Promise<ListedPage> {
    const out = await this.client.send(
      new ListObjectsV2Command({
        Bucket: this.bucket,
        Prefix: s3OwnerPrefix(owner),
        MaxKeys: options.limit,
        ...(options.after ? { StartAfter: s3IndexKey(owner, options.after) } : {}),
      }),
    );
    const positions = (out.Contents ?? []).map((o) => (o.Key ? s3IndexPosition(o.Key) : undefined)).filter((p): p is ListPosition => p !== undefined);
    const read: (ListedJob | undefined)[] = new Array(positions.length);
    let nextIndex = 0;
    const reader = async () => {
      for (let i = nextIndex++; i < positions.length; i = nextIndex++) {
        const job = await this.read<JobRecord>(jobKey(positions[i].jobId));
        read[i] = job && job.value.kind === "job" && job.value.owner === owner && !isExpired(job.value, this.now()) ? withoutBulk(job.value) : undefined;
      }
    };
    await Promise.all(Array.from({ length: Math.min(LIST_READ_CONCURRENCY, positions.length) }, reader));
    const jobs = read.filter((job): job is ListedJob => job !== undefined);
    const last = positions[positions.length - 1];
    return { jobs, ...(out.IsTruncated && last ? { next: last } : {}) };
  }

  async getIdempotency(pk: string): Promise<IdempotencyRecord | undefined> {
    const read = await this.read<IdempotencyRecord>(idempotencyKey(pk));
    if (!read || read.value.kind !== "idempotency" || isExpired(read.value, this.now())) return undefined;
    return read.value;
  }

  async createIdempotency(record: IdempotencyRecord): Promise<void> {
    const key = idempotencyKey(record.pk);
    try {
      await this.write(key, record, { IfNoneMatch: "*" }, "idempotency key in use");
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      // An expired record the lifecycle rule has not deleted yet does not count: replace it,
      // conditionally on it being the very object we found expired.
      const existing = await this.read<IdempotencyRecord>(key);
      if (existing && !isExpired(existing.value, this.now())) throw err;
      if (!existing) return this.write(key, record, { IfNoneMatch: "*" }, "idempotency key in use").then(() => undefined);
      await this.write(key, record, { IfMatch: existing.etag }, "idempotency key in use");
    }
  }

  async deleteIdempotency(pk: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: idempotencyKey(pk) }));
  }
}

/** What a list keeps of a job: not its input or result. */
function withoutBulk(record: JobRecord): ListedJob {
  const { jobId, status, owner, createdAt, updatedAt, deadline, expiresAt, progress, error } = record;
  return { jobId, status, owner, createdAt, updatedAt, deadline, expiresAt, ...(progress ? { progress } : {}), ...(error ? { error } : {}) };
}

/**
 * The record with its status change appended when its status differs from the last one it
 * recorded (the record a writer replaces carries the changes made so far: types.ts, statusChanges).
 */
export function withStatusChange(record: JobRecord): JobRecord {
  const changes = record.statusChanges ?? [];
  const last = changes[changes.length - 1];
  if (last && last.status === record.status) return record;
  const change: StatusChange = { status: record.status, previousStatus: last?.status ?? null, updatedAt: record.updatedAt, version: record.version };
  if (record.error && (record.status === "FAILED" || record.status === "TIMED_OUT")) change.error = { ...record.error };
  return { ...record, statusChanges: [...changes, change] };
}
