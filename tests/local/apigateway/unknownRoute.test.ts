// What the local API Gateway answers for a request that matches no stage, resource or method:
// API Gateway's MISSING_AUTHENTICATION_TOKEN gateway response, 403 "Missing Authentication Token"
// with `x-amzn-ErrorType: MissingAuthenticationTokenException` (AWS's default body when no API's
// gateway responses apply), never an integration call. AWS documents this in
// https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
// (MISSING_AUTHENTICATION_TOKEN: "The gateway response for a missing authentication token error,
// including the cases when the client attempts to invoke an unsupported API method or resource").
// Also the control plane's refusals (a deployment of an unknown API, a stage of an unknown
// deployment or with an invalid name).
import { expect } from "chai";
import { startApiGatewayService, type LocalApiGatewayService } from "../../../local/aws/apigateway/server";
import { ACCOUNT, FakeLambda, REGION, apiDocument, send } from "./helpers";

const AWS_DEFAULT = { message: "Missing Authentication Token" };

function expectMissingToken(res: { status: number; headers: Record<string, unknown> }, what: string) {
  expect(res.status, what).to.equal(403);
  expect(res.headers["x-amzn-errortype"], what).to.equal("MissingAuthenticationTokenException");
  expect(res.headers["x-amzn-requestid"], what).to.be.a("string").and.not.be.empty;
}

/** A gateway serving nothing yet, its Lambda and its access log. */
async function emptyGateway(): Promise<{ gw: LocalApiGatewayService; lambda: FakeLambda; lines: string[] }> {
  const lambda = new FakeLambda();
  const lines: string[] = [];
  const gw = await startApiGatewayService({ lambda, accountId: ACCOUNT, region: REGION, port: 0, log: (l) => lines.push(l), consoleDir: null });
  return { gw, lambda, lines };
}

describe("local API Gateway: unknown stages, routes and methods", () => {
  let gw: LocalApiGatewayService;
  let lambda: FakeLambda;
  let lines: string[];

  beforeEach(async () => ({ gw, lambda, lines } = await emptyGateway()));
  afterEach(async () => gw.stop());

  it("answers AWS's own 403 body while no API is served, for any method and path", async () => {
    for (const [method, path] of [
      ["GET", "/"],
      ["GET", "/v1/jobs"],
      ["POST", "/v1/jobs"],
      ["DELETE", "/anything/at/all?x=1"],
    ]) {
      const res = await send(`${gw.endpoint}${path}`, { method });
      expectMissingToken(res, `${method} ${path}`);
      expect(res.json(), `${method} ${path}`).to.deep.equal(AWS_DEFAULT);
    }
    expect(lines.some((l) => /"GET \/v1\/jobs" 403 .* MISSING_AUTHENTICATION_TOKEN \(no stage v1\)$/.test(l))).to.equal(true);
    expect(lambda.calls).to.have.length(0);
  });

  it("answers an unknown path or method of a served stage with the API's own MISSING_AUTHENTICATION_TOKEN response", async () => {
    gw.putRestApi("api1", JSON.stringify(apiDocument("none")));
    gw.createDeployment("api1", "d1");
    const url = gw.createStage("api1", "v1", "d1");
    for (const [method, path] of [
      ["GET", "/nope"],
      ["PATCH", "/jobs"],
      ["GET", "/jobs/a/b"],
    ]) {
      const res = await send(`${url}${path}`, { method });
      expectMissingToken(res, `${method} ${path}`);
      expect(res.json().error.code, `${method} ${path}`).to.equal("Forbidden");
    }
    expect(lines.some((l) => /"GET \/v1\/nope" 403 .* MISSING_AUTHENTICATION_TOKEN \(no route\)$/.test(l))).to.equal(true);
    expect(lambda.calls).to.have.length(0);
  });

  it("serves a second API's stage of the same name below its id, and nothing below an id without that stage", async () => {
    for (const id of ["a", "b"]) {
      gw.putRestApi(id, JSON.stringify(apiDocument("none")));
      gw.createDeployment(id, "d");
    }
    expect(gw.createStage("a", "v1", "d")).to.equal(`http://localhost:${gw.port}/v1`);
    expect(gw.createStage("b", "v1", "d")).to.equal(`http://localhost:${gw.port}/b/v1`);
    // Several APIs are served: an unknown stage gets AWS's default body.
    for (const path of ["/b/v2/jobs", "/a/v1/jobs", "/c/v1/jobs", "/v2/jobs"]) {
      const res = await send(`${gw.endpoint}${path}`, { method: "PUT" });
      expectMissingToken(res, path);
      expect(res.json(), path).to.deep.equal(AWS_DEFAULT);
    }
    // The mounted stage itself routes: an unknown method there is the API's own response.
    const res = await send(`${gw.endpoint}/b/v1/jobs`, { method: "PUT" });
    expectMissingToken(res, "/b/v1/jobs");
    expect(res.json().error.code).to.equal("Forbidden");
    expect(lambda.calls).to.have.length(0);
  });

  it("refuses a deployment of an unknown API and a stage of an unknown deployment or with an invalid name", () => {
    expect(() => gw.createDeployment("ghost", "d")).to.throw("createDeployment: no REST API ghost");
    gw.putRestApi("api1", JSON.stringify(apiDocument("none")));
    expect(() => gw.createStage("api1", "v1", "d1")).to.throw("createStage: no deployment d1 of REST API api1");
    gw.createDeployment("api1", "d1");
    expect(() => gw.createStage("api1", "v 1", "d1")).to.throw('createStage: invalid stage name "v 1"');
  });
});
