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
import { ENV, FARGATE_START_SECONDS, workerTimeoutSeconds } from "../../lambdas/shared/env";
import type { JobRecord, JobStatus } from "../../lambdas/shared/types";

// ---------------------------------------------------------------------------------------------
// Types

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface AslRetrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: "FULL" | "NONE";
}

export interface AslCatcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
}

export interface AslTaskState {
  Type: "Task";
  Comment?: string;
  Resource: string;
  Parameters?: JsonObject;
  ResultSelector?: JsonObject;
  ResultPath?: string | null;
  TimeoutSeconds?: number;
  HeartbeatSeconds?: number;
  Retry?: AslRetrier[];
  Catch?: AslCatcher[];
  /** The next state, or `End: true` for the last (a Task may end the execution). */
  Next?: string;
  End?: true;
}

export type AslChoiceRule = JsonObject;

export interface AslChoiceState {
  Type: "Choice";
  Comment?: string;
  Choices: Array<AslChoiceRule & { Next: string }>;
  Default: string;
}

export interface AslPassState {
  Type: "Pass";
  Comment?: string;
  Result?: JsonValue;
  ResultPath?: string | null;
  Next: string;
}

export interface AslSucceedState {
  Type: "Succeed";
  Comment?: string;
}

export interface AslFailState {
  Type: "Fail";
  Comment?: string;
  Error: string;
  Cause: string;
}

export type AslState = AslTaskState | AslChoiceState | AslPassState | AslSucceedState | AslFailState;

/** A state machine definition as `aws.sfn.StateMachine` takes it (after `JSON.stringify`). */
export interface AslDefinition {
  Comment: string;
  StartAt: string;
  TimeoutSeconds: number;
  States: Record<string, AslState>;
}

export interface WorkerRetry {
  maxAttempts: number;
  intervalSeconds: number;
  backoffRate: number;
}

/** `worker=fargate`: the ECS task that runs the job (`arn:aws:states:::ecs:runTask.waitForTaskToken`). */
export interface FargateTaskArgs {
  /** Cluster ARN (or name). */
  cluster: string;
  /** Task definition family (its latest ACTIVE revision runs) or ARN. */
  taskDefinition: string;
  /** The container that gets the job id and the task token as environment overrides. */
  containerName: string;
  subnets: string[];
  securityGroups: string[];
  /** Public subnets (the default VPC's) need a public IP to reach ECR and the AWS APIs. */
  assignPublicIp: boolean;
  /** A task that sends no heartbeat for this long is dead: `States.HeartbeatTimeout`. */
  heartbeatSeconds: number;
}

export interface StateMachineDefinitionArgs {
  store: "dynamodb" | "s3";
  /** The worker Lambda (runs the job). Invoked request-response with payload {"jobId.$": "$.jobId"}. */
  workerFunctionArn?: string;
  /** Instead of `workerFunctionArn`: run the job as an ECS Fargate task (STANDARD workflows only). */
  fargateTask?: FargateTaskArgs;
  /** store dynamodb: the jobs table; records are written with direct `arn:aws:states:::dynamodb:updateItem` integrations. */
  tableName?: string;
  /** store s3: the recorder Lambda that writes records (S3 has no conditional update in Step Functions' SDK integrations). */
  recorderFunctionArn?: string;
  /**
   * Seconds the job may run. RunJob's TimeoutSeconds is the worker function's timeout (this plus its
   * margin) plus `RUN_JOB_MARGIN_SECONDS`; on Fargate, this plus the task's start-up.
   */
  jobTimeoutSeconds: number;
  workflowType: "STANDARD" | "EXPRESS";
  /** Retries of the worker invoke on transient Lambda errors. @default {maxAttempts: 3, intervalSeconds: 2, backoffRate: 2} */
  workerRetry?: WorkerRetry;
}

/**
 * What the worker Lambda returns (its Payload). Job errors are returned, never thrown. `expiresAt`
 * (epoch seconds) is the finished job's expiry, its finish + resultTtlMinutes: a state machine has
 * no clock arithmetic, so the worker computes it and the record write sets it.
 */
