import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { config } from "./config";
import { SERVICE_UNAVAILABLE_RETRY_AFTER } from "./retryAfter";
import type { ErrorInfo } from "./types";

/** Response headers a browser's script may read besides the safelisted ones (every answer of the API, gateway errors included). */
export const CORS_EXPOSE_HEADERS = "Location, Retry-After, Idempotent-Replayed";

export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

export type Headers = Record<string, string>;

/** A JSON response. */
export function json(statusCode: number, body: unknown, headers: Headers = {}): APIGatewayProxyResult {
  return { statusCode, headers: { "Content-Type": JSON_CONTENT_TYPE, ...headers }, body: JSON.stringify(body) };
}

/** The contract's one error shape: `{"error": {"code", "message"}}`. */
export function errorResponse(statusCode: number, code: string, message: string, headers: Headers = {}): APIGatewayProxyResult {
  const error: ErrorInfo = { code, message };
  return json(statusCode, { error }, headers);
}

export const notFound = () => errorResponse(404, "NotFound", "No such job.");

export const internalError = () => errorResponse(500, "InternalError", "Something went wrong on our side. Please try again later.");

/** CONTRACT.md, "When a service behind the API fails": the same answer on every backend and route. */
export const serviceUnavailable = () =>
  errorResponse(503, "ServiceUnavailable", "A service behind the API is failing or throttled. Please retry after Retry-After.", { "Retry-After": SERVICE_UNAVAILABLE_RETRY_AFTER });

/** A request header, whatever its case. */
export function header(event: Pick<APIGatewayProxyEvent, "headers">, name: string): string | undefined {
  const headers = event.headers ?? {};
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && value !== undefined && value !== null) return value;
  }
  return undefined;
}

/**
 * CORS headers for the allowed origins of `ASYNC_API_CORS_ORIGINS`: the request's `Origin` is
 * echoed only if allowed (`*` allows any); with any origins configured, `Vary: Origin` always.
 */
export function corsHeaders(event: Pick<APIGatewayProxyEvent, "headers">, allowed: string[] = config().corsOrigins): Headers {
  if (allowed.length === 0) return {};
  const headers: Headers = { Vary: "Origin" };
  const origin = header(event, "origin");
  if (origin && (allowed.includes(origin) || allowed.includes("*"))) {
    headers["Access-Control-Allow-Origin"] = origin;
    headers["Access-Control-Expose-Headers"] = CORS_EXPOSE_HEADERS;
  }
  return headers;
}

/**
 * `{proto}://{domainName}{path}/{jobId}`: the URL of a job created by a POST to `path`
 * (`requestContext.path`, e.g. `/v1/jobs`, so it keeps the stage or base path).
 */
export function locationOf(event: APIGatewayProxyEvent, jobId: string): string {
  const proto = (header(event, "x-forwarded-proto") ?? "https").split(",")[0].trim().toLowerCase() || "https";
  const host = event.requestContext?.domainName ?? header(event, "host") ?? "localhost";
  const path = (event.requestContext?.path ?? event.path ?? "/jobs").replace(/\/+$/, "");
  return `${proto === "http" ? "http" : "https"}://${host}${path}/${jobId}`;
}

/** The job id of `/jobs/{jobId}` (path parameter `jobId`), unchecked. */
export function pathJobId(event: APIGatewayProxyEvent): string | undefined {
  return event.pathParameters?.jobId ?? undefined;
}
