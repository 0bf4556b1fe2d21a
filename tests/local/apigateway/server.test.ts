import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect } from "chai";
import { startApiGatewayService, type LocalApiGatewayService } from "../../../local/aws/apigateway/server";
import { ACCOUNT, FakeLambda, REGION, apiDocument, functionArn, proxyResult, send, sendSigned, signHeaders } from "./helpers";

const execFileAsync = promisify(execFile);
const API_ID = "abc123";
const ORIGIN = "http://localhost:5173";
const ERROR_TYPE = "x-amzn-errortype";

function expectError(res: { status: number; json(): any }, status: number, code: string) {
  expect(res.status, JSON.stringify(res)).to.equal(status);
  const body = res.json();
  expect(Object.keys(body)).to.deep.equal(["error"]);
  expect(body.error.code).to.equal(code);
  expect(body.error.message).to.be.a("string").and.not.be.empty;
}

/** Starts a gateway serving the program's document for `auth` at stage `v1`, with all permissions. */
async function gatewayFor(auth: "iam" | "apiKey" | "none", cors: string[], options: { integrationTimeoutMs?: number; permissions?: boolean } = {}) {
  const lambda = new FakeLambda();
  const lines: string[] = [];
  const gw = await startApiGatewayService({
    lambda,
    accountId: ACCOUNT,
    region: REGION,
    log: (l) => lines.push(l),
    integrationTimeoutMs: options.integrationTimeoutMs,
  });
  gw.putRestApi(API_ID, JSON.stringify(apiDocument(auth, cors)));
  gw.createDeployment(API_ID, "dep1");
  const url = gw.createStage(API_ID, "v1", "dep1");
  if (options.permissions !== false) {
    const base = `arn:aws:execute-api:${REGION}:${ACCOUNT}:${API_ID}`;
    gw.addLambdaPermission("submit", `${base}/*/POST/jobs`);
    gw.addLambdaPermission(functionArn("status"), `${base}/*/GET/jobs/*`);
    gw.addLambdaPermission("cancel", `${base}/*/DELETE/jobs/*`);
  }
  return { gw, lambda, url, lines };
}

