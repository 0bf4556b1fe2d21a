import type { IdempotencyRecord, JobRecord } from "../types";

/**
 * A job as a list reads it: what `view` needs, without the input or the result (the DynamoDB
 * index projects only these; lambdas/shared/store/listIndex.ts).
 */
export type ListedJob = Pick<JobRecord, "jobId" | "status" | "owner" | "createdAt" | "updatedAt" | "deadline" | "expiresAt"> &
  Partial<Pick<JobRecord, "progress" | "error">>;

/** Where a list stands: the last job it went past (newest first: `createdAt` descending). */
export interface ListPosition {
  createdAt: string;
  jobId: string;
}

/** One read of an owner's jobs, newest first. `next` is absent when nothing older is left. */
export interface ListedPage {
  jobs: ListedJob[];
  next?: ListPosition;
}

/** A conditional write found the record not as expected (exists already, or another version). */
export class ConflictError extends Error {
  constructor(message = "The record changed since it was read") {
    super(message);
    this.name = "ConflictError";
  }
}

/**
 * Where job and idempotency records live. Reads treat expired records as absent. Writes are
 * conditional: `createJob`/`createIdempotency` fail with `ConflictError` if the record exists;
 * `replaceJob` writes `version = expectedVersion + 1` only if the stored version is
 * `expectedVersion`, else `ConflictError`. Nothing here knows the status rules: see `transition`.
 */
export interface JobStore {
  getJob(jobId: string): Promise<JobRecord | undefined>;
  createJob(record: JobRecord): Promise<void>;
  /** Returns the record as written (with the new version). */
  replaceJob(record: JobRecord, expectedVersion: number): Promise<JobRecord>;
  getIdempotency(pk: string): Promise<IdempotencyRecord | undefined>;
  /** Fails with `ConflictError` if an unexpired record with this key exists (an expired one is replaced). */
  createIdempotency(record: IdempotencyRecord): Promise<void>;
  deleteIdempotency(pk: string): Promise<void>;
  /**
   * Up to `limit` of `owner`'s jobs older than `after` (all of them without it), newest first,
   * from an index of that owner's jobs: never a scan of the store. Expired records may be among
   * them (the list drops them through `view`); `next` is where to go on from.
   */
  listJobs(owner: string, options: { limit: number; after?: ListPosition }): Promise<ListedPage>;
}

export interface StoreOptions {
  /** Epoch milliseconds; decides what counts as expired. */
  now?: () => number;
  /**
   * Seconds from `createdAt` to the deadline of a record that has none: backend `stream`'s API
   * Gateway writes PENDING records without one (a mapping template cannot do date arithmetic).
   */
  pendingDeadlineSeconds?: number;
}
