import { config } from "../shared/config";
import { safeCode, safeMessage } from "../shared/errors";
import { isJobId } from "../shared/ids";
import { logger } from "../shared/logger";
import { TIMED_OUT_ERROR, iso } from "../shared/status";
import { applyTransition, storeFromEnv } from "../shared/store";
import type { JobPatch } from "../shared/store";
import type { ErrorInfo } from "../shared/types";
import type { WorkerOptions } from "./asyncWorker";
import type { WorkerOutcome } from "./stepFunctionsWorker";

export interface RecorderEvent {
  jobId: string;
  transition: "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT";
  /**
   * `$$.State.EnteredTime` of the state that asks (ISO 8601 with milliseconds): the time of the
   * write (`updatedAt`, and `startedAt` for RUNNING) and of the deadline check. It does not change
   * between the retries of one state, so a repeat of an applied write is recognised (status is
   * the target and `updatedAt === at`) and answered `applied: true` again. Default: now.
   */
  at?: string;
  /** The worker's answer (SUCCEEDED, FAILED, TIMED_OUT). */
  run?: WorkerOutcome;
  /** A Catch's output when the worker crashed: `{Error, Cause}` (Cause is never recorded). */
  failure?: { Error?: string; Cause?: string };
  /** An explicit error to record (FAILED, TIMED_OUT). */
  error?: ErrorInfo;
}

export type RecorderHandler = (event: RecorderEvent) => Promise<{ applied: boolean }>;

export class InvalidRecorderEvent extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidRecorderEvent";
  }
}

const CRASH_MESSAGE = "The worker stopped before the job finished";

function failureError(event: RecorderEvent): ErrorInfo {
  if (event.error) return { code: safeCode(event.error.code) ?? "Error", message: safeMessage(event.error.message) };
  if (event.run && (event.run.outcome === "FAILED" || event.run.outcome === "TIMED_OUT")) {
    return { code: safeCode(event.run.error?.code) ?? "Error", message: safeMessage(event.run.error?.message) };
  }
  if (event.failure) return { code: safeCode(event.failure.Error) ?? "WorkerFailed", message: CRASH_MESSAGE };
  return { code: "WorkerFailed", message: CRASH_MESSAGE };
}

function patchFor(event: RecorderEvent, at: number): JobPatch {
  switch (event.transition) {
    case "RUNNING":
      // The deadline stays the one submit wrote (as the DynamoDB path of the state machine does).
      return { status: "RUNNING", startedAt: iso(at) };
    case "SUCCEEDED": {
      const run = event.run;
      if (!run || run.outcome !== "SUCCEEDED") throw new InvalidRecorderEvent("SUCCEEDED needs the worker's SUCCEEDED outcome in `run`");
      const patch: JobPatch = { status: "SUCCEEDED", resultSize: run.resultSize };
      if (run.resultRef !== undefined) patch.resultRef = run.resultRef;
      else patch.result = run.result ?? "null";
      return patch;
    }
    case "FAILED":
      // A Step Functions timeout caught as a failure is a timeout.
      if (event.failure?.Error === "States.Timeout") return { status: "TIMED_OUT", error: { ...TIMED_OUT_ERROR } };
      return { status: "FAILED", error: failureError(event) };
    case "TIMED_OUT":
      return { status: "TIMED_OUT", error: event.error || event.run ? failureError(event) : { ...TIMED_OUT_ERROR } };
    default:
      throw new InvalidRecorderEvent(`Unknown transition ${JSON.stringify((event as { transition?: unknown }).transition)}`);
  }
}

/**
 * Records a state machine step through the status rules (store `s3`, where the state machine
 * cannot write conditionally itself; it works with DynamoDB too). Answers `{applied}`: false when
 * the rules refused (cancelled, already finished, past deadline) or the job is gone.
 */
export function createRecorder(options: WorkerOptions = {}): RecorderHandler {
  const now = options.now ?? Date.now;

  return async (event) => {
    if (!isJobId(event?.jobId)) {
      logger.warn("Ignoring an event without a valid job id");
      return { applied: false };
    }
    const cfg = config();
    const enteredAt = typeof event.at === "string" ? Date.parse(event.at) : NaN;
    const at = Number.isFinite(enteredAt) ? enteredAt : now();
    const updatedAt = Number.isFinite(enteredAt) ? (event.at as string) : iso(at);
    const target = patchFor(event, at);
    let repeated = false;
    const outcome = await applyTransition(
      storeFromEnv({ now }),
      event.jobId,
      (current) => {
        if (current.status === target.status && current.updatedAt === updatedAt) {
          repeated = true; // this very write was applied before: a retry of the same state
          return undefined;
        }
        return { ...target, updatedAt };
      },
      { now: () => at, resultTtlSeconds: cfg.resultTtlSeconds },
    );
    const applied = outcome.applied || repeated;
    logger.info(applied ? "Recorded" : "Not recorded", {
      jobId: event.jobId,
      transition: event.transition,
      ...(outcome.applied ? {} : { repeated, reason: outcome.reason, status: outcome.current?.status }),
    });
    return { applied };
  };
}
