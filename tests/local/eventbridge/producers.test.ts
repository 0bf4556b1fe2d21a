// What the other local services put on EventBridge, in the shapes AWS uses: Lambda's on-failure
// destinations that are a bus (an event whose detail is the destination record) or a queue (a
// message whose body is the record), and Step Functions' execution status changes (default bus,
// STANDARD executions only).
import * as path from "path";
import { expect } from "chai";
import "../../../local/aws/stepfunctions/polyfill";
import { startEventBridgeService, type LocalEventBridgeService } from "../../../local/aws/eventbridge";
import { startLambdaService, type LocalLambdaService } from "../../../local/aws/lambda";
import { startSqsService, type LocalSqsService } from "../../../local/aws/sqs";
import { startStepFunctionsService, type LocalStepFunctionsService } from "../../../local/aws/stepfunctions";
import { LOCAL_ACCOUNT_ID, sdkEnvironment } from "../../../local/aws/types";
import { tempDir } from "../../support/tmp";

const ACCOUNT = LOCAL_ACCOUNT_ID;
const fnArn = (name: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;
const BUS = `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/failures`;

async function until<T>(read: () => T | undefined, what: string, ms = 20_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = read();
    if (v !== undefined) return v;
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("local services → EventBridge (Lambda destinations, Step Functions status changes)", function () {
  this.timeout(60_000);
  let dir: string;
  let sqs: LocalSqsService;
  let events: LocalEventBridgeService;
  let lambda: LocalLambdaService;
  let sfn: LocalStepFunctionsService;
  let captured: { url: string; arn: string };

  /** An SQS target that captures every event of a rule (its policy lets the rules send). */
  function capture(rule: string, bus: string, pattern: object): void {
    events.putRule({ name: rule, eventBusName: bus, eventPattern: JSON.stringify(pattern) });
    events.putTarget(rule, bus, { id: "capture", arn: captured.arn });
    const statement = { Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage", Resource: captured.arn, Condition: { ArnLike: { "aws:SourceArn": `arn:aws:events:us-east-1:${ACCOUNT}:rule/*` } } };
    sqs.setQueuePolicy(captured.url, JSON.stringify({ Statement: [statement] }));
  }

  before(async () => {
    dir = tempDir("async-api-producers-");
    sqs = await startSqsService({ dir: path.join(dir, "sqs") });
    let bridge: LocalEventBridgeService | undefined;
    lambda = await startLambdaService({
      stateDir: path.join(dir, "lambda"),
      environment: () => sdkEnvironment({ dynamodb: "http://127.0.0.1:9", s3: "http://127.0.0.1:9", lambda: "http://127.0.0.1:9", sfn: "http://127.0.0.1:9" }),
      retryDelaysMs: [10],
      destinations: { events: () => bridge, sqs: () => sqs },
    });
    events = await startEventBridgeService({ dir: path.join(dir, "events"), lambda, sqs });
    bridge = events;
    sfn = await startStepFunctionsService({ lambda, dynamodbEndpoint: () => "http://127.0.0.1:9", events: () => events });
    captured = sqs.createQueue("captured");
    events.createEventBus("failures");
    capture("all-failures", "failures", { source: ["lambda"] });
    capture("all-executions", "default", { source: ["aws.states"] });
    const thrower = `exports.handler = async () => { const e = new Error("boom"); e.name = "InternalServerError"; throw e; };`;
    for (const name of ["toBus", "toQueue"]) {
      await lambda.createFunction({ name, arn: fnArn(name), code: thrower, handler: "index.handler", environment: {}, timeoutSeconds: 5, memorySize: 128 });
    }
    lambda.putEventInvokeConfig("toBus", { maximumRetryAttempts: 1, maximumEventAgeInSeconds: 60, onFailureDestination: BUS });
    sqs.createQueue("destination");
    lambda.putEventInvokeConfig("toQueue", { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60, onFailureDestination: `arn:aws:sqs:us-east-1:${ACCOUNT}:destination` });
  });
  after(async () => {
    await sfn?.stop();
    await events?.stop();
    await lambda?.stop();
    await sqs?.stop();
  });

  const capturedEvents = () => sqs.messages(captured.url).map((m) => JSON.parse(m.body));

  it("Lambda puts a failed async invocation's record on a bus destination, as an event whose detail is the record", async () => {
    await lambda.invoke("toBus", JSON.stringify({ jobId: "j1" }), "Event");
    const event = await until(() => capturedEvents().find((e) => e.source === "lambda"), "the destination event");
    expect(event).to.deep.include({ version: "0", source: "lambda", "detail-type": "Lambda Function Invocation Result - Failure", account: ACCOUNT, region: "us-east-1" });
    expect(event.resources).to.deep.equal([BUS, `${fnArn("toBus")}:$LATEST`]);
    expect(event.detail).to.deep.include({ version: "1.0", requestPayload: { jobId: "j1" } });
    expect(event.detail.requestContext).to.include({ functionArn: `${fnArn("toBus")}:$LATEST`, condition: "RetriesExhausted", approximateInvokeCount: 2 });
    expect(event.detail.responsePayload).to.include({ errorType: "InternalServerError", errorMessage: "boom" });
  });

  it("Lambda sends the record itself to a queue destination", async () => {
    await lambda.invoke("toQueue", JSON.stringify({ jobId: "j2" }), "Event");
    const [message] = await until(() => {
      const m = sqs.messages("destination");
      return m.length ? m : undefined;
    }, "the destination message");
    const record = JSON.parse(message.body);
    expect(record).to.deep.include({ version: "1.0", requestPayload: { jobId: "j2" } });
    expect(record.requestContext).to.include({ condition: "RetriesExhausted", approximateInvokeCount: 1 });
  });

  it("Step Functions sends a STANDARD execution's status changes (RUNNING, then FAILED with its error) to the default bus; EXPRESS sends none", async () => {
    const definition = JSON.stringify({ StartAt: "Fail", States: { Fail: { Type: "Fail", Error: "RecordingFailed", Cause: "The job record could not be written" } } });
    const standard = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:std`;
    const express = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:exp`;
    await sfn.createStateMachine({ name: "std", arn: standard, definition, type: "STANDARD", roleArn: "arn:aws:iam::000000000000:role/r" });
    await sfn.createStateMachine({ name: "exp", arn: express, definition, type: "EXPRESS", roleArn: "arn:aws:iam::000000000000:role/r" });
    const { executionArn } = sfn.startExecution({ stateMachineArn: standard, name: "job-1", input: JSON.stringify({ jobId: "job-1" }) });
    const { executionArn: expressArn } = sfn.startExecution({ stateMachineArn: express, name: "job-2", input: "{}" });
    await sfn.waitForExecution(executionArn);
    await sfn.waitForExecution(expressArn);
    const changes = await until(() => {
      const found = capturedEvents().filter((e) => e.source === "aws.states");
      return found.length >= 2 ? found : undefined;
    }, "two status changes");
    await new Promise((r) => setTimeout(r, 200));
    expect(capturedEvents().filter((e) => e.source === "aws.states").map((e) => [e.detail.name, e.detail.status])).to.deep.equal([
      ["job-1", "RUNNING"],
      ["job-1", "FAILED"],
    ]);
    const failed = changes[1];
    expect(failed).to.deep.include({ "detail-type": "Step Functions Execution Status Change", resources: [executionArn] });
    expect(failed.detail).to.deep.include({ executionArn, stateMachineArn: standard, status: "FAILED", error: "RecordingFailed", input: JSON.stringify({ jobId: "job-1" }), output: null });
    expect(failed.detail.stopDate).to.be.a("number");
  });
});
