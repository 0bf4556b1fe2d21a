/**
 * Gateway responses: what API Gateway answers when it rejects a request itself. A type the
 * document does not customise falls back to DEFAULT_4XX / DEFAULT_5XX, then to AWS's own
 * `{"message": ...}` body. Templates are not VTL: only `$context.*` and `$stageVariables.*`
 * references are substituted.
 */
import type { GatewayResponseSpec } from "./document";

export type GatewayResponseType =
  | "ACCESS_DENIED"
  | "API_CONFIGURATION_ERROR"
  | "AUTHORIZER_CONFIGURATION_ERROR"
  | "AUTHORIZER_FAILURE"
  | "BAD_REQUEST_PARAMETERS"
  | "BAD_REQUEST_BODY"
  | "DEFAULT_4XX"
  | "DEFAULT_5XX"
  | "EXPIRED_TOKEN"
  | "INTEGRATION_FAILURE"
  | "INTEGRATION_TIMEOUT"
  | "INVALID_API_KEY"
  | "INVALID_SIGNATURE"
  | "MISSING_AUTHENTICATION_TOKEN"
  | "QUOTA_EXCEEDED"
  | "REQUEST_TOO_LARGE"
  | "RESOURCE_NOT_FOUND"
  | "THROTTLED"
  | "UNAUTHORIZED"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "WAF_FILTERED";

/** AWS's default status, `x-amzn-ErrorType` and message per type. */
export const AWS_DEFAULTS: Record<GatewayResponseType, { status: number; errorType: string; message: string }> = {
  ACCESS_DENIED: { status: 403, errorType: "AccessDeniedException", message: "User is not authorized to access this resource" },
  API_CONFIGURATION_ERROR: { status: 500, errorType: "InternalServerErrorException", message: "Internal server error" },
  AUTHORIZER_CONFIGURATION_ERROR: { status: 500, errorType: "AuthorizerConfigurationException", message: "Internal server error" },
  AUTHORIZER_FAILURE: { status: 500, errorType: "AuthorizerFailureException", message: "Internal server error" },
  BAD_REQUEST_PARAMETERS: { status: 400, errorType: "BadRequestException", message: "Missing required request parameters" },
  BAD_REQUEST_BODY: { status: 400, errorType: "BadRequestException", message: "Invalid request body" },
  DEFAULT_4XX: { status: 400, errorType: "BadRequestException", message: "Bad request" },
  DEFAULT_5XX: { status: 500, errorType: "InternalServerErrorException", message: "Internal server error" },
  EXPIRED_TOKEN: { status: 403, errorType: "ExpiredTokenException", message: "The security token included in the request is expired" },
  // "Gateway response types for API Gateway": INTEGRATION_FAILURE's default status code is 504.
  INTEGRATION_FAILURE: { status: 504, errorType: "InternalServerErrorException", message: "Internal server error" },
  INTEGRATION_TIMEOUT: { status: 504, errorType: "InternalServerErrorException", message: "Endpoint request timed out" },
  INVALID_API_KEY: { status: 403, errorType: "ForbiddenException", message: "Forbidden" },
  INVALID_SIGNATURE: {
    status: 403,
    errorType: "InvalidSignatureException",
    message:
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
  },
  MISSING_AUTHENTICATION_TOKEN: { status: 403, errorType: "MissingAuthenticationTokenException", message: "Missing Authentication Token" },
  QUOTA_EXCEEDED: { status: 429, errorType: "LimitExceededException", message: "Limit Exceeded" },
  REQUEST_TOO_LARGE: { status: 413, errorType: "RequestTooLargeException", message: "Request Too Long" },
  RESOURCE_NOT_FOUND: { status: 404, errorType: "ResourceNotFoundException", message: "Resource not found" },
  THROTTLED: { status: 429, errorType: "TooManyRequestsException", message: "Too Many Requests" },
  UNAUTHORIZED: { status: 401, errorType: "UnauthorizedException", message: "Unauthorized" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, errorType: "UnsupportedMediaTypeException", message: "Unsupported Media Type" },
  WAF_FILTERED: { status: 403, errorType: "ForbiddenException", message: "Forbidden" },
};

/** A gateway rejection: the type, and what `$context.error.*` says. */
export interface GatewayError {
  type: GatewayResponseType;
  /** Overrides the type's default status (e.g. 502 for a malformed Lambda proxy response under DEFAULT_5XX). */
  status?: number;
  /** Overrides the type's default message. */
  message?: string;
  /** Overrides the type's `x-amzn-ErrorType`. */
  errorType?: string;
  /** `$context.error.validationErrorString`. */
  validationErrorString?: string;
}

/** What a gateway response can read of the request. */
export interface GatewayResponseRequest {
  headers: Record<string, string>;
  query: Record<string, string>;
  pathParameters: Record<string, string>;
  /** `$context` (without `error`, which is filled in here). */
  context: Record<string, unknown>;
  stageVariables?: Record<string, string>;
}

export interface RenderedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function lookupPath(root: unknown, path: string[]): unknown {
  let current: any = root;
  for (const part of path) {
    if (current === null || current === undefined || typeof current !== "object") return undefined;
    current = current[part];
  }
  return current;
}

