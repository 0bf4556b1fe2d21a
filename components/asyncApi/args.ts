import { AuthMode, Backend, StoreKind, WorkerKind, WorkflowType } from "../../lambdas/shared/types";
import type { JobArgs } from "../job";
import type { FargateWorkerOptions } from "../fargateWorker";
import type { ExistingStoreArgs } from "../resultStore";

/** Stage-wide throttling: requests per second and burst. */
export interface ThrottleArgs {
  /** Requests per second, steady. */
  rateLimit: number;
  /** Requests at once, in a burst. */
  burstLimit: number;
}

/** A store that exists already (instead of `store`): its kind and its bucket and table by name. */
export interface ExistingResultStoreArgs extends ExistingStoreArgs {
  /**
   * Where job records live in it: the table (`dynamodb`) or the bucket (`s3`).
   * @default "dynamodb"
   */
  kind?: StoreKind;
}

export interface LambdaWorkerArgs {
  /**
   * How many times Lambda retries a failed asynchronous invocation of the worker (0 to 2). A job
   * that throws is recorded FAILED and not retried; this covers crashes and timeouts.
   * See https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
   * @default 2
   */
  maximumRetryAttempts?: number;
  /**
   * Seconds an asynchronous invocation may wait in Lambda's queue before it is dropped (60 to
   * 21600). A dropped job is recorded FAILED by the on-failure destination.
   * @default 3600
   */
  maximumEventAgeSeconds?: number;
}

/** The event source mapping that feeds the worker from the jobs table's stream (backend `stream`). */
export interface StreamWorkerArgs {
  /**
   * Retries of a delivery whose worker failed (crashed, timed out, could not record), 0 to 10000.
   * A job that throws is recorded FAILED and not retried. Then the delivery goes to the
   * on-failure queue, whose recorder records the job FAILED.
   * See https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-params.html
   * @default 2
   */
  maximumRetryAttempts?: number;
  /**
   * Seconds a job may wait in the stream before the mapping gives up on it (60 to 604800; the
   * stream keeps records 24 hours). A job given up on is recorded FAILED (`RecordAgeExceeded`).
   * @default 3600
   */
  maximumRecordAgeSeconds?: number;
  /**
   * Jobs run at once per stream shard (1 to 10): the mapping hands each shard's records to at most
   * this many concurrent workers (records of one job always in order). A small table has one
   * shard, so this is about how many jobs run at once: pick backend `lambda` or `stepfunctions`
   * for many long jobs.
   * See https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html#services-ddb-batchfailurereporting
   * @default 10
   */
  parallelizationFactor?: number;
}

/**
 * Where a job's failure goes when recording it failed too (a worker crash whose record write kept
 * failing, a state machine ending in `RecordingFailed`): an EventBridge bus whose rule sends it to
 * the failure recorder, an archive of the bus that `aws events start-replay` re-sends, and a
 * dead-letter queue for what could not be recorded after the retries.
 */
export interface FailureRecordingArgs {
  /**
   * Days the archive keeps failure events for replay (`0`: indefinitely).
   * @default 7
   */
  archiveRetentionDays?: number;
  /**
   * Retries of EventBridge's delivery of an event to the recorder (0 to 185). Delivery fails only
   * when Lambda does not take the event (throttled, not found, not allowed); a recorder that
   * throws is retried by Lambda (`recorderRetryAttempts`).
   * See https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
   * @default 185
   */
  deliveryRetryAttempts?: number;
  /**
   * Seconds EventBridge keeps retrying a delivery before it dead-letters the event (60 to 86400).
   * @default 3600
   */
  deliveryMaximumEventAgeSeconds?: number;
  /**
   * Lambda's retries of a recorder invocation that threw (0 to 2); then its destination record
   * (with the event as `requestPayload`) goes to the dead-letter queue.
   * @default 2
   */
  recorderRetryAttempts?: number;
}