export type WorkerOutcome =
  | { outcome: "SUCCEEDED"; result?: string; resultRef?: string; resultSize: number; expiresAt?: number }
  | { outcome: "FAILED"; error: { code: string; message: string }; expiresAt?: number }
  /** The worker stopped the job at its time limit before Step Functions' own timeout fired. */
  | { outcome: "TIMED_OUT"; error: { code: string; message: string }; expiresAt?: number }
  | { outcome: "DISCARDED" };

/** The transitions the state machine asks the recorder (store s3) to make. */
export type RecorderTransition = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT";

/**
 * The payload the state machine sends the recorder Lambda (store s3). The recorder applies the
 * same rules as the DynamoDB conditions: RUNNING only from PENDING; the others only from RUNNING;
 * nothing but TIMED_OUT at or after `deadline` (compared with `at`); and a repeat of a write it
 * already applied (`status` is the target and `updatedAt === at`) answers `applied: true` again.
 */
export interface RecorderPayload {
  jobId: string;
  transition: RecorderTransition;
  /** `$$.State.EnteredTime` (ISO 8601 with milliseconds): `updatedAt` (and `startedAt` for RUNNING). */
  at: string;
  /** SUCCEEDED and job FAILED: the worker's outcome. */
  run?: WorkerOutcome;
  /** A worker crash: only the error name, never its Cause. */
  failure?: { Error: string };
  /** FAILED by a crash or an invalid worker outcome, and TIMED_OUT: the record's `error`, as is. */
  error?: { code: string; message: string };
}

/** What the recorder Lambda returns. */
export interface RecorderResult {
  applied: boolean;
}

// ---------------------------------------------------------------------------------------------
// Names and constants

export const STATE = {
  MarkRunning: "MarkRunning",
  RunJob: "RunJob",
  CheckOutcome: "CheckOutcome",
  InvalidOutcome: "InvalidOutcome",
  RecordSucceededInline: "RecordSucceededInline",
  RecordSucceededRef: "RecordSucceededRef",
  RecordFailed: "RecordFailed",
  RecordTimedOut: "RecordTimedOut",
  RecordCrashed: "RecordCrashed",
  Recorded: "Recorded",
  Discarded: "Discarded",
  RecordingFailed: "RecordingFailed",
} as const;
export type StateName = (typeof STATE)[keyof typeof STATE];

/** Store s3: the Choice that follows a recorder invoke. */
export const appliedChoiceName = (recordState: string): string => `${recordState}Applied`;

export const DYNAMODB_UPDATE_ITEM = "arn:aws:states:::dynamodb:updateItem";
export const LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke";

export const DEFAULT_WORKER_RETRY: Readonly<WorkerRetry> = { maxAttempts: 3, intervalSeconds: 2, backoffRate: 2 };

/** Execution-level backstop beyond the job timeout (STANDARD; EXPRESS is capped at 300 s). */
export const EXECUTION_TIMEOUT_MARGIN_SECONDS = 300;
export const EXPRESS_MAX_SECONDS = 300;
/**
 * RunJob (Lambda worker) gives up this long before the worker function's own timeout. That timeout
 * holds a margin past the job's time (a cold start, reading the record, storing a large result),
 * which RunJob now allows too; and a worker that hangs past it ends as States.Timeout (TIMED_OUT)
 * here, one second before Lambda would kill it, which Step Functions reports as Lambda.Unknown, the
 * same error as a crash (AWS, "Handle Lambda service exceptions").
 */
export const RUN_JOB_MARGIN_SECONDS = -1;
/** RunJob's TimeoutSeconds for a Lambda worker: the worker function's timeout less a second. */
export const runJobTimeoutSeconds = (jobTimeoutSeconds: number): number => workerTimeoutSeconds(jobTimeoutSeconds) + RUN_JOB_MARGIN_SECONDS;
/**
 * EXPRESS: what MarkRunning and the write of the outcome may take, retries included (WRITE_RETRY
 * waits at most 1 + 2 + 4 + 8 s before its last attempt, each). An Express execution that hits its
 * 5 minutes before the outcome is written leaves the job RUNNING and loses a late result.
 */
export const EXPRESS_RECORDING_SECONDS = 45;
/**
 * The longest job an EXPRESS workflow runs: RunJob's timeout for it plus EXPRESS_RECORDING_SECONDS
 * fit in the 300 s (249 + 45 = 294).
 */
