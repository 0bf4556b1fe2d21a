// The local Lambda's HTTP API (REST-JSON) answers a route it does not serve with HTTP 404 and
// `x-amzn-ErrorType: UnknownOperationException`, as an AWS REST-JSON service answers a request
// that matches none of its operations (https://smithy.io/2.0/aws/protocols/aws-restjson1-protocol.html;
// Lambda's errors: https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html), never
// silently; the routes it serves (Invoke, GetFunction, ListFunctions) answer as Lambda does.
import { expect } from "chai";
import { startLambdaService, type LocalLambdaService } from "../../../local/aws/lambda";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "../../../local/aws/types";
import { tempDir } from "../../support/tmp";

describe("local Lambda: a route it does not serve answers UnknownOperationException", function () {
  let lambda: LocalLambdaService;

  before(async () => {
    lambda = await startLambdaService({ stateDir: tempDir("lambda-unknown-op"), environment: () => ({}) });
    await lambda.createFunction({
      name: "echo",
      arn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:echo`,
      code: "exports.handler = async (event) => event;",
      handler: "index.handler",
      environment: {},
      timeoutSeconds: 5,
      memorySize: 128,
    });
  });
  after(async () => {
    await lambda.stop();
  });

  async function call(method: string, path: string, body?: string) {
    const res = await fetch(`${lambda.endpoint}${path}`, { method, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    return { status: res.status, errorType: res.headers.get("x-amzn-errortype"), json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  }

  for (const [method, path] of [
    ["DELETE", "/2015-03-31/functions/echo"],
    ["GET", "/2015-03-31/functions/echo/configuration"],
    ["PUT", "/2019-09-25/functions/echo/event-invoke-config"],
    ["GET", "/"],
  ]) {
    it(`answers ${method} ${path} with 404 UnknownOperationException`, async () => {
      const answer = await call(method, path);
      expect(answer).to.include({ status: 404, errorType: "UnknownOperationException" });
      expect(answer.json).to.deep.equal({ Type: "User", Message: `Unknown operation ${method} ${path}` });
    });
  }

  it("still serves Invoke, GetFunction and ListFunctions", async () => {
    expect(await call("POST", "/2015-03-31/functions/echo/invocations", '{"a":1}')).to.deep.include({ status: 200, json: { a: 1 } });
    const get = await call("GET", "/2015-03-31/functions/echo");
    expect(get.status).to.equal(200);
    expect((get.json?.Configuration as Record<string, unknown>).FunctionName).to.equal("echo");
    const list = await call("GET", "/2015-03-31/functions/");
    expect((list.json?.Functions as unknown[]).length).to.equal(1);
  });

  it("answers a function it does not know with 404 ResourceNotFoundException, not UnknownOperationException", async () => {
    const answer = await call("POST", "/2015-03-31/functions/nope/invocations", "{}");
    expect(answer).to.include({ status: 404, errorType: "ResourceNotFoundException" });
  });
});
