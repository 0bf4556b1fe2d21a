// Runs the state machine definition with aws-local-stepfunctions, against an in-memory job record
// that honours the conditions the definition encodes (fakes.ts), for both stores.
import { expect } from "chai";
import {
  buildStateMachineDefinition,
  INVALID_OUTCOME_ERROR,
  RECORDING_FAILED_ERROR,
  STATE,
  timedOutMessage,
  WORKER_CRASH_MESSAGE,
} from "../../../components/workflow/definition";
import type { StateMachineDefinitionArgs, WorkerOutcome } from "../../../components/workflow/definition";
import { Clock, execute, FakeJobTable, FakeRecorder, namedError } from "./fakes";
import type { StoreFake, Worker } from "./fakes";

const WORKER_ARN = "arn:aws:lambda:us-east-1:123456789012:function:async-api-worker";
const RECORDER_ARN = "arn:aws:lambda:us-east-1:123456789012:function:async-api-recorder";
const TABLE = "async-api-jobs";
const JOB = "0f8fad5b-d9cb-469f-a165-70867728950e";

/** The worker's expiry for a finished job (its finish + resultTtlMinutes), in epoch seconds. */
const FINISHED_EXPIRES_AT = 1_900_000_000;
const succeededInline = { outcome: "SUCCEEDED", result: '{"message":"Done after 1 seconds"}', resultSize: 34, expiresAt: FINISHED_EXPIRES_AT } satisfies WorkerOutcome;
const succeededRef = { outcome: "SUCCEEDED", resultRef: `results/${JOB}.json`, resultSize: 5_000_000, expiresAt: FINISHED_EXPIRES_AT } satisfies WorkerOutcome;
const jobFailed = { outcome: "FAILED", error: { code: "TimerFailed", message: "The timer failed as asked" }, expiresAt: FINISHED_EXPIRES_AT } satisfies WorkerOutcome;

