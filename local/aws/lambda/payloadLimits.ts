/**
 * Lambda's checks of an Invoke request's payload: its size limit (6 MB synchronous, 1 MB
 * asynchronous) and that it is JSON, with the errors and messages Lambda answers.
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
import { LambdaApiError } from "./errors";

/** Lambda's limits on a request payload. */
export const MAX_SYNC_PAYLOAD_BYTES = 6291456;
export const MAX_ASYNC_PAYLOAD_BYTES = 1048576;

/** The error of a request body past the synchronous limit (what the HTTP API answers while reading it). */
export function syncPayloadTooLarge(): LambdaApiError {
  return new LambdaApiError("RequestTooLargeException", `Request must be smaller than ${MAX_SYNC_PAYLOAD_BYTES} bytes for the InvokeFunction operation`, 413);
}

/** Throws `RequestTooLargeException` or `InvalidRequestContentException` as Invoke would. */
export function checkPayload(payload: string, type: "RequestResponse" | "Event" | "DryRun"): void {
  const size = Buffer.byteLength(payload);
  const limit = type === "Event" ? MAX_ASYNC_PAYLOAD_BYTES : MAX_SYNC_PAYLOAD_BYTES;
  if (size > limit) {
    throw type === "Event" ? new LambdaApiError("RequestTooLargeException", `Request must be smaller than ${limit} bytes for the InvokeAsync operation`, 413) : syncPayloadTooLarge();
  }
  if (payload.trim() === "") return;
  try {
    JSON.parse(payload);
  } catch (e) {
    throw new LambdaApiError("InvalidRequestContentException", `Could not parse request body into json: ${(e as Error).message}`, 400);
  }
}
