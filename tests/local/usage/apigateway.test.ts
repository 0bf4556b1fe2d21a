// The local API Gateway's cost meter (local/usage/apigateway.ts): which requests API Gateway bills,
// the jobs they are for, and a real local gateway counting real HTTP requests (and serving the
// usage report at GET /__local/usage).
//
// Billing rules relied on:
// - https://aws.amazon.com/api-gateway/pricing/: REST APIs are billed per API call received.
// - API Gateway Developer Guide, "API Gateway pricing"
//   (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-pricing.html):
//   methods with authorization type AWS_IAM, CUSTOM or COGNITO_USER_POOLS "are not charged for
//   authorization and authentication failures"; methods requiring API keys "are not charged when
//   API keys are missing or invalid"; throttled requests are not charged.
// - re:Post, "Pricing clarification for api gateway" (AWS expert, reviewed):
//   https://repost.aws/questions/QU5y4fo-e3RWyU5r4VmyPIzA/pricing-clarification-for-api-gateway —
//   no charge for requests that "did not match a route in your API".
import { expect } from "chai";
import { startApiGatewayService, USAGE_PATH, type LocalApiGatewayService } from "../../../local/aws/apigateway/server";
import { isBilledRequest, requestJobIds, requestSource } from "../../../local/usage/apigateway";
import { UsageMeter, type UsageReport } from "../../../local/usage/meter";
import { ACCOUNT, FakeLambda, REGION, apiDocument, proxyResult, send, sendSigned } from "../apigateway/helpers";

const JOB_A = "11111111-2222-4333-8444-555555555555";
const JOB_B = "66666666-7777-4888-9999-aaaaaaaaaaaa";
const API_ID = "usage1";
const ORIGIN = "http://localhost:5173";

describe("API Gateway usage: pure rules", () => {
  // Developer Guide "API Gateway pricing": auth failures, missing/invalid API keys and throttled
  // requests are not charged; re:Post (above): nor requests matching no route (403 Missing Authentication Token).
  it("bills every request but authentication/authorization failures, API key refusals, throttling and unmatched routes", () => {
    expect(isBilledRequest(undefined)).to.equal(true);
    for (const billed of ["BAD_REQUEST_BODY", "BAD_REQUEST_PARAMETERS", "INTEGRATION_FAILURE", "INTEGRATION_TIMEOUT", "REQUEST_TOO_LARGE", "DEFAULT_5XX", "API_CONFIGURATION_ERROR"]) {
      expect(isBilledRequest(billed), billed).to.equal(true);
    }
    for (const free of ["MISSING_AUTHENTICATION_TOKEN", "INVALID_SIGNATURE", "EXPIRED_TOKEN", "ACCESS_DENIED", "UNAUTHORIZED", "INVALID_API_KEY", "THROTTLED", "QUOTA_EXCEEDED"]) {
      expect(isBilledRequest(free), free).to.equal(false);
    }
  });

  it("names the job of the {jobId} path parameter, or of a POST's 2xx answer, and none for the list", () => {
    const get = { method: "GET", pathParameters: { jobId: JOB_A.toUpperCase() }, status: 404, body: "{}" };
    expect(requestJobIds(get)).to.deep.equal([JOB_A]);
    expect(requestJobIds({ ...get, pathParameters: { jobId: "job-42" } })).to.deep.equal([]);
    const post = { method: "POST", pathParameters: {}, status: 202, body: Buffer.from(JSON.stringify({ jobId: JOB_B, status: "PENDING" })) };
    expect(requestJobIds(post)).to.deep.equal([JOB_B]);
    expect(requestJobIds({ ...post, status: 400 })).to.deep.equal([]);
    expect(requestJobIds({ method: "GET", pathParameters: {}, status: 200, body: JSON.stringify({ jobs: [{ jobId: JOB_A }] }) })).to.deep.equal([]);
  });

  it("names the source by method and resource path", () => {
    expect(requestSource("get", "/jobs/{jobId}")).to.equal("apigateway:GET /jobs/{jobId}");
  });
});

async function gateway(auth: "iam" | "apiKey", options: { meter?: UsageMeter; usage?: () => unknown }) {
  const lambda = new FakeLambda();
  const gw = await startApiGatewayService({ lambda, accountId: ACCOUNT, region: REGION, consoleDir: null, ...options });
  gw.putRestApi(API_ID, JSON.stringify(apiDocument(auth, [ORIGIN])));
  gw.createDeployment(API_ID, "d1");
  const url = gw.createStage(API_ID, "v1", "d1");
  const base = `arn:aws:execute-api:${REGION}:${ACCOUNT}:${API_ID}`;
  for (const fn of ["submit", "list", "status", "cancel"]) gw.addLambdaPermission(fn, `${base}/*/*/*`);
  return { gw, lambda, url };
}

