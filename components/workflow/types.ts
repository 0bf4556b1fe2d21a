/**
 * What the definition is built from (its arguments) and what its states exchange with the code
 * they run: the worker's outcome, and the recorder's payload and answer (store s3).
 */

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
