// The client's types against the API's public OpenAPI document. The shapes below are checked two
// ways: by the type-checker (`npm test` runs tsc first) against the client's TypeScript types, and
// here against `components.schemas`. A field added to, removed from or made optional in either the
// document or the client breaks one of the two.
import { expect } from "chai";
import { buildApiDocument, publicApiDocument, type OpenApiDocument } from "../../components/api/openapi";
import { timerSchema } from "../../lambdas/jobs/timer";
import {
  HEADERS,
  IDEMPOTENCY_KEY_PATTERN,
  JOB_STATUSES,
  LIST_LIMIT,
  ROUTES,
  TERMINAL_STATUSES,
  type CancelAccepted,
  type ErrorBody,
  type ErrorInfo,
  type Job,
  type JobAccepted,
  type JobList,
  type JobStatus,
  type JobSummary,
} from "../../client/index";

/** For each field of T: whether it is required. A missing, extra or mis-flagged field is a type error. */
type Shape<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? "optional" : "required" };

const SHAPES = {
  Job: { jobId: "required", status: "required", createdAt: "required", updatedAt: "required", result: "optional", resultUrl: "optional", error: "optional", progress: "optional" } satisfies Shape<Job>,
  JobSummary: { jobId: "required", status: "required", createdAt: "required", updatedAt: "required", error: "optional", progress: "optional" } satisfies Shape<JobSummary>,
  JobList: { jobs: "required", nextCursor: "optional" } satisfies Shape<JobList>,
  JobAccepted: { jobId: "required", status: "required", createdAt: "required" } satisfies Shape<JobAccepted>,
  CancelAccepted: { jobId: "required", status: "required" } satisfies Shape<CancelAccepted>,
  Error: { error: "required" } satisfies Shape<ErrorBody>,
};
const ERROR_INFO = { code: "required", message: "required" } satisfies Shape<ErrorInfo>;

/** Every member of the string union T, and nothing else (a type error otherwise). */
function allOf<T extends string>() {
  return <const A extends readonly T[]>(values: A & ([Exclude<T, A[number]>] extends [never] ? unknown : { missing: Exclude<T, A[number]> })): A => values;
}
const ACCEPTED_STATUSES = allOf<JobAccepted["status"]>()(["PENDING"]);
const CANCELLED_STATUSES = allOf<CancelAccepted["status"]>()(["CANCELLED"]);
const ALL_STATUSES = allOf<JobStatus>()(JOB_STATUSES);

type Schema = {
  type?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  $ref?: string;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
};

function documents(): Array<[string, OpenApiDocument]> {
  const integration = (name: string) => `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${name}/invocations`;
  return (["iam", "apiKey", "none"] as const).map((auth) => [
    auth,
    publicApiDocument(
      buildApiDocument({
        title: "async-api",
        auth,
        jobSchema: timerSchema,
        integrations: { submit: integration("submit"), list: integration("list"), status: integration("status"), cancel: integration("cancel") },
        corsOrigins: [],
      }),
    ),
  ]);
}

function schemaOf(doc: OpenApiDocument, name: string): Schema {
  const schema = (doc.components?.schemas as Record<string, Schema> | undefined)?.[name];
  if (!schema) throw new Error(`components.schemas.${name} is missing`);
  return schema;
}

/** The schema a `$ref` names, or the schema itself. */
function resolved(doc: OpenApiDocument, schema: Schema): Schema {
  return schema.$ref ? schemaOf(doc, schema.$ref.replace("#/components/schemas/", "")) : schema;
}

function expectShape(schema: Schema, shape: Record<string, "required" | "optional">, what: string) {
  expect(Object.keys(schema.properties ?? {}).sort(), `${what}: field names`).to.deep.equal(Object.keys(shape).sort());
  const required = Object.keys(shape).filter((k) => shape[k as keyof typeof shape] === "required");
  expect([...(schema.required ?? [])].sort(), `${what}: required fields`).to.deep.equal(required.sort());
}

