import { expect } from "chai";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand } from "@aws-sdk/client-sfn";
import type { JobDefinition } from "../../lambdas/jobs/types";
import { ENV } from "../../lambdas/shared/env";
import { createContainerWorker, EXIT, WORKER_STOPPED_ERROR } from "../../lambdas/worker/containerWorker";
import { Clock, JOB_TIMEOUT_SECONDS, T0, TTL_SECONDS, configure, makeRecord, seed, useFakeAws } from "./support/harness";

// The Fargate worker's container entry, without Docker: the same job module as the Lambda worker,
// the outcome sent with SendTaskSuccess, heartbeats, and a stop when the execution is gone.

const ID = "c56a4180-65aa-42ec-a945-5fd21dec0538";
const TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAAVi7+token";
const iso = (ms: number) => new Date(ms).toISOString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const env = (overrides: Record<string, string | undefined> = {}) => ({ ...process.env, [ENV.TASK_JOB_ID]: ID, [ENV.TASK_TOKEN]: TOKEN, ...overrides });
const named = (name: string) => Object.assign(new Error(name), { name });

function job(run: JobDefinition["run"]): JobDefinition & { runs: number } {
  const j = { name: "test", schema: {}, runs: 0, run: async (input: unknown, ctx: Parameters<JobDefinition["run"]>[1]) => (j.runs++, run(input, ctx)) };
  return j;
}