describe("local API Gateway: auth iam, one CORS origin", () => {
  let gw: LocalApiGatewayService;
  let lambda: FakeLambda;
  let url: string;
  let lines: string[];

  before(async () => {
    ({ gw, lambda, url, lines } = await gatewayFor("iam", [ORIGIN]));
  });
  after(async () => gw.stop());
  beforeEach(() => {
    lambda.script = (fn) => proxyResult(fn.endsWith(":submit") ? 202 : 200, { fn });
  });

  it("gives the stage URL on the public host", () => {
    expect(url).to.equal(`http://localhost:${gw.port}/v1`);
    expect(gw.endpoint).to.equal(`http://127.0.0.1:${gw.port}`);
  });

  it("routes each method to its function by the ARN in the integration URI, with path parameters", async () => {
    const post = await sendSigned(`${url}/jobs`, { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"seconds":1}' });
    expect(post.status).to.equal(202);
    expect(lambda.last.fn).to.equal(functionArn("submit"));
    expect(lambda.last.event.pathParameters).to.equal(null);

    const get = await sendSigned(`${url}/jobs/job-42`);
    expect(get.status).to.equal(200);
    expect(get.json()).to.deep.equal({ fn: functionArn("status") });
    expect(lambda.last.event.pathParameters).to.deep.equal({ jobId: "job-42" });
    expect(lambda.last.event.resource).to.equal("/jobs/{jobId}");

    const del = await sendSigned(`${url}/jobs/job-42/`, { method: "DELETE" });
    expect(del.status).to.equal(200);
    expect(lambda.last.fn).to.equal(functionArn("cancel"));
    expect(lambda.last.event.pathParameters).to.deep.equal({ jobId: "job-42" });
  });

  it("answers an unknown route, method or stage with MISSING_AUTHENTICATION_TOKEN in the contract's error shape", async () => {
    const calls = lambda.calls.length;
    for (const [method, path] of [
      ["GET", "/v1/nope"],
      ["PUT", "/v1/jobs"],
      ["GET", "/v1/jobs/a/b"],
      ["GET", "/v2/jobs"],
      ["GET", "/"],
    ]) {
      const res = await sendSigned(`http://localhost:${gw.port}${path}`, { method });
      expectError(res, 403, "Forbidden");
      expect(res.headers[ERROR_TYPE], path).to.equal("MissingAuthenticationTokenException");
    }
    expect(lambda.calls.length).to.equal(calls);
  });

  it("sends a REST v1 proxy event with the stage path, caller identity, domain name and forwarding headers", async () => {
    const res = await sendSigned(`${url}/jobs/j1?x=1&x=2&y=%20z`, { headers: { "X-Custom": "a", "User-Agent": "tester/1" } }, { accessKeyId: "alice" });
    expect(res.status).to.equal(200);
    const e = lambda.last.event;
    expect(e.httpMethod).to.equal("GET");
    expect(e.path).to.equal("/jobs/j1");
    expect(e.resource).to.equal("/jobs/{jobId}");
    expect(e.queryStringParameters).to.deep.equal({ x: "2", y: " z" });
    expect(e.multiValueQueryStringParameters).to.deep.equal({ x: ["1", "2"], y: [" z"] });
    expect(e.stageVariables).to.equal(null);
    expect(e.body).to.equal(null);
    expect(e.isBase64Encoded).to.equal(false);
    expect(e.headers["X-Custom"]).to.equal("a");
    expect(e.multiValueHeaders["X-Custom"]).to.deep.equal(["a"]);
    expect(e.headers["X-Forwarded-Proto"]).to.equal("http");
    expect(e.headers["X-Forwarded-Port"]).to.equal(String(gw.port));
    expect(e.headers["X-Forwarded-For"]).to.equal("127.0.0.1");
    const rc = e.requestContext;
    expect(rc).to.include({
      accountId: ACCOUNT,
      apiId: API_ID,
      stage: "v1",
      path: "/v1/jobs/j1",
      resourcePath: "/jobs/{jobId}",
      httpMethod: "GET",
      domainName: `localhost:${gw.port}`,
      protocol: "HTTP/1.1",
    });
    expect(rc.resourceId).to.match(/^[a-z0-9]{6}$/);
    expect(rc.requestId).to.match(/^[0-9a-f-]{36}$/);
    expect(res.headers["x-amzn-requestid"]).to.equal(rc.requestId);
    expect(rc.requestTimeEpoch).to.be.a("number");
    expect(rc.requestTime).to.match(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(rc.identity).to.include({
      userArn: `arn:aws:iam::${ACCOUNT}:user/alice`,
      accessKey: "alice",
      caller: "alice",
      user: "alice",
      accountId: ACCOUNT,
      sourceIp: "127.0.0.1",
      userAgent: "tester/1",
      apiKey: null,
    });
  });

  it("sends a JSON body as text and passes the function's status, headers and body through", async () => {
    lambda.script = () => ({
      statusCode: 202,
      headers: { "Content-Type": "application/json; charset=utf-8", Location: "http://x/jobs/1", "Set-Cookie": "a=1" },
      multiValueHeaders: { "Set-Cookie": ["b=2"] },
      body: '{"jobId":"1"}',
    });
    const res = await sendSigned(`${url}/jobs`, { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"seconds": 3}' });
    expect(lambda.last.event.body).to.equal('{"seconds": 3}');
    expect(lambda.last.event.isBase64Encoded).to.equal(false);
    expect(res.status).to.equal(202);
    expect(res.headers.location).to.equal("http://x/jobs/1");
    expect(res.headers["set-cookie"]).to.have.members(["a=1", "b=2"]);
    expect(res.json()).to.deep.equal({ jobId: "1" });
  });

  describe("SigV4", () => {
    it("accepts a signature made with any access key id and the secret `test`, and says who signed", async () => {
      const res = await sendSigned(`${url}/jobs/j`, {}, { accessKeyId: "bob" });
      expect(res.status).to.equal(200);
      expect(lambda.last.event.requestContext.identity.userArn).to.equal(`arn:aws:iam::${ACCOUNT}:user/bob`);
    });

    it("accepts the SDKs' signature with x-amz-content-sha256", async () => {
      const res = await sendSigned(`${url}/jobs`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }, { checksum: true });
      expect(res.status).to.equal(202);
    });

    it("rejects a signature made with another secret", async () => {
      const calls = lambda.calls.length;
      const res = await sendSigned(`${url}/jobs/j`, {}, { secret: "not-test" });
      expectError(res, 403, "Forbidden");
      expect(res.headers[ERROR_TYPE]).to.equal("InvalidSignatureException");
      expect(lambda.calls.length).to.equal(calls);
    });

    it("rejects an unsigned request", async () => {
      const res = await send(`${url}/jobs/j`);
      expectError(res, 403, "Forbidden");
      expect(res.headers[ERROR_TYPE]).to.equal("MissingAuthenticationTokenException");
    });

    it("rejects a tampered body, with or without a payload hash header", async () => {
      for (const checksum of [false, true]) {
        const headers = await signHeaders(`${url}/jobs`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"seconds":1}' }, { checksum });
        const res = await send(`${url}/jobs`, { method: "POST", headers, body: '{"seconds":9}' });
        expectError(res, 403, "Forbidden");
        expect(res.headers[ERROR_TYPE]).to.equal("InvalidSignatureException");
      }
    });

    it("rejects a tampered path and a signature for another route", async () => {
      const headers = await signHeaders(`${url}/jobs/mine`, {});
      const res = await send(`${url}/jobs/yours`, { headers });
      expectError(res, 403, "Forbidden");
    });

    it("rejects a stale or future X-Amz-Date (more than 15 minutes off)", async () => {
      for (const offset of [-16, 16]) {
        const res = await sendSigned(`${url}/jobs/j`, {}, { date: new Date(Date.now() + offset * 60_000) });
        expectError(res, 403, "Forbidden");
        expect(res.headers[ERROR_TYPE]).to.equal("InvalidSignatureException");
      }
      const fine = await sendSigned(`${url}/jobs/j`, {}, { date: new Date(Date.now() - 10 * 60_000) });
      expect(fine.status).to.equal(200);
    });

    it("rejects another region or service in the credential scope, and a malformed Authorization", async () => {
      expectError(await sendSigned(`${url}/jobs/j`, {}, { region: "eu-west-1" }), 403, "Forbidden");
      expectError(await sendSigned(`${url}/jobs/j`, {}, { service: "lambda" }), 403, "Forbidden");
      const res = await send(`${url}/jobs/j`, { headers: { Authorization: "Bearer abc" } });
      expectError(res, 403, "Forbidden");
      expect(res.headers[ERROR_TYPE]).to.equal("IncompleteSignatureException");
    });

    it("accepts a real `curl --aws-sigv4` request, with a body and with an escaped path and unsorted query", async () => {
      const base = ["-sS", "-o", "-", "-w", "\n%{http_code}", "--aws-sigv4", `aws:amz:${REGION}:execute-api`];
      const post = await execFileAsync("curl", [...base, "--user", "alice:test", "-H", "Content-Type: application/json", "-d", '{"seconds":1}', `${url}/jobs`]);
      expect(post.stdout.trim().split("\n").pop()).to.equal("202");
      expect(lambda.last.event.requestContext.identity.userArn).to.equal(`arn:aws:iam::${ACCOUNT}:user/alice`);
      expect(lambda.last.event.body).to.equal('{"seconds":1}');

      const get = await execFileAsync("curl", [...base, "--user", "carol:test", `${url}/jobs/a%20b?z=1&a=2`]);
      expect(get.stdout.trim().split("\n").pop()).to.equal("200");
      expect(lambda.last.event.requestContext.identity.accessKey).to.equal("carol");
      expect(lambda.last.event.pathParameters).to.deep.equal({ jobId: "a b" });

      const wrong = await execFileAsync("curl", [...base, "--user", "alice:nope", `${url}/jobs/x`]);
      expect(wrong.stdout.trim().split("\n").pop()).to.equal("403");
    });
  });

  describe("integration failures", () => {
    it("answers 500 when no Lambda permission lets API Gateway invoke the function", async () => {
      const { gw: bare, lambda: fn, url: bareUrl, lines: log } = await gatewayFor("iam", [], { permissions: false });
      try {
        bare.addLambdaPermission("status", `arn:aws:execute-api:${REGION}:${ACCOUNT}:otherapi/*/GET/jobs/*`);
        bare.addLambdaPermission("submit", `arn:aws:execute-api:${REGION}:${ACCOUNT}:${API_ID}/*/GET/jobs`);
        const res = await sendSigned(`${bareUrl}/jobs/j`);
        expectError(res, 500, "InternalError");
        expectError(await sendSigned(`${bareUrl}/jobs`, { method: "POST", body: "{}" }), 500, "InternalError");
        expect(fn.calls).to.have.length(0);
        expect(log.join("\n")).to.contain("Invalid permissions on Lambda function");
        // A wildcard permission on the API fixes it.
        bare.addLambdaPermission(functionArn("status"), `arn:aws:execute-api:${REGION}:${ACCOUNT}:${API_ID}/*/*`);
        expect((await sendSigned(`${bareUrl}/jobs/j`)).status).to.equal(200);
      } finally {
        await bare.stop();
      }
    });

    it("answers a function error with 502 in the error shape", async () => {
      lambda.script = () => ({ statusCode: 200, functionError: "Unhandled", payload: JSON.stringify({ errorType: "Error", errorMessage: "boom", trace: [] }) });
      const res = await sendSigned(`${url}/jobs/j`);
      expectError(res, 502, "BadGateway");
      expect(res.text).not.to.contain("boom");
      expect(lines[lines.length - 1]).to.contain("boom");
    });

    it("answers a malformed proxy response with 502", async () => {
      for (const answer of [{ statusCode: 200, body: { not: "a string" } }, { statusCode: "abc" }, { statusCode: 200, body: "", extra: 1 }, "just text"]) {
        lambda.script = () => answer;
        const res = await sendSigned(`${url}/jobs/j`);
        expect(res.status, JSON.stringify(answer)).to.equal(502);
        expect(res.json().error.code).to.be.a("string");
      }
    });

    it("answers 504 when the function takes longer than the integration timeout", async () => {
      const { gw: slow, lambda: fn, url: slowUrl } = await gatewayFor("none", [], { integrationTimeoutMs: 100 });
      try {
        fn.script = () => new Promise((resolve) => setTimeout(() => resolve(proxyResult(200, {})), 400));
        const res = await send(`${slowUrl}/jobs/j`);
        expectError(res, 504, "GatewayTimeout");
      } finally {
        await slow.stop();
      }
    });
  });

  it("answers a body over 10 MB with 413 before checking the signature", async () => {
    const calls = lambda.calls.length;
    const res = await send(`${url}/jobs`, { method: "POST", headers: { "Content-Type": "application/json" }, body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20) });
    // AWS's own answer, whatever the document says: "Customizing the default gateway response for
    // 413 REQUEST_TOO_LARGE isn't currently supported" ("Amazon API Gateway important notes for REST APIs").
    expect(res.status).to.equal(413);
    expect(res.json()).to.deep.equal({ message: "Request Too Long" });
    expect(res.headers["x-amzn-errortype"]).to.equal("RequestTooLargeException");
    expect(lambda.calls.length).to.equal(calls);
    // Exactly 10 MB is let through to auth (unsigned here: 403).
    const limit = await send(`${url}/jobs`, { method: "POST", headers: { "Content-Type": "application/json" }, body: Buffer.alloc(10 * 1024 * 1024, 0x20) });
    expect(limit.status).to.equal(403);
  });

  describe("CORS", () => {
    it("answers a preflight from the allowed origin without credentials", async () => {
      const calls = lambda.calls.length;
      const res = await send(`${url}/jobs`, { method: "OPTIONS", headers: { Origin: ORIGIN, "Access-Control-Request-Method": "POST" } });
      expect(res.status).to.equal(200);
      expect(res.headers["access-control-allow-origin"]).to.equal(ORIGIN);
      expect(res.headers["access-control-allow-methods"]).to.equal("GET,OPTIONS,POST");
      expect(res.headers["access-control-allow-headers"]).to.contain("Authorization");
      expect(res.headers["access-control-max-age"]).to.equal("600");
      expect(res.headers.vary).to.equal("Origin");
      expect(res.json()).to.deep.equal({});
      expect(lambda.calls.length).to.equal(calls);
      const job = await send(`${url}/jobs/x`, { method: "OPTIONS", headers: { origin: ORIGIN } });
      expect(job.headers["access-control-allow-methods"]).to.equal("DELETE,GET,OPTIONS");
    });

    it("leaves Access-Control-Allow-Origin out for another origin", async () => {
      const res = await send(`${url}/jobs/x`, { method: "OPTIONS", headers: { Origin: "http://evil.example" } });
      expect(res.status).to.equal(200);
      expect(res.headers["access-control-allow-origin"]).to.equal(undefined);
      expect(res.headers.vary).to.equal("Origin");
    });
  });

  it("puts the document's gateway-response headers and AWS's request headers on rejections", async () => {
    const res = await send(`${url}/jobs/j`);
    expect(res.status).to.equal(403);
    expect(res.headers["content-type"]).to.equal("application/json; charset=utf-8");
    expect(res.headers["access-control-allow-origin"]).to.equal(ORIGIN);
    expect(res.headers["x-amzn-requestid"]).to.match(/^[0-9a-f-]{36}$/);
    expect(res.headers[ERROR_TYPE]).to.equal("MissingAuthenticationTokenException");
  });

  it("writes one access-log line per request", async () => {
    const before = lines.length;
    await send(`${url}/jobs/j`);
    expect(lines.length).to.equal(before + 1);
    expect(lines[lines.length - 1]).to.match(/"GET \/v1\/jobs\/j" 403 .* MISSING_AUTHENTICATION_TOKEN/);
  });
});

describe("local API Gateway: auth apiKey", () => {
  let gw: LocalApiGatewayService;
  let lambda: FakeLambda;
  let url: string;

  before(async () => {
    ({ gw, lambda, url } = await gatewayFor("apiKey", []));
    gw.createApiKey({ id: "key1", value: "secret-key-value-1", enabled: true });
    gw.createApiKey({ id: "key2", value: "disabled-key-value", enabled: false });
    gw.createApiKey({ id: "key3", value: "key-without-a-plan", enabled: true });
    gw.createApiKey({ id: "key4", value: "key-of-another-stage", enabled: true });
    gw.createUsagePlan("plan1", [{ apiId: API_ID, stage: "v1" }]);
    gw.addUsagePlanKey("plan1", "key1");
    gw.addUsagePlanKey("plan1", "key2");
    gw.createUsagePlan("plan2", [{ apiId: API_ID, stage: "v9" }]);
    gw.addUsagePlanKey("plan2", "key4");
  });
  after(async () => gw.stop());

  it("lets a known, enabled key of a usage plan of this stage through and names it in the identity", async () => {
    const res = await send(`${url}/jobs/j`, { headers: { "x-api-key": "secret-key-value-1" } });
    expect(res.status).to.equal(200);
    expect(lambda.last.event.requestContext.identity).to.include({ apiKey: "secret-key-value-1", apiKeyId: "key1", userArn: null });
  });

  it("rejects a missing, unknown, disabled or unplanned key with INVALID_API_KEY (403)", async () => {
    const calls = lambda.calls.length;
    for (const key of [undefined, "wrong", "disabled-key-value", "key-without-a-plan", "key-of-another-stage"]) {
      const res = await send(`${url}/jobs/j`, { headers: key ? { "X-Api-Key": key } : {} });
      expectError(res, 403, "Forbidden");
      expect(res.headers[ERROR_TYPE], String(key)).to.equal("ForbiddenException");
    }
    expect(lambda.calls.length).to.equal(calls);
  });

  it("does not ask for SigV4", async () => {
    const res = await send(`${url}/jobs`, { method: "POST", headers: { "x-api-key": "secret-key-value-1" }, body: "{}" });
    expect(res.status).to.equal(200);
    expect(lambda.last.fn).to.equal(functionArn("submit"));
  });
});

describe("local API Gateway: auth none, no CORS", () => {
  let gw: LocalApiGatewayService;
  let lambda: FakeLambda;
  let url: string;

  before(async () => {
    ({ gw, lambda, url } = await gatewayFor("none", []));
  });
  after(async () => gw.stop());

  it("is open, and the identity is anonymous", async () => {
    const res = await send(`${url}/jobs/j`);
    expect(res.status).to.equal(200);
    expect(lambda.last.event.requestContext.identity).to.include({ userArn: null, accessKey: null, caller: null, apiKey: null });
  });

  it("has no preflight route and no CORS header on gateway responses", async () => {
    const res = await send(`${url}/jobs`, { method: "OPTIONS", headers: { Origin: ORIGIN } });
    expectError(res, 403, "Forbidden");
    expect(res.headers["access-control-allow-origin"]).to.equal(undefined);
  });

  it("keeps serving the deployment a stage was created with until the stage is re-pointed", async () => {
    const doc = apiDocument("none", []);
    (doc.paths as any)["/extra"] = { get: { ...doc.paths["/jobs/{jobId}"].get, parameters: [] } };
    gw.putRestApi(API_ID, JSON.stringify(doc));
    expect((await send(`${url}/extra`)).status).to.equal(403);
    gw.createDeployment(API_ID, "dep2");
    expect((await send(`${url}/extra`)).status).to.equal(403);
    expect(gw.createStage(API_ID, "v1", "dep2")).to.equal(url);
    expect((await send(`${url}/extra`)).status).to.equal(500); // no permission for GET /extra
    gw.addLambdaPermission("status", `arn:aws:execute-api:${REGION}:${ACCOUNT}:${API_ID}/*/GET/extra`);
    expect((await send(`${url}/extra`)).status).to.equal(200);
    expect(lambda.last.event.resource).to.equal("/extra");
  });

  it("refuses a stage of an unknown deployment", () => {
    expect(() => gw.createStage(API_ID, "v2", "nope")).to.throw(/no deployment/);
  });
});

describe("local API Gateway: request validation and other integrations", () => {
  let gw: LocalApiGatewayService;
  let lambda: FakeLambda;
  let url: string;
  let lines: string[];

  before(async () => {
    lambda = new FakeLambda();
    lines = [];
    gw = await startApiGatewayService({ lambda, accountId: ACCOUNT, region: REGION, log: (l) => lines.push(l) });
    const doc: any = apiDocument("none", []);
    doc.paths["/jobs/{jobId}"].get.parameters.push({ name: "mode", in: "query", required: true, schema: { type: "string" } });
    doc.paths["/jobs"].post.parameters.push({ name: "X-Trace", in: "header", required: true, schema: { type: "string" } });
    doc["x-amazon-apigateway-request-validators"].all = { validateRequestParameters: true, validateRequestBody: true };
    doc.paths["/jobs"].post["x-amazon-apigateway-request-validator"] = "all";
    doc.paths["/http"] = { get: { responses: {}, "x-amazon-apigateway-integration": { type: "http_proxy", uri: "http://example.com", passthroughBehavior: "when_no_match" } } };
    gw.putRestApi("api2", JSON.stringify(doc));
    gw.createDeployment("api2", "d");
    url = gw.createStage("api2", "prod", "d");
    gw.addLambdaPermission("status", `arn:aws:execute-api:${REGION}:${ACCOUNT}:api2/*/*`);
    gw.addLambdaPermission("submit", `arn:aws:execute-api:${REGION}:${ACCOUNT}:api2/*/*`);
  });
  after(async () => gw.stop());

  it("answers a missing required parameter with BAD_REQUEST_PARAMETERS (400)", async () => {
    const res = await send(`${url}/jobs/j`);
    expectError(res, 400, "ValidationError");
    expect(res.headers[ERROR_TYPE]).to.equal("BadRequestException");
    expect(lines[lines.length - 1]).to.contain("BAD_REQUEST_PARAMETERS");
    expect((await send(`${url}/jobs/j?mode=x`)).status).to.equal(200);
    expect(lambda.last.event.requestContext.stage).to.equal("prod");
  });

  it("validates the body against the model when the validator says so", async () => {
    const headers = { "Content-Type": "application/json", "X-Trace": "t" };
    expectError(await send(`${url}/jobs`, { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"seconds":1}' }), 400, "ValidationError");
    expectError(await send(`${url}/jobs`, { method: "POST", headers, body: '{"secs":1}' }), 400, "ValidationError");
    expect(lines[lines.length - 1]).to.contain("BAD_REQUEST_BODY");
    expect((await send(`${url}/jobs`, { method: "POST", headers, body: '{"seconds":1}' })).status).to.equal(200);
  });

  it("answers an integration type it cannot run with 500 and says why in the log", async () => {
    const res = await send(`${url}/http`);
    expectError(res, 500, "InternalError");
    expect(lines[lines.length - 1]).to.contain("http_proxy");
  });
});