describe("API Gateway usage: a local gateway (IAM auth) counting real requests", function () {
  let gw: LocalApiGatewayService;
  let lambda: FakeLambda;
  let url: string;
  const meter = new UsageMeter();

  before(async () => {
    ({ gw, lambda, url } = await gateway("iam", { meter, usage: () => meter.report() }));
    lambda.script = (fn, event) => {
      if (fn.endsWith(":submit")) return proxyResult(202, { jobId: JOB_A, status: "PENDING" });
      if (fn.endsWith(":list")) return proxyResult(200, { jobs: [{ jobId: JOB_A }, { jobId: JOB_B }] });
      if (fn.endsWith(":cancel")) return { statusCode: 200, functionError: "Unhandled", payload: '{"errorType":"Error","errorMessage":"boom"}' };
      return event.pathParameters.jobId === JOB_A ? proxyResult(200, { jobId: JOB_A }) : proxyResult(404, { error: { code: "NotFound" } });
    };
  });
  after(async () => gw.stop());

  it("counts answered requests, 4xx and 5xx included, but not auth failures, unmatched routes or the usage report", async () => {
    const json = { "Content-Type": "application/json" };
    expect((await sendSigned(`${url}/jobs`, { method: "POST", headers: json, body: '{"seconds":1}' })).status).to.equal(202); // 1, job A
    expect((await sendSigned(`${url}/jobs/${JOB_A}`)).status).to.equal(200); // 1, job A
    expect((await sendSigned(`${url}/jobs/${JOB_B}`)).status).to.equal(404); // 1, job B (the function's 404)
    expect((await sendSigned(`${url}/jobs`)).status).to.equal(200); // 1, no job (the list)
    expect((await sendSigned(`${url}/jobs/${JOB_B}`, { method: "DELETE" })).status).to.equal(502); // 1, job B (INTEGRATION_FAILURE, as the document answers it)
    expect((await send(`${url}/jobs`, { method: "OPTIONS", headers: { Origin: ORIGIN, "Access-Control-Request-Method": "POST" } })).status).to.equal(200); // 1 (mock preflight)
    // Not billed: unsigned (MissingAuthenticationToken), a wrong secret (InvalidSignature), no such route or stage.
    expect((await send(`${url}/jobs/${JOB_A}`)).status).to.equal(403);
    expect((await sendSigned(`${url}/jobs/${JOB_A}`, {}, { secret: "not-test" })).status).to.equal(403);
    expect((await sendSigned(`${url}/nope`)).status).to.equal(403);
    expect((await sendSigned(`http://localhost:${gw.port}/v9/jobs`)).status).to.equal(403);

    const res = await send(`http://localhost:${gw.port}${USAGE_PATH}`);
    expect(res.status).to.equal(200);
    expect(res.headers["content-type"]).to.contain("application/json");
    const report = res.json() as UsageReport;
    expect(report.totals).to.deep.equal({ "apigateway.requests": 6 });
    expect(report.jobs).to.deep.equal({ [JOB_A]: { "apigateway.requests": 2 }, [JOB_B]: { "apigateway.requests": 2 } });
    expect(report.notPerJob).to.deep.equal({ "apigateway.requests": 2 });
    expect(report.bySource).to.deep.equal({
      "apigateway:POST /jobs": { "apigateway.requests": 1 },
      "apigateway:GET /jobs/{jobId}": { "apigateway.requests": 2 },
      "apigateway:GET /jobs": { "apigateway.requests": 1 },
      "apigateway:DELETE /jobs/{jobId}": { "apigateway.requests": 1 },
      "apigateway:OPTIONS /jobs": { "apigateway.requests": 1 },
    });
    // The report itself was not counted.
    expect(meter.report().totals).to.deep.equal({ "apigateway.requests": 6 });
  });

  it("serves the usage report for GET only", async () => {
    const before = meter.report().totals["apigateway.requests"];
    const res = await send(`http://localhost:${gw.port}${USAGE_PATH}`, { method: "DELETE" });
    expect(res.status).to.equal(403);
    expect(res.headers["x-amzn-errortype"]).to.equal("MissingAuthenticationTokenException");
    expect(meter.report().totals["apigateway.requests"]).to.equal(before);
  });
});

describe("API Gateway usage: a local gateway (API keys)", function () {
  let gw: LocalApiGatewayService;
  let url: string;
  const meter = new UsageMeter();

  before(async () => {
    ({ gw, url } = await gateway("apiKey", { meter }));
    gw.createApiKey({ id: "k1", value: "usage-key-value-1", enabled: true });
    gw.createUsagePlan("p1", [{ apiId: API_ID, stage: "v1" }]);
    gw.addUsagePlanKey("p1", "k1");
  });
  after(async () => gw.stop());

  // Developer Guide "API Gateway pricing": "Calling methods requiring API keys are not charged when API keys are missing or invalid".
  it("does not count a missing or invalid key, counts a valid one", async () => {
    expect((await send(`${url}/jobs/${JOB_A}`)).status).to.equal(403);
    expect((await send(`${url}/jobs/${JOB_A}`, { headers: { "x-api-key": "wrong" } })).status).to.equal(403);
    expect(meter.report().totals).to.deep.equal({});
    expect((await send(`${url}/jobs/${JOB_A}`, { headers: { "x-api-key": "usage-key-value-1" } })).status).to.equal(200);
    expect(meter.job(JOB_A)).to.deep.equal({ "apigateway.requests": 1 });
  });

  it("without the usage option, answers GET /__local/usage as any unknown path", async () => {
    const res = await send(`http://localhost:${gw.port}${USAGE_PATH}`);
    expect(res.status).to.equal(403);
    expect(res.headers["x-amzn-errortype"]).to.equal("MissingAuthenticationTokenException");
    expect(meter.report().totals).to.deep.equal({ "apigateway.requests": 1 });
  });
});
