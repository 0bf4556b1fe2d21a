// lambdas/shared/serviceFailure.ts classifies what the AWS SDK for JavaScript v3 really throws:
// each case below is an answer of a small local HTTP server (or no answer at all), deserialized by
// the SDK's own clients, with one attempt so the test sees the error the retries would end on.
//
// AWS pages the cases come from: "Error handling with DynamoDB" (400 ThrottlingException,
// ProvisionedThroughputExceededException, RequestLimitExceeded; 500 InternalServerError; 503
// ServiceUnavailable; 400 ConditionalCheckFailedException, ResourceNotFoundException,
// AccessDeniedException, ValidationException are the caller's), Amazon S3 "Error responses" (500
// InternalError, 503 SlowDown, 403 AccessDenied), AWS Step Functions API reference StartExecution
// (ThrottlingException, ExecutionLimitExceeded, StateMachineDoesNotExist), AWS Lambda API reference
// Invoke (429 TooManyRequestsException, 500 ServiceException), and the AWS SDKs and Tools reference
// guide "Retry behavior" (what the SDK retries: throttling, transient errors, timeouts, network).
import * as http from "http";
import type { AddressInfo } from "net";
import { expect } from "chai";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { isServiceFailure } from "../../lambdas/shared/serviceFailure";
import { ConflictError } from "../../lambdas/shared/store";

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body: string;
  /** Never answer (a timeout). */
  hang?: boolean;
  /** Close the connection without an answer (socket hang up). */
  drop?: boolean;
}

