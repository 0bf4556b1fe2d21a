// Faults injected into the local cloud (local/admin/admin.ts, `npm start -- --faults`), per backend:
// jobs that throw, overrun or hang, worker processes that die, DynamoDB and S3 writes that fail
// during the submit and during the run, duplicate async deliveries, a restart mid-job. For each,
// every accepted job reaches a terminal state by its deadline, none is lost (every 202'd id still
// answers 200), and the recorded outcome is the first terminal one.
//
// Backends: stepfunctions and lambda (store dynamodb), stepfunctions on store s3, and stream
// (store dynamodb: API Gateway writes the job, the table's stream feeds the worker through an
// event source mapping whose on-failure queue's recorder records jobs it gave up on). Process
// faults (workerCrash, workerHang) target the scenario's own job (`jobId`), so they never hit
// the retries of earlier scenarios' jobs.
//
// Each cloud runs its scenarios one after the other (faults are global to an emulator) in the
// background, all clouds side by side; each `it` awaits its scenario and reports it.
import { expect } from "chai";
import { startAllowanceSeconds } from "../../lambdas/shared/env";
import { SERVICE_UNAVAILABLE_RETRY_AFTER } from "../../lambdas/shared/retryAfter";
import { isTerminal, JobApi, type Response } from "../support/localCloud";
import { armFault, clearFaults, firedFaults, leaks, removeState, settled, sleep, startFaultCloud, storedJob, storedJobs, type FaultCloud } from "./support";

const JOB_TIMEOUT_SECONDS = 3;
/** lambdas/shared/status.ts: a RUNNING job's deadline is its start + jobTimeoutSeconds + this. */
const RUNNING_GRACE_SECONDS = 30;
/** Attempts the AWS SDK v3 makes per call by default: DynamoDB 4, S3 3. */
const SDK_ATTEMPTS: Record<string, number> = { dynamodb: 4, s3: 3 };

/**
 * Write faults that outlast `calls` SDK calls' retries. Backend stream's submit is API Gateway's
 * single TransactWriteItems call (no SDK, no retries): one fault per call.
 */
function storeFault(ctx: { store: string; backend: string }, calls: number, variant: "submit" | "run" = "submit") {
  const count = ctx.backend === "stream" && variant === "submit" ? calls : SDK_ATTEMPTS[ctx.store] * calls;
  // A submit's writes only: the events publisher of earlier jobs writes the bucket too (its markers).
  if (ctx.store === "s3") return { kind: "s3Writes" as const, count, status: (variant === "run" ? 503 : 500) as 500 | 503, ...(variant === "submit" ? { function: "submit" } : {}) };
  return { kind: "dynamodbWrites" as const, count, code: variant === "run" && ctx.backend === "lambda" ? "ThrottlingException" : "InternalServerError" };
}

// ---------------------------------------------------------------------------------------------
// Bookkeeping: every accepted job, and the first terminal status it was seen in

interface Tracked {
  jobId: string;
  firstTerminal?: string;
  firstTerminalError?: string;
}

class Ledger {
  readonly jobs = new Map<string, Tracked>();

  constructor(public api: JobApi) {}

  /** POST /jobs; a 202 is remembered. */
  async submit(input: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const res = await this.api.submit(input, headers);
    if (res.status === 202) {
      expect(res.body.jobId, res.text).to.be.a("string");
      if (!this.jobs.has(res.body.jobId)) this.jobs.set(res.body.jobId, { jobId: res.body.jobId });
    }
    return res;
  }

  async accept(input: unknown, headers: Record<string, string> = {}): Promise<string> {
    const res = await this.submit(input, headers);
    expect(res.status, `POST /jobs ${JSON.stringify(input)}: ${res.text}`).to.equal(202);
    return res.body.jobId;
  }

