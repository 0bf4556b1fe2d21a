import { isServerError, isThrottlingError, isTransientError } from "@smithy/core/retry";
import type { SdkError } from "@smithy/types";

/*
 * Whether an error is a service behind the API failing (the store, Step Functions, Lambda): a
 * server-side fault, throttling, or the network to it, past the SDK's own retries. Those answer
 * the contract's 503 ServiceUnavailable with Retry-After; anything else is a bug (500).
 *
 * The SDK's own classification (@smithy/core/retry, what its retry strategy decides with) comes
 * first: its throttling codes (ThrottlingException, ProvisionedThroughputExceededException,
 * RequestLimitExceeded, TooManyRequestsException, SlowDown, ...), HTTP 429, 500, 502, 503, 504,
 * `$retryable`, TimeoutError and Node's network error codes (ECONNRESET, ECONNREFUSED, ETIMEDOUT,
 * ...), also as an error's `cause`. Then what an error says of itself: `$fault: "server"` (every
 * SDK v3 service error carries `$fault`), and server-fault names for errors that arrive without
 * their HTTP status.
 *
 * AWS: "Error handling with DynamoDB" (throttling is a 400 ThrottlingException /
 * ProvisionedThroughputExceededException / RequestLimitExceeded, a server fault a 500
 * InternalServerError or 503 ServiceUnavailable); Amazon S3 "Error responses" (500 InternalError,
 * 503 SlowDown); Step Functions' and Lambda's API references (ThrottlingException,
 * TooManyRequestsException, ServiceException).
 */
const SERVER_FAULT_NAMES = new Set([
  "InternalServerError",
  "InternalServerErrorException",
  "InternalError",
  "InternalFailure",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "ServiceException",
  // Step Functions: too many open executions in the account; clears as executions end.
  "ExecutionLimitExceeded",
]);

export function isServiceFailure(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as SdkError & { $fault?: unknown };
  if (isThrottlingError(e) || isTransientError(e) || isServerError(e)) return true;
  if (e.$fault === "server") return true;
  if (typeof e.name === "string" && SERVER_FAULT_NAMES.has(e.name)) return true;
  // Node's "socket hang up" carries code ECONNRESET (caught above); an error made without it is still one.
  return e.message === "socket hang up";
}
