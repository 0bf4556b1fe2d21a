import type { Context } from "aws-lambda";
import type { JobDefinition } from "../jobs/types";
import { config } from "../shared/config";
import { isJobId } from "../shared/ids";
import { logger } from "../shared/logger";
import { storeResult } from "../shared/results";
import { TIMED_OUT_ERROR, expiryAfter, view } from "../shared/status";
import { storeFromEnv } from "../shared/store";
import type { ErrorInfo } from "../shared/types";
import { createProgressReporter } from "../shared/progress";
import { budgetMs, runJob } from "./run";
import type { WorkerOptions } from "./asyncWorker";

export interface StepFunctionsWorkerEvent {
  jobId: string;
}

/**
 * What the worker answers the state machine; the state machine records it (see recorder.ts).
 * `expiresAt` (epoch seconds) is when the finished job stops being readable: its finish plus
 * `resultTtlMinutes`, which a state machine cannot compute itself (no clock arithmetic in ASL).
 */
export type WorkerOutcome =
  | { outcome: "SUCCEEDED"; result?: string; resultRef?: string; resultSize: number; expiresAt?: number }
  | { outcome: "FAILED"; error: ErrorInfo; expiresAt?: number }
  | { outcome: "TIMED_OUT"; error: ErrorInfo; expiresAt?: number }
  | { outcome: "DISCARDED" };

export type StepFunctionsWorkerHandler = (event: StepFunctionsWorkerEvent, context?: Pick<Context, "getRemainingTimeInMillis">) => Promise<WorkerOutcome>;

/**
 * The worker of backend `stepfunctions`: reads the job (its input), runs it if it is RUNNING, and
 * answers the outcome. It never writes the status: the state machine does, after it returns.
 * A large result is offloaded to the results bucket first (`resultRef`), as `results.ts` does,
 * so the answer stays far below the 256 KiB state payload limit.
 */
export function createStepFunctionsWorker(job: JobDefinition, options: WorkerOptions = {}): StepFunctionsWorkerHandler {
  const now = options.now ?? Date.now;

  return async (event, context) => {
    const jobId = event?.jobId;
    if (!isJobId(jobId)) {
      logger.warn("Ignoring an event without a valid job id");
      return { outcome: "DISCARDED" };
    }
    const cfg = config();
    const record = await storeFromEnv({ now }).getJob(jobId);
    const seen = view(record, now());
    if (!record || seen?.status !== "RUNNING") {
      logger.info("Job not run: it is not RUNNING", { jobId, status: seen?.status });
      return { outcome: "DISCARDED" };
    }
    const reporter = createProgressReporter({ store: storeFromEnv({ now }), jobId, now });
    const outcome = await runJob(job, jobId, record.input, budgetMs(cfg.jobTimeoutSeconds, context?.getRemainingTimeInMillis(), record.deadline, now()), reporter.report);
    await reporter.flush();
    switch (outcome.kind) {
      case "succeeded": {
        const stored = await storeResult(jobId, outcome.value, Buffer.byteLength(record.input ?? "", "utf8"));
        return { outcome: "SUCCEEDED", ...stored, expiresAt: expiryAfter(now(), cfg.resultTtlSeconds) };
      }
      case "failed":
        return { outcome: "FAILED", error: outcome.error, expiresAt: expiryAfter(now(), cfg.resultTtlSeconds) };
      case "timedOut":
        return { outcome: "TIMED_OUT", error: { ...TIMED_OUT_ERROR }, expiresAt: expiryAfter(now(), cfg.resultTtlSeconds) };
    }
  };
}
