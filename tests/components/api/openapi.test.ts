import { expect } from "chai";
import { timerSchema } from "../../../lambdas/jobs/timer";
import { JOB_STATUSES } from "../../../lambdas/shared/types";
import { buildApiDocument, publicApiDocument, type OperationObject } from "../../../components/api/openapi";
import { streamSubmitIntegration } from "../../../components/api/streamSubmit";
import { AUTH_MODES, CORS_CASES, INTEGRATIONS, args, build, openApiErrors } from "./fixtures";

const ROUTES: Array<[path: string, method: "post" | "get" | "delete", integration: keyof typeof INTEGRATIONS]> = [
  ["/jobs", "post", "submit"],
  ["/jobs", "get", "list"],
  ["/jobs/{jobId}", "get", "status"],
  ["/jobs/{jobId}", "delete", "cancel"],
];

function op(doc: ReturnType<typeof build>, path: string, method: "post" | "get" | "delete" | "options"): OperationObject {
  const found = doc.paths[path]?.[method];
  if (!found) throw new Error(`${method.toUpperCase()} ${path} missing`);
  return found;
}

describe("components/api buildApiDocument", () => {
  describe("is valid OpenAPI 3.0", () => {
    for (const auth of AUTH_MODES) {
      for (const [name, corsOrigins] of Object.entries(CORS_CASES)) {
        it(`auth ${auth}, ${name}`, async () => {
          const doc = build({ auth, corsOrigins });
          expect(doc.openapi).to.match(/^3\.0\.\d$/);
          expect(await openApiErrors(doc)).to.equal("");
          expect(await openApiErrors(publicApiDocument(doc))).to.equal("");
        });
      }
    }

    it("the validator itself rejects a broken document (so the checks above can fail)", async () => {
      const doc = build() as any;
      doc.paths["/jobs"].post.responses = "nope";
      expect(await openApiErrors(doc)).to.not.equal("");
    });
  });

  it("is plain JSON and deterministic", () => {
    const doc = build({ corsOrigins: CORS_CASES["two origins"] });
    expect(JSON.parse(JSON.stringify(doc))).to.deep.equal(doc);
    expect(build({ corsOrigins: CORS_CASES["two origins"] })).to.deep.equal(doc);
    expect(doc.info.title).to.equal("async-api-test");
  });

  it("has exactly the contract's routes, each a Lambda proxy integration with its own URI", () => {
    const doc = build();
    expect(Object.keys(doc.paths).sort()).to.deep.equal(["/jobs", "/jobs/{jobId}", "/openapi.json"]);
    expect(Object.keys(doc.paths["/jobs"]!).sort()).to.deep.equal(["get", "post"]);
    expect(Object.keys(doc.paths["/jobs/{jobId}"]!).sort()).to.deep.equal(["delete", "get"]);
    for (const [path, method, integration] of ROUTES) {
      expect(op(doc, path, method)["x-amazon-apigateway-integration"], `${method} ${path}`).to.deep.equal({
        type: "aws_proxy",
        httpMethod: "POST",
        uri: INTEGRATIONS[integration],
        passthroughBehavior: "when_no_match",
      });
    }
  });

  it("declares jobId as a required path parameter on GET and DELETE, and GET's optional wait (1 to 20)", () => {
    const doc = build();
    for (const method of ["get", "delete"] as const) {
      const params = op(doc, "/jobs/{jobId}", method).parameters ?? [];
      expect(params[0]).to.include({ name: "jobId", in: "path", required: true });
      expect(params).to.have.length(method === "get" ? 2 : 1);
    }
    const wait = (op(doc, "/jobs/{jobId}", "get").parameters ?? [])[1];
    expect(wait).to.deep.include({ name: "wait", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 20 } });
  });

  it("declares Callback-Url as an optional https header on POST, at most 2,048 characters", () => {
    const params = op(build(), "/jobs", "post").parameters!;
    const callback = params.find((p) => p.name === "Callback-Url")!;
    expect(callback).to.deep.include({ in: "header", required: false });
    expect(callback.schema).to.deep.include({ maxLength: 2048, pattern: "^https://" });
  });

  it("declares Idempotency-Key as an optional header on POST with the contract's pattern", () => {
    const params = op(build(), "/jobs", "post").parameters ?? [];
    const key = params.find((p) => p.name === "Idempotency-Key");
    expect(key).to.include({ in: "header", required: false });
    const pattern = new RegExp(String(key!.schema.pattern));
    expect(pattern.test("abc_DEF-123")).to.equal(true);
    expect(pattern.test("x".repeat(64))).to.equal(true);
    expect(pattern.test("x".repeat(65))).to.equal(false);
    expect(pattern.test("")).to.equal(false);
    expect(pattern.test("a b")).to.equal(false);
    expect(pattern.test("a.b")).to.equal(false);
  });

  it("uses the job schema as the POST /jobs request model, without $schema", () => {
    const doc = build();
    expect(op(doc, "/jobs", "post").requestBody?.content["application/json"]?.schema).to.deep.equal({
      $ref: "#/components/schemas/JobInput",
    });
    const { $schema, ...rest } = timerSchema;
    expect($schema).to.be.a("string");
    expect(doc.components.schemas.JobInput).to.deep.equal(rest);
    expect(doc.components.schemas.JobInput).to.not.equal(rest);
  });

  it("does not let the document alias the caller's job schema", () => {
    const schema = JSON.parse(JSON.stringify(timerSchema));
    const doc = build({ jobSchema: schema });
    schema.properties.seconds.maximum = 1;
    expect((doc.components.schemas.JobInput as any).properties.seconds.maximum).to.equal(900);
  });

  it("documents GET /jobs: its query, its JobList of jobs without results, and its 400", () => {
    const doc = build();
    const list = op(doc, "/jobs", "get");
    expect(list.operationId).to.equal("listJobs");
    expect(list.parameters!.map((p) => [p.name, p.in, p.required])).to.deep.equal([
      ["status", "query", false],
      ["limit", "query", false],
      ["cursor", "query", false],
    ]);
    const limit = list.parameters!.find((p) => p.name === "limit")!.schema as any;
    expect([limit.minimum, limit.maximum, limit.default]).to.deep.equal([1, 100, 20]);
    const status = new RegExp((list.parameters!.find((p) => p.name === "status")!.schema as any).pattern);
    expect(status.test("SUCCEEDED,FAILED")).to.equal(true);
    expect(status.test("SUCCEEDED,")).to.equal(false);
    expect(status.test("DONE")).to.equal(false);
    expect(Object.keys(list.responses).sort()).to.include.members(["200", "400"]);
    const { JobList, JobSummary, Job } = doc.components.schemas as any;
    expect(JobList.required).to.deep.equal(["jobs"]);
    expect(JobList.properties.jobs.items).to.deep.equal(JobSummary);
    expect(Object.keys(JobSummary.properties).sort()).to.deep.equal(Object.keys(Job.properties).filter((k) => k !== "result" && k !== "resultUrl").sort());
    expect(JobSummary.properties).to.include.keys("progress", "error");
  });

  it("documents the response bodies of the contract", () => {
    const { schemas } = build().components;
    expect(Object.keys(schemas).sort()).to.deep.equal(["CancelAccepted", "Error", "Job", "JobAccepted", "JobInput", "JobList", "JobSummary"]);
    expect((schemas.Job as any).properties.status.enum).to.deep.equal([...JOB_STATUSES]);
    expect((schemas.Job as any).required).to.deep.equal(["jobId", "status", "createdAt", "updatedAt"]);
    expect(Object.keys((schemas.Job as any).properties)).to.include.members(["result", "resultUrl", "error"]);
    expect((schemas.JobAccepted as any).required).to.deep.equal(["jobId", "status", "createdAt"]);
    expect((schemas.CancelAccepted as any).properties.status.enum).to.deep.equal(["CANCELLED"]);
    expect((schemas.Error as any).properties.error.required).to.deep.equal(["code", "message"]);
  });

  it("documents each operation's statuses and headers", () => {
    const doc = build();
    const statuses = (path: string, method: "post" | "get" | "delete") => Object.keys(op(doc, path, method).responses);
    expect(statuses("/jobs", "post")).to.include.members(["202", "400", "403", "409", "413", "415", "429", "500", "502", "503", "504"]);
    expect(statuses("/jobs/{jobId}", "get")).to.include.members(["200", "403", "404", "429", "500", "503"]);
    expect(statuses("/jobs/{jobId}", "delete")).to.include.members(["202", "403", "404", "409", "429", "500", "503"]);
    const accepted = op(doc, "/jobs", "post").responses["202"]!;
    expect(Object.keys(accepted.headers ?? {})).to.have.members(["Location", "Retry-After", "Idempotent-Replayed"]);
    expect(accepted.content?.["application/json"]?.schema).to.deep.equal({ $ref: "#/components/schemas/JobAccepted" });
    expect(Object.keys(op(doc, "/jobs/{jobId}", "get").responses["200"]!.headers ?? {})).to.deep.equal(["Retry-After"]);
    for (const [path, method] of ROUTES) {
      for (const [status, response] of Object.entries(op(doc, path, method).responses)) {
        if (Number(status) >= 400) {
          expect(response.content?.["application/json"]?.schema, `${method} ${path} ${status}`).to.deep.equal({
            $ref: "#/components/schemas/Error",
          });
        }
      }
    }
  });

  // CONTRACT.md, "When a service behind the API fails": 503 ServiceUnavailable with Retry-After on every
  // route and backend; the gateway's throttling 429 with Retry-After. AWS, "Set up method responses"
  // for REST APIs: a header an integration response maps must be declared on the method response
  // (the stream backend maps Retry-After onto its 503).
  it("declares Retry-After on every route's 503 and 429, and on POST's 409 (a request with the same key in progress), on every backend", () => {
    const stream = streamSubmitIntegration({ tableName: "jobs", credentialsRoleArn: "arn:aws:iam::123456789012:role/submit", region: "us-east-1", auth: "iam", recordLifetimeSeconds: 4020 });
    for (const doc of [build(), build({ integrations: { ...INTEGRATIONS, submit: stream } })]) {
      for (const [path, method] of ROUTES) {
        const operation = op(doc, path, method);
        for (const status of ["429", "503"]) {
          expect(Object.keys(operation.responses[status]?.headers ?? {}), `${method} ${path} ${status}`).to.deep.equal(["Retry-After"]);
        }
        expect(operation.responses["503"]!.description, `${method} ${path}`).to.match(/^ServiceUnavailable/);
        // Every header an integration response maps is declared on the method response it maps to.
        for (const [selection, response] of Object.entries(operation["x-amazon-apigateway-integration"]?.responses ?? {})) {
          const declared = Object.keys(operation.responses[response.statusCode]?.headers ?? {});
          for (const target of Object.keys(response.responseParameters ?? {})) {
            expect(declared, `${method} ${path} integration response ${selection} → ${response.statusCode} maps ${target}`).to.include(target.replace("method.response.header.", ""));
          }
        }
      }
      expect(Object.keys(op(doc, "/jobs", "post").responses["409"]!.headers ?? {})).to.deep.equal(["Retry-After"]);
    }
    expect(stream.responses!.default.statusCode, "the stream backend maps DynamoDB's 5xx onto the 503").to.equal("503");
  });

  it("declares the params-only request validator and makes it the default", () => {
    const doc = build();
    expect(doc["x-amazon-apigateway-request-validators"]).to.deep.equal({
      params: { validateRequestParameters: true, validateRequestBody: false },
    });
    expect(doc["x-amazon-apigateway-request-validator"]).to.equal("params");
  });

  describe("auth", () => {
    it("iam: SigV4 scheme on every route", () => {
      const doc = build({ auth: "iam" });
      expect(doc.components.securitySchemes).to.deep.equal({
        sigv4: {
          type: "apiKey",
          name: "Authorization",
          in: "header",
          description: doc.components.securitySchemes!.sigv4!.description,
          "x-amazon-apigateway-authtype": "awsSigv4",
        },
      });
      for (const [path, method] of ROUTES) expect(op(doc, path, method).security).to.deep.equal([{ sigv4: [] }]);
      expect(doc).to.not.have.property("x-amazon-apigateway-api-key-source");
    });

    it("apiKey: x-api-key required on every route, key source HEADER", () => {
      const doc = build({ auth: "apiKey" });
      expect(doc.components.securitySchemes?.api_key).to.include({ type: "apiKey", name: "x-api-key", in: "header" });
      expect(doc.components.securitySchemes?.api_key).to.not.have.property("x-amazon-apigateway-authtype");
      for (const [path, method] of ROUTES) expect(op(doc, path, method).security).to.deep.equal([{ api_key: [] }]);
      expect(doc["x-amazon-apigateway-api-key-source"]).to.equal("HEADER");
    });

    it("none: no security anywhere", () => {
      const doc = build({ auth: "none" });
      expect(doc.components).to.not.have.property("securitySchemes");
      expect(doc).to.not.have.property("security");
      expect(doc).to.not.have.property("x-amazon-apigateway-api-key-source");
      for (const [path, method] of ROUTES) expect(op(doc, path, method)).to.not.have.property("security");
    });
  });

  describe("CORS", () => {
    it("without origins: no OPTIONS method and no CORS header anywhere", () => {
      for (const auth of AUTH_MODES) {
        const doc = build({ auth, corsOrigins: [] });
        expect(doc.paths["/jobs"]).to.not.have.property("options");
        expect(doc.paths["/jobs/{jobId}"]).to.not.have.property("options");
        expect(JSON.stringify(doc)).to.not.match(/Access-Control/i);
      }
    });

    for (const auth of AUTH_MODES) {
      it(`with origins (auth ${auth}): an open mock OPTIONS on both resources`, () => {
        const doc = build({ auth, corsOrigins: CORS_CASES["two origins"] });
        for (const [path, methods] of [
          ["/jobs", "GET,OPTIONS,POST"],
          ["/jobs/{jobId}", "DELETE,GET,OPTIONS"],
        ] as const) {
          const options = op(doc, path, "options");
          expect(options.security, path).to.deep.equal([]);
          const integration = options["x-amazon-apigateway-integration"]!;
          expect(integration.type).to.equal("mock");
          expect(integration.requestTemplates).to.deep.equal({ "application/json": '{"statusCode": 200}' });
          expect(integration).to.not.have.property("uri");
          const response = integration.responses!.default!;
          expect(response.statusCode).to.equal("200");
          expect(response.responseParameters).to.deep.equal({
            "method.response.header.Access-Control-Allow-Methods": `'${methods}'`,
            "method.response.header.Access-Control-Allow-Headers":
              "'Content-Type,Authorization,X-Amz-Date,X-Amz-Security-Token,X-Amz-Content-Sha256,X-Api-Key,Idempotency-Key,Callback-Url'",
            "method.response.header.Access-Control-Max-Age": "'600'",
            "method.response.header.Vary": "'Origin'",
          });
          // Every mapped header must be declared on the method response, or the import fails.
          const declared = Object.keys(options.responses["200"]!.headers ?? {});
          for (const key of Object.keys(response.responseParameters!)) {
            expect(declared).to.include(key.replace("method.response.header.", ""));
          }
        }
      });
    }

    it("removes duplicate origins", () => {
      const once = build({ corsOrigins: ["https://a.example"] });
      const twice = build({ corsOrigins: ["https://a.example", "https://a.example"] });
      expect(twice).to.deep.equal(once);
    });
  });

  describe("rejects bad arguments", () => {
    const bad = [
      "*",
      "",
      "app.example.com",
      "ftp://app.example.com",
      "https://app.example.com/",
      "https://app.example.com/path",
      "https://app.example.com'",
      "https://app.example.com\"",
      "https://a b.example.com",
      "https://app.example.com\\",
      "https://app.example.com\n",
      "https://",
    ];
    for (const origin of bad) {
      it(`corsOrigins ${JSON.stringify(origin)}`, () => {
        expect(() => buildApiDocument(args({ corsOrigins: ["https://ok.example", origin] }))).to.throw(/corsOrigins/);
      });
    }

    it("accepts origins with ports", () => {
      expect(() => build({ corsOrigins: ["http://localhost:5173", "https://app.example.com:8443"] })).to.not.throw();
    });

    it("a job schema of another draft", () => {
      const jobSchema = { ...timerSchema, $schema: "http://json-schema.org/draft-07/schema#" };
      expect(() => build({ jobSchema })).to.throw(/jobSchema.*draft-04/);
    });
  });

  describe("publicApiDocument", () => {
    it("drops every x-amazon-apigateway key, integration and OPTIONS, and keeps the rest", () => {
      for (const auth of AUTH_MODES) {
        const doc = build({ auth, corsOrigins: CORS_CASES["two origins"] });
        const before = JSON.stringify(doc);
        const pub = publicApiDocument(doc);
        expect(JSON.stringify(doc)).to.equal(before);
        const text = JSON.stringify(pub);
        expect(text).to.not.include("x-amazon-apigateway");
        expect(text).to.not.include("arn:aws");
        expect(pub.paths["/jobs"]).to.not.have.property("options");
        expect(pub.paths["/jobs/{jobId}"]).to.not.have.property("options");
        expect(pub.components.schemas).to.deep.equal(doc.components.schemas);
        expect(pub.paths["/jobs"]?.post?.responses).to.deep.equal(doc.paths["/jobs"]?.post?.responses);
        expect(pub.paths["/jobs"]?.post?.security).to.deep.equal(doc.paths["/jobs"]?.post?.security);
      }
    });
  });
});
