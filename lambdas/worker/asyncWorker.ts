import type { Context } from "aws-lambda";
import type { JobDefinition } from "../jobs/types";
import { config } from "../shared/config";
import { workerTimeoutSeconds } from "../shared/env";
import { isJobId } from "../shared/ids";
import { logger } from "../shared/logger";
import { storeResult } from "../shared/results";
import { RUNNING_GRACE_SECONDS, TIMED_OUT_ERROR, isPastDeadline, iso } from "../shared/status";
import { applyTransition, storeFromEnv } from "../shared/store";
import type { JobPatch, JobStore, TransitionOptions } from "../shared/store";
import type { JobRecord } from "../shared/types";
import { createProgressReporter } from "../shared/progress";
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
  const deliver = createDelivery(job, options);
  return async (event, context) => {
    const jobId = event?.jobId;
    if (!isJobId(jobId)) {
      logger.warn("Ignoring an event without a valid job id");
      return;
    }
    await deliver(jobId, context.awsRequestId, context);
  };
}

/** The invocation context a delivery needs. */
export type DeliveryContext = Pick<Context, "getRemainingTimeInMillis">;

/**
 * One delivery of a job to a Lambda worker (backends `lambda` and `stream`): PENDING → RUNNING with
 * `runId`, run the job, record the outcome. `runId` names the delivery, and stays the same when
 * Lambda retries it (the async invoke's request id; the stream record's event id): a retry of the
 * delivery that started the job runs it again, any other delivery of a started job is ignored.
 */
export function createDelivery(job: JobDefinition, options: WorkerOptions = {}) {
  const now = options.now ?? Date.now;

  return async (jobId: string, runId: string, context: DeliveryContext): Promise<void> => {
    const cfg = config();
    const store = storeFromEnv({ now });
    const opts: TransitionOptions = { now, resultTtlSeconds: cfg.resultTtlSeconds };

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
    let retried = false;
    if (start.applied) {
      record = start.record;
    } else if (start.current && isPastDeadline(start.current, now())) {
      // Too late to run: make the record say what readers already see.
      await applyTransition(store, jobId, () => ({ status: "TIMED_OUT", error: { ...TIMED_OUT_ERROR } }), opts);
      logger.info("Job not run: past its deadline", { jobId, runId });
      return;
    } else if (start.reason === "skipped" && start.current?.status === "RUNNING" && start.current.runId === runId) {
      record = start.current;
      retried = true;
      logger.info("Running again: Lambda retried this delivery", { jobId, runId });
    } else {
      logger.info("Duplicate or stale delivery ignored", { jobId, runId, reason: start.reason, status: start.current?.status, runningAs: start.current?.runId });
      return;
    }

    const budget = budgetMs(cfg.jobTimeoutSeconds, context.getRemainingTimeInMillis(), record.deadline, now(), record.startedAt);
    if (retried && budget <= 0) {
      // The previous attempt of this delivery ended without recording anything, and the job's time
      // is spent. Lambda kills a hung worker only at the function's timeout: if that moment has not
      // come yet, the previous attempt must have crashed (exit, out of memory).
      const killedAt = Date.parse(record.startedAt ?? record.createdAt) + workerTimeoutSeconds(cfg.jobTimeoutSeconds) * 1000;
      const patch: JobPatch = now() >= killedAt ? { status: "TIMED_OUT", error: { ...TIMED_OUT_ERROR } } : { status: "FAILED", error: { ...WORKER_CRASHED_ERROR } };
      await finish(store, jobId, runId, patch, opts, context);
      return;
    }
    const reporter = createProgressReporter({ store, jobId, now });
    const outcome = await runJob(job, jobId, record.input, budget, reporter.report);
    await reporter.flush();
    let patch: JobPatch;
    switch (outcome.kind) {
      case "succeeded":
        patch = { status: "SUCCEEDED", ...(await storeResult(jobId, outcome.value, Buffer.byteLength(record.input ?? "", "utf8"))) };
        break;
      case "failed":
        patch = { status: "FAILED", error: outcome.error };
        break;
      case "timedOut":
        patch = { status: "TIMED_OUT", error: { ...TIMED_OUT_ERROR } };
        break;
    }
    await finish(store, jobId, runId, patch, opts, context);
  };
}

export const WORKER_CRASHED_ERROR = { code: "WorkerCrashed", message: "The worker stopped before the job finished (it crashed or ran out of memory)." };

/** Delays between attempts to record an outcome when the store fails (beyond the SDK's own retries). */
const RECORD_RETRY_DELAYS_MS = [250, 500, 1000, 2000];

/**
 * Records the outcome. A store that fails for a moment is retried here, with backoff and within the
 * invocation's remaining time, so a computed result is not thrown away: a throw makes Lambda retry
 * the whole delivery, which runs the job again.
 */
async function finish(
  store: JobStore,
  jobId: string,
  runId: string,
  patch: JobPatch,
  opts: TransitionOptions,
  context: Pick<Context, "getRemainingTimeInMillis">,
): Promise<void> {
  const apply = () => applyTransition(store, jobId, (current) => (current.status === "RUNNING" && current.runId === runId ? patch : undefined), opts);
  let done: Awaited<ReturnType<typeof apply>> | undefined;
  for (let attempt = 0; done === undefined; attempt++) {
    try {
      done = await apply();
    } catch (err) {
      const delay = RECORD_RETRY_DELAYS_MS[attempt];
      if (delay === undefined || context.getRemainingTimeInMillis() < delay + 2000) throw err;
      logger.warn("Could not record the outcome yet; retrying", { jobId, runId, attempt: attempt + 1, error: (err as Error).name });
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  if (done.applied) logger.info("Job finished", { jobId, runId, status: patch.status });
  else logger.info("Outcome discarded: the job was already finished or cancelled", { jobId, runId, outcome: patch.status, status: done.current?.status });
}
