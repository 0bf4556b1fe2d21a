import type { Job } from "./types";

/**
 * Codes the client itself raises (everything else is the API's own `error.code`, e.g. `NotFound`,
 * `ValidationError`, `Conflict`, or, from `waitForResult`, the job's error code such as
 * `TimerFailed` or `TimedOut`).
 */
export const CLIENT_ERROR_CODES = {
  /** No HTTP response: DNS, connection refused or reset, TLS (after every retry). */
  NetworkError: "NetworkError",
  /** The API answered something that is not the contract's JSON. */
  InvalidResponse: "InvalidResponse",
  /** `wait`'s `timeoutMs` passed while the job was still PENDING or RUNNING. */
  WaitTimeout: "WaitTimeout",
  /** The caller's `AbortSignal` fired. */
  Aborted: "Aborted",
  /** `waitForResult`: the job ended CANCELLED. */
  Cancelled: "Cancelled",
  /** A bad argument caught before any request (an empty job id, a bad idempotency key, a list's limit or status). */
  InvalidArgument: "InvalidArgument",
  /** The default credential chain found no AWS credentials (auth `iam`). */
  CredentialsError: "CredentialsError",
  /** Downloading `resultUrl` failed or did not give JSON. */
  ResultDownloadFailed: "ResultDownloadFailed",
} as const;

export interface AsyncApiErrorFields {
  /** The API's `error.code`, a job's error code, or one of `CLIENT_ERROR_CODES`. */
  code: string;
  message: string;
  /** The HTTP status, when the error is an HTTP answer. */
  status?: number;
  /** The job concerned, when there is one. */
  jobId?: string;
  /** The job as last read (`waitForResult`, `WaitTimeout`). */
  job?: Job<unknown>;
  /** API Gateway's request id (`x-amzn-requestid`), for support. */
  requestId?: string;
  cause?: unknown;
}

/** The one error class of the client: an HTTP error, a transport error, or a job that did not succeed. */
export class AsyncApiError extends Error {
  readonly code: string;
  readonly status?: number;
  readonly jobId?: string;
  readonly job?: Job<unknown>;
  readonly requestId?: string;

  constructor(fields: AsyncApiErrorFields) {
    super(fields.message, fields.cause !== undefined ? { cause: fields.cause } : undefined);
    this.name = "AsyncApiError";
    this.code = fields.code;
    if (fields.status !== undefined) this.status = fields.status;
    if (fields.jobId !== undefined) this.jobId = fields.jobId;
    if (fields.job !== undefined) this.job = fields.job;
    if (fields.requestId !== undefined) this.requestId = fields.requestId;
  }

  /** `{"error": {"code", "message"}}` plus what else is known: what `--json` prints. */
  toJSON(): Record<string, unknown> {
    return {
      error: { code: this.code, message: this.message },
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(this.jobId !== undefined ? { jobId: this.jobId } : {}),
      ...(this.requestId !== undefined ? { requestId: this.requestId } : {}),
    };
  }
}

export function isAsyncApiError(value: unknown): value is AsyncApiError {
  return value instanceof AsyncApiError;
}

/** Codes API Gateway or a proxy may send without the contract's body. */
export function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return "BadRequest";
    case 401:
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 409:
      return "Conflict";
    case 413:
      return "PayloadTooLarge";
    case 415:
      return "UnsupportedMediaType";
    case 429:
      return "TooManyRequests";
    case 502:
      return "BadGateway";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "GatewayTimeout";
    default:
      return status >= 500 ? "InternalError" : `Http${status}`;
  }
}
