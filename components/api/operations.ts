import type { ApiGatewayIntegration, HeaderObject, OperationObject, ParameterObject, ResponseObject } from "./openapiTypes";
import { JOB_STATUSES } from "../../lambdas/shared/types";
import { schemaRef, type SchemaName } from "./schemas";

/**
 * Lambda proxy integration URIs of the routes; `submit` may instead be a whole integration
 * (backend `stream`'s direct DynamoDB integration, whose body the gateway validates).
 */
export interface RouteIntegrations {
  submit: string | ApiGatewayIntegration;
  list: string;
  status: string;
  cancel: string;
}

/** The contract's `Idempotency-Key` rule. */
export const IDEMPOTENCY_KEY_PATTERN = "^[A-Za-z0-9_-]{1,64}$";

function lambdaProxy(uri: string): ApiGatewayIntegration {
  // Lambda is always invoked with POST, whatever the client's method.
  return { type: "aws_proxy", httpMethod: "POST", uri, passthroughBehavior: "when_no_match" };
}

function json(description: string, schema: SchemaName, headers?: Record<string, HeaderObject>): ResponseObject {
  return {
    description,
    ...(headers ? { headers } : {}),
    content: { "application/json": { schema: schemaRef(schema) } },
  };
}

const retryAfter = (when: string): HeaderObject => ({
  description: `Seconds to wait before reading the job again (${when}).`,
  schema: { type: "integer", minimum: 0 },
});

// Parameter schemas document the rules for clients; the gateway ignores every attribute but name,
// in, required, type and description ("Amazon API Gateway important notes for REST APIs"): the
// handlers and the stream template enforce them.
const jobIdParameter = (): ParameterObject => ({
  name: "jobId",
  in: "path",
  required: true,
  description: "The id POST /jobs returned.",
  schema: { type: "string", minLength: 1, maxLength: 64 },
});

const waitParameter = (): ParameterObject => ({
  name: "wait",
  in: "query",
  required: false,
  description: "Seconds to wait (1 to 20) for the job to end or change status before answering: a long poll.",
  schema: { type: "integer", minimum: 1, maximum: 20 },
});

const idempotencyKeyParameter = (): ParameterObject => ({
  name: "Idempotency-Key",
  in: "header",
  required: false,
  description:
    "Makes the POST safe to retry: the same key with the same body returns the same job (header " +
    "Idempotent-Replayed: true); the same key with another body is 409 IdempotencyConflict.",
  schema: { type: "string", pattern: IDEMPOTENCY_KEY_PATTERN },
});

const callbackUrlParameter = (): ParameterObject => ({
  name: "Callback-Url",
  in: "header",
  required: false,
  description:
    "Where to POST the job when it ends: a webhook signed as Standard Webhooks says, with the stack's secret (output webhookSecret); " +
    "retried for at least 24 hours. https://, at most 2,048 characters, a public host (else 400 ValidationError).",
  schema: { type: "string", format: "uri", maxLength: 2048, pattern: "^https://" },
});

/** Error responses every route can get (from API Gateway itself or from the backend). */
function commonErrors(): Record<string, ResponseObject> {
  return {
    "403": json("Forbidden: missing or invalid credentials (or no such route).", "Error"),
    "429": json("TooManyRequests: throttled.", "Error", { "Retry-After": retryAfter("before retrying") }),
    "500": json("InternalError: a bug on our side (a service behind the API failing is 503).", "Error"),
    "502": json("BadGateway: the backend failed.", "Error"),
    "503": json(
      "ServiceUnavailable: the job store or the workflow service failed or throttled past its retries; the request left no job, or the one job a retry with the same Idempotency-Key returns. Retry after Retry-After.",
      "Error",
      { "Retry-After": retryAfter("before retrying") },
    ),
    "504": json("GatewayTimeout: the backend did not answer in time.", "Error"),
  };
}

/** Name of the validator that also checks POST /jobs bodies against the job's schema (backend `stream`). */
export const BODY_VALIDATOR = "paramsAndBody";

