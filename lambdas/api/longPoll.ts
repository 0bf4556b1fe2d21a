import type { APIGatewayProxyEvent } from "aws-lambda";

/*
 * `GET /jobs/{jobId}?wait=N` (CONTRACT.md, "long poll"): the answer comes as soon as the job is
 * terminal or its status differs from what it was when the request arrived, or after N seconds.
 * The store is read again with a backoff from about 100 ms to at most 1 s, so a wait costs a few
 * dozen reads at most, and the function's timeout (STATUS_TIMEOUT_SECONDS) holds N and its own work
 * under API Gateway's 29-second integration limit.
 */

/** The longest wait a request may ask for. */
export const MAX_WAIT_SECONDS = 20;
/**
 * The status function's timeout: the longest wait, plus its reads (a hung one ends in about 8 s,
 * lambdas/shared/clients.ts), within API Gateway's 29-second integration limit ("Amazon API
 * Gateway quotas": 50 ms to 29 seconds for Lambda integrations).
 */
export const STATUS_TIMEOUT_SECONDS = 28;
/** First pause between reads of the store, and the most any pause grows to. */
export const FIRST_READ_PAUSE_MS = 100;
export const MAX_READ_PAUSE_MS = 1000;

/** The `wait` of a request: seconds, undefined for a plain GET, or the 400 message for a bad one. */
export function waitSecondsOf(event: APIGatewayProxyEvent): { seconds?: number; invalid?: string } {
  const values = event.multiValueQueryStringParameters?.wait ?? (event.queryStringParameters?.wait !== undefined ? [event.queryStringParameters.wait] : undefined);
  if (values === undefined) return {};
  const [raw] = values;
  if (values.length !== 1 || raw === undefined || !/^\d{1,2}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_WAIT_SECONDS) {
    return { invalid: `wait must be a whole number of seconds from 1 to ${MAX_WAIT_SECONDS}.` };
  }
  return { seconds: Number(raw) };
}

/** The pauses between reads: 100 ms growing by half each time, at most 1 s. */
export function nextPause(previousMs: number | undefined): number {
  return previousMs === undefined ? FIRST_READ_PAUSE_MS : Math.min(MAX_READ_PAUSE_MS, Math.round(previousMs * 1.5));
}