describe("lambdas/worker/containerWorker (worker fargate)", () => {
  const fake = useFakeAws();
  let clock: Clock;
  beforeEach(async () => {
    clock = new Clock();
    configure({ store: "dynamodb", backend: "stepfunctions" });
    await seed(makeRecord({ jobId: ID, status: "RUNNING", startedAt: iso(T0), deadline: iso(T0 + (JOB_TIMEOUT_SECONDS + 30) * 1000), input: '{"n":3}' }));
  });

  it("runs the job from the stored input and sends its outcome with SendTaskSuccess, after a first heartbeat", async () => {
    const j = job(async (input: any) => ({ tripled: input.n * 3 }));
    const code = await createContainerWorker(j, { env: env(), now: clock.now })();
    expect(code).to.equal(EXIT.done);
    expect(j.runs).to.equal(1);
    const heartbeats = fake.sfn.commandCalls(SendTaskHeartbeatCommand);
    expect(heartbeats.length).to.be.at.least(1);
    expect(heartbeats[0].args[0].input).to.deep.equal({ taskToken: TOKEN });
    const sent = fake.sfn.commandCalls(SendTaskSuccessCommand);
    expect(sent).to.have.length(1);
    expect(sent[0].args[0].input.taskToken).to.equal(TOKEN);
    expect(JSON.parse(sent[0].args[0].input.output!)).to.deep.equal({ outcome: "SUCCEEDED", result: '{"tripled":9}', resultSize: 13, expiresAt: Math.ceil(clock.now() / 1000) + TTL_SECONDS });
  });

  it("sends a job's error as a FAILED outcome (the state machine records it), never its stack", async () => {
    const code = await createContainerWorker(job(async () => { throw Object.assign(new Error("no luck at arn:aws:s3:::b"), { name: "Unlucky" }); }), { env: env(), now: clock.now })();
    expect(code).to.equal(EXIT.done);
    const output = JSON.parse(fake.sfn.commandCalls(SendTaskSuccessCommand)[0].args[0].input.output!);
    expect(output).to.deep.equal({ outcome: "FAILED", error: { code: "Unlucky", message: "no luck at [resource]" }, expiresAt: Math.ceil(clock.now() / 1000) + TTL_SECONDS });
  });

  it("keeps sending heartbeats while the job runs", async () => {
    const code = await createContainerWorker(job(async () => (await sleep(350), 1)), { env: env(), now: clock.now, heartbeatIntervalMs: 100 })();
    expect(code).to.equal(EXIT.done);
    expect(fake.sfn.commandCalls(SendTaskHeartbeatCommand).length).to.be.at.least(3);
  });

  it("stops at once when a heartbeat says the execution is gone (a cancel stopped it), without sending an outcome", async () => {
    let beats = 0;
    fake.sfn.on(SendTaskHeartbeatCommand).callsFake(() => {
      if (++beats >= 2) throw named("TaskTimedOut");
      return {};
    });
    const started = Date.now();
    const code = await createContainerWorker(job(async () => (await sleep(5000), 1)), { env: env(), now: clock.now, heartbeatIntervalMs: 50 })();
    expect(code).to.equal(EXIT.done);
    expect(Date.now() - started, "did not wait for the job").to.be.below(2000);
    expect(fake.sfn.commandCalls(SendTaskSuccessCommand)).to.have.length(0);
  });

  it("stops within a poll of the record once the job is cancelled, without sending an outcome", async () => {
    const started = Date.now();
    const worker = createContainerWorker(job(async () => (await sleep(5000), 1)), { env: env(), now: clock.now, recordPollMs: 50 });
    const running = worker();
    await sleep(120);
    const { store } = await import("./support/harness");
    const current = (await store(clock).getJob(ID))!;
    await store(clock).replaceJob({ ...current, status: "CANCELLED" }, current.version);
    expect(await running).to.equal(EXIT.done);
    expect(Date.now() - started).to.be.below(2000);
    expect(fake.sfn.commandCalls(SendTaskSuccessCommand)).to.have.length(0);
  });

  it("treats an outcome nobody waits for any more (TaskDoesNotExist) as done", async () => {
    fake.sfn.on(SendTaskSuccessCommand).rejects(named("TaskDoesNotExist"));
    expect(await createContainerWorker(job(async () => 1), { env: env(), now: clock.now })()).to.equal(EXIT.done);
  });

  it("reports a failure of its own (not the job's) with SendTaskFailure, naming only the error", async () => {
    fake.ddb.on(GetCommand).rejects(Object.assign(new Error("AccessDenied for arn:aws:iam::123456789012:role/x"), { name: "AccessDeniedException" }));
    const code = await createContainerWorker(job(async () => 1), { env: env(), now: clock.now })();
    expect(code).to.equal(EXIT.unsent);
    const failures = fake.sfn.commandCalls(SendTaskFailureCommand);
    expect(failures).to.have.length(1);
    expect(failures[0].args[0].input).to.deep.equal({ taskToken: TOKEN, error: "AccessDeniedException", cause: "The job's worker task failed before it had an outcome." });
    expect(fake.sfn.commandCalls(SendTaskSuccessCommand)).to.have.length(0);
  });

  // "Task retirement and maintenance for AWS Fargate": retirement stops standalone tasks (those
  // Step Functions starts) with no replacement; StopTask sends SIGTERM, then SIGKILL after the
  // container's stopTimeout ("Amazon ECS task definition parameters": 30 s by default on Fargate).
  it("tells the state machine WorkerStopped at once when the task is stopped (SIGTERM), instead of leaving it to the heartbeat timeout", async () => {
    let stop: (signal: string) => void = () => undefined;
    const stopped = new Promise<string>((resolve) => (stop = resolve));
    const worker = createContainerWorker(job(async () => (await sleep(5000), 1)), { env: env(), now: clock.now, stopped });
    const started = Date.now();
    setTimeout(() => stop("SIGTERM"), 50);
    expect(await worker()).to.equal(EXIT.stopped);
    expect(Date.now() - started).to.be.below(2000);
    const failures = fake.sfn.commandCalls(SendTaskFailureCommand).map((c) => c.args[0].input);
    expect(failures).to.deep.equal([{ taskToken: TOKEN, error: WORKER_STOPPED_ERROR, cause: "The job's worker task was stopped (SIGTERM) before the job finished." }]);
    expect(fake.sfn.commandCalls(SendTaskSuccessCommand)).to.have.length(0);
  });

  it("listens for SIGTERM on the process by default, and stops listening when done", async () => {
    const before = process.listenerCount("SIGTERM");
    const worker = createContainerWorker(job(async () => (await sleep(5000), 1)), { env: env(), now: clock.now });
    const running = worker();
    await sleep(50);
    expect(process.listenerCount("SIGTERM")).to.equal(before + 1);
    process.emit("SIGTERM", "SIGTERM");
    expect(await running).to.equal(EXIT.stopped);
    expect(process.listenerCount("SIGTERM")).to.equal(before);
    expect(fake.sfn.commandCalls(SendTaskFailureCommand)[0].args[0].input.error).to.equal(WORKER_STOPPED_ERROR);
  });

  it("exits 2 without a job id or a token, running nothing", async () => {
    const j = job(async () => 1);
    expect(await createContainerWorker(j, { env: env({ [ENV.TASK_TOKEN]: undefined }) })()).to.equal(EXIT.misconfigured);
    expect(await createContainerWorker(j, { env: env({ [ENV.TASK_JOB_ID]: "../etc" }) })()).to.equal(EXIT.misconfigured);
    expect(j.runs).to.equal(0);
    expect(fake.sfn.calls()).to.have.length(0);
  });

  it("answers DISCARDED for a job that is not RUNNING (cancelled before the task started)", async () => {
    await seed(makeRecord({ jobId: "0b7e3a52-1c1d-4e0e-9f3a-6d2f1c9e8a41", status: "CANCELLED" }));
    const j = job(async () => 1);
    await createContainerWorker(j, { env: env({ [ENV.TASK_JOB_ID]: "0b7e3a52-1c1d-4e0e-9f3a-6d2f1c9e8a41" }), now: clock.now })();
    expect(j.runs).to.equal(0);
    expect(JSON.parse(fake.sfn.commandCalls(SendTaskSuccessCommand)[0].args[0].input.output!)).to.deep.equal({ outcome: "DISCARDED" });
  });
});