/** POST /jobs. */
export function submitOperation(integration: string | ApiGatewayIntegration): OperationObject {
  const direct = typeof integration !== "string";
  return {
    operationId: "submitJob",
    summary: "Submit a job",
    parameters: [idempotencyKeyParameter(), callbackUrlParameter()],
    requestBody: {
      required: true,
      description: "The job's input, checked against the job's JSON Schema before anything runs.",
      content: { "application/json": { schema: schemaRef("JobInput") } },
    },
    responses: {
      "202": json("Accepted: the job is PENDING.", "JobAccepted", {
        Location: { description: "URL of the job: {apiUrl}/jobs/{jobId}.", schema: { type: "string", format: "uri" } },
        "Retry-After": retryAfter("first poll"),
        "Idempotent-Replayed": {
          description: "`true` when an Idempotency-Key replay returned an existing job.",
          schema: { type: "string", enum: ["true"] },
        },
      }),
      "400": json(
        direct
          ? "BadRequest (Idempotency-Key) or ValidationError (malformed JSON, input fails the job's schema, or a bad Callback-Url)."
          : "BadRequest (malformed JSON or Idempotency-Key) or ValidationError (input fails the job's schema, or a bad Callback-Url).",
        "Error",
      ),
      "409": json(
        "IdempotencyConflict: the Idempotency-Key was used with another body; or Conflict: a request with this Idempotency-Key is still in progress (with Retry-After: retry then).",
        "Error",
        { "Retry-After": retryAfter("Conflict only: before retrying") },
      ),
      "413": json("PayloadTooLarge: the body is over 256 KiB.", "Error"),
      "415": json("UnsupportedMediaType: Content-Type is not JSON.", "Error"),
      ...commonErrors(),
    },
    ...(direct ? { "x-amazon-apigateway-request-validator": BODY_VALIDATOR } : {}),
    "x-amazon-apigateway-integration": direct ? integration : lambdaProxy(integration),
  };
}

const listParameters = (): ParameterObject[] => [
  {
    name: "status",
    in: "query",
    required: false,
    description: "Only jobs with this status, or one of these (comma-separated), as GET /jobs/{jobId} would show them.",
    schema: { type: "string", pattern: `^(${JOB_STATUSES.join("|")})(,(${JOB_STATUSES.join("|")}))*$` },
  },
  {
    name: "limit",
    in: "query",
    required: false,
    description: "The most jobs on one page (1 to 100).",
    schema: { type: "integer", minimum: 1, maximum: 100, default: 20 },
  },
  {
    name: "cursor",
    in: "query",
    required: false,
    description: "The nextCursor of the previous page, with the same status filter, by the same caller.",
    schema: { type: "string", maxLength: 512 },
  },
];

/** GET /jobs. */
export function listOperation(uri: string): OperationObject {
  return {
    operationId: "listJobs",
    summary: "List the caller's jobs",
    description:
      "The caller's jobs, newest first (createdAt descending), without their results; expired jobs are never listed. Follow nextCursor until it is absent: a page may hold fewer than limit jobs while more follow.",
    parameters: listParameters(),
    responses: {
      "200": json("A page of the caller's jobs.", "JobList"),
      "400": json("ValidationError: a bad status, limit or cursor (malformed, or made for another caller or another status filter); the message names it.", "Error"),
      ...commonErrors(),
    },
    "x-amazon-apigateway-integration": lambdaProxy(uri),
  };
}

/** GET /jobs/{jobId}. */
export function statusOperation(uri: string): OperationObject {
  return {
    operationId: "getJob",
    summary: "Read a job",
    description:
      "With wait=N (1 to 20), a long poll: the answer comes as soon as the job is terminal or its status changes, or after N seconds with the job as it is then.",
    parameters: [jobIdParameter(), waitParameter()],
    responses: {
      "200": json("The job.", "Job", { "Retry-After": retryAfter("only while PENDING or RUNNING") }),
      "400": json("ValidationError: wait is not a whole number from 1 to 20.", "Error"),
      "404": json("NotFound: never issued, malformed, expired, or another caller's job.", "Error"),
      ...commonErrors(),
    },
    "x-amazon-apigateway-integration": lambdaProxy(uri),
  };
}

/** DELETE /jobs/{jobId}. */
export function cancelOperation(uri: string): OperationObject {
  return {
    operationId: "cancelJob",
    summary: "Cancel a job",
    parameters: [jobIdParameter()],
    responses: {
      "202": json("Cancelled: the job was PENDING or RUNNING and reads CANCELLED from now on.", "CancelAccepted"),
      "404": json("NotFound: as for GET.", "Error"),
      "409": json("Conflict: the job has already finished.", "Error"),
      ...commonErrors(),
    },
    "x-amazon-apigateway-integration": lambdaProxy(uri),
  };
}
