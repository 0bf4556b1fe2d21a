import { config } from "../shared/config";
import { safeCode } from "../shared/errors";
import { isJobId } from "../shared/ids";
import { logger } from "../shared/logger";
import { TIMED_OUT_ERROR } from "../shared/status";
import { applyTransition, storeFromEnv } from "../shared/store";
import type { JobPatch, Mutation } from "../shared/store";
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

/** The `detail` of a "Step Functions Execution Status Change" event. */
export interface ExecutionStatusChange {
  executionArn?: string;
  stateMachineArn?: string;
  /** The execution's name: the job id. */
  name?: unknown;
  status?: string;
  error?: string | null;
  cause?: string | null;
  input?: string | null;
}

/** An event as EventBridge delivers it to a target (`replay-name` when a replay re-sent it). */
export interface EventBridgeEvent<Detail> {
  version?: string;
  id?: string;
  "detail-type"?: string;
  source?: string;
  account?: string;
  time?: string;
  region?: string;
  resources?: string[];
  detail?: Detail;
  "replay-name"?: string;
}

/**
 * What the failure recorder is given: Lambda's destination record itself (a function
 * destination), or an EventBridge event from the failures bus: that record as `detail`
 * (backend lambda), or a Step Functions execution status change (backend stepfunctions).
 */
export type FailureEvent = FailureDestinationEvent | EventBridgeEvent<FailureDestinationEvent> | EventBridgeEvent<ExecutionStatusChange>;

export type FailureDestinationHandler = (event: FailureEvent) => Promise<{ applied: boolean }>;

// The same strings as components/events/failureEvents.ts (kept literal: the handler bundle imports no components).
const LAMBDA_FAILURE_DETAIL_TYPE = "Lambda Function Invocation Result - Failure";
const EXECUTION_STATUS_CHANGE_DETAIL_TYPE = "Step Functions Execution Status Change";
/** The state machine's Fail state when a record write kept failing (components/workflow/definition.ts). */
export const RECORDING_FAILED = "RecordingFailed";
/** The error the cancel handler stops executions with (lambdas/api/cancel.ts). */
export const CANCELLED_STOP_ERROR = "Cancelled";

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
 * The job's status for an execution that ended without recording one, or `undefined` when there
 * is nothing to record: a run that is still going or succeeded, or a cancel's StopExecution (the
 * cancel recorded CANCELLED before it stopped the execution). Never copies `cause`.
 */
export function executionPatch(change: ExecutionStatusChange): JobPatch | undefined {
  switch (change.status) {
    case "FAILED":
      if (change.error === RECORDING_FAILED) {
        return { status: "FAILED", error: { code: RECORDING_FAILED, message: "The job's outcome could not be recorded." } };
      }
      return { status: "FAILED", error: { code: safeCode(change.error) ?? "ExecutionFailed", message: "The job's workflow failed before it could record an outcome." } };
    case "TIMED_OUT":
      return { status: "TIMED_OUT", error: { ...TIMED_OUT_ERROR } };
    case "ABORTED":
      // Stopped by a cancel: CANCELLED is recorded already. Stopped by anyone else (the console, a
      // script): the job is over, so say so now rather than let it read RUNNING until its deadline.
      if (change.error === CANCELLED_STOP_ERROR) return undefined;
      return { status: "FAILED", error: { code: "ExecutionAborted", message: "The job's workflow was stopped before it could record an outcome." } };
    default:
      return undefined;
  }
}

type Classified =
  | { kind: "destination"; record: FailureDestinationEvent }
  | { kind: "execution"; change: ExecutionStatusChange }
  | { kind: "unknown" };

function classify(event: FailureEvent | null | undefined): Classified {
  if (!event || typeof event !== "object") return { kind: "unknown" };
  const e = event as EventBridgeEvent<unknown> & FailureDestinationEvent;
  if (e.source === "lambda" && e["detail-type"] === LAMBDA_FAILURE_DETAIL_TYPE && e.detail && typeof e.detail === "object") {
    return { kind: "destination", record: e.detail as FailureDestinationEvent };
  }
  if (e.source === "aws.states" && e["detail-type"] === EXECUTION_STATUS_CHANGE_DETAIL_TYPE && e.detail && typeof e.detail === "object") {
    return { kind: "execution", change: e.detail as ExecutionStatusChange };
  }
  if (e.source === undefined && ("requestContext" in e || "requestPayload" in e)) return { kind: "destination", record: e };
  return { kind: "unknown" };
}

/**
 * The failure recorder: a job that ended without a recorded outcome becomes FAILED or TIMED_OUT,
 * through the status rules (a job already finished or cancelled stays so: the first terminal
 * state wins, which is what makes replays safe). It takes
 * - backend lambda: the worker's on-failure destination record (a crash, a timeout, an event too
 *   old to run), directly or as the `detail` of an event on the failures bus;
 * - backend stepfunctions: an execution that ended FAILED (`RecordingFailed` or another error),
 *   TIMED_OUT or ABORTED (not by a cancel), as a Step Functions status-change event.
 * Throws when the write itself fails for another reason than the rules, so that Lambda retries it
 * and in the end sends it to the dead-letter queue (the event also stays in the archive, for a replay).
 */
export function createFailureDestination(options: WorkerOptions = {}): FailureDestinationHandler {
  const now = options.now ?? Date.now;

  return async (event) => {
    const replay = (event as EventBridgeEvent<unknown> | null)?.["replay-name"];
    const found = classify(event);
    let jobId: unknown;
    let patch: JobPatch | undefined;
    let mutate: Mutation;
    let about: Record<string, unknown>;
    if (found.kind === "destination") {
      const record = found.record;
      jobId = record?.requestPayload?.jobId;
      patch = failurePatch(record);
      const failedRun = record.requestContext?.requestId;
      const p = patch;
      // A RUNNING job belongs to the delivery that started it: another delivery's failure is not its outcome.
      mutate = (current) => (current.status === "RUNNING" && current.runId && failedRun && current.runId !== failedRun ? undefined : p);
      about = { source: "lambda", condition: record.requestContext?.condition, errorType: record.responsePayload?.errorType };
    } else if (found.kind === "execution") {
      const change = found.change;
      jobId = change.name;
      patch = executionPatch(change);
      const p = patch;
      mutate = () => p;
      about = { source: "stepfunctions", execution: change.status, error: change.error };
    } else {
      logger.warn("Ignoring an event that is no failure record", { source: (event as EventBridgeEvent<unknown> | null)?.source, detailType: (event as EventBridgeEvent<unknown> | null)?.["detail-type"] });
      return { applied: false };
    }
    if (!isJobId(jobId)) {
      logger.warn("Ignoring a failure record without a valid job id", { ...about, replay });
      return { applied: false };
    }
    if (!patch) {
      logger.info("Nothing to record", { jobId, ...about, replay });
      return { applied: false };
    }
    const cfg = config();
    const outcome = await applyTransition(storeFromEnv({ now }), jobId, mutate, { now, resultTtlSeconds: cfg.resultTtlSeconds });
    logger.info(outcome.applied ? "Recorded a job that ended without an outcome" : "Failure not recorded", {
      jobId,
      ...about,
      status: patch.status,
      code: patch.error?.code,
      replay,
      ...(outcome.applied ? {} : { reason: outcome.reason, current: outcome.current?.status }),
    });
    return { applied: outcome.applied };
  };
}
