/**
 * The environment variables the components give the handlers: the one contract between
 * `components/` (which sets them) and `lambdas/` (which reads them).
 */
export const ENV = {
  /** `dynamodb` or `s3`. */
  STORE: "ASYNC_API_STORE",
  /** `stepfunctions` or `lambda`. */
  BACKEND: "ASYNC_API_BACKEND",
  /** `iam`, `apiKey` or `none`. */
  AUTH: "ASYNC_API_AUTH",
  /** DynamoDB table of job and idempotency records (store `dynamodb`). */
  JOBS_TABLE: "ASYNC_API_JOBS_TABLE",
  /** Bucket of job and idempotency records (store `s3`); keys `jobs/<id>.json`, `idempotency/<hash>.json`. */
  JOBS_BUCKET: "ASYNC_API_JOBS_BUCKET",
  /** Bucket for results too large for the record; keys `results/<id>.json`. */
  RESULTS_BUCKET: "ASYNC_API_RESULTS_BUCKET",
  /** Role the status function assumes to sign `resultUrl`s (s3:GetObject on `results/*` only). */
  RESULT_READER_ROLE_ARN: "ASYNC_API_RESULT_READER_ROLE_ARN",
  /** State machine that runs jobs (backend `stepfunctions`). */
  STATE_MACHINE_ARN: "ASYNC_API_STATE_MACHINE_ARN",
  /** Step Functions workflow type, `STANDARD` or `EXPRESS` (backend `stepfunctions`; only STANDARD can be stopped). */
  WORKFLOW_TYPE: "ASYNC_API_WORKFLOW_TYPE",
  /** Worker function invoked with `InvocationType: Event` (backend `lambda`). */
  WORKER_FUNCTION_NAME: "ASYNC_API_WORKER_FUNCTION_NAME",
  /** How long a finished job stays readable, in seconds. */
  RESULT_TTL_SECONDS: "ASYNC_API_RESULT_TTL_SECONDS",
  /** A job still running after this many seconds is TIMED_OUT. */
  JOB_TIMEOUT_SECONDS: "ASYNC_API_JOB_TIMEOUT_SECONDS",
  /** JSON array of allowed CORS origins; absent or `[]` means no CORS headers. */
  CORS_ORIGINS: "ASYNC_API_CORS_ORIGINS",
  /** Where the job's code runs: `lambda` or `fargate` (backend `stepfunctions`). */
  WORKER: "ASYNC_API_WORKER",
  /** Fargate task (set per task by the state machine): the job to run. */
  TASK_JOB_ID: "ASYNC_API_JOB_ID",
  /** Fargate task (set per task by the state machine): the `.waitForTaskToken` token to answer. */
  TASK_TOKEN: "ASYNC_API_TASK_TOKEN",
  /** `job.functionArn`: the Lambda function (any runtime) the worker invokes with `{"jobId", "input"}`. */
  JOB_FUNCTION_ARN: "ASYNC_API_JOB_FUNCTION_ARN",
  /** Fargate task: the RunJob state's HeartbeatSeconds; the task sends a heartbeat every third of it. */
  HEARTBEAT_SECONDS: "ASYNC_API_HEARTBEAT_SECONDS",
  /**
   * `1` only on the local cloud, which sets it for every function and task it runs (never a
   * component): webhooks may then go to `http://` and loopback receivers (CONTRACT.md, "Webhooks").
   */
  LOCAL_CLOUD: "ASYNC_API_LOCAL_CLOUD",
  /** The stack's job events bus (name or ARN). */
  JOB_EVENTS_BUS: "ASYNC_API_JOB_EVENTS_BUS",
  /** The webhook delivery queue (URL): retries are sent back to it with a delay. */
  WEBHOOK_QUEUE_URL: "ASYNC_API_WEBHOOK_QUEUE_URL",
  /** Where a delivery given up on goes (URL). */
  WEBHOOK_DEAD_LETTER_QUEUE_URL: "ASYNC_API_WEBHOOK_DEAD_LETTER_QUEUE_URL",
  /** The Secrets Manager secret (ARN) holding the webhook signing secret `whsec_…`. */
  WEBHOOK_SECRET_ARN: "ASYNC_API_WEBHOOK_SECRET_ARN",
} as const;

/** Seconds a PENDING job may wait for its worker to start before its deadline passes (the longest, backend lambda). */
export const START_ALLOWANCE_SECONDS = 300;

/**
 * Backend stepfunctions starts the execution right after the record is written, and nothing
 * moves the deadline later (a state machine cannot do date arithmetic): 30 s covers its start,
 * a cold worker and the worker's retry backoff, so an abandoned RUNNING job reads TIMED_OUT
 * soon after its timeout rather than minutes later.
 */
export const STEP_FUNCTIONS_START_ALLOWANCE_SECONDS = 30;

/**
 * A Fargate task needs time before the job starts: placement, the image pull, the container's
 * start (typically 30 to 90 s). The RunJob state allows it on top of the job's timeout.
 */
export const FARGATE_START_SECONDS = 240;

/** How long after its submission a job may be before it has to be finished or running on time. */
export function startAllowanceSeconds(backend: string, worker = "lambda"): number {
  if (backend === "stepfunctions" && worker === "fargate") return STEP_FUNCTIONS_START_ALLOWANCE_SECONDS + FARGATE_START_SECONDS;
  return backend === "stepfunctions" ? STEP_FUNCTIONS_START_ALLOWANCE_SECONDS : START_ALLOWANCE_SECONDS;
}

/** Results whose JSON is larger than this are kept in the results bucket, not in the record. */
export const INLINE_RESULT_LIMIT_BYTES = 64 * 1024;

/** The contract's limit for `result` in a GET response (and for a POST body): 256 KiB. */
export const MAX_INLINE_RESPONSE_BYTES = 256 * 1024;

/** Presigned `resultUrl`s stay valid this long (the contract asks for at least 5 minutes). */
export const RESULT_URL_TTL_SECONDS = 15 * 60;

/** The worker function's Lambda timeout: the job's time plus a margin for recording, within Lambda's 900 s. */
export const workerTimeoutSeconds = (jobTimeoutSeconds: number) => Math.min(900, jobTimeoutSeconds + 10);
