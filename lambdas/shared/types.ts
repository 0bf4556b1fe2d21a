/** The job statuses of the contract. */
export const JOB_STATUSES = ["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const TERMINAL_STATUSES: readonly JobStatus[] = ["SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"];

// Each a value and a type of the same name (the value first): Pulumi's component schema inference
// turns such `as const` objects into enums, for Python, Go, .NET and YAML programs.
/** What runs a job. */
export const Backend = { StepFunctions: "stepfunctions", Lambda: "lambda", Stream: "stream" } as const;
export type Backend = (typeof Backend)[keyof typeof Backend];
/** Where job records live. */
export const StoreKind = { DynamoDB: "dynamodb", S3: "s3" } as const;
export type StoreKind = (typeof StoreKind)[keyof typeof StoreKind];
/** How callers authenticate. */
export const AuthMode = { Iam: "iam", ApiKey: "apiKey", None: "none" } as const;
export type AuthMode = (typeof AuthMode)[keyof typeof AuthMode];
/** Step Functions workflow type. */
export const WorkflowType = { Standard: "STANDARD", Express: "EXPRESS" } as const;
export type WorkflowType = (typeof WorkflowType)[keyof typeof WorkflowType];
/** Where the job's code runs. */
export const WorkerKind = { Lambda: "lambda", Fargate: "fargate" } as const;
export type WorkerKind = (typeof WorkerKind)[keyof typeof WorkerKind];

/** A job's latest progress report (CONTRACT.md, "Progress"): kept after the job ends. */
export interface JobProgress {
  /** 0 to 100. */
  percent?: number;
  /** At most 256 characters. */
  message?: string;
  /** When it was reported (ISO 8601). */
  updatedAt: string;
}

/** `{"code", "message"}`: the contract's error object, in responses and in job records. */
export interface ErrorInfo {
  code: string;
  message: string;
}

/**
 * One job, as both stores keep it (a DynamoDB item, or the JSON of `jobs/<jobId>.json` in S3).
 * Times are ISO 8601 UTC strings with milliseconds (`Date#toISOString`), which sort as text, so a
 * Step Functions `$$.State.EnteredTime` compares with them directly in a condition expression.
 */
export interface JobRecord {
  /** Partition key: the job id itself (idempotency records use `idem#<hash>`). */
  pk: string;
  kind: "job";
  jobId: string;
  status: JobStatus;
  /** Who submitted it: the SigV4 caller's ARN for auth `iam`, otherwise `"public"`. */
  owner: string;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  /** A job not terminal by this time reads as TIMED_OUT, even if no writer ever comes back. */
  deadline: string;
  /** Epoch seconds (the DynamoDB TTL attribute). A read at or after this treats the job as absent. */
  expiresAt: number;
  /** Incremented by every write: writers replace the record only if it still has the version they read. */
  version: number;
  /** The job's input, as the JSON text the client sent. */
  input: string;
  /** The job's latest progress report, if it made any. */
  progress?: JobProgress;
  /** The job's output as JSON text, when small enough to keep in the record. */
  result?: string;
  /** Key of the result object in the results bucket, when the result was offloaded. */
  resultRef?: string;
  /** Bytes of the result's JSON text (inline or offloaded). */
  resultSize?: number;
  error?: ErrorInfo;
  idempotencyKey?: string;
  /** Backend `lambda`: the request id of the worker delivery that moved the job to RUNNING. */
  runId?: string;
  /** The `Callback-Url` of its POST: where the stack POSTs the job when it ends (a webhook). */
  callbackUrl?: string;
  /**
   * Store `s3` only: each status the job has had, with the version that wrote it, appended by the
   * store on every write that changes the status. S3's event notifications say that an object
   * changed, not from what: the events publisher reads the changes from here.
   */
  statusChanges?: StatusChange[];
}

/** One status change of a job (store `s3`). */
export interface StatusChange {
  status: JobStatus;
  previousStatus: JobStatus | null;
  updatedAt: string;
  /** The record's version that made the change. */
  version: number;
  error?: ErrorInfo;
}

/** Remembers which job an `Idempotency-Key` created, for replays within the TTL. */
export interface IdempotencyRecord {
  /** `idem#<sha256 hex of owner + "\n" + key>`. */
  pk: string;
  kind: "idempotency";
  jobId: string;
  /** sha256 hex of the request body. */
  bodyHash: string;
  createdAt: string;
  expiresAt: number;
}