export const MAX_EXPRESS_JOB_TIMEOUT_SECONDS = 240;
export const MAX_JOB_TIMEOUT_SECONDS = 900;
/** A Fargate job may run up to a year, the longest a STANDARD execution lives. */
export const MAX_FARGATE_JOB_TIMEOUT_SECONDS = 31536000;
/** What RunJob leaves of a year-long execution for recording a timed-out job. */
export const FARGATE_RECORDING_SECONDS = 60;
/**
 * RunJob's TimeoutSeconds on `worker=fargate`: the job's time plus the task's start-up, but never
 * past the year-long execution less the time to record the outcome. Near a year, the last minutes
 * go to the start-up and the recording: RunJob ends before the execution does, so the job is
 * recorded TIMED_OUT rather than left to the failure recorder ("Task workflow state": TimeoutSeconds).
 */
export const fargateRunJobTimeoutSeconds = (jobTimeoutSeconds: number): number =>
  Math.min(jobTimeoutSeconds + FARGATE_START_SECONDS, MAX_FARGATE_JOB_TIMEOUT_SECONDS - FARGATE_RECORDING_SECONDS);
export const ECS_RUN_TASK_WAIT_FOR_TOKEN = "arn:aws:states:::ecs:runTask.waitForTaskToken";
export { FARGATE_START_SECONDS };

/** ECS errors worth retrying when starting the task (throttling, capacity, server side). */
export const ECS_TRANSIENT_ERRORS: readonly string[] = [
  // RunTask answered with `failures` (e.g. Fargate capacity): the callback pattern's error for it.
  "AmazonECS.Unknown",
  "ECS.AmazonECSException",
  "ECS.ServerException",
  "ECS.ThrottlingException",
  "ECS.LimitExceededException",
];

/** The Lambda service errors Step Functions recommends retrying (the function did not run, or may run again safely). */
export const LAMBDA_TRANSIENT_ERRORS: readonly string[] = [
  "Lambda.ClientExecutionTimeoutException",
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
  "Lambda.TooManyRequestsException",
];

/**
 * DynamoDB errors worth retrying (throttling, server side). Never `States.TaskFailed` or
 * `States.ALL`: Retry is evaluated before Catch, so those would retry a rejected condition.
 */
export const DYNAMODB_TRANSIENT_ERRORS: readonly string[] = [
  "DynamoDB.ProvisionedThroughputExceededException",
  "DynamoDB.RequestLimitExceeded",
  "DynamoDB.RequestLimitExceededException",
  "DynamoDB.ThrottlingException",
  "DynamoDB.InternalServerErrorException",
  "DynamoDB.InternalServerError",
  "DynamoDB.ServiceUnavailableException",
  "DynamoDB.TransactionConflictException",
];

export const CONDITION_FAILED_ERROR = "DynamoDB.ConditionalCheckFailedException";

/** Retries of every record write (both stores). */
/** The recorder's error for a request it can never apply (not worth a retry). */
export const INVALID_RECORDER_EVENT = "InvalidRecorderEvent";

export const WRITE_RETRY: Readonly<WorkerRetry> = { maxAttempts: 4, intervalSeconds: 1, backoffRate: 2 };

/** The `error.message` of a job whose worker stopped (crashed, was killed, threw past the wrapper). */
export const WORKER_CRASH_MESSAGE = "The worker stopped before the job finished";
/** `error.code` of a job whose worker answered something that is not a `WorkerOutcome`. */
export const INVALID_OUTCOME_ERROR = "InvalidWorkerOutput";
export const TIMED_OUT_CODE = "TimedOut";
export const timedOutMessage = (seconds: number): string => `The job did not finish within ${seconds} second${seconds === 1 ? "" : "s"}`;

/** The Fail state's error: an execution that ends with it needs attention (a later issue routes it to a dead-letter target). */
export const RECORDING_FAILED_ERROR = "RecordingFailed";
export const RECORDING_FAILED_CAUSE = "The job record could not be written";

// ---------------------------------------------------------------------------------------------
// The skeleton: what each record write means, independent of the store

/**
 * Attribute names of the job record the definition writes. `resultSize` is listed on its own until
 * `JobRecord` declares it (the lead is adding `resultSize?: number`); the union then collapses.
 */
type RecordAttribute = keyof JobRecord | "resultSize";

/** A DynamoDB AttributeValue template (static, or with `S.$`/`N.$` paths). */
type AttributeTemplate = JsonObject;

