// The local Step Functions service with small definitions: what each Task integration returns and
// how its failures are named, the Context Object, refused resources, the CLI, and stop().
import { expect } from "chai";
import { DescribeExecutionCommand, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { startStepFunctionsService } from "../../../local/aws/stepfunctions";
import type { LocalStepFunctionsService } from "../../../local/aws/stepfunctions";
import { apiError, eventually, FakeLambda, FunctionError, gate, sfnClient, sleep, startDynalite } from "./support";
import type { Dynalite } from "./support";
import { runAwsCli } from "../../support/tools";

const ACCOUNT = "000000000000";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/sfn`;
const smArn = (name: string) => `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:${name}`;
const LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke";

type Definition = Record<string, unknown>;

describe("local Step Functions service: integrations, context and lifecycle", function () {
  let dynalite: Dynalite;
  let service: LocalStepFunctionsService;
  const lambda = new FakeLambda();

  before(async function () {
    dynalite = await startDynalite();
    await dynalite.createJobsTable("items");
    service = await startStepFunctionsService({ lambda, dynamodbEndpoint: () => dynalite.endpoint });
  });

  after(async function () {
    await service?.stop();
    await dynalite?.stop();
  });

  let machineCounter = 0;
  /** Creates a STANDARD machine, runs it once, returns the ended execution. */
  async function run(definition: Definition, input: unknown = {}, type: "STANDARD" | "EXPRESS" = "STANDARD") {
    const name = `m${++machineCounter}`;
    await service.createStateMachine({ name, arn: smArn(name), definition: JSON.stringify(definition), type, roleArn: ROLE });
    const started = service.startExecution({ stateMachineArn: smArn(name), input: JSON.stringify(input) });
    const done = await service.waitForExecution(started.executionArn, 20_000);
    return { ...done, result: done.output === undefined ? undefined : JSON.parse(done.output), started };
  }

  /** A Task on `resource` whose errors are caught into `$.error`, its result in `$.result`. */
  const caughtTask = (resource: string, parameters: Definition): Definition => ({
    StartAt: "Call",
    States: {
      Call: {
        Type: "Task",
        Resource: resource,
        Parameters: parameters,
        ResultPath: "$.result",
        Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "Done" }],
        Next: "Done",
      },
      Done: { Type: "Succeed" },
    },
  });

  describe("lambda:invoke", function () {
    it("returns what Step Functions returns: ExecutedVersion, the parsed Payload, StatusCode 200", async function () {
      lambda.set("echo", (payload) => ({ got: payload }));
      const r = await run(caughtTask(LAMBDA_INVOKE, { FunctionName: "echo", Payload: { "value.$": "$.value" } }), { value: 42 });
      expect(r.status).to.equal("SUCCEEDED");
      expect(r.result.error).to.equal(undefined);
      expect(r.result.result).to.include({ ExecutedVersion: "$LATEST", StatusCode: 200 });
      expect(r.result.result.Payload).to.deep.equal({ got: { value: 42 } });
      expect(r.result.result.SdkHttpMetadata.HttpStatusCode).to.equal(200);
      const last = lambda.invocations[lambda.invocations.length - 1];
      expect(last).to.deep.equal({ name: "echo", payload: '{"value":42}', type: "RequestResponse" });
    });

    it("names a function error by its errorType, with the error payload as Cause", async function () {
      lambda.set("timer", () => {
        throw new FunctionError("TimerFailed", "The timer failed as asked");
      });
      const r = await run(caughtTask(LAMBDA_INVOKE, { FunctionName: "timer", Payload: {} }));
      expect(r.result.error.Error).to.equal("TimerFailed");
      expect(JSON.parse(r.result.error.Cause)).to.include({ errorType: "TimerFailed", errorMessage: "The timer failed as asked" });
    });

    it("names Invoke API failures Lambda.<Exception>", async function () {
      lambda.set("throttled", () => {
        throw apiError("TooManyRequestsException", "Rate exceeded");
      });
      lambda.set("broken", () => {
        throw new Error("socket hang up");
      });
      const missing = await run(caughtTask(LAMBDA_INVOKE, { FunctionName: "no-such-function", Payload: {} }));
      expect(missing.result.error.Error).to.equal("Lambda.ResourceNotFoundException");
      expect(missing.result.error.Cause).to.include("Function not found: no-such-function");
      const throttled = await run(caughtTask(LAMBDA_INVOKE, { FunctionName: "throttled", Payload: {} }));
      expect(throttled.result.error.Error).to.equal("Lambda.TooManyRequestsException");
      const broken = await run(caughtTask(LAMBDA_INVOKE, { FunctionName: "broken", Payload: {} }));
      expect(broken.result.error.Error).to.equal("Lambda.ServiceException");
    });

    it("fails the execution with the function's error when nothing catches it", async function () {
      lambda.set("crash", () => {
        throw new FunctionError("Runtime.ExitError", "exit status 1");
      });
      const r = await run({ StartAt: "Call", States: { Call: { Type: "Task", Resource: LAMBDA_INVOKE, Parameters: { FunctionName: "crash" }, End: true } } });
      expect(r.status).to.equal("FAILED");
      expect(r.error).to.equal("Runtime.ExitError");
      expect(JSON.parse(r.cause!).errorType).to.equal("Runtime.ExitError");
    });

    it("runs a Task whose Resource is a Lambda function ARN with the state input as payload", async function () {
      const arn = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:plain`;
      lambda.set(arn, (payload) => ({ doubled: payload.n * 2 }));
      const r = await run({ StartAt: "Call", States: { Call: { Type: "Task", Resource: arn, End: true } } }, { n: 21 });
      expect(r.status, r.cause).to.equal("SUCCEEDED");
      expect(r.result).to.deep.equal({ doubled: 42 });
    });
  });

  describe("dynamodb", function () {
    it("putItem / updateItem / getItem against the local endpoint; the output has no $metadata", async function () {
      const r = await run({
        StartAt: "Put",
        States: {
          Put: {
            Type: "Task",
            Resource: "arn:aws:states:::dynamodb:putItem",
            Parameters: { TableName: "items", Item: { pk: { "S.$": "$.id" }, n: { N: "1" } } },
            ResultPath: "$.put",
            Next: "Update",
          },
          Update: {
            Type: "Task",
            Resource: "arn:aws:states:::dynamodb:updateItem",
            Parameters: {
              TableName: "items",
              Key: { pk: { "S.$": "$.id" } },
              UpdateExpression: "ADD #n :one",
              ExpressionAttributeNames: { "#n": "n" },
              ExpressionAttributeValues: { ":one": { N: "1" } },
              ReturnValues: "ALL_NEW",
            },
            ResultPath: "$.update",
            Next: "Get",
          },
          Get: {
            Type: "Task",
            Resource: "arn:aws:states:::dynamodb:getItem",
            Parameters: { TableName: "items", Key: { pk: { "S.$": "$.id" } }, ConsistentRead: true },
            ResultPath: "$.get",
            End: true,
          },
        },
      }, { id: "item-1" });
      expect(r.status, r.cause).to.equal("SUCCEEDED");
      expect(r.result.put).to.deep.equal({});
      expect(r.result.update).to.deep.equal({ Attributes: { pk: { S: "item-1" }, n: { N: "2" } } });
      expect(r.result.get).to.deep.equal({ Item: { pk: { S: "item-1" }, n: { N: "2" } } });
      expect((await dynalite.get("items", "item-1"))!.n).to.equal(2);
    });

    it("names DynamoDB errors DynamoDB.<Exception> (ValidationException as DynamoDB.AmazonDynamoDBException)", async function () {
      const missingTable = await run(caughtTask("arn:aws:states:::dynamodb:getItem", { TableName: "no-such-table", Key: { pk: { S: "x" } } }));
      expect(missingTable.result.error.Error).to.equal("DynamoDB.ResourceNotFoundException");
      expect(missingTable.result.error.Cause).to.include("Error Code: ResourceNotFoundException");
      const conditional = await run(
        caughtTask("arn:aws:states:::dynamodb:putItem", { TableName: "items", Item: { pk: { S: "item-1" } }, ConditionExpression: "attribute_not_exists(pk)" }),
      );
      expect(conditional.result.error.Error).to.equal("DynamoDB.ConditionalCheckFailedException");
      const invalid = await run(caughtTask("arn:aws:states:::dynamodb:getItem", { TableName: "items", Key: { pk: { N: "1" } } }));
      expect(invalid.result.error.Error).to.equal("DynamoDB.AmazonDynamoDBException");
    });
  });

  describe("the Context Object", function () {
    it("has $$.Execution.Id/Name/StartTime, $$.StateMachine.Id, and $$.State.EnteredTime fresh per state but the same for retries", async function () {
      this.timeout(10_000);
      const seen: Array<{ entered: string; retry: number }> = [];
      lambda.set("flaky", async (payload, call) => {
        seen.push(payload);
        await sleep(15);
        if (call === 1) throw new FunctionError("Flaky", "first attempt fails");
        return "ok";
      });
      const r = await run({
        StartAt: "First",
        TimeoutSeconds: 60,
        States: {
          First: {
            Type: "Pass",
            Parameters: {
              "id.$": "$$.Execution.Id",
              "name.$": "$$.Execution.Name",
              "startTime.$": "$$.Execution.StartTime",
              "input.$": "$$.Execution.Input",
              "stateMachine.$": "$$.StateMachine.Id",
              "entered.$": "$$.State.EnteredTime",
              "state.$": "$$.State.Name",
            },
            ResultPath: "$.first",
            Next: "Flaky",
          },
          Flaky: {
            Type: "Task",
            Resource: LAMBDA_INVOKE,
            Parameters: { FunctionName: "flaky", Payload: { "entered.$": "$$.State.EnteredTime", "retry.$": "$$.State.RetryCount" } },
            Retry: [{ ErrorEquals: ["Flaky"], IntervalSeconds: 1, MaxAttempts: 1 }],
            ResultPath: null,
            Next: "Last",
          },
          Last: { Type: "Pass", Parameters: { "entered.$": "$$.State.EnteredTime" }, ResultPath: "$.last", End: true },
        },
      }, { hello: "world" });
      expect(r.status, r.cause).to.equal("SUCCEEDED");
      const first = r.result.first;
      expect(first.id).to.equal(r.executionArn);
      expect(first.name).to.equal(r.name);
      expect(first.stateMachine).to.equal(r.stateMachineArn);
      expect(first.input).to.deep.equal({ hello: "world" });
      expect(first.state).to.equal("First");
      expect(Math.abs(Date.parse(first.startTime) - r.startDate.getTime())).to.be.below(50);
      expect(seen).to.have.length(2);
      expect(seen.map((s) => s.retry)).to.deep.equal([0, 1]);
      expect(seen[1].entered, "a retry keeps the state's EnteredTime").to.equal(seen[0].entered);
      expect(seen[0].entered >= first.entered).to.equal(true);
      expect(Date.parse(r.result.last.entered) - Date.parse(seen[0].entered), "Last entered after the retried state").to.be.at.least(1_000);
    });
  });

  describe("createStateMachine", function () {
    const create = (name: string, definition: Definition, type: "STANDARD" | "EXPRESS" = "STANDARD") =>
      service.createStateMachine({ name, arn: smArn(name), definition: JSON.stringify(definition), type, roleArn: ROLE }).then(
        () => undefined,
        (err: Error) => err,
      );
    const task = (resource: string): Definition => ({ StartAt: "Notify", States: { Notify: { Type: "Task", Resource: resource, End: true } } });

    it("refuses a Task resource it cannot run locally, naming it, so nothing ever reaches AWS", async function () {
      const sqs = await create("bad-sqs", task("arn:aws:states:::sqs:sendMessage"));
      expect(sqs?.message).to.include("arn:aws:states:::sqs:sendMessage").and.include('"Notify"');
      const sdk = await create("bad-sdk", task("arn:aws:states:::aws-sdk:s3:getObject"));
      expect(sdk?.message).to.include("aws-sdk:s3:getObject").and.include("not supported");
      const callback = await create("bad-callback", task("arn:aws:states:::lambda:invoke.waitForTaskToken"));
      expect(callback?.message).to.include("waitForTaskToken");
      const activity = await create("bad-activity", task(`arn:aws:states:us-east-1:${ACCOUNT}:activity:work`));
      expect(activity?.message).to.include("activit");
      // Nested in a Parallel branch too.
      const nested = await create("bad-nested", {
        StartAt: "Fan",
        States: {
          Fan: {
            Type: "Parallel",
            Branches: [{ StartAt: "Publish", States: { Publish: { Type: "Task", Resource: "arn:aws:states:::sns:publish", End: true } } }],
            End: true,
          },
        },
      });
      expect(nested?.message).to.include("arn:aws:states:::sns:publish").and.include('"Publish"');
      const refused = await new Promise((resolve) => resolve(service.startExecution({ stateMachineArn: smArn("bad-sqs") }))).then(
        () => undefined,
        (err: Error) => err,
      );
      expect(refused?.name).to.equal("StateMachineDoesNotExist");
    });

    it("refuses JSONata, invalid definitions and duplicate state names", async function () {
      const jsonata = await create("jsonata", { QueryLanguage: "JSONata", StartAt: "P", States: { P: { Type: "Pass", End: true } } });
      expect(jsonata?.message).to.include("JSONata");
      const invalid = await create("invalid", { StartAt: "Missing", States: { P: { Type: "Pass", End: true } } });
      expect(invalid).to.be.instanceOf(Error);
      const duplicate = await create("duplicate", {
        StartAt: "Fan",
        States: {
          Fan: { Type: "Parallel", Branches: [{ StartAt: "Fan", States: { Fan: { Type: "Pass", End: true } } }], End: true },
        },
      });
      expect(duplicate?.message).to.include('"Fan"');
    });

    it("runs Tasks nested in Parallel and Map states", async function () {
      lambda.set("square", (payload) => payload.n * payload.n);
      const r = await run({
        StartAt: "Each",
        States: {
          Each: {
            Type: "Map",
            ItemsPath: "$.items",
            ItemProcessor: {
              StartAt: "Square",
              States: {
                Square: { Type: "Task", Resource: LAMBDA_INVOKE, Parameters: { FunctionName: "square", "Payload.$": "$" }, OutputPath: "$.Payload", End: true },
              },
            },
            ResultPath: "$.squares",
            Next: "Both",
          },
          Both: {
            Type: "Parallel",
            Branches: [
              {
                StartAt: "Nine",
                States: { Nine: { Type: "Task", Resource: LAMBDA_INVOKE, Parameters: { FunctionName: "square", Payload: { n: 3 } }, OutputPath: "$.Payload", End: true } },
              },
            ],
            ResultPath: "$.parallel",
            End: true,
          },
        },
      }, { items: [{ n: 2 }, { n: 4 }] });
      expect(r.status, r.cause).to.equal("SUCCEEDED");
      expect(r.result.squares).to.deep.equal([4, 16]);
      expect(r.result.parallel).to.deep.equal([9]);
    });
  });

  describe("executions", function () {
    it("ends TIMED_OUT when the execution's TimeoutSeconds passes", async function () {
      this.timeout(10_000);
      lambda.set("forever", () => new Promise(() => undefined));
      const r = await run({ StartAt: "Call", TimeoutSeconds: 1, States: { Call: { Type: "Task", Resource: LAMBDA_INVOKE, Parameters: { FunctionName: "forever" }, End: true } } });
      expect(r.status).to.equal("TIMED_OUT");
      expect(r.error).to.equal("States.Timeout");
      expect(r.stopDate!.getTime() - r.startDate.getTime()).to.be.within(900, 3_000);
    });

    it("answers DescribeExecution to the AWS CLI", async function () {
      this.timeout(30_000);
      const r = await run({ StartAt: "P", States: { P: { Type: "Pass", Result: { ok: true }, End: true } } });
      const cli = (...args: string[]) => runAwsCli(service.endpoint, ["stepfunctions", ...args], { timeoutMs: 20_000 });
      const described = await cli("describe-execution", "--execution-arn", r.executionArn);
      expect(described.status).to.equal("SUCCEEDED");
      expect(JSON.parse(described.output)).to.deep.equal({ ok: true });
      expect(described.executionArn).to.equal(r.executionArn);
      const failed = await cli("describe-execution", "--execution-arn", `${r.executionArn}-nope`).then(
        () => undefined,
        (err: { stderr: string }) => err,
      );
      expect(failed?.stderr).to.include("ExecutionDoesNotExist");
    });
  });
});