function lookupCi(map: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  const key = Object.keys(map).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : map[key];
}

function stringify(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/**
 * `s` escaped as the inside of a JSON string. API Gateway gives `$context.error.validationErrorString`
 * this way (`[object has missing required properties ([\"a\"])]`), so a template can put it
 * between quotes and stay JSON.
 */
export function jsonStringContent(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

/** Substitutes `$context.a.b` / `${context.a.b}` and `$stageVariables.x` references; unknown ones become empty. */
export function substituteContext(template: string, context: Record<string, unknown>, stageVariables: Record<string, string> = {}): string {
  const value = (root: string, rest: string) => stringify(lookupPath(root === "context" ? context : stageVariables, rest.slice(1).split(".")));
  return template.replace(
    /\$!?(?:\{(context|stageVariables)((?:\.[A-Za-z0-9_]+)+)\}|(context|stageVariables)((?:\.[A-Za-z0-9_]+)+))/g,
    (_all, r1: string | undefined, p1: string | undefined, r2: string | undefined, p2: string | undefined) => value((r1 ?? r2)!, (p1 ?? p2)!),
  );
}

/** The value of a `gatewayresponse.header.*` mapping: a `'literal'`, a request parameter, a context or stage variable. */
function parameterValue(expression: string, req: GatewayResponseRequest, context: Record<string, unknown>): string | undefined {
  const literal = /^'(.*)'$/s.exec(expression.trim());
  if (literal) return literal[1];
  const m = /^method\.request\.(header|querystring|path|multivalueheader|multivaluequerystring)\.(.+)$/.exec(expression.trim());
  if (m) {
    const [, where, name] = m;
    if (where === "header" || where === "multivalueheader") return lookupCi(req.headers, name);
    if (where === "querystring" || where === "multivaluequerystring") return req.query[name];
    return req.pathParameters[name];
  }
  const ctx = /^context\.(.+)$/.exec(expression.trim());
  if (ctx) {
    const value = lookupPath(context, ctx[1].split("."));
    return value === undefined || value === null ? undefined : stringify(value);
  }
  const stage = /^stageVariables\.(.+)$/.exec(expression.trim());
  if (stage) return req.stageVariables?.[stage[1]];
  return undefined;
}

function pickTemplate(templates: Record<string, string> | undefined, accept: string | undefined): [string, string] | undefined {
  const entries = Object.entries(templates ?? {});
  if (entries.length === 0) return undefined;
  for (const wanted of (accept ?? "").split(",").map((s) => s.split(";")[0].trim().toLowerCase())) {
    const hit = entries.find(([type]) => type.toLowerCase() === wanted);
    if (hit) return hit;
  }
  return entries.find(([type]) => type.toLowerCase() === "application/json") ?? entries[0];
}

/**
 * Renders the gateway response for `error` from the deployment's `x-amazon-apigateway-gateway-responses`
 * (`responses`; the type, then DEFAULT_4XX/5XX by status class, then AWS's default).
 */
export function renderGatewayResponse(
  responses: Record<string, GatewayResponseSpec> | undefined,
  error: GatewayError,
  req: GatewayResponseRequest,
): RenderedResponse {
  const defaults = AWS_DEFAULTS[error.type];
  const baseStatus = error.status ?? defaults.status;
  const message = error.message ?? defaults.message;
  const all = responses ?? {};
  // "Customizing the default gateway response for 413 REQUEST_TOO_LARGE isn't currently
  // supported" ("Amazon API Gateway important notes for REST APIs"): AWS's own answer, always.
  const spec: GatewayResponseSpec | undefined =
    error.type === "REQUEST_TOO_LARGE" ? undefined : (all[error.type] ?? (baseStatus >= 500 ? all.DEFAULT_5XX : all.DEFAULT_4XX));

  const status = spec?.statusCode !== undefined && /^\d{3}$/.test(String(spec.statusCode)) ? Number(spec.statusCode) : baseStatus;
  const context = {
    ...req.context,
    error: {
      message,
      messageString: JSON.stringify(message),
      responseType: error.type,
      validationErrorString: jsonStringContent(error.validationErrorString ?? ""),
    },
  };
  const headers: Record<string, string> = {};
  let body: string;
  const picked = pickTemplate(spec?.responseTemplates, lookupCi(req.headers, "accept"));
  if (picked) {
    headers["Content-Type"] = picked[0];
    body = substituteContext(picked[1], context, req.stageVariables);
  } else {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify({ message });
  }
  for (const [target, expression] of Object.entries(spec?.responseParameters ?? {})) {
    const m = /^gatewayresponse\.header\.(.+)$/.exec(target);
    if (!m) continue;
    const value = parameterValue(expression, req, context);
    if (value === undefined) continue;
    const existing = Object.keys(headers).find((k) => k.toLowerCase() === m[1].toLowerCase());
    if (existing) delete headers[existing];
    headers[m[1]] = value;
  }
  headers["x-amzn-ErrorType"] = error.errorType ?? defaults.errorType;
  return { status, headers, body };
}