  /** Polls until the job is terminal (every read must be 200); returns the terminal read. */
  /** Polls until terminal; `lastNotTerminalSentAt`: when the last GET that read a non-terminal status was sent. */
  async terminal(jobId: string, limitMs: number): Promise<{ last: Response; seen: string[]; elapsedMs: number; lastNotTerminalSentAt?: number }> {
    const started = Date.now();
    const seen: string[] = [];
    let lastNotTerminalSentAt: number | undefined;
    for (;;) {
      const sentAt = Date.now();
      const last = await this.api.get(jobId);
      expect(last.status, `GET ${jobId} (an accepted job) answered ${last.status}: ${last.text}`).to.equal(200);
      if (seen[seen.length - 1] !== last.body.status) seen.push(last.body.status);
      if (isTerminal(last.body.status)) {
        this.noteTerminal(jobId, last);
        return { last, seen, elapsedMs: Date.now() - started, lastNotTerminalSentAt };
      }
      lastNotTerminalSentAt = sentAt;
      if (Date.now() - started > limitMs) throw new Error(`job ${jobId} is still ${last.body.status} after ${limitMs} ms (seen ${seen.join(" → ")})`);
      await sleep(100);
    }
  }

  async until(jobId: string, status: string, limitMs = 15_000): Promise<void> {
    const started = Date.now();
    for (;;) {
      const res = await this.api.get(jobId);
      expect(res.status, res.text).to.equal(200);
      if (res.body.status === status) return;
      if (isTerminal(res.body.status)) throw new Error(`job ${jobId} became ${res.body.status} while waiting for ${status}`);
      if (Date.now() - started > limitMs) throw new Error(`job ${jobId} still ${res.body.status} after ${limitMs} ms, waiting for ${status}`);
      await sleep(50);
    }
  }

  noteTerminal(jobId: string, res: Response): void {
    const t = this.jobs.get(jobId);
    if (!t) return;
    if (t.firstTerminal === undefined) {
      t.firstTerminal = res.body.status;
      t.firstTerminalError = res.body.error?.code;
    } else {
      expect(res.body.status, `job ${jobId} was ${t.firstTerminal} first: the first terminal status wins`).to.equal(t.firstTerminal);
    }
  }

  /** Every accepted job still answers 200, terminal, in the first terminal status it was seen in. */
  async verifyAll(limitMs: number): Promise<void> {
    for (const t of this.jobs.values()) {
      const { last } = await this.terminal(t.jobId, limitMs);
      expect(last.body.status, `job ${t.jobId}`).to.equal(t.firstTerminal);
      expect(last.body.error?.code, `job ${t.jobId}`).to.equal(t.firstTerminalError);
    }
  }
}

interface Ctx {
  cloud: FaultCloud;
  api: JobApi;
  ledger: Ledger;
  backend: string;
  store: string;
}

/**
 * The record's deadline, read from the store. Backend stream's PENDING records (written by API
 * Gateway) have none: readers derive it from createdAt, as lambdas/shared/store does.
 */
async function deadlineOf(ctx: Ctx, jobId: string): Promise<number> {
  const record = await storedJob(ctx.cloud, jobId);
  expect(record, `the record of ${jobId}`).to.not.equal(undefined);
  if (record!.deadline === undefined && ctx.backend === "stream") {
    return Date.parse(record!.createdAt) + (startAllowanceSeconds("stream") + JOB_TIMEOUT_SECONDS) * 1000;
  }
  expect(record!.deadline, `the deadline of ${jobId}`).to.be.a("string");
  return Date.parse(record!.deadline);
}

/** Waits for a terminal status, no later than the record's deadline (plus polling slack). */
async function terminalByDeadline(ctx: Ctx, jobId: string, expected?: string, limitMs = 60_000) {
  const deadline = await deadlineOf(ctx, jobId);
  const out = await ctx.ledger.terminal(jobId, Math.min(limitMs, Math.max(0, deadline - Date.now()) + 15_000));
  // The promise is about what a read says, not about how fast a loaded machine answers it: no GET
  // sent after the deadline (plus 1 s for the two clocks and the store's write) read it not terminal.
  expect(out.lastNotTerminalSentAt ?? 0, `job ${jobId} read ${out.seen.join(" → ")}: still not terminal after its deadline`).to.be.at.most(deadline + 1000);
  if (expected) expect(out.last.body.status, `job ${jobId} (seen ${out.seen.join(" → ")}): ${out.last.text}`).to.equal(expected);
  return out;
}

/**
 * What the API answers while the store fails or throttles past the SDK's retries: CONTRACT.md's
 * 503 ServiceUnavailable with Retry-After, the same on every backend, the error shape, nothing leaked.
 */
