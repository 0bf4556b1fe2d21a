import { config } from "../shared/config";
import { safeCode } from "../shared/errors";
import { isJobId } from "../shared/ids";
import { logger } from "../shared/logger";
import { TIMED_OUT_ERROR } from "../shared/status";
import { applyTransition, storeFromEnv } from "../shared/store";
import type { JobPatch } from "../shared/store";
import type { WorkerOptions } from "./asyncWorker";

/** The record Lambda sends an async invocation's on-failure destination. */
export interface FailureDestinationEvent {
  version?: string;
  timestamp?: string;
  requestContext?: {
    requestId?: string;
    functionArn?: string;
    condition?: "RetriesExhausted" | "EventAgeExceeded" | string;
    approximateInvokeCount?: number;
  };
  requestPayload?: { jobId?: unknown } | null;
  responseContext?: { statusCode?: number; executedVersion?: string; functionError?: string };
  responsePayload?: { errorType?: string; errorMessage?: string; trace?: string[] } | null;
}

export type FailureDestinationHandler = (event: FailureDestinationEvent) => Promise<{ applied: boolean }>;

/** The job's status for a failed delivery. Never copies `errorMessage` (it may hold ARNs, request ids). */
export function failurePatch(event: FailureDestinationEvent): JobPatch {
  const errorType = event.responsePayload?.errorType;
  const errorMessage = event.responsePayload?.errorMessage;
  if (errorType === "Sandbox.Timedout" || (typeof errorMessage === "string" && /Task timed out/i.test(errorMessage))) {
    return { status: "TIMED_OUT", error: { ...TIMED_OUT_ERROR } };
  }
  if (event.requestContext?.condition === "EventAgeExceeded") {
    return { status: "FAILED", error: { code: "EventAgeExceeded", message: "The job was not started before its delivery expired." } };
  }
  return { status: "FAILED", error: { code: safeCode(errorType) ?? "WorkerFailed", message: "The job's worker failed before it could record an outcome." } };
}

/**
 * The worker's on-failure destination (backend `lambda`): a crashed, timed-out or never-run
 * delivery becomes FAILED or TIMED_OUT, through the status rules (a job already finished or
 * cancelled stays so). Throws when the write itself fails, so Lambda retries or dead-letters it.
 */
export function createFailureDestination(options: WorkerOptions = {}): FailureDestinationHandler {
  const now = options.now ?? Date.now;

  return async (event) => {
    const jobId = event?.requestPayload?.jobId;
    if (!isJobId(jobId)) {
      logger.warn("Ignoring a failure record without a valid job id", { condition: event?.requestContext?.condition });
      return { applied: false };
    }
    const failedRun = event.requestContext?.requestId;
    const patch = failurePatch(event);
    const cfg = config();
    const outcome = await applyTransition(
      storeFromEnv({ now }),
      jobId,
      // A RUNNING job belongs to the delivery that started it: another delivery's failure is not its outcome.
      (current) => (current.status === "RUNNING" && current.runId && failedRun && current.runId !== failedRun ? undefined : patch),
      { now, resultTtlSeconds: cfg.resultTtlSeconds },
    );
    logger.info(outcome.applied ? "Recorded a failed delivery" : "Failed delivery not recorded", {
      jobId,
      condition: event.requestContext?.condition,
      errorType: event.responsePayload?.errorType,
      status: patch.status,
      ...(outcome.applied ? {} : { reason: outcome.reason, current: outcome.current?.status }),
    });
    return { applied: outcome.applied };
  };
}