describe("client types agree with the public OpenAPI document", () => {
  for (const [auth, doc] of documents()) {
    describe(`auth ${auth}`, () => {
      it("Job, JobSummary, JobList, JobAccepted, CancelAccepted and Error have the client's field names, required the same way", () => {
        for (const [name, shape] of Object.entries(SHAPES)) expectShape(schemaOf(doc, name), shape, name);
        expectShape(schemaOf(doc, "Job").properties!.error, ERROR_INFO, "Job.error");
        expectShape(schemaOf(doc, "JobSummary").properties!.error, ERROR_INFO, "JobSummary.error");
        const jobs = schemaOf(doc, "JobList").properties!.jobs;
        expect(jobs.type).to.equal("array");
        expectShape(resolved(doc, jobs.items ?? {}), SHAPES.JobSummary, "JobList.jobs[]");
        expect(schemaOf(doc, "JobList").properties!.nextCursor.type).to.equal("string");
        expectShape(schemaOf(doc, "Error").properties!.error, ERROR_INFO, "Error.error");
      });

      it("the status unions match the enums", () => {
        expect(schemaOf(doc, "Job").properties!.status.enum).to.deep.equal([...ALL_STATUSES]);
        expect(schemaOf(doc, "JobSummary").properties!.status.enum).to.deep.equal([...ALL_STATUSES]);
        expect(schemaOf(doc, "JobAccepted").properties!.status.enum).to.deep.equal([...ACCEPTED_STATUSES]);
        expect(schemaOf(doc, "CancelAccepted").properties!.status.enum).to.deep.equal([...CANCELLED_STATUSES]);
        expect(TERMINAL_STATUSES.every((s) => (JOB_STATUSES as readonly string[]).includes(s))).to.equal(true);
      });

      it("field types: ids and timestamps are strings, resultUrl a URI", () => {
        const job = schemaOf(doc, "Job").properties!;
        for (const field of ["jobId", "createdAt", "updatedAt", "resultUrl"]) expect(job[field].type, field).to.equal("string");
        expect(job.resultUrl.format).to.equal("uri");
        expect(job.createdAt.format).to.equal("date-time");
      });

      it("the client's routes exist, answering the schema the client parses", () => {
        for (const [name, route] of Object.entries(ROUTES)) {
          const op = doc.paths[route.path]?.[route.method.toLowerCase() as "get" | "post" | "delete"];
          expect(op, `${route.method} ${route.path} (${name})`).to.not.equal(undefined);
          const content = op!.responses[String(route.status)]?.content?.["application/json"]?.schema as Schema | undefined;
          expect(content?.$ref, `${name} ${route.status}`).to.equal(`#/components/schemas/${route.body}`);
          for (const [status, response] of Object.entries(op!.responses)) {
            if (Number(status) >= 400) expect((response.content?.["application/json"]?.schema as Schema)?.$ref, `${name} ${status}`).to.equal("#/components/schemas/Error");
          }
        }
      });

      it("the headers the client reads and sends are the document's", () => {
        const submit = doc.paths[ROUTES.submit.path]!.post!;
        expect(Object.keys(submit.responses["202"].headers ?? {})).to.include.members([HEADERS.location, HEADERS.retryAfter, HEADERS.idempotentReplayed]);
        expect(Object.keys(doc.paths[ROUTES.get.path]!.get!.responses["200"].headers ?? {})).to.include(HEADERS.retryAfter);
        const key = (submit.parameters ?? []).find((p) => "name" in p && p.name === HEADERS.idempotencyKey) as { in: string; schema: Schema } | undefined;
        expect(key?.in).to.equal("header");
        expect(key?.schema.pattern).to.equal(IDEMPOTENCY_KEY_PATTERN.source);
      });

      it("GET /jobs (listJobs) takes the optional query the client sends: status, limit 1..100, cursor", () => {
        const op = doc.paths[ROUTES.list.path]!.get!;
        expect(op.operationId).to.equal("listJobs");
        const params = op.parameters ?? [];
        const query = Object.fromEntries(params.filter((p) => p.in === "query").map((p) => [p.name, p.schema as Schema]));
        expect(Object.keys(query).sort()).to.deep.equal(["cursor", "limit", "status"]);
        expect(params.every((p) => !p.required), "every parameter is optional").to.equal(true);
        expect(query.limit).to.include({ type: "integer", minimum: LIST_LIMIT.min, maximum: LIST_LIMIT.max });
        expect(query.status.type).to.equal("string");
        expect(query.cursor.type).to.equal("string");
      });

      it("the auth the client sends is the document's security scheme", () => {
        const schemes = Object.values(doc.components?.securitySchemes ?? {}) as Array<{ type: string; name: string; in: string }>;
        if (auth === "apiKey") expect(schemes).to.deep.include.members([{ type: "apiKey", name: HEADERS.apiKey, in: "header", description: "The stack's API key." }]);
        else if (auth === "iam") expect(schemes.map((s) => s.name)).to.deep.equal(["Authorization"]);
        else expect(schemes).to.deep.equal([]);
      });
    });
  }

  it("the checks can fail: a document with a renamed field or another status is caught", () => {
    const [, doc] = documents()[0];
    const broken = JSON.parse(JSON.stringify(doc)) as OpenApiDocument;
    const job = schemaOf(broken, "Job");
    job.properties!.resultURL = job.properties!.resultUrl;
    delete job.properties!.resultUrl;
    expect(() => expectShape(job, SHAPES.Job, "Job")).to.throw(/field names/);
    job.required = ["jobId", "status", "createdAt"];
    expect(() => expectShape(schemaOf(doc, "Job"), { ...SHAPES.Job, updatedAt: "optional" }, "Job")).to.throw(/required fields/);
    expect([...(job.properties!.status.enum ?? []), "PAUSED"]).to.not.deep.equal([...ALL_STATUSES]);
  });
});
