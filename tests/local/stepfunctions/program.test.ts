// The program's own state machine definition, run by the local Step Functions service: DynamoDB
// Tasks against a real (in-process) dynalite, Lambda Tasks against a scripted Lambda service, and
// the API through @aws-sdk/client-sfn.
import { expect } from "chai";
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import type { SFNClient } from "@aws-sdk/client-sfn";
import { buildStateMachineDefinition, STATE, timedOutMessage, WORKER_CRASH_MESSAGE } from "../../../components/workflow/definition";
import type { RecorderPayload, StateMachineDefinitionArgs, WorkerOutcome } from "../../../components/workflow/definition";
import { startStepFunctionsService } from "../../../local/aws/stepfunctions";
import type { LocalStepFunctionsService } from "../../../local/aws/stepfunctions";
import { Clock, FakeRecorder } from "../../components/workflow/fakes";
import { apiError, describeUntilDone, eventually, FakeLambda, FunctionError, gate, pendingJob, sfnClient, sleep, startDynalite } from "./support";
import type { Dynalite } from "./support";

const ACCOUNT = "000000000000";
const WORKER = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:async-api-worker`;
const RECORDER = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:async-api-recorder`;
const TABLE = "async-api-jobs";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/async-api-sfn`;
const smArn = (name: string) => `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:${name}`;

const inline: WorkerOutcome = { outcome: "SUCCEEDED", result: '{"message":"Done after 1 seconds"}', resultSize: 34, expiresAt: 1_900_000_000 };

let jobCounter = 0;
const newJobId = () => `0f8fad5b-d9cb-469f-a165-${String(++jobCounter).padStart(12, "0")}`;

describe("local Step Functions service: the program's state machine", function () {
  let dynalite: Dynalite;
  let service: LocalStepFunctionsService;
  let client: SFNClient;
  const lambda = new FakeLambda();
  /** The worker's behaviour, by job id (`call`: 1 for the job's first invocation). */
  const workers = new Map<string, (call: number, jobId: string) => unknown>();
  const workerCalls = new Map<string, number>();
  const recorder = new FakeRecorder(RECORDER, new Clock());
  const logs: string[] = [];

  const withRunJobTimeout = (text: string, seconds: number) => {
    const d = JSON.parse(text);
    d.States.RunJob.TimeoutSeconds = seconds;
    return JSON.stringify(d);
  };
  const definition = (overrides: Partial<StateMachineDefinitionArgs> = {}) =>
    JSON.stringify(
      buildStateMachineDefinition({
        store: "dynamodb",
        workerFunctionArn: WORKER,
        tableName: TABLE,
        jobTimeoutSeconds: 30,
        workflowType: "STANDARD",
        workerRetry: { maxAttempts: 2, intervalSeconds: 1, backoffRate: 1 },
        ...overrides,
      }),
    );

  before(async function () {
    dynalite = await startDynalite();
    await dynalite.createJobsTable(TABLE);
    lambda.set(WORKER, (payload: { jobId: string }) => {
      const worker = workers.get(payload.jobId);
      if (!worker) throw new FunctionError("Error", `no worker scripted for ${payload.jobId}`);
      const call = (workerCalls.get(payload.jobId) ?? 0) + 1;
      workerCalls.set(payload.jobId, call);
      return worker(call, payload.jobId);
    });
    lambda.set(RECORDER, (payload: RecorderPayload) => recorder.record(payload));
    service = await startStepFunctionsService({ lambda, dynamodbEndpoint: () => dynalite.endpoint, log: (line) => logs.push(line) });
    client = sfnClient(service.endpoint);
    await service.createStateMachine({ name: "jobs", arn: smArn("jobs"), definition: definition(), type: "STANDARD", roleArn: ROLE });
    await service.createStateMachine({
      name: "jobs-short",
      arn: smArn("jobs-short"),
      // A worker that never answers: RunJob's own timeout (the worker function's timeout + 5 s on
      // AWS) is lowered to the job's 1 s here, so that it fires within the test.
      definition: withRunJobTimeout(definition({ jobTimeoutSeconds: 1 }), 1),
      type: "STANDARD",
      roleArn: ROLE,
    });
    await service.createStateMachine({
      name: "jobs-s3",
      arn: smArn("jobs-s3"),
      definition: definition({ store: "s3", tableName: undefined, recorderFunctionArn: RECORDER }),
      type: "STANDARD",
      roleArn: ROLE,
    });
    await service.createStateMachine({
      name: "jobs-express",
      arn: smArn("jobs-express"),
      definition: definition({ workflowType: "EXPRESS" }),
      type: "EXPRESS",
      roleArn: ROLE,
    });
  });

  after(async function () {
    client?.destroy();
    await service?.stop();
    await dynalite?.stop();
  });

  /** Seeds a PENDING record, scripts the worker, starts the execution through the SDK. */
  async function startJob(worker: (call: number, jobId: string) => unknown, machine = "jobs", record: Record<string, unknown> = {}) {
    const jobId = newJobId();
    await dynalite.put(TABLE, pendingJob(jobId, record));
    workers.set(jobId, worker);
    const started = await client.send(new StartExecutionCommand({ stateMachineArn: smArn(machine), name: jobId, input: JSON.stringify({ jobId }) }));
    return { jobId, executionArn: started.executionArn!, startDate: started.startDate! };
  }

  it("runs a job to SUCCEEDED: the record goes PENDING → RUNNING → SUCCEEDED, DescribeExecution through the SDK", async function () {
    let seen: unknown;
    const { jobId, executionArn, startDate } = await startJob(async (_call, id) => {
      seen = (await dynalite.get(TABLE, id))?.status;
      await sleep(5);
      return inline;
    });
    expect(executionArn).to.equal(`arn:aws:states:us-east-1:${ACCOUNT}:execution:jobs:${jobId}`);
    expect(startDate).to.be.instanceOf(Date);

    const done = await describeUntilDone(client, executionArn);
    expect(done.status, done.cause).to.equal("SUCCEEDED");
    expect(done.name).to.equal(jobId);
    expect(done.stateMachineArn).to.equal(smArn("jobs"));
    expect(done.input).to.equal(JSON.stringify({ jobId }));
    expect(JSON.parse(done.output!)).to.deep.equal({ jobId, run: { outcome: inline } });
    expect(done.startDate!.getTime()).to.equal(startDate.getTime());
    expect(done.stopDate!.getTime()).to.be.at.least(done.startDate!.getTime());
    expect(seen, "the worker runs after MarkRunning").to.equal("RUNNING");

    const job = (await dynalite.get(TABLE, jobId))!;
    expect(job.status).to.equal("SUCCEEDED");
    expect(job.result).to.equal(inline.result);
    expect(job.resultSize).to.equal(34);
    expect(job.version).to.equal(3);
    expect(job).not.to.have.property("error");
    // `$$.State.EnteredTime` of MarkRunning and of RecordSucceededInline, both after the start.
    expect(Date.parse(job.startedAt)).to.be.at.least(startDate.getTime());
    expect(job.updatedAt > job.startedAt, `${job.updatedAt} after ${job.startedAt}`).to.equal(true);
    expect(job.updatedAt).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    // The worker got exactly the definition's payload.
    const invocation = lambda.invocations.find((i) => i.name === WORKER && JSON.parse(i.payload).jobId === jobId)!;
    expect(JSON.parse(invocation.payload)).to.deep.equal({ jobId });
    expect(invocation.type).to.equal("RequestResponse");
  });

  it("records a worker crash (errorType Runtime.ExitError) as FAILED with that code, without retrying it", async function () {
    let calls = 0;
    const { jobId, executionArn } = await startJob(() => {
      calls++;
      throw new FunctionError("Runtime.ExitError", "RequestId: 1 Error: Runtime exited with error: exit status 1");
    });
    const done = await describeUntilDone(client, executionArn);
    expect(done.status).to.equal("SUCCEEDED"); // the workflow handled it: the job failed, not the execution
    expect(calls).to.equal(1);
    const job = (await dynalite.get(TABLE, jobId))!;
    expect(job.status).to.equal("FAILED");
    expect(job.error).to.deep.equal({ code: "Runtime.ExitError", message: WORKER_CRASH_MESSAGE });
    expect(JSON.stringify(job)).not.to.include("exit status");
  });

  it("records a job error the worker returns (TimerFailed) as FAILED with its code and message", async function () {
    const { jobId, executionArn } = await startJob(() => ({ outcome: "FAILED", error: { code: "TimerFailed", message: "The timer failed as asked" }, expiresAt: 1_900_000_000 }));
    expect((await describeUntilDone(client, executionArn)).status).to.equal("SUCCEEDED");
    const job = (await dynalite.get(TABLE, jobId))!;
    expect(job.status).to.equal("FAILED");
    expect(job.error).to.deep.equal({ code: "TimerFailed", message: "The timer failed as asked" });
  });

  it("retries the worker on transient Lambda API errors per the definition's Retry, then records its success", async function () {
    this.timeout(15_000);
    const { jobId, executionArn } = await startJob((call) => {
      if (call === 1) throw apiError("ServiceException", "503 from the Lambda service");
      if (call === 2) throw apiError("TooManyRequestsException", "Rate exceeded");
      return inline;
    });
    const done = await service.waitForExecution(executionArn, 15_000);
    expect(done.status, done.cause).to.equal("SUCCEEDED");
    expect((await dynalite.get(TABLE, jobId))!.status).to.equal("SUCCEEDED");
    const failures = service
      .getExecutionHistory(executionArn)
      .filter((e) => e.type === "TaskFailed")
      .map((e) => (e.taskFailedEventDetails as { error: string }).error);
    expect(failures).to.deep.equal(["Lambda.ServiceException", "Lambda.TooManyRequestsException"]);
    expect(workerCalls.get(jobId)).to.equal(3);
  });

  it("records the transient error's name once the worker's retries run out (1 + maxAttempts calls)", async function () {
    this.timeout(15_000);
    let calls = 0;
    const { jobId, executionArn } = await startJob(() => {
      calls++;
      throw apiError("TooManyRequestsException", "Rate exceeded");
    });
    expect((await service.waitForExecution(executionArn, 15_000)).status).to.equal("SUCCEEDED");
    expect(calls).to.equal(3);
    const job = (await dynalite.get(TABLE, jobId))!;
    expect(job.status).to.equal("FAILED");
    expect(job.error).to.deep.equal({ code: "Lambda.TooManyRequestsException", message: WORKER_CRASH_MESSAGE });
  });

  it("discards a job cancelled before it started: DynamoDB.ConditionalCheckFailedException is caught, the worker never runs", async function () {
    let calls = 0;
    const { jobId, executionArn } = await startJob(
      () => {
        calls++;
        return inline;
      },
      "jobs",
      { status: "CANCELLED", version: 2 },
    );
    expect((await describeUntilDone(client, executionArn)).status).to.equal("SUCCEEDED");
    expect(calls).to.equal(0);
    const job = (await dynalite.get(TABLE, jobId))!;
    expect(job.status).to.equal("CANCELLED");
    expect(job.version).to.equal(2);
    const history = service.getExecutionHistory(executionArn);
    const failed = history.find((e) => e.type === "TaskFailed")!.taskFailedEventDetails as Record<string, string>;
    expect(failed.error).to.equal("DynamoDB.ConditionalCheckFailedException");
    expect(failed.resourceType).to.equal("dynamodb");
    expect(failed.resource).to.equal("updateItem");
    expect(history.filter((e) => e.type.endsWith("StateEntered")).map((e) => (e.stateEnteredEventDetails as { name: string }).name)).to.deep.equal([
      STATE.MarkRunning,
      STATE.Discarded,
    ]);
  });

  it("records TIMED_OUT when the worker never answers (RunJob's TimeoutSeconds → States.Timeout)", async function () {
    this.timeout(10_000);
    const { jobId, executionArn } = await startJob(async () => {
      await sleep(1_500);
      return inline;
    }, "jobs-short");
    expect((await service.waitForExecution(executionArn, 8_000)).status).to.equal("SUCCEEDED");
    const job = (await dynalite.get(TABLE, jobId))!;
    expect(job.status).to.equal("TIMED_OUT");
    expect(job.error).to.deep.equal({ code: "TimedOut", message: timedOutMessage(1) });
    await sleep(600); // the worker's late answer changes nothing
    expect((await dynalite.get(TABLE, jobId))!.status).to.equal("TIMED_OUT");
  });

  it("StopExecution aborts a running execution: ABORTED with the error and cause, nothing more is written", async function () {
    const release = gate();
    const { jobId, executionArn } = await startJob(async () => {
      await release.promise;
      return inline;
    });
    await eventually(async () => (await dynalite.get(TABLE, jobId))?.status === "RUNNING" && lambda.calls(WORKER) > 0, 5_000, "the worker to start");
    const stopped = await client.send(new StopExecutionCommand({ executionArn, error: "Cancelled", cause: "Cancelled by the client" }));
    expect(stopped.stopDate).to.be.instanceOf(Date);

    const done = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(done.status).to.equal("ABORTED");
    expect(done.error).to.equal("Cancelled");
    expect(done.cause).to.equal("Cancelled by the client");
    expect(done.stopDate!.getTime()).to.equal(stopped.stopDate!.getTime());

    release.open(undefined);
    await sleep(100);
    const job = (await dynalite.get(TABLE, jobId))!;
    expect(job.status, "no write after the stop").to.equal("RUNNING");
    expect(service.describeExecution(executionArn).status).to.equal("ABORTED");
    const history = service.getExecutionHistory(executionArn);
    expect(history[history.length - 1].type).to.equal("ExecutionAborted");
    expect(history[history.length - 1].executionAbortedEventDetails).to.deep.equal({ error: "Cancelled", cause: "Cancelled by the client" });

    // Stopping an execution that has ended changes nothing.
    await client.send(new StopExecutionCommand({ executionArn, error: "Again" }));
    expect((await client.send(new DescribeExecutionCommand({ executionArn }))).error).to.equal("Cancelled");
  });

  it("StartExecution is idempotent for a running STANDARD execution with the same name and input, and refuses otherwise", async function () {
    const release = gate();
    const { jobId, executionArn, startDate } = await startJob(async () => {
      await release.promise;
      return inline;
    });
    const again = await client.send(new StartExecutionCommand({ stateMachineArn: smArn("jobs"), name: jobId, input: JSON.stringify({ jobId }) }));
    expect(again.executionArn).to.equal(executionArn);
    expect(again.startDate!.getTime()).to.equal(startDate.getTime());

    const differentInput = await client
      .send(new StartExecutionCommand({ stateMachineArn: smArn("jobs"), name: jobId, input: JSON.stringify({ jobId, other: 1 }) }))
      .then(() => undefined, (err: Error & { $metadata?: { httpStatusCode?: number } }) => err);
    expect(differentInput?.name).to.equal("ExecutionAlreadyExists");
    expect(differentInput?.$metadata?.httpStatusCode).to.equal(400);
    expect(differentInput?.message).to.include(executionArn);

    release.open(undefined);
    expect((await describeUntilDone(client, executionArn)).status).to.equal("SUCCEEDED");
    // Once closed, even the same input is refused (AWS: names are taken for 90 days).
    const closed = await client
      .send(new StartExecutionCommand({ stateMachineArn: smArn("jobs"), name: jobId, input: JSON.stringify({ jobId }) }))
      .then(() => undefined, (err: Error) => err);
    expect(closed?.name).to.equal("ExecutionAlreadyExists");
    expect(lambda.invocations.filter((i) => i.name === WORKER && JSON.parse(i.payload).jobId === jobId)).to.have.length(1);
  });

  it("answers the API's errors as AWS names them", async function () {
    const error = (p: Promise<unknown>) => p.then(() => undefined, (err: Error) => err);
    const unknownMachine = await error(client.send(new StartExecutionCommand({ stateMachineArn: smArn("nope"), input: "{}" })));
    expect(unknownMachine?.name).to.equal("StateMachineDoesNotExist");
    const unknownExecution = await error(client.send(new DescribeExecutionCommand({ executionArn: `arn:aws:states:us-east-1:${ACCOUNT}:execution:jobs:nope` })));
    expect(unknownExecution?.name).to.equal("ExecutionDoesNotExist");
    const badArn = await error(client.send(new DescribeExecutionCommand({ executionArn: "not-an-arn" })));
    expect(badArn?.name).to.equal("InvalidArn");
    const wrongType = await error(client.send(new DescribeExecutionCommand({ executionArn: smArn("jobs") })));
    expect(wrongType?.name).to.equal("InvalidArn");
    const badInput = await error(client.send(new StartExecutionCommand({ stateMachineArn: smArn("jobs"), input: "{not json" })));
    expect(badInput?.name).to.equal("InvalidExecutionInput");
    const badName = await error(client.send(new StartExecutionCommand({ stateMachineArn: smArn("jobs"), name: "a b", input: "{}" })));
    expect(badName?.name).to.equal("InvalidName");
  });

  it("names executions with a UUID when StartExecution has no name", async function () {
    const jobId = newJobId();
    await dynalite.put(TABLE, pendingJob(jobId, { status: "CANCELLED" }));
    const started = await client.send(new StartExecutionCommand({ stateMachineArn: smArn("jobs"), input: JSON.stringify({ jobId }) }));
    expect(started.executionArn).to.match(/:execution:jobs:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect((await describeUntilDone(client, started.executionArn!)).status).to.equal("SUCCEEDED");
  });

  it("lists and describes state machines and executions", async function () {
    const machines = await client.send(new ListStateMachinesCommand({}));
    expect(machines.stateMachines!.map((m) => m.name)).to.include.members(["jobs", "jobs-s3", "jobs-express"]);
    const described = await client.send(new DescribeStateMachineCommand({ stateMachineArn: smArn("jobs") }));
    expect(described.type).to.equal("STANDARD");
    expect(described.roleArn).to.equal(ROLE);
    expect(JSON.parse(described.definition!)).to.deep.equal(JSON.parse(definition()));

    const { executionArn } = await startJob(() => inline);
    await describeUntilDone(client, executionArn);
    const listed = await client.send(new ListExecutionsCommand({ stateMachineArn: smArn("jobs"), statusFilter: "SUCCEEDED" }));
    expect(listed.executions!.map((e) => e.executionArn)).to.include(executionArn);
    expect(listed.executions!.every((e) => e.status === "SUCCEEDED")).to.equal(true);
    const paged = await client.send(new ListExecutionsCommand({ stateMachineArn: smArn("jobs"), maxResults: 1 }));
    expect(paged.executions).to.have.length(1);
    expect(paged.nextToken).to.be.a("string");
    const second = await client.send(new ListExecutionsCommand({ stateMachineArn: smArn("jobs"), maxResults: 1, nextToken: paged.nextToken }));
    expect(second.executions![0].executionArn).not.to.equal(paged.executions![0].executionArn);

    const history = await client.send(new GetExecutionHistoryCommand({ executionArn }));
    const types = history.events!.map((e) => e.type);
    expect(types[0]).to.equal("ExecutionStarted");
    expect(types[types.length - 1]).to.equal("ExecutionSucceeded");
    expect(types).to.include("TaskStateEntered").and.include("ChoiceStateExited");
  });

  it("runs the s3-store definition through the recorder Lambda; a retried write keeps its `$$.State.EnteredTime`", async function () {
    this.timeout(10_000);
    const jobId = newJobId();
    recorder.seedPending(jobId, { deadline: new Date(Date.now() + 3_600_000).toISOString() });
    workers.set(jobId, async () => {
      await sleep(5); // RecordSucceededInline is entered at least 5 ms after MarkRunning
      return inline;
    });
    // The first SUCCEEDED write is applied but its answer is lost (a transient Lambda error).
    let lostOnce = false;
    lambda.set(RECORDER, (payload: RecorderPayload) => {
      const answer = recorder.record(payload);
      if (payload.transition === "SUCCEEDED" && !lostOnce) {
        lostOnce = true;
        throw apiError("ServiceException", "the answer was lost");
      }
      return answer;
    });
    try {
      const started = service.startExecution({ stateMachineArn: smArn("jobs-s3"), name: jobId, input: JSON.stringify({ jobId }) });
      const done = await service.waitForExecution(started.executionArn, 8_000);
      expect(done.status, done.cause).to.equal("SUCCEEDED");
    } finally {
      lambda.set(RECORDER, (payload: RecorderPayload) => recorder.record(payload));
    }
    const job = recorder.get(jobId)!;
    expect(job.status).to.equal("SUCCEEDED");
    expect(job.result).to.equal(inline.result);
    const payloads = recorder.payloads.filter((p) => p.jobId === jobId);
    expect(payloads.map((p) => p.transition)).to.deep.equal(["RUNNING", "SUCCEEDED", "SUCCEEDED"]);
    expect(payloads[2].at, "the retry repeats the same write").to.equal(payloads[1].at);
    expect(payloads[1].at > payloads[0].at).to.equal(true);
    expect(recorder.writes.filter((w) => w.jobId === jobId).map((w) => w.applied)).to.deep.equal([true, true, true]);
  });

  it("runs EXPRESS executions, and refuses DescribeExecution / StopExecution / ListExecutions for them as AWS does", async function () {
    const { jobId, executionArn } = await startJob(() => inline, "jobs-express");
    expect(executionArn).to.match(new RegExp(`^arn:aws:states:us-east-1:${ACCOUNT}:express:jobs-express:${jobId}:[0-9a-f-]{36}$`));
    const done = await service.waitForExecution(executionArn);
    expect(done.status).to.equal("SUCCEEDED");
    expect((await dynalite.get(TABLE, jobId))!.status).to.equal("SUCCEEDED");

    const error = (p: Promise<unknown>) => p.then(() => undefined, (err: Error) => err);
    const describeErr = await error(client.send(new DescribeExecutionCommand({ executionArn })));
    expect(describeErr?.name).to.equal("InvalidArn");
    expect(describeErr?.message).to.equal("Invalid Arn: 'Resource type not valid in this context: express'");
    expect((await error(client.send(new StopExecutionCommand({ executionArn }))))?.name).to.equal("InvalidArn");
    expect((await error(client.send(new ListExecutionsCommand({ stateMachineArn: smArn("jobs-express") }))))?.name).to.equal(
      "StateMachineTypeNotSupported",
    );
  });

  it("logs each execution's end", function () {
    expect(logs.some((l) => /^sfn: jobs\/\S+ SUCCEEDED in \d+ ms$/.test(l)), logs.join("\n")).to.equal(true);
  });
});
