// RunJob on worker=fargate: an ECS task with the .waitForTaskToken pattern, as data, checked by
// asl-validator, with the same skeleton (and the same record states) as the Lambda worker.
import { expect } from "chai";
import { ENV } from "../../../lambdas/shared/env";
import {
  buildStateMachineDefinition,
  ECS_RUN_TASK_WAIT_FOR_TOKEN,
  ECS_TRANSIENT_ERRORS,
  EXECUTION_TIMEOUT_MARGIN_SECONDS,
  FARGATE_START_SECONDS,
  MAX_FARGATE_JOB_TIMEOUT_SECONDS,
  STATE,
  type AslTaskState,
  type FargateTaskArgs,
  type StateMachineDefinitionArgs,
} from "../../../components/workflow/definition";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const aslValidator: (definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }) => { isValid: boolean; errorsText(): string } = require("asl-validator");

const TASK: FargateTaskArgs = {
  cluster: "arn:aws:ecs:us-east-1:123456789012:cluster/jobs",
  taskDefinition: "jobs-task",
  containerName: "worker",
  subnets: ["subnet-1", "subnet-2"],
  securityGroups: ["sg-1"],
  assignPublicIp: true,
  heartbeatSeconds: 60,
};

function build(overrides: Partial<StateMachineDefinitionArgs> = {}) {
  return buildStateMachineDefinition({ store: "dynamodb", tableName: "jobs", fargateTask: TASK, jobTimeoutSeconds: 7200, workflowType: "STANDARD", ...overrides });
}

describe("components/workflow/definition: worker fargate", () => {
  it("is valid ASL for both stores", () => {
    for (const store of ["dynamodb", "s3"] as const) {
      const definition = build(store === "s3" ? { store, tableName: undefined, recorderFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:rec" } : {});
      const result = aslValidator(structuredClone(definition), { checkPaths: true, checkArn: true });
      expect(result.isValid, result.errorsText()).to.equal(true);
    }
  });

  it("starts the task with the job id and the task token as overrides, never the input, and waits for the token", () => {
    const run = build().States[STATE.RunJob] as AslTaskState;
    expect(run.Resource).to.equal(ECS_RUN_TASK_WAIT_FOR_TOKEN);
    expect(run.Parameters).to.deep.include({ Cluster: TASK.cluster, TaskDefinition: "jobs-task", LaunchType: "FARGATE" });
    expect(run.Parameters!.NetworkConfiguration).to.deep.equal({ AwsvpcConfiguration: { Subnets: ["subnet-1", "subnet-2"], SecurityGroups: ["sg-1"], AssignPublicIp: "ENABLED" } });
    expect(run.Parameters!.Overrides).to.deep.equal({
      ContainerOverrides: [{ Name: "worker", Environment: [{ Name: ENV.TASK_JOB_ID, "Value.$": "$.jobId" }, { Name: ENV.TASK_TOKEN, "Value.$": "$$.Task.Token" }] }],
    });
    expect(JSON.stringify(run.Parameters)).not.to.contain("input");
    expect(run.ResultSelector).to.deep.equal({ "outcome.$": "$" });
    expect(run.ResultPath).to.equal("$.run");
  });

  it("turns silence into a heartbeat timeout, and allows the task's start on top of the job's time", () => {
    const run = build().States[STATE.RunJob] as AslTaskState;
    // Counted from the task's start: the container's start-up comes on top of the heartbeat.
    expect(run.HeartbeatSeconds).to.equal(60 + FARGATE_START_SECONDS);
    const short = build({ jobTimeoutSeconds: 10 }).States[STATE.RunJob] as AslTaskState;
    expect(short.HeartbeatSeconds, "always below the state's timeout").to.equal(10 + FARGATE_START_SECONDS - 1);
    expect(run.TimeoutSeconds).to.equal(7200 + FARGATE_START_SECONDS);
    expect(run.Retry).to.deep.equal([{ ErrorEquals: [...ECS_TRANSIENT_ERRORS], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: "FULL" }]);
    // A dead container (no heartbeat) is FAILED, not TIMED_OUT: States.Timeout also matches a missed
    // heartbeat ("Error handling in Step Functions"), so States.HeartbeatTimeout must come first.
    expect(run.Catch!.map((c) => [c.ErrorEquals, c.Next])).to.deep.equal([
      [["States.HeartbeatTimeout"], STATE.RecordCrashed],
      [["States.Timeout", "Sandbox.Timedout"], STATE.RecordTimedOut],
      [["States.ALL"], STATE.RecordCrashed],
    ]);
  });

  it("runs up to a year: the execution's own timeout never passes 31536000 s", () => {
    expect(build({ jobTimeoutSeconds: 7200 }).TimeoutSeconds).to.equal(7200 + FARGATE_START_SECONDS + EXECUTION_TIMEOUT_MARGIN_SECONDS);
    expect(build({ jobTimeoutSeconds: MAX_FARGATE_JOB_TIMEOUT_SECONDS }).TimeoutSeconds).to.equal(MAX_FARGATE_JOB_TIMEOUT_SECONDS);
    // RunJob always ends before the execution, with time left to record TIMED_OUT.
    for (const jobTimeoutSeconds of [MAX_FARGATE_JOB_TIMEOUT_SECONDS, MAX_FARGATE_JOB_TIMEOUT_SECONDS - FARGATE_START_SECONDS, 7200]) {
      const definition = build({ jobTimeoutSeconds });
      const runJob = definition.States.RunJob as { TimeoutSeconds: number; HeartbeatSeconds: number };
      expect(definition.TimeoutSeconds - runJob.TimeoutSeconds, String(jobTimeoutSeconds)).to.be.at.least(60);
      expect(runJob.HeartbeatSeconds).to.be.below(runJob.TimeoutSeconds);
    }
    expect(() => build({ jobTimeoutSeconds: MAX_FARGATE_JOB_TIMEOUT_SECONDS + 1 })).to.throw(/from 1 to 31536000/);
  });

  it("refuses what cannot work, naming it", () => {
    expect(() => build({ workflowType: "EXPRESS", jobTimeoutSeconds: 60 })).to.throw(/fargateTask needs workflowType STANDARD/);
    expect(() => build({ workerFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:w" })).to.throw(/exactly one/);
    expect(() => build({ fargateTask: undefined })).to.throw(/exactly one/);
    expect(() => build({ fargateTask: { ...TASK, subnets: [] } })).to.throw(/subnets must list at least one/);
    expect(() => build({ fargateTask: { ...TASK, heartbeatSeconds: 5 } })).to.throw(/heartbeatSeconds must be an integer of at least 10/);
    expect(() => build({ fargateTask: { ...TASK, cluster: "" } })).to.throw(/fargateTask.cluster is required/);
  });
});
