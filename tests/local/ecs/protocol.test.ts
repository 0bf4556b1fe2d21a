// The local ECS service's wire answers outside the happy path, pinned as they are: an operation
// it does not serve, a request that is not `POST /` with its target, a body that is not a JSON
// object, and the task metadata endpoint for a task it does not know.
// UnknownOperationException and SerializationException are the awsJson protocols' own errors
// (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html,
// https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html).
import { expect } from "chai";
import { startEcsService, type LocalEcsService } from "../../../local/aws/ecs";
import { rawHttp } from "../../support/rawHttp";

const HOW_TO_CALL = "The local ECS service takes POST / with X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Action>";

describe("local ECS service: the wire outside the happy path", function () {
  let ecs: LocalEcsService;
  before(async () => {
    ecs = await startEcsService({ environment: () => ({}) });
    ecs.createCluster("default");
  });
  after(async () => {
    await ecs?.stop();
  });

  const send = async (method: string, path: string, body?: string, target?: string) => {
    const url = new URL(ecs.endpoint);
    const headers: Record<string, string | number> = { "Content-Type": "application/x-amz-json-1.1" };
    if (target !== undefined) headers["X-Amz-Target"] = target;
    if (body !== undefined) headers["Content-Length"] = Buffer.byteLength(body);
    return rawHttp({ host: url.hostname, port: url.port, method, path, headers }, body);
  };

  const expectError = (res: { status: number; headers: Record<string, unknown>; text: string }, status: number, code: string, message: string) => {
    expect(res.status, res.text).to.equal(status);
    expect(JSON.parse(res.text)).to.deep.equal({ __type: code, message });
    expect(res.headers["x-amzn-errortype"]).to.equal(code);
    expect(res.headers["content-type"]).to.equal("application/x-amz-json-1.1");
    expect(res.headers["x-amzn-requestid"]).to.be.a("string");
  };

  it("an operation it does not serve is UnknownOperationException naming the action", async function () {
    expectError(await send("POST", "/", "{}", "AmazonEC2ContainerServiceV20141113.CreateService"), 400, "UnknownOperationException", "CreateService is not supported by the local ECS service");
    expectError(await send("POST", "/", "{}", "AmazonEC2ContainerServiceV20141113.toString"), 400, "UnknownOperationException", "toString is not supported by the local ECS service");
  });

  it("a request without its target, another service's target, or not a POST is told how to call", async function () {
    expectError(await send("POST", "/", "{}"), 400, "UnknownOperationException", HOW_TO_CALL);
    expectError(await send("POST", "/", "{}", "AWSStepFunctions.StartExecution"), 400, "UnknownOperationException", HOW_TO_CALL);
    expectError(await send("GET", "/", undefined, "AmazonEC2ContainerServiceV20141113.ListTasks"), 400, "UnknownOperationException", HOW_TO_CALL);
  });

  it("a body that is not a JSON object is SerializationException; an empty one is {}", async function () {
    const target = "AmazonEC2ContainerServiceV20141113.ListTasks";
    expectError(await send("POST", "/", "{not json", target), 400, "SerializationException", "The request body is not JSON");
    expectError(await send("POST", "/", "[]", target), 400, "SerializationException", "The request body is not a JSON object");
    const empty = await send("POST", "/", "", target);
    expect(empty.status, empty.text).to.equal(200);
    expect(JSON.parse(empty.text)).to.deep.equal({ taskArns: [] });
  });

  it("the task metadata endpoint answers 404 for a task it does not know", async function () {
    for (const path of ["/v4/0123456789abcdef0123456789abcdef/main", "/v4/0123456789abcdef0123456789abcdef/main/task"]) {
      const res = await send("GET", path);
      expect(res.status).to.equal(404);
      expect(JSON.parse(res.text)).to.deep.equal({ message: "task metadata not found" });
      expect(res.headers["content-type"]).to.equal("application/x-amz-json-1.1");
      expect(res.headers["x-amzn-requestid"]).to.be.a("string");
    }
  });
});
