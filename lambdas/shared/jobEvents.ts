import type { ErrorInfo, JobRecord, JobStatus } from "./types";

/*
 * Job events (CONTRACT.md, "Events"): every status change of a job is an event on the stack's bus,
 * source `async-api`, detail-type `Job Status Change`. Built from the store's change feed (the
 * table's stream, the bucket's notifications), never by the writers, so none can skip one.
 */

export const JOB_EVENT_SOURCE = "async-api";
export const JOB_EVENT_DETAIL_TYPE = "Job Status Change";

/** The event's detail: never the input or the result. */
export interface JobEventDetail {
  jobId: string;
  status: JobStatus;
  /** `null` for the job's first event (PENDING). */
  previousStatus: JobStatus | null;
  owner: string;
  createdAt: string;
  updatedAt: string;
  error?: ErrorInfo;
}

type Changed = Pick<JobRecord, "jobId" | "status" | "owner" | "createdAt" | "updatedAt"> & Partial<Pick<JobRecord, "error" | "kind">>;

/**
 * The event of one write of a job record: `before` is the record it replaced (none for a new job).
 * `undefined` when the write did not change the status (progress, a retry's own rewrite) or was
 * not a job's.
 */
export function statusChangeEvent(before: Changed | undefined, after: Changed | undefined): JobEventDetail | undefined {
  if (!after || after.kind !== "job" || typeof after.status !== "string") return undefined;
  if (before && before.status === after.status) return undefined;
  const detail: JobEventDetail = {
    jobId: after.jobId,
    status: after.status,
    previousStatus: before?.status ?? null,
    owner: after.owner,
    createdAt: after.createdAt,
    updatedAt: after.updatedAt,
  };
  if (after.error && (after.status === "FAILED" || after.status === "TIMED_OUT")) detail.error = { code: after.error.code, message: after.error.message };
  return detail;
}

/** A PutEvents entry of a detail, on `busName`. */
export function putEventsEntry(busName: string, detail: JobEventDetail): { EventBusName: string; Source: string; DetailType: string; Detail: string; Time: Date } {
  return { EventBusName: busName, Source: JOB_EVENT_SOURCE, DetailType: JOB_EVENT_DETAIL_TYPE, Detail: JSON.stringify(detail), Time: new Date(detail.updatedAt) };
}
