import { CORS_EXPOSE_HEADERS } from "../../lambdas/shared/http";
import type { GatewayResponse } from "./openapiTypes";

/** The contract's content type for every body. */
export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

interface ErrorSpec {
  /** Status to force; absent keeps API Gateway's own status for the type. */
  status?: number;
  code: string;
  message: string;
  /** `Retry-After` (seconds), as every 429 of the contract has one. */
  retryAfterSeconds?: number;
}

/**
 * What API Gateway answers when it rejects a request before (or instead of) the Lambda, per
 * gateway response type. Messages are static on purpose: `$context.error.messageString` would
 * pass AWS's own text through, and the ACCESS_DENIED one names the caller's ARN and account id.
 */
export const GATEWAY_ERRORS: Readonly<Record<string, ErrorSpec>> = {
  DEFAULT_4XX: { code: "BadRequest", message: "The request was rejected." },
  DEFAULT_5XX: { code: "InternalError", message: "Internal server error." },
  ACCESS_DENIED: { status: 403, code: "Forbidden", message: "Access denied." },
  INVALID_SIGNATURE: { status: 403, code: "Forbidden", message: "Missing or invalid credentials." },
  EXPIRED_TOKEN: { status: 403, code: "Forbidden", message: "Missing or invalid credentials." },
  // API Gateway also answers this type for a path or method the API does not have.
  MISSING_AUTHENTICATION_TOKEN: { status: 403, code: "Forbidden", message: "Missing or invalid credentials, or no such route." },
  INVALID_API_KEY: { status: 403, code: "Forbidden", message: "Missing or invalid API key." },
  // AWS's default is 401; the contract answers every auth failure with 403.
  UNAUTHORIZED: { status: 403, code: "Forbidden", message: "Missing or invalid credentials." },
  WAF_FILTERED: { status: 403, code: "Forbidden", message: "Access denied." },
  BAD_REQUEST_PARAMETERS: { status: 400, code: "ValidationError", message: "A required request parameter is missing or invalid." },
  // Only backend stream validates bodies at the gateway; the string names the failing field for a missing one.
  BAD_REQUEST_BODY: { status: 400, code: "ValidationError", message: "The request body does not match the job's schema: $context.error.validationErrorString" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, code: "UnsupportedMediaType", message: "The request body must be JSON (Content-Type: application/json)." },
  // Kept, but not honoured: "Customizing the default gateway response for 413 REQUEST_TOO_LARGE
  // isn't currently supported" ("Amazon API Gateway important notes for REST APIs"). A body over
  // API Gateway's 10 MB gets AWS's own {"message":"Request Too Long"}.
  REQUEST_TOO_LARGE: { status: 413, code: "PayloadTooLarge", message: "The request is too large." },
  // The stage's rate limit refills every second.
  THROTTLED: { status: 429, code: "TooManyRequests", message: "Too many requests: retry later.", retryAfterSeconds: 1 },
  // A usage plan's quota resets at the end of its period (a day, a week or a month), which a static
  // gateway response cannot name: an hour keeps clients from hammering a spent quota.
  QUOTA_EXCEEDED: { status: 429, code: "TooManyRequests", message: "The usage quota is exhausted: retry later.", retryAfterSeconds: 3600 },
  RESOURCE_NOT_FOUND: { status: 404, code: "NotFound", message: "Not found." },
  INTEGRATION_FAILURE: { status: 502, code: "BadGateway", message: "The backend failed to answer." },
  INTEGRATION_TIMEOUT: { status: 504, code: "GatewayTimeout", message: "The backend did not answer in time." },
  API_CONFIGURATION_ERROR: { status: 500, code: "InternalError", message: "Internal server error." },
  AUTHORIZER_FAILURE: { status: 500, code: "InternalError", message: "Internal server error." },
  AUTHORIZER_CONFIGURATION_ERROR: { status: 500, code: "InternalError", message: "Internal server error." },
};

/**
 * `x-amazon-apigateway-gateway-responses`: every type above, rewritten to the contract's error
 * body. Gateway response templates are not VTL (only plain `$context.x` substitution), so they
 * cannot look at the request: with one CORS origin the header is that static origin; with several
 * there is no header at all, since echoing the request's Origin would allow every origin.
 */
export function gatewayResponses(corsOrigins: readonly string[]): Record<string, GatewayResponse> {
  const headers: Record<string, string> = { "gatewayresponse.header.Content-Type": `'${JSON_CONTENT_TYPE}'` };
  if (corsOrigins.length === 1) {
    headers["gatewayresponse.header.Access-Control-Allow-Origin"] = `'${corsOrigins[0]}'`;
    // Retry-After is not a CORS-safelisted response header: without this a browser cannot read it.
    headers["gatewayresponse.header.Access-Control-Expose-Headers"] = `'${CORS_EXPOSE_HEADERS}'`;
  }
  const out: Record<string, GatewayResponse> = {};
  for (const [type, { status, code, message, retryAfterSeconds }] of Object.entries(GATEWAY_ERRORS)) {
    out[type] = {
      ...(status !== undefined ? { statusCode: String(status) } : {}),
      responseParameters: { ...headers, ...(retryAfterSeconds !== undefined ? { "gatewayresponse.header.Retry-After": `'${retryAfterSeconds}'` } : {}) },
      responseTemplates: { "application/json": JSON.stringify({ error: { code, message } }) },
    };
  }
  return out;
}
