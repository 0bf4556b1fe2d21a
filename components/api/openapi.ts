import type { AuthMode } from "../../lambdas/shared/types";
import { authExtensions, routeSecurity, securitySchemes } from "./auth";
import { preflightOperation, validateCorsOrigins } from "./cors";
import { gatewayResponses } from "./gatewayResponses";
import type { OpenApiDocument, OperationObject, PathItemObject } from "./openapiTypes";
import { OPENAPI_PATH, openapiOperation, openapiOperationDoc } from "./openapiRoute";
import { BODY_VALIDATOR, cancelOperation, listOperation, statusOperation, submitOperation, type RouteIntegrations } from "./operations";
import { componentSchemas } from "./schemas";

export type * from "./openapiTypes";

/** What the API document is built from. */
export interface ApiDocumentArgs {
  /** `info.title`. */
  title: string;
  /** iam: SigV4 on every route; apiKey: `x-api-key` required (key source HEADER); none: open. */
  auth: AuthMode;
  /** The job input's draft-04 JSON Schema: the POST /jobs request model (`JobInput`). */
  jobSchema: Record<string, unknown>;
  /**
   * Lambda proxy integration URIs (`arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations`);
   * `submit` may be a whole integration instead (backend `stream`: components/api/streamSubmit.ts).
   */
  integrations: RouteIntegrations;
  /** Allowed CORS origins (`http(s)://host[:port]`); [] = no CORS at all. */
  corsOrigins: string[];
}

/** Name of the request validator the document declares and makes the API's default. */
export const REQUEST_VALIDATOR = "params";

/** Paths of the contract, relative to the stage URL. */
export const JOBS_PATH = "/jobs";
export const JOB_PATH = "/jobs/{jobId}";

/**
 * The OpenAPI 3.0 document of the REST API (the `body` of `aws.apigateway.RestApi`): routes, models,
 * auth, request validation, gateway responses and CORS. Pure: the same args give the same document.
 * Throws, naming the argument, for an invalid `corsOrigins` entry or a non-draft-04 `jobSchema`.
 */
export function buildApiDocument(args: ApiDocumentArgs): OpenApiDocument {
  const origins = validateCorsOrigins(args.corsOrigins);
  const security = routeSecurity(args.auth);
  const secured = (op: OperationObject): OperationObject => (security ? { ...op, security } : op);

  const jobs: PathItemObject = { get: secured(listOperation(args.integrations.list)), post: secured(submitOperation(args.integrations.submit)) };
  const job: PathItemObject = {
    get: secured(statusOperation(args.integrations.status)),
    delete: secured(cancelOperation(args.integrations.cancel)),
  };
  if (origins.length > 0) {
    jobs.options = preflightOperation(origins, ["GET", "POST"]);
    job.options = preflightOperation(origins, ["GET", "DELETE"]);
  }

  const schemes = securitySchemes(args.auth);
  const document: OpenApiDocument = {
    openapi: "3.0.1",
    info: {
      title: args.title,
      version: "1.0.0",
      description: "Asynchronous job API: submit a job, poll its status (or long-poll it), list your jobs, cancel a job.",
    },
    paths: { [JOBS_PATH]: jobs, [JOB_PATH]: job },
    components: { schemas: componentSchemas(args.jobSchema), ...(schemes ? { securitySchemes: schemes } : {}) },
    // Parameters only: the submit Lambda validates the body, because the contract answers malformed
    // JSON (BadRequest) and a schema failure (ValidationError) with different codes, and gateway
    // response templates are not VTL, so one BAD_REQUEST_BODY response cannot tell the two apart.
    "x-amazon-apigateway-request-validators": {
      [REQUEST_VALIDATOR]: { validateRequestParameters: true, validateRequestBody: false },
      // Without a submit Lambda (backend stream), the gateway validates POST bodies itself.
      ...(typeof args.integrations.submit === "string" ? {} : { [BODY_VALIDATOR]: { validateRequestParameters: true, validateRequestBody: true } }),
    },
    "x-amazon-apigateway-request-validator": REQUEST_VALIDATOR,
    "x-amazon-apigateway-gateway-responses": gatewayResponses(origins),
    ...authExtensions(args.auth),
  };
  // GET /openapi.json answers the public form of this very document (needs no credentials).
  document.paths[OPENAPI_PATH] = { get: openapiOperation(publicApiDocument(document), origins) };
  return document;
}

/**
 * A deep copy for clients (served at GET /openapi.json): no `x-amazon-apigateway-*` key at any
 * depth, hence no integration URIs, and no OPTIONS operations, which exist only for the gateway.
 */
export function publicApiDocument(doc: OpenApiDocument): OpenApiDocument {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value === null || typeof value !== "object") return value;
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      if (!key.startsWith("x-amazon-apigateway-")) out[key] = strip(child);
    }
    return out;
  };
  const copy = strip(doc) as OpenApiDocument;
  for (const item of Object.values(copy.paths)) delete item.options;
  copy.paths[OPENAPI_PATH] = { get: openapiOperationDoc() };
  return copy;
}
