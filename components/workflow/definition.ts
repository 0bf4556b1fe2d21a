/**
 * The Step Functions definition (Amazon States Language, JSONPath) of the state machine that runs
 * one job: a pure function of plain strings and numbers, so it can be tested, validated and
 * executed locally without Pulumi.
 *
 * Execution input: `{"jobId": "<id>"}` (the execution name is the job id too). The submit side has
 * already written the PENDING record (with `deadline` and `expiresAt`) before StartExecution.
 *
 *   MarkRunning ──▶ RunJob ──▶ CheckOutcome ──▶ RecordSucceededInline ─┐
 *        │           │  │            ├───────▶ RecordSucceededRef ────┤
 *        │           │  │            ├───────▶ RecordFailed ──────────┼──▶ end (store s3: ──▶ Recorded)
 *        │           │  │            ├───────▶ Discarded              │
 *        │           │  │            └───────▶ InvalidOutcome ─┐      │
 *        │           │  └─ States.Timeout ──▶ RecordTimedOut ──┼──────┤
 *        │           └──── States.HeartbeatTimeout, States.ALL ──▶ RecordCrashed ◀──┘──────┘
 *        └─ not applied (cancelled / finished / past deadline) ──▶ Discarded
 *   MarkRunning and every Record* state: not applied ──▶ Discarded; failing after retries ──▶ RecordingFailed
 *
 * One skeleton serves both stores: `TRANSITIONS` says what each record write means, and one
 * helper per store turns a transition into states. With `dynamodb` a write is a direct
 * `dynamodb:updateItem` whose ConditionExpression encodes the status rules, and a rejected
 * condition is caught; with `s3` it is an invoke of the recorder Lambda, which answers
 * `{"applied": boolean}`, followed by a Choice `<State>Applied`.
 *
 * Status rules encoded here (the same as `mayWrite` in lambdas/shared/status.ts):
 * - MarkRunning only from PENDING, terminal writes only from RUNNING: the first terminal state
 *   (a cancel, a timeout) wins and is never overwritten.
 * - No write but TIMED_OUT once the record's `deadline` has passed (readers already see
 *   TIMED_OUT then). ISO times with milliseconds compare as text, so `#deadline > :now` works.
 * - Each write is idempotent under Step Functions retries: `$$.State.EnteredTime` does not change
 *   between the attempts of one state, so a retry after an ambiguous failure (the write was
 *   applied, the answer was lost) finds `status = <target> AND updatedAt = :now` and succeeds
 *   again instead of being mistaken for a lost race.
 * - Only error *names* ever reach a record: a Lambda failure's `Cause` (messages, stack traces,
 *   ARNs) is never read.
 */
import { FARGATE_START_SECONDS } from "../../lambdas/shared/env";
import type { AslDefinition, AslState } from "./asl";
import { checkArgs } from "./checkArgs";
import { EXECUTION_TIMEOUT_MARGIN_SECONDS, EXPRESS_MAX_SECONDS, MAX_FARGATE_JOB_TIMEOUT_SECONDS, RECORDING_FAILED_CAUSE, RECORDING_FAILED_ERROR, STATE } from "./constants";
import { dynamoDbRecordStates, recorderRecordStates, referenced } from "./recordStates";
import { runJobStates } from "./runJob";
import { transitions, type Transition } from "./transitions";
import type { StateMachineDefinitionArgs } from "./types";

// The definition's parts, each in a file of its own: asl.ts (the ASL shapes), types.ts (its
// arguments and payloads), constants.ts, transitions.ts (the skeleton), recordStates.ts (a
// transition's states per store), runJob.ts (RunJob, CheckOutcome) and checkArgs.ts. What they
// export to other modules is importable from here, as it always was.
export type {
  AslCatcher,
  AslChoiceRule,
  AslChoiceState,
  AslDefinition,
  AslFailState,
  AslPassState,
  AslRetrier,
  AslState,
  AslSucceedState,
  AslTaskState,
  JsonObject,
  JsonPrimitive,
  JsonValue,
} from "./asl";
export type { FargateTaskArgs, RecorderPayload, RecorderResult, RecorderTransition, StateMachineDefinitionArgs, WorkerOutcome, WorkerRetry } from "./types";
export * from "./constants";

export function buildStateMachineDefinition(args: StateMachineDefinitionArgs): AslDefinition {
  const { workerRetry } = checkArgs(args);
  const recordStates = (t: Transition): Record<string, AslState> =>
    args.store === "dynamodb" ? dynamoDbRecordStates(t, args.tableName!) : recorderRecordStates(t, args.recorderFunctionArn!);
  const steps = runJobStates(args, workerRetry);

  const states: Record<string, AslState> = {};
  const all = transitions(args.jobTimeoutSeconds);
  Object.assign(states, recordStates(all[0]), steps);
  for (const t of all.slice(1)) Object.assign(states, recordStates(t));
  // store s3 ends through its `applied` Choices, which need a state to go to (a Choice cannot end).
  if (referenced(states, STATE.Recorded)) states[STATE.Recorded] = { Type: "Succeed", Comment: "The job's outcome is in its record" };
  Object.assign(states, {
    [STATE.Discarded]: {
      Type: "Succeed",
      Comment: "The record had moved on (cancelled, already finished, or past its deadline): nothing written",
    },
    [STATE.RecordingFailed]: { Type: "Fail", Error: RECORDING_FAILED_ERROR, Cause: RECORDING_FAILED_CAUSE },
  } satisfies Record<string, AslState>);

  const timeoutSeconds =
    args.workflowType === "EXPRESS"
      ? Math.min(args.jobTimeoutSeconds + EXECUTION_TIMEOUT_MARGIN_SECONDS, EXPRESS_MAX_SECONDS)
      : Math.min(args.jobTimeoutSeconds + (args.fargateTask ? FARGATE_START_SECONDS : 0) + EXECUTION_TIMEOUT_MARGIN_SECONDS, MAX_FARGATE_JOB_TIMEOUT_SECONDS);

  return {
    Comment:
      `async-api: runs one job (store ${args.store}, ${args.workflowType}): marks it RUNNING, invokes the worker ` +
      `(at most ${args.jobTimeoutSeconds} s), records its outcome unless the job was cancelled or finished first`,
    StartAt: STATE.MarkRunning,
    TimeoutSeconds: timeoutSeconds,
    States: states,
  };
}
