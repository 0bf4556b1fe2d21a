import type { IdempotencyRecord, JobRecord } from "../types";

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
