/**
 * The client's options, one interface per method, with their defaults and the checks of their
 * values (an out-of-range value is an AsyncApiError `InvalidArgument` at the call).
 */
import type { AuthOptions } from "./auth";
import { AsyncApiError } from "./errors";
import type { Sleep } from "./retry";
import { JOB_STATUSES, LIST_LIMIT, type Job, type JobStatus } from "./types";

export interface AsyncApiClientOptions {
  /** The stack's `apiUrl` output (e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/v1`). */
  apiUrl: string;
  /** How to authenticate: the stack's `auth` output says which. */
  auth: AuthOptions;
  /**
   * Retries after a network error, a 429 or a 5xx (and a 409 `Conflict` "still in progress" for a
   * POST). GET and DELETE are idempotent; every POST carries an `Idempotency-Key`, so a retried POST
   * returns the job the first attempt created. @default 3
   */
  retries?: number;
  /** Backoff ceiling of the first retry (doubled each retry, equal jitter). @default 200 */
  retryBaseDelayMs?: number;
  /** Longest wait between two attempts, `Retry-After` included. @default 20000 */
  retryMaxDelayMs?: number;
  /** One attempt is abandoned (and retried) after this long. @default 30000 */
  requestTimeoutMs?: number;
  /** `wait`: first delay between polls when the API sends no `Retry-After`. @default 500 */
  pollInitialDelayMs?: number;
  /** `wait`: longest delay between polls (a longer `Retry-After` is cut to it). @default 30000 */
  pollMaxDelayMs?: number;
  /** `wait`: shortest delay between polls, even with `Retry-After: 0`. @default 100 */
  pollMinDelayMs?: number;
  /**
   * `wait`: after the first read, read with `GET /jobs/{id}?wait=N` (a long poll: the API answers
   * when the job ends or changes status, or after N seconds), N at most this; 0 polls by
   * `Retry-After` instead. An API that answers at once anyway is polled by `Retry-After`. @default 20
   */
  longPollSeconds?: number;
  /** The `fetch` to use (tests inject one). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Tests: the sleep between attempts and polls, a random source for jitter, and a clock. */
  sleep?: Sleep;
  random?: () => number;
  now?: () => number;
}

export interface SubmitOptions {
  /**
   * `Idempotency-Key` (1-64 of `A-Za-z0-9_-`). The same key and input within the stack's
   * `resultTtlMinutes` return the same job. @default a new random key, so retries are safe
   */
  idempotencyKey?: string;
  /**
   * `Callback-Url`: when the job ends, the stack POSTs it there, signed (check it with
   * `verifyWebhook`). `https://`, at most 2,048 characters, a public host. @default none
   */
  callbackUrl?: string;
  signal?: AbortSignal;
}

export interface SubmitResult {
  jobId: string;
  /** `PENDING` for a new job; a replay (`replayed`) reports the job's current status. */
  status: JobStatus;
  createdAt: string;
  /** `Location`: `{apiUrl}/jobs/{jobId}`. */
  location: string;
  /** `Retry-After`: when to read the job first. */
  retryAfterSeconds?: number;
  /** `Idempotent-Replayed: true`: this key had already created the job. */
  replayed: boolean;
  /** The key sent (the caller's or the generated one): keep it to retry the submit later. */
  idempotencyKey: string;
}

export interface WaitProgress<TResult = unknown> {
  jobId: string;
  status: JobStatus;
  job: Job<TResult>;
  /** Since `wait` was called. */
  elapsedMs: number;
  /** Reads so far, this one included. */
  polls: number;
  /** The status differs from the previous read (always true for the first). */
  changed: boolean;
  /** How long until the next read; undefined once the job is terminal. */
  nextPollMs?: number;
}

export interface WaitOptions<TResult = unknown> {
  /** Give up (AsyncApiError `WaitTimeout`) when the job is still not terminal after this long. */
  timeoutMs?: number;
  /** Stop waiting (AsyncApiError `Aborted`). The job itself keeps running: see `cancel`. */
  signal?: AbortSignal;
  /** Called after every read of the job. */
  onProgress?: (progress: WaitProgress<TResult>) => void;
}

export interface GetOptions {
  signal?: AbortSignal;
}

export interface ListPageOptions {
  /** Only jobs in this status, or in any of these. @default every status */
  status?: JobStatus | readonly JobStatus[];
  /** At most this many jobs, 1 to 100 (a page may hold fewer and still have a `nextCursor`). @default 20 */
  limit?: number;
  /** The `nextCursor` of the previous page, read with the same `status`; none for the first page. */
  cursor?: string;
  signal?: AbortSignal;
}

export interface ListOptions {
  /** Only jobs in this status, or in any of these. @default every status */
  status?: JobStatus | readonly JobStatus[];
  /** The `limit` of each page, 1 to 100. @default 100 */
  pageSize?: number;
  /** Stops reading pages (AsyncApiError `Aborted`). */
  signal?: AbortSignal;
}

export const DEFAULTS = {
  retries: 3,
  retryBaseDelayMs: 200,
  retryMaxDelayMs: 20_000,
  requestTimeoutMs: 30_000,
  pollInitialDelayMs: 500,
  pollMaxDelayMs: 30_000,
  pollMinDelayMs: 100,
  longPollSeconds: 20,
  listPageSize: LIST_LIMIT.max,
};

export function longPollSecondsOf(value: number | undefined): number {
  if (value === undefined) return DEFAULTS.longPollSeconds;
  if (!Number.isInteger(value) || value < 0 || value > 20) throw new AsyncApiError({ code: "InvalidArgument", message: `longPollSeconds must be an integer from 0 to 20, got ${value}` });
  return value;
}

/** `GET /jobs`'s `status`: one status or a comma-separated list of them. */
export function statusFilterOf(status: ListPageOptions["status"]): string | undefined {
  if (status === undefined) return undefined;
  const statuses: readonly unknown[] = Array.isArray(status) ? status : [status];
  if (statuses.length === 0 || !statuses.every((s) => (JOB_STATUSES as readonly unknown[]).includes(s))) {
    throw new AsyncApiError({ code: "InvalidArgument", message: `status must be one of ${JOB_STATUSES.join(", ")} or a non-empty list of them, got ${JSON.stringify(status)}` });
  }
  return statuses.join(",");
}

export function listLimitOf(value: number, name: "limit" | "pageSize"): number {
  if (!Number.isInteger(value) || value < LIST_LIMIT.min || value > LIST_LIMIT.max) {
    throw new AsyncApiError({ code: "InvalidArgument", message: `${name} must be an integer from ${LIST_LIMIT.min} to ${LIST_LIMIT.max}, got ${value}` });
  }
  return value;
}

export function cursorOf(cursor: string | undefined): string | undefined {
  if (cursor !== undefined && (typeof cursor !== "string" || cursor.length === 0)) {
    throw new AsyncApiError({ code: "InvalidArgument", message: "cursor must be the nextCursor of a page (a non-empty string)" });
  }
  return cursor;
}