interface Transition {
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

const NOW: AttributeTemplate = { "S.$": "$$.State.EnteredTime" };
const RESULT_SIZE: AttributeTemplate = { "N.$": "States.JsonToString($.run.outcome.resultSize)" };
/**
 * The finished job's TTL attribute, from the worker's outcome (its finish + resultTtlMinutes). A
 * timeout or crash caught here has no outcome: its record keeps the expiry of its deadline, which
 * readers tighten to updatedAt + resultTtlMinutes (lambdas/shared/status.ts).
 */
const EXPIRES_AT: AttributeTemplate = { "N.$": "States.JsonToString($.run.outcome.expiresAt)" };

const errorAttribute = (code: AttributeTemplate, message: AttributeTemplate): AttributeTemplate => ({ M: { code, message } });

function transitions(jobTimeoutSeconds: number): Transition[] {
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
    {
      state: STATE.RecordSucceededInline,
      from: "RUNNING",
      to: "SUCCEEDED",
      next: STATE.Recorded,
      beforeDeadline: true,
      set: [
        ["result", { "S.$": "$.run.outcome.result" }],
        ["resultSize", RESULT_SIZE],
        ["expiresAt", EXPIRES_AT],
      ],
      payload: { "run.$": "$.run.outcome" },
    },
    {
      state: STATE.RecordSucceededRef,
      from: "RUNNING",
      to: "SUCCEEDED",
      next: STATE.Recorded,
      beforeDeadline: true,
      set: [
        ["resultRef", { "S.$": "$.run.outcome.resultRef" }],
        ["resultSize", RESULT_SIZE],
        ["expiresAt", EXPIRES_AT],
      ],
      payload: { "run.$": "$.run.outcome" },
    },
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

// ---------------------------------------------------------------------------------------------
// One helper per store: a transition → its states

const retrier = (errors: readonly string[], r: Readonly<WorkerRetry>): AslRetrier => ({
  ErrorEquals: [...errors],
  IntervalSeconds: r.intervalSeconds,
  MaxAttempts: r.maxAttempts,
  BackoffRate: r.backoffRate,
  JitterStrategy: "FULL",
});

const valueName = (status: JobStatus): string => `:${status.toLowerCase().replace(/_(\w)/g, (_, c: string) => c.toUpperCase())}`;

/** store dynamodb: one `updateItem` Task; a rejected condition is caught and goes to Discarded. */
function dynamoDbRecordStates(t: Transition, tableName: string): Record<string, AslState> {
  const names: JsonObject = { "#status": "status", "#updatedAt": "updatedAt", "#version": "version" };
  const values: JsonObject = { [valueName(t.from)]: { S: t.from }, [valueName(t.to)]: { S: t.to }, ":now": NOW, ":one": { N: "1" } };
  const sets = ["#status = " + valueName(t.to), "#updatedAt = :now"];
  for (const [attribute, template] of t.set) {
    names[`#${attribute}`] = attribute;
    if (template === NOW) {
      sets.push(`#${attribute} = :now`);
    } else {
      values[`:${attribute}`] = template;
      sets.push(`#${attribute} = :${attribute}`);
    }
  }
  let allowed = `#status = ${valueName(t.from)}`;
  if (t.beforeDeadline) {
    names["#deadline"] = "deadline";
    allowed = `(${allowed} AND #deadline > :now)`;
  }
  const repeated = `(#status = ${valueName(t.to)} AND #updatedAt = :now)`;
  return {
    [t.state]: {
      Type: "Task",
      Comment: `${t.from} -> ${t.to}, unless the record moved on (or repeats this very write)`,
      Resource: DYNAMODB_UPDATE_ITEM,
      Parameters: {
        TableName: tableName,
        Key: { pk: { "S.$": "$.jobId" } },
        UpdateExpression: `SET ${sets.join(", ")} ADD #version :one`,
        ConditionExpression: `${allowed} OR ${repeated}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
      ResultPath: null,
      Retry: [retrier(DYNAMODB_TRANSIENT_ERRORS, WRITE_RETRY)],
      Catch: [
        { ErrorEquals: [CONDITION_FAILED_ERROR], Next: STATE.Discarded, ResultPath: null },
        { ErrorEquals: ["States.ALL"], Next: STATE.RecordingFailed, ResultPath: null },
      ],
      // The outcome's write ends the execution itself: a Succeed state after it would be one more
      // billed state transition per job (https://aws.amazon.com/step-functions/pricing/).
      ...(t.next === STATE.Recorded ? { End: true as const } : { Next: t.next }),
    },
  };
}

/** store s3: an invoke of the recorder, then a Choice on its `applied` answer. */
function recorderRecordStates(t: Transition, recorderFunctionArn: string): Record<string, AslState> {
  const choice = appliedChoiceName(t.state);
  return {
    [t.state]: {
      Type: "Task",
      Comment: `${t.from} -> ${t.to} by the recorder, unless the record moved on (or repeats this very write)`,
      Resource: LAMBDA_INVOKE,
      Parameters: {
        FunctionName: recorderFunctionArn,
        Payload: { "jobId.$": "$.jobId", transition: t.to, "at.$": "$$.State.EnteredTime", ...t.payload },
      },
      ResultSelector: { "applied.$": "$.Payload.applied" },
      ResultPath: "$.record",
      // Anything but a malformed request is worth retrying (a store that is briefly down, S3's
      // SlowDown, Lambda's own errors): the recorder repeats the same write for the same `at`.
      Retry: [{ ErrorEquals: [INVALID_RECORDER_EVENT], MaxAttempts: 0 }, retrier(["States.ALL"], WRITE_RETRY)],
      Catch: [{ ErrorEquals: ["States.ALL"], Next: STATE.RecordingFailed, ResultPath: null }],
      Next: choice,
    },
    [choice]: {
      Type: "Choice",
      Choices: [{ Variable: "$.record.applied", BooleanEquals: true, Next: t.next }],
      Default: STATE.Discarded,
    },
  };
}

/** Whether any state goes to `name` (Next, a Choice, a Default or a Catch). */
function referenced(states: Record<string, AslState>, name: string): boolean {
  return Object.values(states).some((state) => {
    const s = state as AslState & { Next?: string; Default?: string; Choices?: { Next: string }[]; Catch?: AslCatcher[] };
    return s.Next === name || s.Default === name || (s.Choices ?? []).some((c) => c.Next === name) || (s.Catch ?? []).some((c) => c.Next === name);
  });
}

// ---------------------------------------------------------------------------------------------
// Arguments

function fail(message: string): never {
  throw new Error(`buildStateMachineDefinition: ${message}`);
}

const isInteger = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n);
const nonEmpty = (s: unknown): s is string => typeof s === "string" && s.length > 0;

function checkArgs(args: StateMachineDefinitionArgs): Required<Pick<StateMachineDefinitionArgs, "workerRetry">> {
  if (args.store !== "dynamodb" && args.store !== "s3") fail(`store must be "dynamodb" or "s3", not ${JSON.stringify(args.store)}`);
  if (args.workflowType !== "STANDARD" && args.workflowType !== "EXPRESS") {
    fail(`workflowType must be "STANDARD" or "EXPRESS", not ${JSON.stringify(args.workflowType)}`);
  }
  if (nonEmpty(args.workerFunctionArn) === Boolean(args.fargateTask)) fail("give workerFunctionArn (a Lambda worker) or fargateTask (an ECS task), exactly one");
  const fargate = args.fargateTask;
  if (fargate) {
    if (args.workflowType !== "STANDARD") fail("fargateTask needs workflowType STANDARD (.waitForTaskToken is not available to EXPRESS workflows)");
    for (const key of ["cluster", "taskDefinition", "containerName"] as const) if (!nonEmpty(fargate[key])) fail(`fargateTask.${key} is required`);
    if (!Array.isArray(fargate.subnets) || fargate.subnets.length === 0 || !fargate.subnets.every(nonEmpty)) fail("fargateTask.subnets must list at least one subnet id");
    if (!Array.isArray(fargate.securityGroups) || !fargate.securityGroups.every(nonEmpty)) fail("fargateTask.securityGroups must be a list of security group ids");
    if (!isInteger(fargate.heartbeatSeconds) || fargate.heartbeatSeconds < 10) fail(`fargateTask.heartbeatSeconds must be an integer of at least 10, not ${fargate.heartbeatSeconds}`);
  }
  if (args.tableName !== undefined && args.recorderFunctionArn !== undefined) {
    fail("give tableName (store dynamodb) or recorderFunctionArn (store s3), not both");
  }
  if (args.store === "dynamodb") {
    if (!nonEmpty(args.tableName)) fail("store dynamodb needs tableName (the jobs table the state machine writes to)");
  } else if (!nonEmpty(args.recorderFunctionArn)) {
    fail("store s3 needs recorderFunctionArn (the Lambda that writes job records to S3)");
  }
  const maxTimeout = fargate ? MAX_FARGATE_JOB_TIMEOUT_SECONDS : MAX_JOB_TIMEOUT_SECONDS;
  if (!isInteger(args.jobTimeoutSeconds) || args.jobTimeoutSeconds < 1 || args.jobTimeoutSeconds > maxTimeout) {
    fail(`jobTimeoutSeconds must be an integer from 1 to ${maxTimeout} (${fargate ? "a STANDARD execution's year" : "the Lambda worker's limit"}), not ${args.jobTimeoutSeconds}`);
  }
  if (args.workflowType === "EXPRESS" && args.jobTimeoutSeconds > MAX_EXPRESS_JOB_TIMEOUT_SECONDS) {
    fail(
      `jobTimeoutSeconds ${args.jobTimeoutSeconds} is too long for an EXPRESS workflow: Express workflows stop at 5 minutes ` +
        `(${EXPRESS_MAX_SECONDS} seconds), which must also hold the worker's start and the recording of the outcome. ` +
        `Use workflowType STANDARD, or a jobTimeoutSeconds of at most ${MAX_EXPRESS_JOB_TIMEOUT_SECONDS}.`,
    );
  }
  const workerRetry = args.workerRetry ?? DEFAULT_WORKER_RETRY;
  if (!isInteger(workerRetry.maxAttempts) || workerRetry.maxAttempts < 0) fail("workerRetry.maxAttempts must be an integer >= 0");
  if (!isInteger(workerRetry.intervalSeconds) || workerRetry.intervalSeconds < 1) fail("workerRetry.intervalSeconds must be an integer >= 1");
  if (typeof workerRetry.backoffRate !== "number" || !(workerRetry.backoffRate >= 1)) fail("workerRetry.backoffRate must be a number >= 1");
  return { workerRetry };
}

// ---------------------------------------------------------------------------------------------
// The definition

const present = (path: string, test: JsonObject): AslChoiceRule[] => [
  { Variable: path, IsPresent: true },
  { Variable: path, ...test },
];

/**
 * A missed heartbeat (the Fargate container died) is a crash, not a timeout. It comes first:
 * `States.Timeout` also matches a missed heartbeat, and the first catcher that matches wins
 * ("Error handling in Step Functions": States.Timeout, States.HeartbeatTimeout). A worker function
 * that Lambda stopped at a timeout of its own (`Sandbox.Timedout`: its timeout, or the 10 s of its
 * init phase; AWS, "Troubleshoot invocation issues in Lambda") did not finish in time: TIMED_OUT.
 */
const RUN_JOB_CATCH: AslCatcher[] = [
  { ErrorEquals: ["States.HeartbeatTimeout"], Next: STATE.RecordCrashed, ResultPath: "$.failure" },
  { ErrorEquals: ["States.Timeout", "Sandbox.Timedout"], Next: STATE.RecordTimedOut, ResultPath: "$.failure" },
  { ErrorEquals: ["States.ALL"], Next: STATE.RecordCrashed, ResultPath: "$.failure" },
];

/**
 * RunJob on `worker=fargate`: start the task with the job id and this state's task token as
 * environment overrides (never the input: overrides are limited to 8 KiB, and the task reads the
 * input from the store), then wait for the container's SendTaskSuccess, whose output is the same
 * outcome the Lambda worker answers. No heartbeat for `heartbeatSeconds`: the container died
 * (`States.HeartbeatTimeout`, recorded as a crash). The state's timeout adds the task's start-up
 * to the job's own time; the container stops the job itself at `jobTimeoutSeconds`.
 */
function fargateRunJobState(task: FargateTaskArgs, jobTimeoutSeconds: number, workerRetry: WorkerRetry): AslTaskState {
  return {
    Type: "Task",
    Comment: "Run the job as an ECS Fargate task; the container answers with SendTaskSuccess and sends heartbeats",
    Resource: ECS_RUN_TASK_WAIT_FOR_TOKEN,
    Parameters: {
      Cluster: task.cluster,
      TaskDefinition: task.taskDefinition,
      LaunchType: "FARGATE",
      NetworkConfiguration: {
        AwsvpcConfiguration: { Subnets: task.subnets, SecurityGroups: task.securityGroups, AssignPublicIp: task.assignPublicIp ? "ENABLED" : "DISABLED" },
      },
      Overrides: {
        ContainerOverrides: [
          {
            Name: task.containerName,
            Environment: [
              { Name: ENV.TASK_JOB_ID, "Value.$": "$.jobId" },
              { Name: ENV.TASK_TOKEN, "Value.$": "$$.Task.Token" },
            ],
          },
        ],
      },
    },
    ResultSelector: { "outcome.$": "$" },
    ResultPath: "$.run",
    TimeoutSeconds: fargateRunJobTimeoutSeconds(jobTimeoutSeconds),
    // Step Functions counts the heartbeat from the task's start: the first one comes only once the
    // container runs, so the task's start-up is allowed on top (and it must stay below the timeout).
    HeartbeatSeconds: Math.min(task.heartbeatSeconds + FARGATE_START_SECONDS, fargateRunJobTimeoutSeconds(jobTimeoutSeconds) - 1),
    Retry: [retrier(ECS_TRANSIENT_ERRORS, workerRetry)],
    Catch: RUN_JOB_CATCH,
    Next: STATE.CheckOutcome,
  };
}

export function buildStateMachineDefinition(args: StateMachineDefinitionArgs): AslDefinition {
  const { workerRetry } = checkArgs(args);
  const recordStates = (t: Transition): Record<string, AslState> =>
    args.store === "dynamodb" ? dynamoDbRecordStates(t, args.tableName!) : recorderRecordStates(t, args.recorderFunctionArn!);

  const outcome = "$.run.outcome";
  const isOutcome = (value: WorkerOutcome["outcome"]) => present(`${outcome}.outcome`, { StringEquals: value });
  const isString = (field: string) => present(`${outcome}.${field}`, { IsString: true });
  const isNumber = (field: string) => present(`${outcome}.${field}`, { IsNumeric: true });

  const steps: Record<string, AslState> = {
    [STATE.RunJob]: args.fargateTask ? fargateRunJobState(args.fargateTask, args.jobTimeoutSeconds, workerRetry) : {
      Type: "Task",
      Comment: "Run the job: the worker returns its outcome (job errors included) and never throws them",
      Resource: LAMBDA_INVOKE,
      Parameters: { FunctionName: args.workerFunctionArn!, Payload: { "jobId.$": "$.jobId" } },
      ResultSelector: { "outcome.$": "$.Payload" },
      ResultPath: "$.run",
      TimeoutSeconds: runJobTimeoutSeconds(args.jobTimeoutSeconds),
      Retry: [retrier(LAMBDA_TRANSIENT_ERRORS, workerRetry)],
      Catch: RUN_JOB_CATCH,
      Next: STATE.CheckOutcome,
    },
    [STATE.CheckOutcome]: {
      Type: "Choice",
      Choices: [
        { And: [...isOutcome("SUCCEEDED"), ...isString("result"), ...isNumber("resultSize"), ...isNumber("expiresAt")], Next: STATE.RecordSucceededInline },
        { And: [...isOutcome("SUCCEEDED"), ...isString("resultRef"), ...isNumber("resultSize"), ...isNumber("expiresAt")], Next: STATE.RecordSucceededRef },
        { And: [...isOutcome("FAILED"), ...isString("error.code"), ...isString("error.message"), ...isNumber("expiresAt")], Next: STATE.RecordFailed },
        { And: isOutcome("TIMED_OUT"), Next: STATE.RecordTimedOut },
        { And: isOutcome("DISCARDED"), Next: STATE.Discarded },
      ],
      Default: STATE.InvalidOutcome,
    },
    [STATE.InvalidOutcome]: {
      Type: "Pass",
      Comment: "The worker answered something that is not an outcome: record the job FAILED",
      Result: { Error: INVALID_OUTCOME_ERROR },
      ResultPath: "$.failure",
      Next: STATE.RecordCrashed,
    },
  };

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