export interface AsyncApiArgs {
  /** The job the API runs. */
  job: JobArgs;
  /**
   * What runs a job: a Step Functions state machine, or a Lambda invoked asynchronously.
   * @default "stepfunctions"
   */
  backend?: Backend;
  /**
   * Where job records and results live. Give `store` to create one, or `resultStore` to use an
   * existing one; not both.
   * @default "dynamodb"
   */
  store?: StoreKind;
  /**
   * A store that exists already, by name, to use instead of creating one (for example one a
   * `ResultStore` of another stack made: its `tableName` and `bucketName` outputs).
   * @example { kind: "dynamodb", tableName: "jobs-table", bucketName: "jobs-bucket" }
   */
  resultStore?: ExistingResultStoreArgs;
  /**
   * `iam`: SigV4-signed requests (an invoker role is created); `apiKey`: an `x-api-key` header (a
   * key and usage plan are created); `none`: anyone on the internet can submit jobs. AWS advises
   * against API keys as authentication, and against usage plans as a cost control
   * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html).
   * @default "iam"
   */
  auth?: AuthMode;
  /**
   * Step Functions workflow type (backend `stepfunctions` only).
   * @default "STANDARD"
   */
  workflowType?: WorkflowType;
  /**
   * How long a finished job stays readable, in minutes.
   * @default 1440
   */
  resultTtlMinutes?: number;
  /**
   * A job still running after this many seconds is TIMED_OUT (1 to 900).
   * @default 900
   */
  jobTimeoutSeconds?: number;
  /**
   * Where the job's code runs (backend `stepfunctions`, STANDARD workflows): a Lambda function (jobs
   * up to 15 minutes), or an ECS Fargate task (jobs up to a year; needs Docker where `pulumi up`
   * runs, to build the image).
   * @default "lambda"
   */
  worker?: WorkerKind;
  /** Options of the Fargate worker (`worker: "fargate"` only): CPU, memory, network, heartbeat. */
  fargateWorker?: FargateWorkerOptions;
  /**
   * Origins allowed to call the API from a browser, e.g. `["https://app.example.com"]`.
   * @default [] (no CORS headers)
   */
  corsOrigins?: string[];
  /**
   * Name of the API Gateway stage: the last part of `apiUrl`.
   * @default "v1"
   */
  stageName?: string;
  /**
   * Stage-wide throttling (requests per second and burst). For auth `apiKey` the usage plan
   * gets the same limits.
   * See https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
   * @default { rateLimit: 100, burstLimit: 200 }
   */
  throttle?: ThrottleArgs;
  /**
   * Days CloudWatch keeps the stage's access logs and the functions' logs.
   * @default 30
   */
  logRetentionInDays?: number;
  /**
   * API Gateway writes logs through one CloudWatch role per account and region (an account
   * setting, `aws.apigateway.Account`, shared by every API there). `true` sets it to a role this
   * stack creates (allowed to write this region's log groups only) and keeps it when the stack is
   * destroyed (another stack may rely on it); `false` leaves the account's setting alone.
   * Set it in one stack per account and region at most, or set the role once by hand (README,
   * "Access logs").
   * See https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
   * @default false
   */
  manageApiGatewayAccountRole?: boolean;
  /**
   * The stage writes JSON access logs to a log group of this stack. It needs the account's
   * CloudWatch role (`manageApiGatewayAccountRole`, or set once by hand): without it, `pulumi up`
   * fails with "CloudWatch Logs role ARN must be set in account settings to enable logging".
   * @default the value of `manageApiGatewayAccountRole`
   * @example { accessLogs: true } // the account's role is already set
   */
  accessLogs?: boolean;
  /** Options of the Lambda worker (backend `lambda` only). */
  lambdaWorker?: LambdaWorkerArgs;
  /** Options of the stream's event source mapping (backend `stream` only). */
  streamWorker?: StreamWorkerArgs;
  /** The failures bus, archive and dead-letter queue. */
  failureRecording?: FailureRecordingArgs;
}