const json10 = (type: string, message: string) => JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message });
const s3Xml = (code: string, message: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>r</RequestId></Error>`;

describe("lambdas/shared/serviceFailure: which errors are a service behind the API failing (503) and which a bug (500)", function () {
  let server: http.Server;
  let endpoint = "";
  let answer: Answer = { status: 200, body: "{}" };
  const hung = new Set<http.ServerResponse>();
  const clients: { destroy(): void }[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        if (answer.hang) return void hung.add(res);
        if (answer.drop) return void req.socket.destroy();
        res.writeHead(answer.status, { "Content-Type": "application/x-amz-json-1.0", ...(answer.headers ?? {}) });
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    for (const c of clients) c.destroy();
    for (const res of hung) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const common = () => ({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
    requestHandler: { requestTimeout: 300, connectionTimeout: 300, throwOnRequestTimeout: true },
  });
  function track<T extends { destroy(): void }>(client: T): T {
    clients.push(client);
    return client;
  }
  const dynamodb = () => track(new DynamoDBClient(common()));
  const s3 = () => track(new S3Client({ ...common(), forcePathStyle: true }));
  const sfn = () => track(new SFNClient(common()));
  const lambda = () => track(new LambdaClient(common()));

  async function thrown(send: () => Promise<unknown>, with_: Answer): Promise<unknown> {
    answer = with_;
    try {
      await send();
    } catch (err) {
      return err;
    }
    throw new Error(`no error for ${JSON.stringify(with_)}`);
  }
  const getItem = () => dynamodb().send(new GetItemCommand({ TableName: "jobs", Key: { pk: { S: "x" } } }));
  const getObject = () => s3().send(new GetObjectCommand({ Bucket: "results", Key: "jobs/x.json" }));
  const startExecution = () => sfn().send(new StartExecutionCommand({ stateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:run", name: "x" }));
  const invoke = () => lambda().send(new InvokeCommand({ FunctionName: "worker", InvocationType: "Event" }));

  const SERVICE_FAILURES: [string, () => Promise<unknown>, Answer][] = [
    ["DynamoDB 500 InternalServerError", getItem, { status: 500, body: json10("InternalServerError", "Internal server error") }],
    ["DynamoDB 503 ServiceUnavailable", getItem, { status: 503, body: json10("ServiceUnavailable", "Service unavailable") }],
    ["DynamoDB 400 ThrottlingException", getItem, { status: 400, body: json10("ThrottlingException", "Rate of requests exceeds the allowed throughput") }],
    ["DynamoDB 400 ProvisionedThroughputExceededException", getItem, { status: 400, body: json10("ProvisionedThroughputExceededException", "The level of configured provisioned throughput for the table was exceeded") }],
    ["DynamoDB 400 RequestLimitExceeded", getItem, { status: 400, body: json10("RequestLimitExceeded", "Throughput exceeds the current throughput limit for your account") }],
    ["S3 500 InternalError", getObject, { status: 500, headers: { "Content-Type": "application/xml" }, body: s3Xml("InternalError", "We encountered an internal error. Please try again.") }],
    ["S3 503 SlowDown", getObject, { status: 503, headers: { "Content-Type": "application/xml" }, body: s3Xml("SlowDown", "Please reduce your request rate.") }],
    ["Step Functions 400 ThrottlingException", startExecution, { status: 400, body: JSON.stringify({ __type: "ThrottlingException", message: "Rate exceeded" }) }],
    ["Step Functions 400 ExecutionLimitExceeded", startExecution, { status: 400, body: JSON.stringify({ __type: "ExecutionLimitExceeded", message: "Maximum number of running executions reached" }) }],
    ["Lambda 429 TooManyRequestsException", invoke, { status: 429, headers: { "Content-Type": "application/json", "x-amzn-ErrorType": "TooManyRequestsException" }, body: JSON.stringify({ Reason: "ReservedFunctionConcurrentInvocationLimitExceeded", message: "Rate Exceeded." }) }],
    ["Lambda 500 ServiceException", invoke, { status: 500, headers: { "Content-Type": "application/json", "x-amzn-ErrorType": "ServiceException" }, body: JSON.stringify({ message: "Internal error" }) }],
    ["no answer within the request timeout (TimeoutError)", getItem, { status: 0, body: "", hang: true }],
    ["the connection closed without an answer (socket hang up)", getItem, { status: 0, body: "", drop: true }],
  ];

  for (const [name, send, with_] of SERVICE_FAILURES) {
    it(`a service failure: ${name}`, async () => {
      const err = await thrown(send, with_);
      expect(isServiceFailure(err), `${(err as Error).name}: ${(err as Error).message}`).to.equal(true);
    });
  }

  it("a service failure: the endpoint refuses the connection (ECONNREFUSED)", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = track(new DynamoDBClient({ ...common(), endpoint: `http://127.0.0.1:${port}` }));
    const err = await thrown(() => client.send(new GetItemCommand({ TableName: "jobs", Key: { pk: { S: "x" } } })), answer);
    expect((err as { code?: string }).code).to.equal("ECONNREFUSED");
    expect(isServiceFailure(err)).to.equal(true);
  });

  const BUGS: [string, () => Promise<unknown>, Answer][] = [
    ["DynamoDB 400 ConditionalCheckFailedException", getItem, { status: 400, body: json10("ConditionalCheckFailedException", "The conditional request failed") }],
    ["DynamoDB 400 ResourceNotFoundException (no such table)", getItem, { status: 400, body: json10("ResourceNotFoundException", "Requested resource not found") }],
    ["DynamoDB 400 AccessDeniedException (a missing permission)", getItem, { status: 400, body: JSON.stringify({ __type: "com.amazon.coral.service#AccessDeniedException", message: "User: arn:aws:sts::123456789012:assumed-role/x is not authorized" }) }],
    ["DynamoDB 400 ValidationException", getItem, { status: 400, body: JSON.stringify({ __type: "com.amazon.coral.validate#ValidationException", message: "One or more parameter values were invalid" }) }],
    ["S3 403 AccessDenied", getObject, { status: 403, headers: { "Content-Type": "application/xml" }, body: s3Xml("AccessDenied", "Access Denied") }],
    ["Step Functions 400 StateMachineDoesNotExist", startExecution, { status: 400, body: JSON.stringify({ __type: "StateMachineDoesNotExist", message: "State Machine Does Not Exist" }) }],
  ];

  for (const [name, send, with_] of BUGS) {
    it(`not a service failure (a bug or a misconfiguration: 500): ${name}`, async () => {
      const err = await thrown(send, with_);
      expect(isServiceFailure(err), `${(err as Error).name}: ${(err as Error).message}`).to.equal(false);
    });
  }

  it("not a service failure: a TypeError, the store's ConflictError, a plain Error, and things that are not errors", () => {
    for (const err of [new TypeError("Cannot read properties of undefined (reading 'S')"), new ConflictError(), new Error("Event invoke answered 200"), undefined, null, "ThrottlingException", 503]) {
      expect(isServiceFailure(err), String(err)).to.equal(false);
    }
  });
});
