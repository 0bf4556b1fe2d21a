/**
 * `$context.requestId` and `$context.extendedRequestId` of a request to a REST API.
 *
 * API Gateway (REST) takes the request id from the client's `X-Amzn-RequestId` header when it
 * is a plausible id (the echoed `x-amzn-RequestId` response header shows it), and otherwise makes
 * a lowercase v4 UUID. The extended id (`x-amz-apigw-id`) is always its own.
 */
import { randomBytes, randomUUID } from "node:crypto";

/** What API Gateway accepts as a client-chosen request id: 1–128 HTTP token characters. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9!#$%&'*+\-.^_|~`]{1,128}$/;

/** The request id for a request whose `X-Amzn-RequestId` header is `header` (absent: undefined). */
export function requestIdFor(header: string | undefined): string {
  return header !== undefined && CLIENT_REQUEST_ID.test(header) ? header : randomUUID();
}

/** An extended request id like AWS's: 11 random bytes in base64, e.g. `JN1WzG5ZoAMEdag=`. */
export function extendedRequestId(): string {
  return randomBytes(11).toString("base64");
}
