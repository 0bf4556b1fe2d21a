/*
 * A conditional write that the AWS SDK retried can lose to itself: the first attempt was applied
 * but its answer was lost (a timeout, a 5xx after the write, a dropped connection), and the retry
 * then fails the condition that the first attempt made true. The SDK retries such errors on its
 * own ("Error handling with DynamoDB": "The AWS SDKs ... automatically retry"; S3 likewise), so a
 * store that took every lost condition for a conflict would answer a created job with a 500, or
 * report a transition as lost that was made. A lost condition is therefore read back: when the
 * record is exactly what this writer wrote, the write is ours and succeeded.
 */

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** Whether a record read back is the very record written (same attributes and values, any key order). */
export function isOwnWrite(written: unknown, current: unknown): boolean {
  return current !== undefined && JSON.stringify(canonical(written)) === JSON.stringify(canonical(current));
}
