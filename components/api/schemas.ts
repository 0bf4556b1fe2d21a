import { JOB_STATUSES } from "../../lambdas/shared/types";
import type { SchemaObject } from "./openapiTypes";

const DRAFT_04 = /^https?:\/\/json-schema\.org\/draft-04\/schema#?$/;

/** `#/components/schemas/<name>`. */
export function schemaRef(name: SchemaName): SchemaObject {
  return { $ref: `#/components/schemas/${name}` };
}

export type SchemaName = "JobInput" | "JobAccepted" | "Job" | "JobSummary" | "JobList" | "CancelAccepted" | "Error";

/**
 * The job's input schema as the POST /jobs request model: a deep copy without `$schema`, which an
 * OpenAPI 3.0 Schema Object does not allow (API Gateway models are draft-04 anyway). Throws, naming
 * `jobSchema`, when the schema declares another draft.
 */
export function jobInputSchema(jobSchema: Record<string, unknown>): SchemaObject {
  const { $schema, ...rest } = jobSchema;
  if ($schema !== undefined && !(typeof $schema === "string" && DRAFT_04.test($schema))) {
    throw new Error(`jobSchema: API Gateway models must be JSON Schema draft-04, got $schema ${JSON.stringify($schema)}`);
  }
  return JSON.parse(JSON.stringify(rest)) as SchemaObject;
}

const errorInfo: SchemaObject = {
  type: "object",
  required: ["code", "message"],
  properties: {
    code: { type: "string", description: "PascalCase error code, e.g. ValidationError, NotFound, TimerFailed." },
    message: { type: "string", description: "Human-readable text." },
  },
};

const timestamp = (description: string): SchemaObject => ({ type: "string", format: "date-time", description });
const jobId: SchemaObject = { type: "string", maxLength: 64, description: "Unguessable, URL-safe job id." };

/**
 * `components.schemas`: the request model and every response body of the contract. Schemas do not
 * `$ref` each other, so each one imports as a self-contained API Gateway model.
 */
export function componentSchemas(jobSchema: Record<string, unknown>): Record<SchemaName, SchemaObject> {
  const job = jobSchemaObject();
  const { result: _result, resultUrl: _resultUrl, ...summaryProperties } = job.properties as Record<string, SchemaObject>;
  const summary: SchemaObject = { ...job, description: "A job as GET /jobs lists it: without result or resultUrl (read the job for those).", properties: summaryProperties };
  return {
    JobInput: jobInputSchema(jobSchema),
    JobAccepted: {
      type: "object",
      required: ["jobId", "status", "createdAt"],
      properties: {
        jobId,
        status: { type: "string", enum: ["PENDING"] },
        createdAt: timestamp("When the job was submitted (ISO 8601)."),
      },
    },
    Job: job,
    JobSummary: summary,
    JobList: {
      type: "object",
      required: ["jobs"],
      properties: {
        jobs: { type: "array", items: { ...summary }, description: "Newest first (createdAt descending); at most limit." },
        nextCursor: {
          type: "string",
          description: "Pass as cursor for the next page; absent on the last page. A page may hold fewer than limit jobs while nextCursor is present.",
        },
      },
    },
    CancelAccepted: {
      type: "object",
      required: ["jobId", "status"],
      properties: { jobId, status: { type: "string", enum: ["CANCELLED"] } },
    },
    Error: {
      type: "object",
      required: ["error"],
      properties: { error: errorInfo },
    },
  };
}

/** GET /jobs/{jobId}'s body. */
function jobSchemaObject(): SchemaObject {
  return {
    type: "object",
    required: ["jobId", "status", "createdAt", "updatedAt"],
    properties: {
      jobId,
      status: { type: "string", enum: [...JOB_STATUSES] },
      createdAt: timestamp("When the job was submitted (ISO 8601)."),
      updatedAt: timestamp("When the job last changed (ISO 8601)."),
      result: { description: "The job's JSON output: only when SUCCEEDED and at most 256 KiB." },
      resultUrl: {
        type: "string",
        format: "uri",
        description: "Presigned URL of a result over 256 KiB, valid for at least 5 minutes.",
      },
      error: { ...errorInfo, description: "Only when FAILED or TIMED_OUT (code TimedOut)." },
      progress: {
        type: "object",
        description: "The job's latest progress report, once it made one (kept after it ends).",
        required: ["updatedAt"],
        properties: {
          percent: { type: "number", minimum: 0, maximum: 100 },
          message: { type: "string", maxLength: 256 },
          updatedAt: timestamp("When it was reported (ISO 8601)."),
        },
      },
    },
  };
}
