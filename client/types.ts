// The HTTP API's bodies as TypeScript types (CONTRACT.md sections 2 and 4). The client depends on nothing
// else in this repository; tests/client/openapi.test.ts holds these types to the public OpenAPI
// document (components/api/openapi.ts), so the two cannot drift apart silently.

/** Every status a job can have, in lifecycle order. */
export const JOB_STATUSES = ["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Statuses a job never leaves. */
export const TERMINAL_STATUSES = ["SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"] as const satisfies readonly JobStatus[];
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

export function isTerminalStatus(status: string): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/** `{"code", "message"}`: a job's error, and the `error` of every error body. */
export interface ErrorInfo {
  /** PascalCase, e.g. `ValidationError`, `NotFound`, `TimerFailed`, `TimedOut`. */
  code: string;
  message: string;
}

/** Every non-2xx body: `{"error": {"code", "message"}}`. */
export interface ErrorBody {
  error: ErrorInfo;
}

/** The body of `202` to `POST /jobs`. */
export interface JobAccepted {
  jobId: string;
  status: "PENDING";
  /** ISO 8601. */
  createdAt: string;
}

/** A job as `GET /jobs` lists it: the job without its result (`result`, `resultUrl`). */
export interface JobSummary {
  jobId: string;
  status: JobStatus;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601. */
  updatedAt: string;
  /** Only when `FAILED` or `TIMED_OUT` (`code` is `TimedOut` then). */
  error?: ErrorInfo;
  /** The job's latest progress report, once it made one (kept after it ends). */
  progress?: JobProgress;
}

/** The body of `200` to `GET /jobs/{jobId}`. */
export interface Job<TResult = unknown> extends JobSummary {
  /**
   * The job's output: only when `SUCCEEDED`. The API sends results over 256 KiB as `resultUrl`
   * instead; `wait` and `waitForResult` download them and fill this field.
   */
  result?: TResult;
  /** A presigned URL of a large result (valid for at least 5 minutes). */
  resultUrl?: string;
}

/**
 * The body of `200` to `GET /jobs`: one page of the caller's jobs, newest first. `nextCursor` is
 * absent on the last page only: a page may hold fewer jobs than asked and still have one.
 */
export interface JobList {
  jobs: JobSummary[];
  /** Pass it as `cursor` to read the next page (opaque). */
  nextCursor?: string;
}

/** A job's progress report: `percent` 0..100 and/or a `message`. */
export interface JobProgress {
  percent?: number;
  message?: string;
  /** ISO 8601. */
  updatedAt: string;
}

/** The body of `202` to `DELETE /jobs/{jobId}`. */
export interface CancelAccepted {
  jobId: string;
  status: "CANCELLED";
}

/** `GET /jobs`'s `limit`: how many jobs a page holds at most, and how many when none is asked. */
export const LIST_LIMIT = { min: 1, max: 100, default: 20 } as const;

/** The contract's `Idempotency-Key` rule. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The HTTP headers of the contract the client sends or reads. */
export const HEADERS = {
  location: "Location",
  retryAfter: "Retry-After",
  idempotentReplayed: "Idempotent-Replayed",
  idempotencyKey: "Idempotency-Key",
  callbackUrl: "Callback-Url",
  apiKey: "x-api-key",
} as const;

/** The routes the client calls (relative to `apiUrl`), with the body schema each 2xx answers. */
export const ROUTES = {
  submit: { method: "POST", path: "/jobs", status: 202, body: "JobAccepted" },
  get: { method: "GET", path: "/jobs/{jobId}", status: 200, body: "Job" },
  list: { method: "GET", path: "/jobs", status: 200, body: "JobList" },
  cancel: { method: "DELETE", path: "/jobs/{jobId}", status: 202, body: "CancelAccepted" },
} as const;

/** `ROUTES[name].path` with the job id filled in (URL-encoded). */
export function routePath(route: keyof typeof ROUTES, jobId?: string): string {
  return ROUTES[route].path.replace("{jobId}", encodeURIComponent(jobId ?? ""));
}