for (const store of ["dynamodb", "s3"] as const) {
  describe(`workflow definition, executed locally (store ${store})`, function () {
    let clock: Clock;
    let fake: StoreFake;

    function definition(overrides: Partial<StateMachineDefinitionArgs> = {}) {
      return buildStateMachineDefinition({
        store,
        workerFunctionArn: WORKER_ARN,
        ...(store === "dynamodb" ? { tableName: TABLE } : { recorderFunctionArn: RECORDER_ARN }),
        jobTimeoutSeconds: 60,
        workflowType: "STANDARD",
        workerRetry: { maxAttempts: 2, intervalSeconds: 1, backoffRate: 2 },
        ...overrides,
      });
    }

    function run(worker: Worker, overrides: Partial<StateMachineDefinitionArgs> = {}) {
      return execute(definition(overrides), { jobId: JOB, store: fake, worker, workerArn: WORKER_ARN, clock });
    }

    beforeEach(function () {
      clock = new Clock();
      fake = store === "dynamodb" ? new FakeJobTable(TABLE, clock) : new FakeRecorder(RECORDER_ARN, clock);
      fake.seedPending(JOB);
      clock.advance(); // StartExecution comes a little after the PENDING write
    });

    it("records an inline result: PENDING → RUNNING → SUCCEEDED with result and resultSize", async function () {
      const submitted = fake.get(JOB)!;
      let seenByWorker: unknown;
      const r = await run((payload) => {
        seenByWorker = { payload, status: fake.get(JOB)!.status };
        return succeededInline;
      });
      expect(r.ok, r.error).to.equal(true);
      expect(seenByWorker).to.deep.equal({ payload: { jobId: JOB }, status: "RUNNING" });
      expect(r.path.filter((s) => !s.endsWith("Applied"))).to.deep.equal([
        STATE.MarkRunning,
        STATE.RunJob,
        STATE.CheckOutcome,
        STATE.RecordSucceededInline,
        // store dynamodb's write ends the execution; store s3's `applied` Choice needs a state to end in.
        ...(store === "s3" ? [STATE.Recorded] : []),
      ]);
      const job = fake.get(JOB)!;
      expect(job.status).to.equal("SUCCEEDED");
      expect(job.result).to.equal(succeededInline.result);
      expect(job.resultSize).to.equal(34); // a Number attribute
      expect(job).not.to.have.property("resultRef");
      expect(job).not.to.have.property("error");
      expect(job.version).to.equal(submitted.version + 2);
      expect(job.startedAt! > submitted.createdAt, "startedAt after creation").to.equal(true);
      expect(job.updatedAt > job.startedAt!, "finished after it started").to.equal(true);
      // Untouched by the state machine.
      expect(job.deadline).to.equal(submitted.deadline);
      // The finished job expires its TTL after it finished (the worker's outcome says when), not
      // after its deadline: the DynamoDB write sets it; the s3 recorder computes its own.
      if (store === "dynamodb") expect(job.expiresAt).to.equal(FINISHED_EXPIRES_AT);
      expect(job.input).to.equal(submitted.input);
    });

    it("records a result kept in S3 by reference (resultRef, no result)", async function () {
      const r = await run(() => succeededRef);
      expect(r.ok, r.error).to.equal(true);
      expect(r.path).to.include(STATE.RecordSucceededRef).and.not.include(STATE.RecordSucceededInline);
      const job = fake.get(JOB)!;
      expect(job.status).to.equal("SUCCEEDED");
      expect(job.resultRef).to.equal(`results/${JOB}.json`);
      expect(job.resultSize).to.equal(5_000_000);
      expect(job).not.to.have.property("result");
    });

    it("records a job error the worker returns as FAILED with its code and message", async function () {
      const r = await run(() => jobFailed);
      expect(r.ok, r.error).to.equal(true);
      expect(r.path).to.include(STATE.RecordFailed);
      const job = fake.get(JOB)!;
      expect(job.status).to.equal("FAILED");
      expect(job.error).to.deep.equal({ code: "TimerFailed", message: "The timer failed as asked" });
      expect(job).not.to.have.property("result");
    });

    it("records a worker crash as FAILED with the error name and a static message, never the Cause", async function () {
      const cause = "Error: boom\n    at handler (/var/task/index.js:1:1) arn:aws:lambda:us-east-1:123456789012:function:secret";
      const r = await run(() => {
        throw namedError("Lambda.Unknown", cause);
      });
      expect(r.ok, r.error).to.equal(true);
      expect(r.workerCalls, "Lambda.Unknown is not retried").to.equal(1);
      expect(r.path).to.include(STATE.RecordCrashed);
      const job = fake.get(JOB)!;
      expect(job.status).to.equal("FAILED");
      expect(job.error).to.deep.equal({ code: "Lambda.Unknown", message: WORKER_CRASH_MESSAGE });
      expect(JSON.stringify(job)).not.to.include("boom").and.not.to.include("/var/task").and.not.to.include("secret");
      if (fake instanceof FakeRecorder) {
        expect(JSON.stringify(fake.payloads)).not.to.include("boom").and.not.to.include("Cause");
      }
    });

    it("records TIMED_OUT when RunJob's own timeout fires (a worker that never answers)", async function () {
      const r = await run(async () => {
        throw namedError("States.Timeout", "RunJob's TimeoutSeconds passed");
      }, { jobTimeoutSeconds: 1 });
      expect(r.ok, r.error).to.equal(true);
      expect(r.path).to.include(STATE.RecordTimedOut).and.not.include(STATE.RecordSucceededInline);
      const job = fake.get(JOB)!;
      expect(job.status).to.equal("TIMED_OUT");
      expect(job.error).to.deep.equal({ code: "TimedOut", message: timedOutMessage(1) });
      expect(job).not.to.have.property("result");
    });

    // AWS, "Troubleshoot invocation issues in Lambda": a function stopped at its timeout (or at the
    // 10 s of its init phase) fails with Sandbox.Timedout: the job did not finish in time.
    it("records TIMED_OUT for a worker Lambda stopped at its own timeout (Sandbox.Timedout)", async function () {
      const r = await run(async () => {
        throw namedError("Sandbox.Timedout", "Task timed out after 13.00 seconds");
      });
      expect(r.path).to.include(STATE.RecordTimedOut);
      expect(fake.get(JOB)!.status).to.equal("TIMED_OUT");
    });

    it("records FAILED (InvalidWorkerOutput) for a success without its expiry, never a record that would outlive its TTL", async function () {
      const { expiresAt: _, ...withoutExpiry } = succeededInline;
      const r = await run(() => withoutExpiry);
      expect(r.path).to.include(STATE.InvalidOutcome);
      expect(fake.get(JOB)!.status).to.equal("FAILED");
    });

    it("records TIMED_OUT when the worker itself stops the job at its time limit", async function () {
      const r = await run(() => ({ outcome: "TIMED_OUT", error: { code: "TimedOut", message: "The job did not finish within its time limit" } }));
      expect(r.ok, r.error).to.equal(true);
      expect(r.path).to.include(STATE.RecordTimedOut).and.not.include(STATE.InvalidOutcome);
      const job = fake.get(JOB)!;
      expect(job.status).to.equal("TIMED_OUT");
      expect(job.error).to.deep.equal({ code: "TimedOut", message: timedOutMessage(60) });
    });

    it("does nothing for a job cancelled before it started: Discarded, no write, no worker", async function () {
      fake.cancel(JOB);
      const before = fake.get(JOB)!;
      const r = await run(() => succeededInline);
      expect(r.ok, r.error).to.equal(true);
      expect(r.path[r.path.length - 1]).to.equal(STATE.Discarded);
      expect(r.workerCalls).to.equal(0);
      expect(fake.writes.filter((w) => w.applied)).to.deep.equal([]);
      expect(fake.get(JOB)).to.deep.equal(before);
    });

    it("keeps CANCELLED when the job is cancelled while running: the late result is discarded", async function () {
      const r = await run(() => {
        fake.cancel(JOB);
        return succeededInline;
      });
      expect(r.ok, r.error).to.equal(true);
      expect(r.path).to.include(STATE.RecordSucceededInline);
      expect(r.path[r.path.length - 1]).to.equal(STATE.Discarded);
      expect(fake.writes.map((w) => [w.to, w.applied])).to.deep.equal([
        ["RUNNING", true],
        ["SUCCEEDED", false],
      ]);
      const job = fake.get(JOB)!;
      expect(job.status).to.equal("CANCELLED");
      expect(job).not.to.have.property("result");
    });

    it("never overwrites a timeout or cancel that came first, even with a crash", async function () {
      const r = await run(() => {
        fake.cancel(JOB);
        throw namedError("Runtime.ExitError", "exited");
      });
      expect(r.ok, r.error).to.equal(true);
      expect(r.path).to.include(STATE.RecordCrashed);
      expect(r.path[r.path.length - 1]).to.equal(STATE.Discarded);
      expect(fake.get(JOB)!.status).to.equal("CANCELLED");
      expect(fake.get(JOB)).not.to.have.property("error");
    });

    it("ends in Discarded when the worker itself reports DISCARDED, with no terminal write", async function () {
      const r = await run(() => {
        fake.cancel(JOB);
        return { outcome: "DISCARDED" };
      });
      expect(r.ok, r.error).to.equal(true);
      expect(r.path.slice(-2)).to.deep.equal([STATE.CheckOutcome, STATE.Discarded]);
      expect(fake.writes.map((w) => w.to)).to.deep.equal(["RUNNING"]);
      expect(fake.get(JOB)!.status).to.equal("CANCELLED");
    });

    it("retries the worker on transient Lambda errors, then records its success", async function () {
      const r = await run((_, attempt) => {
        if (attempt === 1) throw namedError("Lambda.ServiceException", "503");
        if (attempt === 2) throw namedError("Lambda.TooManyRequestsException", "429");
        return succeededInline;
      });
      expect(r.ok, r.error).to.equal(true);
      expect(r.workerCalls).to.equal(3);
      expect(r.retries[STATE.RunJob]).to.equal(2);
      expect(fake.get(JOB)!.status).to.equal("SUCCEEDED");
    });

    it("records a crash with the transient error's name once the worker retries run out", async function () {
      const r = await run(() => {
        throw namedError("Lambda.TooManyRequestsException", "429");
      }, { workerRetry: { maxAttempts: 1, intervalSeconds: 1, backoffRate: 1 } });
      expect(r.ok, r.error).to.equal(true);
      expect(r.workerCalls).to.equal(2);
      expect(fake.get(JOB)!.error).to.deep.equal({ code: "Lambda.TooManyRequestsException", message: WORKER_CRASH_MESSAGE });
    });

    it("records FAILED (InvalidWorkerOutput) when the worker answers something that is not an outcome", async function () {
      for (const [i, answer] of [{ outcome: "SUCCEEDED", result: "{}" } /* no resultSize */, { hello: 1 }, null].entries()) {
        clock = new Clock();
        fake = store === "dynamodb" ? new FakeJobTable(TABLE, clock) : new FakeRecorder(RECORDER_ARN, clock);
        fake.seedPending(JOB);
        const r = await run(() => answer);
        expect(r.ok, `answer ${i}: ${r.error}`).to.equal(true);
        expect(r.path, `answer ${i}`).to.include(STATE.InvalidOutcome);
        expect(fake.get(JOB)!.error, `answer ${i}`).to.deep.equal({ code: INVALID_OUTCOME_ERROR, message: WORKER_CRASH_MESSAGE });
      }
    });

    it("does not start a job whose deadline has passed (it already reads TIMED_OUT)", async function () {
      fake.seedPending(JOB, { deadline: new Date(clock.nowMs() - 1).toISOString() });
      const before = fake.get(JOB)!;
      const r = await run(() => succeededInline);
      expect(r.ok, r.error).to.equal(true);
      expect(r.path[r.path.length - 1]).to.equal(STATE.Discarded);
      expect(r.workerCalls).to.equal(0);
      expect(fake.get(JOB)).to.deep.equal(before);
    });

    it("refuses a success after the deadline, but still records a timeout after it", async function () {
      const deadline = new Date(clock.nowMs() + 1500).toISOString(); // between MarkRunning and the terminal write
      fake.seedPending(JOB, { deadline });
      const late = await run(() => succeededInline);
      expect(late.path[late.path.length - 1]).to.equal(STATE.Discarded);
      expect(fake.get(JOB)!.status).to.equal("RUNNING");

      clock = new Clock();
      fake = store === "dynamodb" ? new FakeJobTable(TABLE, clock) : new FakeRecorder(RECORDER_ARN, clock);
      fake.seedPending(JOB, { deadline: new Date(clock.nowMs() + 500).toISOString() });
      const timedOut = await run(async () => {
        clock.advance(5);
        throw namedError("States.Timeout", "simulated");
      });
      expect(timedOut.path).to.include(STATE.RecordTimedOut);
      expect(fake.get(JOB)!.status).to.equal("TIMED_OUT");
    });

    // AWS, "Error handling in Step Functions": a missed heartbeat is States.HeartbeatTimeout, which
    // a States.Timeout catcher matches too; the first matching catcher wins.
    it("records a worker that stops sending heartbeats (States.HeartbeatTimeout) FAILED, not TIMED_OUT", async function () {
      const r = await run(async () => {
        throw namedError("States.HeartbeatTimeout", "No heartbeat");
      });
      expect(r.path).to.include(STATE.RecordCrashed);
      expect(r.path).not.to.include(STATE.RecordTimedOut);
      expect(fake.get(JOB)!.status).to.equal("FAILED");
      expect(fake.get(JOB)!.error).to.deep.equal({ code: "States.HeartbeatTimeout", message: WORKER_CRASH_MESSAGE });
    });

    it("retries a throttled record write, then goes on", async function () {
      const throttled = store === "dynamodb" ? "DynamoDB.ProvisionedThroughputExceededException" : "Lambda.TooManyRequestsException";
      fake.failNext(STATE.MarkRunning, namedError(throttled));
      fake.failNext(STATE.RecordSucceededInline, namedError(throttled));
      const r = await run(() => succeededInline);
      expect(r.ok, r.error).to.equal(true);
      expect(r.retries[STATE.MarkRunning]).to.equal(1);
      expect(r.retries[STATE.RecordSucceededInline]).to.equal(1);
      expect(fake.get(JOB)!.status).to.equal("SUCCEEDED");
    });

    it("treats the retry of a write that was applied but answered with an error as applied (idempotent)", async function () {
      const ambiguous = store === "dynamodb" ? "DynamoDB.InternalServerErrorException" : "Lambda.ServiceException";
      fake.failNext(STATE.MarkRunning, namedError(ambiguous), { afterApply: true });
      fake.failNext(STATE.RecordSucceededInline, namedError(ambiguous), { afterApply: true });
      const r = await run(() => succeededInline);
      expect(r.ok, r.error).to.equal(true);
      expect(r.path).not.to.include(STATE.Discarded);
      expect(r.workerCalls).to.equal(1);
      expect(r.path[r.path.length - 1]).to.equal(store === "s3" ? STATE.Recorded : STATE.RecordSucceededInline);
      expect(fake.writes.map((w) => [w.to, w.applied])).to.deep.equal([
        ["RUNNING", true],
        ["RUNNING", true],
        ["SUCCEEDED", true],
        ["SUCCEEDED", true],
      ]);
      expect(fake.get(JOB)!.status).to.equal("SUCCEEDED");
    });

    if (store === "s3") {
      it("retries a recorder that fails for a passing reason (S3 SlowDown), then records the outcome", async function () {
        this.timeout(20_000);
        fake.failNext(STATE.RecordFailed, namedError("SlowDown"));
        const r = await run(() => jobFailed);
        expect(r.ok, r.error).to.equal(true);
        expect(fake.get(JOB)!.status).to.equal("FAILED");
      });
    }

    it("fails the execution with RecordingFailed when a write can never succeed", async function () {
      // DynamoDB: an error that is not transient; the recorder: a request it can never apply.
      const broken = store === "dynamodb" ? "DynamoDB.AmazonDynamoDBException" : "InvalidRecorderEvent";
      fake.failNext(STATE.RecordFailed, namedError(broken));
      const r = await run(() => jobFailed);
      expect(r.ok).to.equal(false);
      expect(r.error).to.equal(RECORDING_FAILED_ERROR);
      expect(r.path[r.path.length - 1]).to.equal(STATE.RecordingFailed);
      expect(fake.get(JOB)!.status).to.equal("RUNNING");
    });
  });
}