function expectServiceUnavailable(res: Response): void {
  expect(res.status, res.text).to.equal(503);
  expect(res.body?.error?.code, res.text).to.equal("ServiceUnavailable");
  expect(res.body.error.message, res.text).to.be.a("string").that.is.not.empty;
  expect(res.headers.get("retry-after"), res.text).to.equal(SERVICE_UNAVAILABLE_RETRY_AFTER);
  expect(leaks(res.text), res.text).to.deep.equal([]);
  expect(res.text, "no AWS error type").to.not.match(/Exception|InternalServerError|InternalError|SlowDown|Throttling/);
}

/** The store holds exactly the jobs that were accepted. */
async function expectStoreMatchesLedger(ctx: Ctx): Promise<void> {
  const stored = (await storedJobs(ctx.cloud)).map((j) => j.jobId).sort();
  expect(stored, "job records in the store vs jobs accepted").to.deep.equal([...ctx.ledger.jobs.keys()].sort());
}

/** A SUCCEEDED job finished its work within jobTimeoutSeconds of its start (plus a little for recording). */
async function expectWithinTimeout(ctx: Ctx, jobId: string): Promise<void> {
  const record = await storedJob(ctx.cloud, jobId);
  expect(record?.startedAt, `job ${jobId} has a startedAt`).to.be.a("string");
  const ranMs = Date.parse(String(record!.updatedAt)) - Date.parse(String(record!.startedAt));
  expect(
    ranMs,
    `job ${jobId} SUCCEEDED ${(ranMs / 1000).toFixed(1)} s after it started (startedAt ${record!.startedAt}, updatedAt ${record!.updatedAt}): more than jobTimeoutSeconds (${JOB_TIMEOUT_SECONDS} s) + 2 s`,
  ).to.be.at.most((JOB_TIMEOUT_SECONDS + 2) * 1000);
}

async function expectFired(ctx: Ctx, kind: string, count = 1, jobId?: string): Promise<void> {
  const fired = (await firedFaults(ctx.cloud)).filter((f) => f.kind === kind);
  // Disarm first: a fault left armed would hit the next scenario's worker.
  await clearFaults(ctx.cloud);
  expect(fired.length, `${kind} fired`).to.be.at.least(count);
  if (jobId !== undefined) for (const f of fired) expect(f.jobId, `${kind} hit only job ${jobId}'s invocations`).to.equal(jobId);
}

// ---------------------------------------------------------------------------------------------
// Scenarios

interface Scenario {
  name: string;
  /** Backend x store this scenario runs on ("stepfunctions/dynamodb", ...). */
  on: string[];
  run(ctx: Ctx): Promise<void>;
}

const ALL_DDB = ["stepfunctions/dynamodb", "lambda/dynamodb", "stream/dynamodb"];
const ALL = [...ALL_DDB, "stepfunctions/s3"];
/** Where the submit is a Lambda writing through the AWS SDK (which retries failed writes). */
const SDK_SUBMIT = ALL.filter((id) => !id.startsWith("stream/"));

