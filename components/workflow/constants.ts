/**
 * The definition's names and constants: its state names, the service integrations it calls, its
 * timeouts and margins, the errors it retries or catches, and the errors and messages it records.
 */
import { FARGATE_START_SECONDS, workerTimeoutSeconds } from "../../lambdas/shared/env";
import type { WorkerRetry } from "./types";

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
