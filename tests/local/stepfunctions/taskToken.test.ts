// `arn:aws:states:::ecs:runTask.waitForTaskToken` (and `.sync`) on the local ECS service: a
// container answers with the task token from its environment through @aws-sdk/client-sfn;
// heartbeats, SendTaskFailure into Catch and Retry, heartbeat and Task timeouts, StopExecution, and
// the errors SendTask* answer as AWS names them.
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, StopExecutionCommand } from "@aws-sdk/client-sfn";
import type { SFNClient } from "@aws-sdk/client-sfn";
import { startEcsService } from "../../../local/aws/ecs";
import type { EcsTask, LocalEcsService } from "../../../local/aws/ecs";
import { startStepFunctionsService } from "../../../local/aws/stepfunctions";
import type { LocalStepFunctionsService } from "../../../local/aws/stepfunctions";
import { eventually, FakeLambda, sfnClient, sleep } from "./support";
import { tempDir } from "../../support/tmp";

const ACCOUNT = "000000000000";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/sfn`;
const smArn = (name: string) => `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:${name}`;
const WAIT = "arn:aws:states:::ecs:runTask.waitForTaskToken";

/** The worker image: what it does is up to $MODE. */
const WORKER = (sdkPath: string) => `
const env = process.env;
if (env.MODE === "exit") process.exit(Number(env.EXIT_CODE || 0));
if (env.MODE === "silent") {
  console.log("exiting without an answer");
  process.exit(0);
}
if (env.MODE === "hang") {
  console.log("hanging");
  process.on("SIGTERM", () => process.exit(0));
  setInterval(() => undefined, 1000);
  return;
}
const { SFNClient, SendTaskSuccessCommand, SendTaskFailureCommand, SendTaskHeartbeatCommand } = require(${JSON.stringify(sdkPath)});
const client = new SFNClient({}); // region, credentials and endpoint: the task's environment
const taskToken = env.TASK_TOKEN;
(async () => {
  if (env.MODE === "fail" || (env.MODE === "fail-first" && env.ATTEMPT === "0")) {
    await client.send(new SendTaskFailureCommand({ taskToken, error: "Worker.Failed", cause: "as asked (attempt " + env.ATTEMPT + ")" }));
    return;
  }
  let heartbeats = 0;
  for (let i = 0; i < Number(env.HEARTBEATS || 0); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    await client.send(new SendTaskHeartbeatCommand({ taskToken }));
    heartbeats++;
  }
  const output = { job: JSON.parse(env.JOB_INPUT), heartbeats, attempt: env.ATTEMPT, tokenLength: taskToken.length };
  await client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
})().catch((err) => {
  console.error("worker failed: " + err.name + ": " + err.message);
  process.exit(1);
});
`;

type Definition = Record<string, unknown>;

/** A machine with one ECS Task `Work` (`state` adds fields: HeartbeatSeconds, Retry, Catch, ...). */
function workMachine(state: Definition = {}, resource = WAIT, extraStates: Definition = {}): Definition {
  return {
    StartAt: "Work",
    TimeoutSeconds: 60,
    States: {
      Work: {
        Type: "Task",
        Resource: resource,
        Parameters: {
          Cluster: "jobs",
          TaskDefinition: "worker",
          LaunchType: "FARGATE",
          "StartedBy.$": "$$.Execution.Name",
          NetworkConfiguration: { AwsvpcConfiguration: { Subnets: ["subnet-1"], SecurityGroups: ["sg-1"], AssignPublicIp: "DISABLED" } },
          Overrides: {
            ContainerOverrides: [
              {
                Name: "worker",
                Environment: [
                  { Name: "TASK_TOKEN", "Value.$": "$$.Task.Token" },
                  { Name: "MODE", "Value.$": "$.mode" },
                  { Name: "HEARTBEATS", "Value.$": "$.heartbeats" },
                  { Name: "EXIT_CODE", "Value.$": "$.exitCode" },
                  { Name: "JOB_INPUT", "Value.$": "States.JsonToString($.job)" },
                  { Name: "ATTEMPT", "Value.$": "States.Format('{}', $$.State.RetryCount)" },
                ],
              },
            ],
          },
        },
        ResultPath: "$.result",
        End: true,
        ...state,
      },
      ...extraStates,
    },
  };
}

const input = (mode: string, more: Record<string, unknown> = {}) => ({ mode, heartbeats: "0", exitCode: "0", job: { id: "job-1" }, ...more });

describe("local Step Functions: ecs:runTask.waitForTaskToken on the local ECS", function () {
  let root: string;
  let ecs: LocalEcsService;
  let sfn: LocalStepFunctionsService;
  let client: SFNClient;
  const lines: string[] = [];
  let counter = 0;

  before(async function () {
    root = tempDir("sfn-ecs-");
    const dir = path.join(root, "worker");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "Dockerfile"), 'FROM public.ecr.aws/docker/library/node:22-slim\nWORKDIR /app\nCOPY index.js .\nCMD ["node", "index.js"]\n');
    fs.writeFileSync(path.join(dir, "index.js"), WORKER(require.resolve("@aws-sdk/client-sfn")));
    ecs = await startEcsService({
      environment: () => ({
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        AWS_ENDPOINT_URL_SFN: sfn.endpoint,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      }),
      log: (line) => lines.push(line),
      defaultStopTimeoutSeconds: 2,
    });
    sfn = await startStepFunctionsService({ lambda: new FakeLambda(), dynamodbEndpoint: () => "http://127.0.0.1:9", ecs: () => ecs, log: (line) => lines.push(line) });
    client = sfnClient(sfn.endpoint);
    ecs.createCluster("jobs");
    ecs.registerImage("000000000000.dkr.ecr.us-east-1.amazonaws.com/worker:latest", dir);
    ecs.registerTaskDefinition({ family: "worker", cpu: "256", memory: "512", containers: [{ name: "worker", image: "000000000000.dkr.ecr.us-east-1.amazonaws.com/worker:latest" }] });
  });

  after(async function () {
    client?.destroy();
    await sfn?.stop();
    await ecs?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function start(definition: Definition, executionInput: unknown) {
    const name = `m${++counter}`;
    await sfn.createStateMachine({ name, arn: smArn(name), definition: JSON.stringify(definition), type: "STANDARD", roleArn: ROLE });
    const started = sfn.startExecution({ stateMachineArn: smArn(name), name: `run-${counter}`, input: JSON.stringify(executionInput) });
    return { executionArn: started.executionArn, executionName: `run-${counter}` };
  }

  async function run(definition: Definition, executionInput: unknown) {
    const { executionArn, executionName } = await start(definition, executionInput);
    const done = await sfn.waitForExecution(executionArn, 60_000);
    return { ...done, executionName, result: done.output === undefined ? undefined : JSON.parse(done.output) };
  }

  /** The ECS tasks an execution started (StartedBy is its name), oldest first. */
  function tasksOf(executionName: string): EcsTask[] {
    const arns = [
      ...ecs.listTasks({ cluster: "jobs", startedBy: executionName }).taskArns,
      ...ecs.listTasks({ cluster: "jobs", startedBy: executionName, desiredStatus: "STOPPED" }).taskArns,
    ];
    if (arns.length === 0) return [];
    return ecs.describeTasks({ cluster: "jobs", tasks: arns }).tasks.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  /** The token RunTask handed the container (DescribeTasks shows the overrides). */
  const tokenOf = (task: EcsTask) => task.overrides.containerOverrides[0].environment!.find((e) => e.name === "TASK_TOKEN")!.value;

  async function firstToken(executionName: string): Promise<string> {
    await eventually(() => tasksOf(executionName).length > 0, 20_000, `the ECS task of ${executionName}`);
    return tokenOf(tasksOf(executionName)[0]);
  }

  const sdkError = (promise: Promise<unknown>) => promise.then(() => undefined, (err: Error) => err.name);

  it("the container heartbeats and answers SendTaskSuccess with the token from its environment: the output is the state's result", async function () {
    const r = await run(workMachine({ HeartbeatSeconds: 30 }), input("succeed", { heartbeats: "3" }));
    expect(r.status, `${r.error}: ${r.cause}\n${lines.join("\n")}`).to.equal("SUCCEEDED");
    expect(r.result.result).to.deep.equal({ job: { id: "job-1" }, heartbeats: 3, attempt: "0", tokenLength: r.result.result.tokenLength });
    expect(r.result.result.tokenLength, "tokens are long").to.be.at.least(200);
    const [task] = tasksOf(r.executionName);
    expect(tokenOf(task)).to.match(/^[A-Za-z0-9_-]+$/);
    expect(task.overrides.containerOverrides[0].environment!.find((e) => e.name === "JOB_INPUT")!.value).to.equal('{"id":"job-1"}');
    // The container's token is closed now.
    expect(await sdkError(client.send(new SendTaskSuccessCommand({ taskToken: tokenOf(task), output: "{}" })))).to.equal("TaskTimedOut");
    const history = sfn.getExecutionHistory(r.executionArn);
    expect(history.map((e) => e.type)).to.include.members(["TaskStateEntered", "TaskStateExited", "ExecutionSucceeded"]);
  });

  // "Run Amazon ECS or Fargate tasks with Step Functions": "If a non-empty Failures field is
  // encountered, the task is failed with an AmazonECS.Unknown error" (Fargate capacity, say).
  it("a RunTask that answers failures (no capacity) fails the state with AmazonECS.Unknown", async function () {
    const original = ecs.runTask;
    ecs.runTask = async () => ({ tasks: [], failures: [{ arn: "arn:aws:ecs:us-east-1:000000000000:container-instance/x", reason: "RESOURCE:FARGATE" }] });
    try {
      const r = await run(
        workMachine({ Catch: [{ ErrorEquals: ["AmazonECS.Unknown"], ResultPath: "$.error", Next: "NoCapacity" }] }, WAIT, { NoCapacity: { Type: "Pass", End: true } }),
        input("succeed"),
      );
      expect(r.status, `${r.error}: ${r.cause}`).to.equal("SUCCEEDED");
      expect(r.result.error.Error).to.equal("AmazonECS.Unknown");
      expect(r.result.error.Cause).to.contain("RESOURCE:FARGATE");
    } finally {
      ecs.runTask = original;
    }
  });

  it("SendTaskFailure fails the state with its error and cause, which Catch catches", async function () {
    const r = await run(
      workMachine({ Catch: [{ ErrorEquals: ["Worker.Failed"], ResultPath: "$.error", Next: "Failed" }] }, WAIT, { Failed: { Type: "Pass", End: true } }),
      input("fail"),
    );
    expect(r.status, `${r.error}: ${r.cause}`).to.equal("SUCCEEDED");
    expect(r.result.error).to.deep.equal({ Error: "Worker.Failed", Cause: "as asked (attempt 0)" });
    expect(r.result.result).to.equal(undefined);
  });

  it("Retry on SendTaskFailure runs a new ECS task with a new token", async function () {
    const r = await run(workMachine({ Retry: [{ ErrorEquals: ["Worker.Failed"], IntervalSeconds: 1, MaxAttempts: 2 }] }), input("fail-first"));
    expect(r.status, `${r.error}: ${r.cause}`).to.equal("SUCCEEDED");
    expect(r.result.result.attempt).to.equal("1");
    const tasks = tasksOf(r.executionName);
    expect(tasks).to.have.length(2);
    expect(tokenOf(tasks[0])).to.not.equal(tokenOf(tasks[1]));
    expect(await sdkError(client.send(new SendTaskSuccessCommand({ taskToken: tokenOf(tasks[0]), output: "{}" }))), "the first attempt's token").to.equal("TaskTimedOut");
  });

  it("SendTaskHeartbeat restarts the HeartbeatSeconds clock; InvalidOutput leaves the task open", async function () {
    this.timeout(30_000);
    const { executionArn, executionName } = await start(workMachine({ HeartbeatSeconds: 2 }), input("silent"));
    const taskToken = await firstToken(executionName);
    expect(await sdkError(client.send(new SendTaskSuccessCommand({ taskToken, output: "{not json" })))).to.equal("InvalidOutput");
    // 3 s of heartbeats every 250 ms: well past the 2 s HeartbeatSeconds.
    const until = Date.now() + 3_000;
    while (Date.now() < until) {
      await client.send(new SendTaskHeartbeatCommand({ taskToken }));
      await sleep(250);
    }
    expect(sfn.describeExecution(executionArn).status).to.equal("RUNNING");
    await client.send(new SendTaskSuccessCommand({ taskToken, output: '{"done":true}' }));
    const done = await sfn.waitForExecution(executionArn, 20_000);
    expect(done.status, `${done.error}: ${done.cause}`).to.equal("SUCCEEDED");
    expect(JSON.parse(done.output!).result).to.deep.equal({ done: true });
  });

  it("no heartbeat within HeartbeatSeconds: States.HeartbeatTimeout (catchable); the token then answers TaskTimedOut", async function () {
    const r = await run(
      workMachine({ HeartbeatSeconds: 1, TimeoutSeconds: 30, Catch: [{ ErrorEquals: ["States.HeartbeatTimeout"], ResultPath: "$.error", Next: "TimedOut" }] }, WAIT, {
        TimedOut: { Type: "Pass", End: true },
      }),
      input("silent"),
    );
    expect(r.status, `${r.error}: ${r.cause}`).to.equal("SUCCEEDED");
    expect(r.result.error.Error).to.equal("States.HeartbeatTimeout");
    expect(r.stopDate!.getTime() - r.startDate.getTime()).to.be.within(950, 20_000);
    const [task] = tasksOf(r.executionName);
    expect(await sdkError(client.send(new SendTaskSuccessCommand({ taskToken: tokenOf(task), output: "{}" })))).to.equal("TaskTimedOut");
    expect(await sdkError(client.send(new SendTaskHeartbeatCommand({ taskToken: tokenOf(task) })))).to.equal("TaskTimedOut");
  });

  // AWS, "Error handling in Step Functions" (States.Timeout): "A Task state either ran longer than the
  // TimeoutSeconds value, or failed to send a heartbeat for a period longer than the HeartbeatSeconds
  // value." The first catcher that matches wins: a States.Timeout catcher listed first takes a
  // missed heartbeat, whatever catcher for States.HeartbeatTimeout follows it.
  it("a missed heartbeat is also States.Timeout to a Retry or Catch: the first catcher that matches wins", async function () {
    const caughtBy = async (catchers: { ErrorEquals: string[]; Next: string }[]) => {
      const r = await run(
        workMachine({ HeartbeatSeconds: 1, TimeoutSeconds: 30, Catch: catchers.map((c) => ({ ...c, ResultPath: "$.error" })) }, WAIT, {
          AsTimeout: { Type: "Pass", Result: "timeout", ResultPath: "$.by", End: true },
          AsHeartbeat: { Type: "Pass", Result: "heartbeat", ResultPath: "$.by", End: true },
        }),
        input("silent"),
      );
      expect(r.status, `${r.error}: ${r.cause}`).to.equal("SUCCEEDED");
      expect(r.result.error.Error, "the error keeps its own name").to.equal("States.HeartbeatTimeout");
      return r.result.by as string;
    };
    expect(await caughtBy([{ ErrorEquals: ["States.Timeout"], Next: "AsTimeout" }, { ErrorEquals: ["States.HeartbeatTimeout"], Next: "AsHeartbeat" }])).to.equal("timeout");
    expect(await caughtBy([{ ErrorEquals: ["States.HeartbeatTimeout"], Next: "AsHeartbeat" }, { ErrorEquals: ["States.Timeout"], Next: "AsTimeout" }])).to.equal("heartbeat");
  });

  it("TimeoutSeconds: States.Timeout, which States.TaskFailed does not catch; the token then answers TaskTimedOut", async function () {
    const r = await run(
      workMachine({ TimeoutSeconds: 1, Catch: [{ ErrorEquals: ["States.TaskFailed"], ResultPath: "$.error", Next: "Caught" }] }, WAIT, { Caught: { Type: "Pass", End: true } }),
      input("silent"),
    );
    expect(r.status).to.equal("FAILED");
    expect(r.error).to.equal("States.Timeout");
    const [task] = tasksOf(r.executionName);
    expect(await sdkError(client.send(new SendTaskFailureCommand({ taskToken: tokenOf(task), error: "Late" })))).to.equal("TaskTimedOut");
  });

  it("StopExecution invalidates the token (TaskTimedOut) and, as on AWS, leaves the ECS task running", async function () {
    const { executionArn, executionName } = await start(workMachine(), input("hang"));
    const taskToken = await firstToken(executionName);
    await client.send(new StopExecutionCommand({ executionArn, error: "Stopped", cause: "by the test" }));
    expect(sfn.describeExecution(executionArn).status).to.equal("ABORTED");
    expect(await sdkError(client.send(new SendTaskSuccessCommand({ taskToken, output: "{}" })))).to.equal("TaskTimedOut");
    const [task] = tasksOf(executionName);
    await eventually(() => ecs.describeTasks({ cluster: "jobs", tasks: [task.taskArn] }).tasks[0].lastStatus === "RUNNING", 20_000, "the task RUNNING");
    await sleep(200);
    expect(ecs.describeTasks({ cluster: "jobs", tasks: [task.taskArn] }).tasks[0].desiredStatus).to.equal("RUNNING");
    await ecs.stopTask({ cluster: "jobs", task: task.taskArn });
    expect((await ecs.waitForTaskStopped(task.taskArn)).stopCode).to.equal("UserInitiated");
  });

  it("answers SendTask* errors as AWS names them", async function () {
    const garbage = "not-a-token";
    const wellFormed = `AQC${"A".repeat(256)}`;
    expect(await sdkError(client.send(new SendTaskSuccessCommand({ taskToken: garbage, output: "{}" })))).to.equal("InvalidToken");
    expect(await sdkError(client.send(new SendTaskFailureCommand({ taskToken: garbage })))).to.equal("InvalidToken");
    expect(await sdkError(client.send(new SendTaskHeartbeatCommand({ taskToken: garbage })))).to.equal("InvalidToken");
    expect(await sdkError(client.send(new SendTaskSuccessCommand({ taskToken: wellFormed, output: "{}" })))).to.equal("TaskDoesNotExist");
    expect(await sdkError(client.send(new SendTaskSuccessCommand({ taskToken: "x".repeat(2049), output: "{}" })))).to.equal("ValidationException");
    expect(() => sfn.sendTaskSuccess(garbage, "{}")).to.throw("Invalid Token");
  });

  it("a RunTask that fails fails the state with ECS.<Exception>", async function () {
    const catchAll = { Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "Caught" }] };
    const noDefinition = workMachine(catchAll, WAIT, { Caught: { Type: "Pass", End: true } });
    ((noDefinition.States as Definition).Work as Definition & { Parameters: Definition }).Parameters.TaskDefinition = "no-such-family";
    const r = await run(noDefinition, input("succeed"));
    expect(r.result.error.Error).to.equal("ECS.InvalidParameterException");
    expect(r.result.error.Cause).to.include("TaskDefinition not found.").and.include("Service: AmazonECS");
    const noCluster = workMachine(catchAll, WAIT, { Caught: { Type: "Pass", End: true } });
    ((noCluster.States as Definition).Work as Definition & { Parameters: Definition }).Parameters.Cluster = "elsewhere";
    expect((await run(noCluster, input("succeed"))).result.error.Error).to.equal("ECS.ClusterNotFoundException");
  });

  it(".sync waits for the task to stop: exit 0 succeeds with the task, another exit code is States.TaskFailed", async function () {
    const [ok, failed] = await Promise.all([
      run(workMachine({}, "arn:aws:states:::ecs:runTask.sync"), input("exit", { exitCode: "0" })),
      run(workMachine({ Catch: [{ ErrorEquals: ["States.TaskFailed"], ResultPath: "$.error", Next: "Caught" }] }, "arn:aws:states:::ecs:runTask.sync", { Caught: { Type: "Pass", End: true } }), input("exit", { exitCode: "3" })),
    ]);
    expect(ok.status, `${ok.error}: ${ok.cause}`).to.equal("SUCCEEDED");
    expect(ok.result.result).to.include({ LastStatus: "STOPPED", StopCode: "EssentialContainerExited" });
    expect(ok.result.result.Containers[0].ExitCode).to.equal(0);
    expect(failed.result.error.Error).to.equal("States.TaskFailed");
    expect(JSON.parse(failed.result.error.Cause).Containers[0].ExitCode).to.equal(3);
    // Request-response: the RunTask answer.
    const plain = await run(workMachine({}, "arn:aws:states:::ecs:runTask"), input("exit"));
    expect(plain.result.result.Tasks[0].TaskArn).to.match(/^arn:aws:ecs:us-east-1:000000000000:task\/jobs\/[0-9a-f]{32}$/);
    expect(plain.result.result.Failures).to.deep.equal([]);
  });

  it("refuses, when the state machine is created, what cannot run locally", async function () {
    const create = (definition: Definition, type: "STANDARD" | "EXPRESS" = "STANDARD") =>
      sfn.createStateMachine({ name: `bad${++counter}`, arn: smArn(`bad${counter}`), definition: JSON.stringify(definition), type, roleArn: ROLE }).then(
        () => "created",
        (err: Error) => err.message,
      );
    expect(await create(workMachine({ HeartbeatSecondsPath: "$.hb" }))).to.include("HeartbeatSecondsPath is not supported locally");
    expect(await create(workMachine(), "EXPRESS")).to.include("EXPRESS state machines do not support .sync or .waitForTaskToken");
    const unknownField = workMachine();
    ((unknownField.States as Definition).Work as Definition & { Parameters: Definition }).Parameters.Launch = "x";
    expect(await create(unknownField)).to.include('the field "Launch" is not supported');
  });

  it("without an ECS service, the Task fails with a States.Runtime error that says so", async function () {
    const bare = await startStepFunctionsService({ lambda: new FakeLambda(), dynamodbEndpoint: () => "http://127.0.0.1:9" });
    try {
      await bare.createStateMachine({ name: "no-ecs", arn: smArn("no-ecs"), definition: JSON.stringify(workMachine()), type: "STANDARD", roleArn: ROLE });
      const { executionArn } = bare.startExecution({ stateMachineArn: smArn("no-ecs"), input: JSON.stringify(input("succeed")) });
      const done = await bare.waitForExecution(executionArn, 10_000);
      expect(done.status).to.equal("FAILED");
      expect(done.error).to.equal("States.Runtime");
      expect(done.cause).to.include("no ECS service");
    } finally {
      await bare.stop();
    }
  });
});
