// The local Step Functions service's cost meter (local/usage/stepfunctions.ts): STANDARD state
// transitions (states entered, retries, Map iterations' states), EXPRESS requests and GB-seconds,
// and a real local service counting real executions per job.
//
// Billing rules relied on (https://aws.amazon.com/step-functions/pricing/):
// - Standard: "Step Functions counts a state transition each time a step of your workflow is
//   executed. You are charged for the total number of state transitions across all your state
//   machines, including retries"; "each retry will be charged as an additional state transition".
// - Express: "counts a request each time it starts executing a workflow"; duration "rounded up to
//   the nearest 100ms", memory "billed in 64-MB chunks" (one chunk assumed locally).
import { expect } from "chai";
import { StartExecutionCommand, type SFNClient } from "@aws-sdk/client-sfn";
import { startStepFunctionsService, type LocalStepFunctionsService } from "../../../local/aws/stepfunctions";
import { executionJobIds, expressBilledMs, expressGbSeconds, isStateTransition } from "../../../local/usage/stepfunctions";
import { UsageMeter } from "../../../local/usage/meter";
import { FakeLambda, FunctionError, sfnClient } from "../stepfunctions/support";

const ACCOUNT = "000000000000";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/sfn`;
const smArn = (name: string) => `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:${name}`;
const JOB_A = "11111111-2222-4333-8444-555555555555";
const JOB_B = "66666666-7777-4888-9999-aaaaaaaaaaaa";
const JOB_C = "0f8fad5b-d9cb-469f-a165-70867728950e";

describe("Step Functions usage: pure rules", () => {
  // Pricing page: Express duration "rounded up to the nearest 100ms", memory "billed in 64-MB chunks".
  it("bills an EXPRESS execution 64 MB × its duration rounded up to 100 ms (at least 100 ms)", () => {
    expect(expressBilledMs(0)).to.equal(100);
    expect(expressBilledMs(1)).to.equal(100);
    expect(expressBilledMs(100)).to.equal(100);
    expect(expressBilledMs(101)).to.equal(200);
    expect(expressBilledMs(1_234)).to.equal(1_300);
    expect(expressGbSeconds(1)).to.be.closeTo(0.0625 * 0.1, 1e-12);
    expect(expressGbSeconds(1_234)).to.be.closeTo(0.0625 * 1.3, 1e-12);
  });

  // Pricing page: a transition "each time a step of your workflow is executed", "including retries".
  it("counts a state entered and a state retried as transitions, nothing else", () => {
    expect(["StateEntered", "StateRetried"].filter((type) => isStateTransition({ type }))).to.have.length(2);
    for (const type of ["StateExited", "StateFailed", "StateCaught", "ExecutionStarted", "ExecutionSucceeded", "MapIterationStarted", "ParallelBranchStarted"]) {
      expect(isStateTransition({ type }), type).to.equal(false);
    }
  });

  it("names the jobs of the input, else a given execution name that is a job id", () => {
    expect(executionJobIds(JSON.stringify({ jobId: JOB_A }), JOB_B)).to.deep.equal([JOB_A]);
    expect(executionJobIds("{}", JOB_B.toUpperCase())).to.deep.equal([JOB_B]);
    expect(executionJobIds("{}", `retry-${JOB_B}`)).to.deep.equal([]);
    expect(executionJobIds("{}", undefined)).to.deep.equal([]);
  });
});

describe("Step Functions usage: a local service counting real executions", function () {
  this.timeout(20_000);
  let service: LocalStepFunctionsService;
  let client: SFNClient;
  const meter = new UsageMeter();
  const lambda = new FakeLambda();

  before(async () => {
    service = await startStepFunctionsService({ lambda, dynamodbEndpoint: () => "http://127.0.0.1:9", meter });
    client = sfnClient(service.endpoint);
    // Fails the first call with "Boom", then answers.
    lambda.set("work", (_payload, call) => {
      if (call === 1) throw new FunctionError("Boom");
      return { ok: true };
    });
  });

  after(async () => {
    client?.destroy();
    await service?.stop();
  });

  const create = (name: string, type: "STANDARD" | "EXPRESS", definition: unknown) =>
    service.createStateMachine({ name, arn: smArn(name), type, roleArn: ROLE, definition: JSON.stringify(definition) });

  it("counts each STANDARD state entered, each retry and each Map iteration's states, per job", async () => {
    await create("standard-usage", "STANDARD", {
      StartAt: "Prepare",
      States: {
        Prepare: { Type: "Pass", Result: [1, 2], ResultPath: "$.items", Next: "Work" }, // 1
        Work: {
          // 1, and 1 for its retry
          Type: "Task",
          Resource: "arn:aws:states:::lambda:invoke",
          Parameters: { FunctionName: "work", "Payload.$": "$" },
          ResultSelector: { "ok.$": "$.Payload.ok" },
          ResultPath: "$.work",
          Retry: [{ ErrorEquals: ["Boom"], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 1 }],
          Next: "Check",
        },
        Check: { Type: "Choice", Choices: [{ Variable: "$.work.ok", BooleanEquals: true, Next: "Each" }], Default: "Failed" }, // 1
        Each: { Type: "Map", ItemsPath: "$.items", ResultPath: "$.mapped", Iterator: { StartAt: "Item", States: { Item: { Type: "Pass", End: true } } }, Next: "Done" }, // 1 + 2
        Done: { Type: "Succeed" }, // 1
        Failed: { Type: "Fail", Error: "NotOk" },
      },
    });
    const started = await client.send(new StartExecutionCommand({ stateMachineArn: smArn("standard-usage"), name: JOB_A, input: JSON.stringify({ jobId: JOB_A }) }));
    const done = await service.waitForExecution(started.executionArn!, 15_000);
    expect(done.status, done.cause).to.equal("SUCCEEDED");
    expect(lambda.calls("work")).to.equal(2);
    expect(meter.job(JOB_A)).to.deep.equal({ "stepfunctions.standardTransitions": 8 });
    expect(meter.report().bySource["stepfunctions:standard-usage"]).to.deep.equal({ "stepfunctions.standardTransitions": 8 });

    // A one-state machine, the job named by the execution's name only; then one naming no job.
    await create("standard-one", "STANDARD", { StartAt: "Only", States: { Only: { Type: "Pass", End: true } } });
    await service.waitForExecution(service.startExecution({ stateMachineArn: smArn("standard-one"), name: JOB_B, input: "{}" }).executionArn);
    await service.waitForExecution(service.startExecution({ stateMachineArn: smArn("standard-one"), input: "{}" }).executionArn);
    expect(meter.job(JOB_B)).to.deep.equal({ "stepfunctions.standardTransitions": 1 });
    expect(meter.report().notPerJob).to.deep.equal({ "stepfunctions.standardTransitions": 1 });
    expect(meter.report().totals).to.deep.equal({ "stepfunctions.standardTransitions": 10 });
  });

  it("counts an EXPRESS execution as one request and 64 MB × its duration rounded up to 100 ms, no transitions", async () => {
    await create("express-usage", "EXPRESS", {
      StartAt: "A",
      States: { A: { Type: "Pass", Next: "B" }, B: { Type: "Pass", End: true } },
    });
    const started = service.startExecution({ stateMachineArn: smArn("express-usage"), input: JSON.stringify({ jobId: JOB_C }) });
    const done = await service.waitForExecution(started.executionArn);
    expect(done.status).to.equal("SUCCEEDED");
    const ms = done.stopDate!.getTime() - done.startDate.getTime();
    const units = meter.job(JOB_C);
    expect(Object.keys(units).sort()).to.deep.equal(["stepfunctions.expressGbSeconds", "stepfunctions.expressRequests"]);
    expect(units["stepfunctions.expressRequests"]).to.equal(1);
    expect(units["stepfunctions.expressGbSeconds"]).to.be.closeTo(0.0625 * (Math.max(100, Math.ceil(ms / 100) * 100) / 1000), 1e-12);
    expect(units["stepfunctions.expressGbSeconds"]).to.be.at.least(0.00625);
    expect(meter.report().bySource["stepfunctions:express-usage"]).to.deep.equal(units);
  });
});
