import type { Context } from "aws-lambda";
import type { JobDefinition } from "../jobs/types";
import { config } from "../shared/config";
import { isJobId } from "../shared/ids";
import { logger } from "../shared/logger";
import { storeResult } from "../shared/results";
import { RUNNING_GRACE_SECONDS, TIMED_OUT_ERROR, isPastDeadline, iso } from "../shared/status";
import { applyTransition, storeFromEnv } from "../shared/store";
import type { JobPatch, JobStore, TransitionOptions } from "../shared/store";
import type { JobRecord } from "../shared/types";
import { budgetMs, runJob } from "./run";

export interface AsyncWorkerEvent {
  jobId: string;
}

export interface WorkerOptions {
  /** Epoch milliseconds (tests pass a fake clock). */
  now?: () => number;
}

export type AsyncWorkerHandler = (event: AsyncWorkerEvent, context: Pick<Context, "awsRequestId" | "getRemainingTimeInMillis">) => Promise<void>;

/**
 * The worker of backend `lambda` (an `Event` invoke with `{jobId}`): PENDING → RUNNING (with
 * `runId` = this delivery's request id), run the job, record SUCCEEDED / FAILED / TIMED_OUT.
 * A duplicate delivery does nothing; Lambda's retry of this same delivery runs the job again.
 * Job errors are recorded, not thrown; only a failure to record (transient) is thrown, so Lambda
 * retries, and in the end the on-failure destination records the job as failed.
 */
export function createAsyncWorker(job: JobDefinition, options: WorkerOptions = {}): AsyncWorkerHandler {
  const now = options.now ?? Date.now;

  return async (event, context) => {
    const jobId = event?.jobId;
    if (!isJobId(jobId)) {
      logger.warn("Ignoring an event without a valid job id");
      return;
    }
    const cfg = config();
    const store = storeFromEnv({ now });
    const opts: TransitionOptions = { now, resultTtlSeconds: cfg.resultTtlSeconds };
    const runId = context.awsRequestId;

    const start = await applyTransition(
      store,
      jobId,
      (current, at) =>
        current.status === "PENDING"
          ? { status: "RUNNING", runId, startedAt: iso(at), deadline: iso(at + (cfg.jobTimeoutSeconds + RUNNING_GRACE_SECONDS) * 1000) }
          : undefined,
      opts,
    );

    let record: JobRecord;
    if (start.applied) {
      record = start.record;
    } else if (start.current && isPastDeadline(start.current, now())) {
      // Too late to run: make the record say what readers already see.
      await applyTransition(store, jobId, () => ({ status: "TIMED_OUT", error: { ...TIMED_OUT_ERROR } }), opts);
      logger.info("Job not run: past its deadline", { jobId, runId });
      return;
    } else if (start.reason === "skipped" && start.current?.status === "RUNNING" && start.current.runId === runId) {
      record = start.current;
      logger.info("Running again: Lambda retried this delivery", { jobId, runId });
    } else {
      logger.info("Duplicate or stale delivery ignored", { jobId, runId, reason: start.reason, status: start.current?.status, runningAs: start.current?.runId });
      return;
    }

    const outcome = await runJob(job, jobId, record.input, budgetMs(cfg.jobTimeoutSeconds, context.getRemainingTimeInMillis(), record.deadline, now()));
    let patch: JobPatch;
    switch (outcome.kind) {
      case "succeeded":
        patch = { status: "SUCCEEDED", ...(await storeResult(jobId, outcome.value)) };
        break;
      case "failed":
        patch = { status: "FAILED", error: outcome.error };
        break;
      case "timedOut":
        patch = { status: "TIMED_OUT", error: { ...TIMED_OUT_ERROR } };
        break;
    }
    await finish(store, jobId, runId, patch, opts);
  };
}

async function finish(store: JobStore, jobId: string, runId: string, patch: JobPatch, opts: TransitionOptions): Promise<void> {
  const done = await applyTransition(store, jobId, (current) => (current.status === "RUNNING" && current.runId === runId ? patch : undefined), opts);
  if (done.applied) logger.info("Job finished", { jobId, runId, status: patch.status });
  else logger.info("Outcome discarded: the job was already finished or cancelled", { jobId, runId, outcome: patch.status, status: done.current?.status });
}
