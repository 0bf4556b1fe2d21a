// The local Step Functions service answers an operation it does not serve as Step Functions does:
// HTTP 400 with `UnknownOperationException` ("Common Errors", AWS Step Functions API Reference,
// https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html), naming the
// action when the target is a well-formed `AWSStepFunctions.<Action>` and saying how to call
// otherwise. A body that is not a JSON object is the awsJson1_0 protocol's SerializationException
// (https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html). Nothing is answered silently.
import { expect } from "chai";
import { startStepFunctionsService, type LocalStepFunctionsService } from "../../../local/aws/stepfunctions";
import { rawHttp } from "../../support/rawHttp";

const HOW_TO_CALL = "The local Step Functions service takes POST / with X-Amz-Target: AWSStepFunctions.<Action>";

describe("local Step Functions service: the wire outside the happy path", function () {
  let sfn: LocalStepFunctionsService;
  before(async () => {
    sfn = await startStepFunctionsService({
      lambda: { invoke: async () => ({ statusCode: 200, payload: "null" }) },
      dynamodbEndpoint: () => "http://127.0.0.1:1",
    });
  });
  after(async () => {
    await sfn?.stop();
  });

  const send = async (method: string, body?: string, target?: string) => {
    const url = new URL(sfn.endpoint);
    const headers: Record<string, string | number> = { "Content-Type": "application/x-amz-json-1.0" };
    if (target !== undefined) headers["X-Amz-Target"] = target;
    if (body !== undefined) headers["Content-Length"] = Buffer.byteLength(body);
    return rawHttp({ host: url.hostname, port: url.port, method, path: "/", headers }, body);
  };

  /** What the tests look at in an answer: its status, its body, and the awsJson1_0 headers. */
  const seen = (res: { status: number; headers: Record<string, unknown>; text: string }) => ({
    status: res.status,
    body: JSON.parse(res.text) as unknown,
    errorType: res.headers["x-amzn-errortype"],
    contentType: res.headers["content-type"],
    requestId: typeof res.headers["x-amzn-requestid"],
  });
  const expectError = (res: { status: number; headers: Record<string, unknown>; text: string }, status: number, code: string, message: string) =>
    expect(seen(res), res.text).to.deep.equal({ status, body: { __type: code, message }, errorType: code, contentType: "application/x-amz-json-1.0", requestId: "string" });

  it("an operation it does not serve is UnknownOperationException naming the action", async function () {
    expectError(await send("POST", "{}", "AWSStepFunctions.DeleteStateMachine"), 400, "UnknownOperationException", "DeleteStateMachine is not supported by the local Step Functions service");
    expectError(await send("POST", "{}", "AWSStepFunctions.CreateActivity"), 400, "UnknownOperationException", "CreateActivity is not supported by the local Step Functions service");
  });

  it("does not take an inherited property for an operation", async function () {
    for (const action of ["toString", "constructor", "hasOwnProperty"]) {
      expectError(await send("POST", "{}", `AWSStepFunctions.${action}`), 400, "UnknownOperationException", `${action} is not supported by the local Step Functions service`);
    }
  });

  it("a request without its target, another service's target, or not a POST is told how to call", async function () {
    expectError(await send("POST", "{}"), 400, "UnknownOperationException", HOW_TO_CALL);
    expectError(await send("POST", "{}", "AWSEvents.ListRules"), 400, "UnknownOperationException", HOW_TO_CALL);
    expectError(await send("POST", "{}", "AWSStepFunctions."), 400, "UnknownOperationException", HOW_TO_CALL);
    expectError(await send("GET", undefined, "AWSStepFunctions.ListStateMachines"), 400, "UnknownOperationException", HOW_TO_CALL);
  });

  it("a body that is not a JSON object is SerializationException; an empty one is {}", async function () {
    const target = "AWSStepFunctions.ListStateMachines";
    expectError(await send("POST", "{not json", target), 400, "SerializationException", "The request body is not JSON");
    expectError(await send("POST", "[]", target), 400, "SerializationException", "The request body is not a JSON object");
    const empty = await send("POST", "", target);
    expect(empty.status, empty.text).to.equal(200);
    expect(JSON.parse(empty.text)).to.deep.equal({ stateMachines: [] });
  });
});
