// The AWS JSON protocol layer the local services share (local/aws/protocols/awsJson.ts), on a real
// HTTP server. What it copies:
// - https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html (and aws-json-1_1): POST / with
//   X-Amz-Target, timestamps as epoch seconds, errors as `__type` with their HTTP status;
// - an operation a service does not serve: UnknownOperationException, as AWS's JSON services answer it.
import { expect } from "chai";
import * as http from "node:http";
import { AwsApiError } from "../../../local/aws/protocols/apiError";
import { awsJsonListener, operationOf, toWire, type AwsJsonService } from "../../../local/aws/protocols/awsJson";
import { close, listen } from "../../../local/aws/protocols/listen";

async function call(endpoint: string, target: string | undefined, body: string, method = "POST") {
  const res = await fetch(endpoint + "/", { method, headers: { ...(target ? { "X-Amz-Target": target } : {}), "Content-Type": "application/x-amz-json-1.1" }, body: method === "POST" ? body : undefined });
  return { status: res.status, type: res.headers.get("content-type"), errorType: res.headers.get("x-amzn-errortype"), requestId: res.headers.get("x-amzn-requestid"), body: (await res.json()) as Record<string, any> };
}

describe("local/aws/protocols awsJson", () => {
  let server: http.Server;
  let endpoint: string;
  const logged: string[] = [];
  const service: AwsJsonService = {
    targetPrefix: "TestService_2024",
    version: "1.1",
    serviceName: "the test service",
    maxRequestBytes: 64,
    log: (line) => logged.push(line),
    operations: {
      Echo: (input) => ({ Input: input, At: new Date(1_700_000_000_500), Missing: undefined }),
      Fail: () => {
        throw new AwsApiError("ResourceNotFoundException", "no such thing");
      },
      Crash: () => {
        throw new Error("a bug");
      },
    },
  };

  before(async () => {
    server = http.createServer(awsJsonListener(service));
    endpoint = (await listen(server)).endpoint;
  });
  after(() => close(server));

  it("routes X-Amz-Target to the operation; dates become epoch seconds and undefined fields are dropped", async () => {
    const res = await call(endpoint, "TestService_2024.Echo", '{"a":1}');
    expect(res.status).to.equal(200);
    expect(res.type).to.equal("application/x-amz-json-1.1");
    expect(res.requestId).to.match(/^[0-9a-f-]{36}$/);
    expect(res.body).to.deep.equal({ Input: { a: 1 }, At: 1_700_000_000.5 });
  });

  it("an empty body is the empty object", async () => {
    expect((await call(endpoint, "TestService_2024.Echo", "")).body).to.deep.equal({ Input: {}, At: 1_700_000_000.5 });
  });

  it("an operation it does not serve, another prefix, no target or a GET: 400 UnknownOperationException", async () => {
    for (const [target, method] of [["TestService_2024.Nope", "POST"], ["Other.Echo", "POST"], [undefined, "POST"], ["TestService_2024.Echo", "GET"]] as const) {
      const res = await call(endpoint, target, "{}", method);
      expect(res.status, String(target)).to.equal(400);
      expect(res.errorType).to.equal("UnknownOperationException");
      expect(res.body.__type).to.equal("UnknownOperationException");
      expect(res.body.message).to.be.a("string").and.not.equal("");
    }
  });

  it("a body that is not a JSON object: 400 SerializationException", async () => {
    for (const body of ["{", "[1]", "3", "null"]) {
      const res = await call(endpoint, "TestService_2024.Echo", body);
      expect(res.status, body).to.equal(400);
      expect(res.body.__type, body).to.equal("SerializationException");
    }
  });

  it("an AwsApiError is answered with its code and status; any other error is a 500 of the service's internal code, logged", async () => {
    const fail = await call(endpoint, "TestService_2024.Fail", "{}");
    expect(fail.status).to.equal(400);
    expect(fail.body).to.deep.equal({ __type: "ResourceNotFoundException", message: "no such thing" });
    const crash = await call(endpoint, "TestService_2024.Crash", "{}");
    expect(crash.status).to.equal(500);
    expect(crash.body.__type).to.equal("InternalFailure");
    expect(logged.some((l) => l.includes("Crash failed") && l.includes("a bug"))).to.equal(true);
  });

  it("operationOf reads only its own prefix and a plain name", () => {
    expect(operationOf("AWSEvents.PutEvents", "AWSEvents")).to.equal("PutEvents");
    expect(operationOf("AWSEventsX.PutEvents", "AWSEvents")).to.equal(undefined);
    expect(operationOf("AWSEvents.Put/Events", "AWSEvents")).to.equal(undefined);
    expect(operationOf(undefined, "AWSEvents")).to.equal(undefined);
    expect(toWire({ d: [new Date(0)], u: undefined })).to.deep.equal({ d: [0] });
  });
});
