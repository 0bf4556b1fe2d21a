/**
 * The skeleton: what each record write means, independent of the store. One transition per
 * record write (MarkRunning and every Record* state), each turned into states by a helper per
 * store (recordStates.ts).
 */
import type { JobRecord, JobStatus } from "../../lambdas/shared/types";
import type { JsonObject } from "./asl";
import { STATE, TIMED_OUT_CODE, timedOutMessage, WORKER_CRASH_MESSAGE, type StateName } from "./constants";

/**
 * Attribute names of the job record the definition writes. `resultSize` is listed on its own until
 * `JobRecord` declares it (the lead is adding `resultSize?: number`); the union then collapses.
 */
type RecordAttribute = keyof JobRecord | "resultSize";

/** A DynamoDB AttributeValue template (static, or with `S.$`/`N.$` paths). */
export type AttributeTemplate = JsonObject;

export interface Transition {
  state: StateName;
  from: "PENDING" | "RUNNING";
  to: Exclude<JobStatus, "PENDING" | "CANCELLED">;
  next: StateName;
  /** Refuse the write at or after the record's deadline (every write but TIMED_OUT). */
  beforeDeadline: boolean;
  /** store dynamodb: attributes set besides status and updatedAt. */
  set: Array<[RecordAttribute, AttributeTemplate]>;
  /** store s3: payload fields besides jobId, transition and at. */
  payload: JsonObject;
}

export const NOW: AttributeTemplate = { "S.$": "$$.State.EnteredTime" };
const RESULT_SIZE: AttributeTemplate = { "N.$": "States.JsonToString($.run.outcome.resultSize)" };
/**
 * The finished job's TTL attribute, from the worker's outcome (its finish + resultTtlMinutes). A
 * timeout or crash caught here has no outcome: its record keeps the expiry of its deadline, which
 * readers tighten to updatedAt + resultTtlMinutes (lambdas/shared/status.ts).
 */
const EXPIRES_AT: AttributeTemplate = { "N.$": "States.JsonToString($.run.outcome.expiresAt)" };

const errorAttribute = (code: AttributeTemplate, message: AttributeTemplate): AttributeTemplate => ({ M: { code, message } });

/** A SUCCEEDED write: the result inline (`result`) or in the bucket (`resultRef`), its size and expiry. */
const succeeded = (state: StateName, resultField: "result" | "resultRef"): Transition => ({
  state,
  from: "RUNNING",
  to: "SUCCEEDED",
  next: STATE.Recorded,
  beforeDeadline: true,
  set: [
    [resultField, { "S.$": `$.run.outcome.${resultField}` }],
    ["resultSize", RESULT_SIZE],
    ["expiresAt", EXPIRES_AT],
  ],
  payload: { "run.$": "$.run.outcome" },
});

export function transitions(jobTimeoutSeconds: number): Transition[] {
  const timedOut = { code: TIMED_OUT_CODE, message: timedOutMessage(jobTimeoutSeconds) };
  return [
    {
      state: STATE.MarkRunning,
      from: "PENDING",
      to: "RUNNING",
      next: STATE.RunJob,
      beforeDeadline: true,
      set: [["startedAt", NOW]],
      payload: {},
    },
    succeeded(STATE.RecordSucceededInline, "result"),
    succeeded(STATE.RecordSucceededRef, "resultRef"),
    {
      state: STATE.RecordFailed,
      from: "RUNNING",
      to: "FAILED",
      next: STATE.Recorded,
      beforeDeadline: true,
      set: [
        ["error", errorAttribute({ "S.$": "$.run.outcome.error.code" }, { "S.$": "$.run.outcome.error.message" })],
        ["expiresAt", EXPIRES_AT],
      ],
      payload: { "run.$": "$.run.outcome" },
    },
    {
      state: STATE.RecordTimedOut,
      from: "RUNNING",
      to: "TIMED_OUT",
      next: STATE.Recorded,
      beforeDeadline: false,
      set: [["error", errorAttribute({ S: timedOut.code }, { S: timedOut.message })]],
      payload: { error: timedOut },
    },
    {
      state: STATE.RecordCrashed,
      from: "RUNNING",
      to: "FAILED",
      next: STATE.Recorded,
      beforeDeadline: true,
      set: [["error", errorAttribute({ "S.$": "$.failure.Error" }, { S: WORKER_CRASH_MESSAGE })]],
      payload: {
        failure: { "Error.$": "$.failure.Error" },
        error: { "code.$": "$.failure.Error", message: WORKER_CRASH_MESSAGE },
      },
    },
  ];
}