const SCENARIOS: Scenario[] = [
  {
    name: "the job throws (fail: true): FAILED with TimerFailed",
    on: ALL,
    async run(ctx) {
      const jobId = await ctx.ledger.accept({ seconds: 0, fail: true });
      const { last } = await terminalByDeadline(ctx, jobId, "FAILED");
      expect(last.body.error.code).to.equal("TimerFailed");
      expect(leaks(last.text, [jobId])).to.deep.equal([]);
    },
  },
  {
    name: "the job runs past jobTimeoutSeconds: TIMED_OUT (TimedOut) soon after the timeout",
    on: ALL,
    async run(ctx) {
      const jobId = await ctx.ledger.accept({ seconds: JOB_TIMEOUT_SECONDS + 3 });
      const { last, elapsedMs } = await terminalByDeadline(ctx, jobId, "TIMED_OUT");
      expect(last.body.error.code).to.equal("TimedOut");
      expect(elapsedMs, "recorded well before the deadline's grace").to.be.below((JOB_TIMEOUT_SECONDS + 8) * 1000);
    },
  },
  {
    name: "cancel while RUNNING, then the late success is discarded: stays CANCELLED",
    on: ALL,
    async run(ctx) {
      // The job may finish in the moment between seeing RUNNING and the cancel (a 2 s job on a
      // loaded machine): then it is SUCCEEDED and the cancel 409; try again, up to 3 jobs.
      let jobId = "";
      let cancel: Response | undefined;
      for (let attempt = 0; attempt < 3 && cancel?.status !== 202; attempt++) {
        jobId = await ctx.ledger.accept({ seconds: 2 });
        await ctx.ledger.until(jobId, "RUNNING");
        cancel = await ctx.api.cancel(jobId);
        if (cancel.status !== 202) {
          expect(cancel.status, cancel.text).to.equal(409);
          const finished = await ctx.api.get(jobId);
          expect(finished.body.status, "a 409 only for a job that finished first").to.equal("SUCCEEDED");
          ctx.ledger.noteTerminal(jobId, finished);
        }
      }
      expect(cancel?.status, cancel?.text).to.equal(202);
      await terminalByDeadline(ctx, jobId, "CANCELLED");
      await sleep(3000); // the timer has finished by now
      const after = await ctx.api.get(jobId);
      expect(after.body.status).to.equal("CANCELLED");
      expect(after.body).to.not.have.property("result");
      ctx.ledger.noteTerminal(jobId, after);
    },
  },
  {
    name: "2 store write failures during the submit (retried by the SDK): 202, then SUCCEEDED",
    on: SDK_SUBMIT,
    async run(ctx) {
      await armFault(ctx.cloud, ctx.store === "s3" ? { kind: "s3Writes", count: 2, status: 503, function: "submit" } : { kind: "dynamodbWrites", count: 2, code: "ProvisionedThroughputExceededException", function: "submit" });
      const jobId = await ctx.ledger.accept({ seconds: 0 });
      await terminalByDeadline(ctx, jobId, "SUCCEEDED");
      await clearFaults(ctx.cloud);
    },
  },
  {
    // API Gateway's DynamoDB integration makes one call and does not retry: the submit template
    // answers a throttled write 503 with Retry-After, and the client retries (components/api/streamSubmit.ts).
    name: "2 throttled writes during the submit: 503 ServiceUnavailable with Retry-After, no job left behind; the client's retry gets 202, then SUCCEEDED",
    on: ["stream/dynamodb"],
    async run(ctx) {
      for (const code of ["ProvisionedThroughputExceededException", "ThrottlingException"]) {
        await armFault(ctx.cloud, { kind: "dynamodbWrites", count: 1, code });
        expectServiceUnavailable(await ctx.ledger.submit({ seconds: 0 }));
      }
      await expectStoreMatchesLedger(ctx);
      const jobId = await ctx.ledger.accept({ seconds: 0 });
      await terminalByDeadline(ctx, jobId, "SUCCEEDED");
      await clearFaults(ctx.cloud);
    },
  },
  {
    // CONTRACT.md, "When a service behind the API fails": the same 503 on every backend, for the
    // store failing (DynamoDB InternalServerError, S3 500) and throttling (ThrottlingException, S3
    // SlowDown 503) past the SDK's retries (stream: API Gateway's one call; DynamoDB's 5xx reaches
    // the integration's default response). Backend lambda on store s3 submits through the same
    // handler and store code as stepfunctions on s3.
    name: "the store fails or throttles every write attempt of a submit: 503 ServiceUnavailable with Retry-After, and no job is left behind",
    on: ALL,
    async run(ctx) {
      const fault = storeFault(ctx, 1);
      const faults = fault.kind === "s3Writes" ? [fault, { ...fault, status: 503 as const }] : [fault, { ...fault, code: "ThrottlingException" }];
      for (const fault of faults) {
        await armFault(ctx.cloud, fault);
        expectServiceUnavailable(await ctx.ledger.submit({ seconds: 0 }));
        await clearFaults(ctx.cloud);
      }
      await expectStoreMatchesLedger(ctx);
    },
  },
  {
    name: "an Idempotency-Key whose first submit failed in the store can be retried: one job",
    on: ALL,
    async run(ctx) {
      const key = `retry-${ctx.backend}-${ctx.store}-${Date.now()}`;
      await armFault(ctx.cloud, storeFault(ctx, 1));
      expectServiceUnavailable(await ctx.ledger.submit({ seconds: 0 }, { "Idempotency-Key": key }));
      await clearFaults(ctx.cloud);
      const first = await ctx.ledger.submit({ seconds: 0 }, { "Idempotency-Key": key });
      expect(first.status, first.text).to.equal(202);
      const again = await ctx.ledger.submit({ seconds: 0 }, { "Idempotency-Key": key });
      expect(again.status, again.text).to.equal(202);
      expect(again.body.jobId).to.equal(first.body.jobId);
      await terminalByDeadline(ctx, first.body.jobId, "SUCCEEDED");
      await expectStoreMatchesLedger(ctx);
    },
  },
  {
    name: "store write failures while the outcome is recorded (more than one SDK call's retries): still SUCCEEDED",
    on: ALL,
    async run(ctx) {
      const jobId = await ctx.ledger.accept({ seconds: 2 });
      await ctx.ledger.until(jobId, "RUNNING");
      // One write call's retries all fail, and the next call's first attempt too.
      await armFault(ctx.cloud, { ...storeFault(ctx, 1, "run"), count: SDK_ATTEMPTS[ctx.store] + 1 });
      const { last } = await terminalByDeadline(ctx, jobId, "SUCCEEDED", 20_000);
      expect(last.body.result).to.deep.equal({ message: "Done after 2 seconds" });
      await clearFaults(ctx.cloud);
    },
  },
  {
    name: "the worker process dies mid-job (workerCrash): terminal by its deadline; a success only within jobTimeoutSeconds",
    on: ALL_DDB,
    async run(ctx) {
      const jobId = await ctx.ledger.accept({ seconds: 1 });
      // Targeted at this job: its invocation that runs now (the worker may have started before the
      // 202 came back), or its next one.
      await armFault(ctx.cloud, { kind: "workerCrash", function: "worker", jobId, afterMs: 300 });
      // backend lambda: Lambda retries the async delivery (same request id), which may run the job
      // again if its time allows; backend stream: the mapping retries the record (same eventID),
      // likewise; backend stepfunctions: RunJob's Catch records the crash (Runtime.ExitError is not
      // a transient Lambda error).
      // lambda and stream: a retry that comes once the job's time is spent (a loaded machine delays
      // Lambda's retry) finds no budget left and records the crash, FAILED WorkerCrashed, as a
      // retry does for a worker that died before Lambda's timeout (lambdas/worker/asyncWorker.ts).
      const { last } = await terminalByDeadline(ctx, jobId);
      expect(last.body.status).to.be.oneOf(ctx.backend === "stepfunctions" ? ["FAILED"] : ["SUCCEEDED", "TIMED_OUT", "FAILED"]);
      if (last.body.status === "FAILED") expect(last.body.error.code).to.be.a("string");
      if (last.body.status === "FAILED" && ctx.backend === "lambda") expect(last.body.error.code, last.text).to.equal("WorkerCrashed");
      if (last.body.status === "SUCCEEDED") await expectWithinTimeout(ctx, jobId);
      expect(leaks(last.text, [jobId])).to.deep.equal([]);
      await expectFired(ctx, "workerCrash", 1, jobId);
    },
  },
  {
    name: "the worker process dies on every delivery (lambda: the on-failure destination records FAILED)",
    on: ["lambda/dynamodb"],
    async run(ctx) {
      const jobId = await ctx.ledger.accept({ seconds: 1 });
      await armFault(ctx.cloud, { kind: "workerCrash", function: "worker", jobId, count: 3, afterMs: 300 });
      const { last } = await terminalByDeadline(ctx, jobId, "FAILED");
      expect(last.body.error.code).to.be.a("string");
      expect(leaks(last.text, [jobId])).to.deep.equal([]);
      // Each delivery that still has time runs the job (and crashes); once the job's time is spent,
      // the retry records FAILED (WorkerCrashed) without running it, or the destination does.
      await expectFired(ctx, "workerCrash", 2, jobId);
    },
  },
  {
    name: "the worker process dies on every attempt (stream: 2 retries, then the on-failure queue's recorder records FAILED WorkerFailed)",
    on: ["stream/dynamodb"],
    async run(ctx) {
      const jobId = await ctx.ledger.accept({ seconds: 1 });
      await armFault(ctx.cloud, { kind: "workerCrash", function: "worker", jobId, count: 3, afterMs: 300 });
      // Each attempt (the first and the mapping's 2 retries, same eventID) runs the job and crashes
      // 300 ms in, well within its time; then the mapping gives up on the record and sends its
      // failure record to the queue, whose recorder reads the record back from the stream.
      const { last } = await terminalByDeadline(ctx, jobId, "FAILED");
      expect(last.body.error.code, last.text).to.equal("WorkerFailed");
      expect(leaks(last.text, [jobId])).to.deep.equal([]);
      await expectFired(ctx, "workerCrash", 3, jobId);
    },
  },
  {
    name: "the worker process hangs past jobTimeoutSeconds (workerHang): TIMED_OUT by its deadline",
    on: ALL_DDB,
    async run(ctx) {
      const jobId = await ctx.ledger.accept({ seconds: 2 });
      // Frozen while it runs the job (targeted: no other job's invocation is touched, so there is
      // no need to let earlier scenarios' retries settle first).
      await ctx.ledger.until(jobId, "RUNNING");
      await armFault(ctx.cloud, { kind: "workerHang", function: "worker", jobId, afterMs: 0 });
      // The job's time ran out while its worker hung: "a job still running after jobTimeoutSeconds is
      // TIMED_OUT" (CONTRACT.md). stepfunctions: RunJob's TimeoutSeconds fires. lambda and stream:
      // the function times out (jobTimeoutSeconds + 10 s) and Lambda retries the delivery (stream:
      // the mapping retries the record), which must not run the job again on a fresh budget past its timeout.
      const { last, elapsedMs } = await terminalByDeadline(ctx, jobId);
      if (last.body.status === "SUCCEEDED") await expectWithinTimeout(ctx, jobId);
      expect(last.body.status, last.text).to.equal("TIMED_OUT");
      // stepfunctions: RunJob gives up 1 s before the worker function's timeout (jobTimeoutSeconds + 10 s).
      if (ctx.backend === "stepfunctions") expect(elapsedMs).to.be.below((JOB_TIMEOUT_SECONDS + 9 + 6) * 1000);
      await expectFired(ctx, "workerHang", 1, jobId);
    },
  },
  // Duplicate deliveries (below) are a fault of Lambda's asynchronous invocations; backend stream's
  // worker is invoked synchronously by the event source mapping, so they do not apply to it. Its
  // own at-least-once case (a record delivered again after a restart) is the restart test's.
  {
    name: "a duplicate async delivery with the same request id: one outcome, SUCCEEDED",
    on: ["lambda/dynamodb"],
    async run(ctx) {
      await armFault(ctx.cloud, { kind: "duplicateDelivery", function: "worker", sameRequestId: true });
      const jobId = await ctx.ledger.accept({ seconds: 1 });
      const { last } = await terminalByDeadline(ctx, jobId, "SUCCEEDED");
      expect(last.body.result).to.deep.equal({ message: "Done after 1 seconds" });
      await expectFired(ctx, "duplicateDelivery");
    },
  },
  {
    name: "a duplicate async delivery with a new request id is ignored: SUCCEEDED",
    on: ["lambda/dynamodb"],
    async run(ctx) {
      await armFault(ctx.cloud, { kind: "duplicateDelivery", function: "worker", sameRequestId: false });
      const jobId = await ctx.ledger.accept({ seconds: 1 });
      await terminalByDeadline(ctx, jobId, "SUCCEEDED");
      await expectFired(ctx, "duplicateDelivery");
    },
  },
  {
    name: "a failing job delivered twice stays FAILED (TimerFailed)",
    on: ["lambda/dynamodb"],
    async run(ctx) {
      await armFault(ctx.cloud, { kind: "duplicateDelivery", function: "worker", sameRequestId: true, delayMs: 300 });
      const jobId = await ctx.ledger.accept({ seconds: 1, fail: true });
      const { last } = await terminalByDeadline(ctx, jobId, "FAILED");
      expect(last.body.error.code).to.equal("TimerFailed");
      await sleep(1500);
      ctx.ledger.noteTerminal(jobId, await ctx.api.get(jobId));
      await expectFired(ctx, "duplicateDelivery");
    },
  },
  {
    name: "cancel while a duplicate delivery runs: stays CANCELLED",
    on: ["lambda/dynamodb"],
    async run(ctx) {
      await armFault(ctx.cloud, { kind: "duplicateDelivery", function: "worker", sameRequestId: true, delayMs: 500 });
      const jobId = await ctx.ledger.accept({ seconds: 2 });
      await ctx.ledger.until(jobId, "RUNNING");
      await sleep(600); // the duplicate is running too
      expect((await ctx.api.cancel(jobId)).status).to.equal(202);
      await terminalByDeadline(ctx, jobId, "CANCELLED");
      await sleep(3000);
      const after = await ctx.api.get(jobId);
      expect(after.body.status).to.equal("CANCELLED");
      ctx.ledger.noteTerminal(jobId, after);
      await expectFired(ctx, "duplicateDelivery");
    },
  },
  {
    name: "a duplicate delivered after the job finished changes nothing",
    on: ["lambda/dynamodb"],
    async run(ctx) {
      await armFault(ctx.cloud, { kind: "duplicateDelivery", function: "worker", sameRequestId: true, delayMs: 2000 });
      const jobId = await ctx.ledger.accept({ seconds: 0 });
      const { last } = await terminalByDeadline(ctx, jobId, "SUCCEEDED");
      await sleep(3000);
      const after = await ctx.api.get(jobId);
      expect(after.body.status).to.equal("SUCCEEDED");
      expect(after.body.updatedAt, "the late duplicate wrote nothing").to.equal(last.body.updatedAt);
      await expectFired(ctx, "duplicateDelivery");
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Restart mid-job: SIGTERM while a job runs, start again on the same state dir

async function restartMidJob(backend: string, gate: Promise<unknown>, started: () => void = () => undefined): Promise<void> {
  const config = [`backend=${backend}`, "store=dynamodb", "auth=none", `jobTimeoutSeconds=${JOB_TIMEOUT_SECONDS}`];
  await gate.catch(() => undefined);
  const first = await startFaultCloud(config).finally(started);
  let second: FaultCloud | undefined;
  try {
    const ledger = new Ledger(new JobApi(first.apiUrl, { kind: "none" }));
    const done = await ledger.accept({ seconds: 0 });
    await ledger.terminal(done, 15_000);
    const running = await ledger.accept({ seconds: 2 });
    await ledger.until(running, "RUNNING");
    expect(await first.stop(), "the first local cloud exits 0 on SIGTERM").to.equal(0);

    second = await startFaultCloud(config, { stateDir: first.stateDir });
    ledger.api = new JobApi(second.apiUrl, { kind: "none" });
    const ctx: Ctx = { cloud: second, api: ledger.api, ledger, backend, store: "dynamodb" };
    // Nothing is lost: both ids answer 200 after the restart; the finished one kept its outcome.
    const after = await ledger.api.get(running);
    expect(after.status, `the running job after the restart: ${after.text}`).to.equal(200);
    const finished = await ledger.api.get(done);
    expect(finished.status).to.equal(200);
    ledger.noteTerminal(done, finished);
    // A RUNNING job nobody will finish reads TIMED_OUT at its deadline: the contract promises that
    // within jobTimeoutSeconds of its start (plus the grace for recording), not minutes later.
    const record = await storedJob(second, running);
    expect(record, "the running job's record").to.not.equal(undefined);
    if (record!.status === "RUNNING") {
      const bound = Date.parse(record!.startedAt ?? record!.createdAt) + (JOB_TIMEOUT_SECONDS + RUNNING_GRACE_SECONDS) * 1000;
      expect(
        Date.parse(record!.deadline) - bound,
        `the RUNNING record's deadline (${record!.deadline}) is at most jobTimeoutSeconds + ${RUNNING_GRACE_SECONDS} s after its start (${record!.startedAt})`,
      ).to.be.at.most(0);
    }
    await terminalByDeadline(ctx, running, undefined, 60_000);
    await ledger.verifyAll(5_000);
  } finally {
    first.kill();
    const code = second ? await second.stop() : 0;
    removeState(first);
    expect(code, "the restarted local cloud exits 0 on SIGTERM").to.equal(0);
  }
}

// ---------------------------------------------------------------------------------------------
// The suite

const CLOUDS = ["stepfunctions/dynamodb", "lambda/dynamodb", "stepfunctions/s3", "stream/dynamodb"];
const RESTARTS = ["lambda", "stepfunctions", "stream"];

describe("reliability: fault injection on the local cloud", function () {
  this.timeout(180_000);
  const clouds = new Map<string, Promise<Ctx>>();
  const results = new Map<string, Promise<void>>();
  const restarts = new Map<string, Promise<void>>();

  before(() => {
    // The two longest runs (the lambda cloud's scenarios, the lambda restart) start first; the
    // other clouds boot once those are up (booting is CPU-bound, and this machine may have 2 cores).
    let restartStarted!: () => void;
    const restartUp = new Promise<void>((resolve) => (restartStarted = resolve));
    const launch = (id: string, gate: Promise<unknown>): Promise<Ctx> => {
      const [backend, store] = id.split("/");
      return settled(
        gate
          .catch(() => undefined)
          .then(() => startFaultCloud([`backend=${backend}`, `store=${store}`, "auth=none", `jobTimeoutSeconds=${JOB_TIMEOUT_SECONDS}`]))
          .then((cloud) => {
            const api = new JobApi(cloud.apiUrl, { kind: "none" });
            return { cloud, api, ledger: new Ledger(api), backend, store };
          }),
      );
    };
    clouds.set("lambda/dynamodb", launch("lambda/dynamodb", Promise.resolve()));
    restarts.set("lambda", settled(restartMidJob("lambda", Promise.resolve(), restartStarted)));
    const gate = Promise.all([clouds.get("lambda/dynamodb"), restartUp]);
    for (const id of CLOUDS) if (!clouds.has(id)) clouds.set(id, launch(id, gate));
    for (const backend of RESTARTS) if (!restarts.has(backend)) restarts.set(backend, settled(restartMidJob(backend, gate)));

    for (const id of CLOUDS) {
      const ready = clouds.get(id)!;
      // One scenario at a time per cloud (faults are global to an emulator).
      let chain: Promise<unknown> = ready;
      for (const s of SCENARIOS.filter((sc) => sc.on.includes(id))) {
        // Faults are disarmed after each scenario, whatever happened, so that one failure stays one.
        const p = settled(chain.then(() => ready).then((ctx) => s.run(ctx).finally(() => clearFaults(ctx.cloud).catch(() => undefined))));
        results.set(`${id}: ${s.name}`, p);
        chain = p.catch(() => undefined);
      }
      results.set(
        `${id}: no accepted job is lost`,
        settled(chain.then(() => ready).then((ctx) => ctx.ledger.verifyAll(10_000).then(() => expectStoreMatchesLedger(ctx)))),
      );
    }
  });

  after(async () => {
    await Promise.all([...results.values(), ...restarts.values()].map((p) => p.catch(() => undefined)));
    for (const ready of clouds.values()) {
      const ctx = await ready.catch(() => undefined);
      if (!ctx) continue;
      const code = await ctx.cloud.stop();
      removeState(ctx.cloud);
      expect(code, `${ctx.backend}/${ctx.store} exits 0 on SIGTERM`).to.equal(0);
    }
  });

  for (const id of CLOUDS) {
    describe(`backend ${id.replace("/", " x store ")}`, () => {
      for (const s of SCENARIOS.filter((sc) => sc.on.includes(id))) {
        it(s.name, () => results.get(`${id}: ${s.name}`)!);
      }
      it("no accepted job is lost: each answers 200 in its first terminal status; the store holds exactly them", () => results.get(`${id}: no accepted job is lost`)!);
    });
  }

  describe("restart mid-job (SIGTERM, then start again on the same state dir)", () => {
    for (const backend of RESTARTS) {
      it(`backend ${backend}: the running job is not lost and is terminal by its deadline`, () => restarts.get(backend)!);
    }
  });
});
