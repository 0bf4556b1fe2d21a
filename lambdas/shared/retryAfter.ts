/**
 * `Retry-After` (seconds) of the contract's 503 ServiceUnavailable, on every backend and route
 * (the Lambda handlers and the stream backend's mapping templates alike).
 *
 * Two seconds: the AWS SDK has already retried the call with jittered exponential backoff (AWS SDKs
 * and Tools reference guide, "Retry behavior": standard mode, 3 attempts, 500 ms base for
 * throttling), so the failure outlasted about a second; DynamoDB's and S3's throttling clears as
 * their capacity catches up, in seconds. Longer would stall a client that honours it; shorter
 * would send the retry into the same burst.
 */
export const SERVICE_UNAVAILABLE_RETRY_AFTER = "2";

/**
 * `Retry-After` (seconds) of `409 Conflict` for a POST whose Idempotency-Key another request is still
 * using (between its writes on the Lambda backends; a TransactionConflict on the stream backend):
 * that request finishes within milliseconds, so one second is enough.
 */
export const IN_PROGRESS_RETRY_AFTER = "1";
