/**
 * Whether an error is a service behind the API failing (the store, Step Functions, Lambda): a
 * server-side fault, throttling, or the network to it, past the SDK's own retries. Those answer
 * the contract's 503 ServiceUnavailable with Retry-After; anything else is a bug (500).
 *
 * AWS: "Error handling with DynamoDB" (throttling arrives as 400 ThrottlingException /
 * ProvisionedThroughputExceededException / RequestLimitExceeded, server faults as 5xx); S3's
 * "Error responses" (SlowDown, 503); the SDK for JavaScript v3 marks every service error with
 * `$fault` ("client" or "server") and `$metadata.httpStatusCode`, and retryable ones with `$retryable`.
 */
const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "TooManyRequestsException",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
  "TransactionInProgressException",
]);
const SERVER = new Set(["InternalServerError", "InternalServerErrorException", "InternalError", "InternalFailure", "ServiceUnavailable", "ServiceUnavailableException", "ServiceException"]);
const NETWORK = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "ENOTFOUND", "ENETUNREACH", "EHOSTUNREACH"]);

export function isServiceFailure(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { name?: unknown; code?: unknown; $fault?: unknown; $retryable?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const name = typeof e.name === "string" ? e.name : "";
  if (THROTTLING.has(name) || SERVER.has(name)) return true;
  if (e.$fault === "server" || e.$retryable !== undefined) return true;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === "number" && (status >= 500 || status === 429)) return true;
  if (name === "TimeoutError" || name === "RequestTimeout" || name === "AbortError") return true;
  return typeof e.code === "string" && NETWORK.has(e.code);
}

/** Seconds a client waits before retrying after a 503: the SDK already retried with backoff. */
export const SERVICE_UNAVAILABLE_RETRY_AFTER = "2";