describe("local Step Functions service: stop()", function () {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

  it("aborts running executions, closes the server and leaves no timers", async function () {
    const lambda = new FakeLambda();
    const started = gate<void>();
    lambda.set("hang", () => {
      started.open();
      return new Promise(() => undefined);
    });
    await new Promise((resolve) => setImmediate(resolve)); // mocha arms its own test timer once the test has started
    const before = timers();
    const service = await startStepFunctionsService({ lambda, dynamodbEndpoint: () => "http://127.0.0.1:9" });
    await service.createStateMachine({
      name: "hang",
      arn: smArn("hang"),
      definition: JSON.stringify({
        StartAt: "Wait",
        TimeoutSeconds: 3600,
        States: {
          Wait: { Type: "Wait", Seconds: 0, Next: "Call" },
          Call: { Type: "Task", Resource: LAMBDA_INVOKE, Parameters: { FunctionName: "hang" }, TimeoutSeconds: 600, Retry: [{ ErrorEquals: ["States.ALL"] }], End: true },
        },
      }),
      type: "STANDARD",
      roleArn: ROLE,
    });
    const client = sfnClient(service.endpoint);
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: smArn("hang"), input: "{}" }));
    await started.promise;
    await eventually(() => timers() >= before + 2, 2_000, "the execution's and the Task's timers");
    expect((await client.send(new DescribeExecutionCommand({ executionArn }))).status).to.equal("RUNNING");
    client.destroy();

    await service.stop();
    const ended = service.describeExecution(executionArn!);
    expect(ended.status).to.equal("ABORTED");
    expect(ended.stopDate).to.be.instanceOf(Date);
    expect(timers(), "no timer left behind").to.be.at.most(before);
    const fresh = sfnClient(service.endpoint);
    const refused = await fresh.send(new DescribeExecutionCommand({ executionArn })).then(
      () => undefined,
      (err: Error) => err,
    );
    fresh.destroy();
    expect(refused, "the server is closed").to.be.instanceOf(Error);
    expect(refused?.name).not.to.equal("ExecutionDoesNotExist");
    await service.stop(); // twice is fine
  });
});
