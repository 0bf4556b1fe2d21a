import { TERMINAL_STATUSES } from "./types";
import type { ErrorInfo, JobProgress, JobRecord, JobStatus } from "./types";

/*
 * THE status rules. Every writer goes through `canTransition` (via `transition` in store/) and
 * every reader through `view`, so the first terminal state wins, late results are discarded,
 * and a job nobody finished reads TIMED_OUT once its deadline has passed.
 */

export { TERMINAL_STATUSES };

/** Extra time a RUNNING job's deadline allows beyond the job timeout, for recording the outcome. */
export const RUNNING_GRACE_SECONDS = 30;

export const TIMED_OUT_ERROR: ErrorInfo = {
  code: "TimedOut",
  message: "The job did not finish within its time limit.",
};

const ALLOWED: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  // A job that never started may still fail (its start failed, its delivery was lost) or time out.
  PENDING: ["RUNNING", "CANCELLED", "FAILED", "TIMED_OUT"],
  RUNNING: ["SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED"],
  SUCCEEDED: [],
  FAILED: [],
  CANCELLED: [],
  TIMED_OUT: [],
};

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Whether a record whose stored status is `from` may be rewritten with status `to`. */
export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return ALLOWED[from].includes(to);
}

export function isExpired(record: Pick<JobRecord, "expiresAt">, now: number): boolean {
  return now >= record.expiresAt * 1000;
}

export function isPastDeadline(record: Pick<JobRecord, "status" | "deadline">, now: number): boolean {
  return !isTerminal(record.status) && now >= Date.parse(record.deadline);
}

/** What a reader sees of a job. */
export interface JobView {
  jobId: string;
  status: JobStatus;
  createdAt: string;
  updatedAt: string;
  /** SUCCEEDED only: inline result JSON text. */
  result?: string;
  /** SUCCEEDED only: key of the offloaded result. */
  resultRef?: string;
  resultSize?: number;
  /** FAILED and TIMED_OUT only. */
  error?: ErrorInfo;
  /** The job's latest progress report, kept after it ends. */
  progress?: JobProgress;
}

/** What `view` reads of a record: a whole one, or one as a list reads it (without input). */
export type ViewableJob = Pick<JobRecord, "jobId" | "status" | "createdAt" | "updatedAt" | "deadline" | "expiresAt"> &
  Partial<Pick<JobRecord, "progress" | "error" | "result" | "resultRef" | "resultSize">>;

/**
 * The job as a reader sees it at `now`: absent once expired; TIMED_OUT once a non-terminal job
 * is past its deadline (whether or not any writer ever records it). With `resultTtlSeconds`, a
 * finished job is also absent from `updatedAt` + that on, whatever its TTL attribute says (a
 * state machine's own timeout or crash write cannot move that attribute to finish + TTL).
 */
export function view(record: ViewableJob | undefined, now: number, resultTtlSeconds?: number): JobView | undefined {
  if (!record || isExpired(record, now)) return undefined;
  if (resultTtlSeconds !== undefined && isTerminal(record.status) && now >= Date.parse(record.updatedAt) + resultTtlSeconds * 1000) return undefined;
  if (isPastDeadline(record, now)) {
    return {
      jobId: record.jobId,
      status: "TIMED_OUT",
      createdAt: record.createdAt,
      updatedAt: record.deadline,
      error: { ...TIMED_OUT_ERROR },
      ...(record.progress ? { progress: { ...record.progress } } : {}),
    };
  }
  const seen: JobView = {
    jobId: record.jobId,
    status: record.status,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
  if (record.progress) seen.progress = { ...record.progress };
  if (record.status === "SUCCEEDED") {
    if (record.result !== undefined) seen.result = record.result;
    if (record.resultRef !== undefined) seen.resultRef = record.resultRef;
    if (record.resultSize !== undefined) seen.resultSize = record.resultSize;
  }
  if (record.status === "FAILED" || record.status === "TIMED_OUT") {
    seen.error = record.error ? { ...record.error } : record.status === "TIMED_OUT" ? { ...TIMED_OUT_ERROR } : { code: "Error", message: "The job failed." };
  }
  return seen;
}

/**
 * Whether a writer may move `current` to `to` at `now`. The rules apply to what readers already
 * see: a non-terminal record past its deadline already reads TIMED_OUT, so the only write it
 * still accepts is TIMED_OUT itself (making the record say what readers see).
 */
export function mayWrite(current: JobRecord, to: JobStatus, now: number): boolean {
  if (!canTransition(current.status, to)) return false;
  if (isPastDeadline(current, now)) return to === "TIMED_OUT";
  return true;
}

/**
 * Seconds a client should wait before polling again: 1 while PENDING, then about a tenth of the
 * time the job has been running, clamped to 1..30, and never far beyond the deadline.
 */
export function retryAfterSeconds(record: Pick<JobRecord, "status" | "startedAt" | "updatedAt" | "deadline">, now: number): number {
  if (record.status !== "RUNNING") return 1;
  const started = Date.parse(record.startedAt ?? record.updatedAt);
  const elapsed = Number.isFinite(started) ? Math.max(0, now - started) / 1000 : 0;
  let seconds = Math.min(30, Math.max(1, Math.round(elapsed / 10)));
  const untilDeadline = Math.ceil((Date.parse(record.deadline) - now) / 1000);
  if (Number.isFinite(untilDeadline)) seconds = Math.min(seconds, Math.max(1, untilDeadline));
  return seconds;
}

/** `Date#toISOString` of an epoch-milliseconds time. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Epoch seconds at which a record written at `now` with the given TTL stops being readable. */
export function expiryAfter(now: number, ttlSeconds: number): number {
  return Math.ceil(now / 1000) + ttlSeconds;
}
