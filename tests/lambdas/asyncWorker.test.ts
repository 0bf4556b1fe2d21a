import { expect } from "chai";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { createStatusHandler } from "../../lambdas/api/status";
import { timerJob } from "../../lambdas/jobs/timer";
import type { JobDefinition } from "../../lambdas/jobs/types";
import { WORKER_CRASHED_ERROR, createAsyncWorker } from "../../lambdas/worker/asyncWorker";
import { awsError } from "./support/fakeAws";
import { Clock, JOB_TIMEOUT_SECONDS, RESULTS_BUCKET, STORES, T0, TTL_SECONDS, apiEvent, call, configure, lambdaContext, makeRecord, rawJob, seed, useFakeAws, writeRaw } from "./support/harness";

const ID = "c56a4180-65aa-42ec-a945-5fd21dec0538";
const REQUEST = "11111111-aaaa-4bbb-8ccc-000000000001";
const OTHER_REQUEST = "22222222-aaaa-4bbb-8ccc-000000000002";
const iso = (ms: number) => new Date(ms).toISOString();

/** A job whose behaviour each test picks; counts its runs. */
function testJob(run: JobDefinition["run"]): JobDefinition & { runs: unknown[] } {
  const runs: unknown[] = [];
  return {
    name: "test",
    schema: {},
    runs,
    run: async (input, context) => {
      runs.push(input);
      return run(input, context);
    },
  };
}

class Boom extends Error {
  constructor() {
    super("boom at arn:aws:s3:::secret-bucket/key\n    at Object.<anonymous> (/var/task/index.js:1:1)");
    this.name = "WidgetExploded";
  }
}

describe("lambdas/worker/asyncWorker (backend lambda)", () => {
  const fake = useFakeAws();
  let clock: Clock;
  beforeEach(() => {
    clock = new Clock();
  });

  for (const store of STORES) {
    describe(`store ${store}`, () => {
      beforeEach(() => configure({ store, backend: "lambda" }));

      it("PENDING → RUNNING (runId, startedAt, deadline = now + timeout + 30 s) → SUCCEEDED with the result inline", async () => {
        await seed(makeRecord({ jobId: ID, input: JSON.stringify({ n: 2 }) }));
        let whileRunning: unknown;
        const job = testJob(async (input: any) => {
          whileRunning = rawJob(fake, ID);
          clock.advance(2_000);
          return { doubled: input.n * 2 };
        });
        await createAsyncWorker(job, { now: clock.now })({ jobId: ID }, lambdaContext(REQUEST));
        expect(job.runs).to.deep.equal([{ n: 2 }]);
        expect(whileRunning).to.include({ status: "RUNNING", runId: REQUEST, startedAt: iso(T0), deadline: iso(T0 + (JOB_TIMEOUT_SECONDS + 30) * 1000), version: 2 });
        const record = rawJob(fake, ID)!;
        expect(record).to.include({ status: "SUCCEEDED", result: '{"doubled":4}', resultSize: 13, version: 3, updatedAt: iso(T0 + 2_000) });
        expect(record.expiresAt).to.equal((T0 + 2_000) / 1000 + TTL_SECONDS);
        const read = await call(createStatusHandler({ now: clock.now }), apiEvent({ jobId: ID }));
        expect(read.body).to.deep.include({ status: "SUCCEEDED", result: { doubled: 4 } });
      });

      it("runs the demo timer job", async () => {
        await seed(makeRecord({ jobId: ID, input: JSON.stringify({ seconds: 0 }) }));
        await createAsyncWorker(timerJob as JobDefinition, { now: clock.now })({ jobId: ID }, lambdaContext(REQUEST));
        expect(JSON.parse(rawJob(fake, ID)!.result!)).to.deep.equal({ message: "Done after 0 seconds" });
      });

      // AWS, "DynamoDB item sizes and formats": strings count in UTF-8 bytes, and an item holds at most
      // 400 KB. A stream job's input is checked in characters by the gateway, so 120,000 "€" (360,000
      // bytes) is accepted; beside it, even a 60 KiB result would not fit in the record.
      it("offloads a result that would not fit in the record beside a large input, however small the result", async () => {
        await seed(makeRecord({ jobId: ID, input: JSON.stringify({ text: "€".repeat(120_000) }) }));
        const result = { padding: "x".repeat(60 * 1024) };
        await createAsyncWorker(testJob(async () => result), { now: clock.now })({ jobId: ID }, lambdaContext(REQUEST));
        const record = rawJob(fake, ID)!;
        expect(record).to.include({ status: "SUCCEEDED", resultRef: `results/${ID}.json` });
        expect(record).to.not.have.property("result");
      });

      it("offloads a result over 64 KiB: PutObject results/<jobId>.json, record with resultRef + resultSize; GET gives it back", async () => {
        await seed(makeRecord({ jobId: ID }));
        const big = { padding: "x".repeat(70 * 1024) };
        await createAsyncWorker(testJob(async () => big), { now: clock.now })({ jobId: ID }, lambdaContext(REQUEST));
        const puts = fake.s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input).filter((i) => i.Bucket === RESULTS_BUCKET);
        expect(puts).to.have.length(1);
        expect(puts[0]).to.include({ Key: `results/${ID}.json`, ContentType: "application/json" });
        expect(puts[0].Body).to.equal(JSON.stringify(big));
        const record = rawJob(fake, ID)!;
        expect(record).to.include({ status: "SUCCEEDED", resultRef: `results/${ID}.json`, resultSize: Buffer.byteLength(JSON.stringify(big)) });
        expect(record).to.not.have.property("result");
        const read = await call(createStatusHandler({ now: clock.now }), apiEvent({ jobId: ID }));
        expect(read.body.result).to.deep.equal(big);
      });

      it("records a thrown error as FAILED {code: name, message}, masked and trimmed, and does not rethrow", async () => {
        await seed(makeRecord({ jobId: ID }));
        await createAsyncWorker(testJob(async () => { throw new Boom(); }), { now: clock.now })({ jobId: ID }, lambdaContext(REQUEST));
        const record = rawJob(fake, ID)!;
        expect(record.status).to.equal("FAILED");
        expect(record.error!.code).to.equal("WidgetExploded");
        expect(record.error!.message).to.match(/^boom at /);
        expect(record.error!.message).to.not.match(/arn:|index\.js/);
        const read = await call(createStatusHandler({ now: clock.now }), apiEvent({ jobId: ID }));
        expect(read.body.error.code).to.equal("WidgetExploded");
      });

      it("truncates a long error message and defaults a missing name to Error", async () => {
        await seed(makeRecord({ jobId: ID }));
        const err = new Error("m".repeat(5000));
        err.name = "";
        await createAsyncWorker(testJob(async () => { throw err; }), { now: clock.now })({ jobId: ID }, lambdaContext(REQUEST));
        const record = rawJob(fake, ID)!;
        expect(record.error!.code).to.equal("Error");
        expect(record.error!.message.length).to.be.at.most(1000);
      });

      it("records TIMED_OUT when the job outlives its time (remaining time − 3 s), even if it ignores its signal", async () => {
        await seed(makeRecord({ jobId: ID }));
        let aborted = false;
        const job = testJob(
          (_input, { signal }) =>
            new Promise(() => {
              signal.addEventListener("abort", () => (aborted = true));
            }),
        );
        await createAsyncWorker(job, { now: clock.now })({ jobId: ID }, lambdaContext(REQUEST, 3_020));
        expect(aborted).to.equal(true);
        expect(rawJob(fake, ID)).to.deep.include({ status: "TIMED_OUT", error: { code: "TimedOut", message: "The job did not finish within its time limit." } });
      });

      it("a duplicate delivery (RUNNING under another runId) does nothing", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING", runId: OTHER_REQUEST, startedAt: iso(T0) }));
        const job = testJob(async () => 1);
        await createAsyncWorker(job, { now: clock.now })({ jobId: ID }, lambdaContext(REQUEST));
        expect(job.runs).to.have.length(0);
        expect(rawJob(fake, ID)).to.include({ status: "RUNNING", runId: OTHER_REQUEST, version: 1 });
      });

      it("Lambda's retry of the same delivery (RUNNING under this runId) runs the job again and records it", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING", runId: REQUEST, startedAt: iso(T0), version: 2 }));
        const job = testJob(async () => "again");
        await createAsyncWorker(job, { now: clock.now })({ jobId: ID }, lambdaContext(REQUEST));
        expect(job.runs).to.have.length(1);
        expect(rawJob(fake, ID)).to.include({ status: "SUCCEEDED", result: '"again"', version: 3 });
      });

      it("a retry after the job's time, before the function's own timeout could kill a hang: the last attempt crashed → FAILED WorkerCrashed, not run", async () => {
        const record = await seed(makeRecord({ jobId: ID, status: "RUNNING", runId: REQUEST, startedAt: iso(T0), deadline: iso(T0 + (JOB_TIMEOUT_SECONDS + 30) * 1000) }));
        clock.t = T0 + JOB_TIMEOUT_SECONDS * 1000 + 1;
        expect(Date.parse(record.deadline)).to.be.greaterThan(clock.t);
        const job = testJob(async () => "late");
        await createAsyncWorker(job, { now: clock.now })({ jobId: ID }, lambdaContext(REQUEST));
        expect(job.runs).to.have.length(0);
        expect(rawJob(fake, ID)).to.deep.include({ status: "FAILED", error: WORKER_CRASHED_ERROR });
      });

      it("a retry after the function's timeout (a hung worker was killed) → TIMED_OUT, not run", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING", runId: REQUEST, startedAt: iso(T0), deadline: iso(T0 + (JOB_TIMEOUT_SECONDS + 30) * 1000) }));
        clock.t = T0 + (JOB_TIMEOUT_SECONDS + 10) * 1000 + 1_000;
        const job = testJob(async () => "late");
        await createAsyncWorker(job, { now: clock.now })({ jobId: ID }, lambdaContext(REQUEST));
        expect(job.runs).to.have.length(0);
        expect(rawJob(fake, ID)?.status).to.equal("TIMED_OUT");
      });

      it("a retry of the same delivery gets only what is left of the timeout", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING", runId: REQUEST, startedAt: iso(T0), deadline: iso(T0 + (JOB_TIMEOUT_SECONDS + 30) * 1000) }));
        clock.t = T0 + JOB_TIMEOUT_SECONDS * 1000 - 50; // 50 ms left
        const job = testJob((_input, { signal }) => new Promise((resolve) => signal.addEventListener("abort", () => resolve("too late"))));
        await createAsyncWorker(job, { now: clock.now })({ jobId: ID }, lambdaContext(REQUEST));
        expect(rawJob(fake, ID)?.status).to.equal("TIMED_OUT");
      });

      it("a retry of the same delivery past the deadline does not run, and records TIMED_OUT", async () => {
        const record = await seed(makeRecord({ jobId: ID, status: "RUNNING", runId: REQUEST, startedAt: iso(T0) }));
        clock.t = Date.parse(record.deadline) + 1;
        const job = testJob(async () => 1);
        await createAsyncWorker(job, { now: clock.now })({ jobId: ID }, lambdaContext(REQUEST));
        expect(job.runs).to.have.length(0);
        expect(rawJob(fake, ID)?.status).to.equal("TIMED_OUT");
      });

      for (const finished of ["SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"] as const) {
        it(`a delivery for a ${finished} job does nothing`, async () => {
          await seed(makeRecord({ jobId: ID, status: finished, runId: REQUEST }));
          const job = testJob(async () => 1);
          await createAsyncWorker(job, { now: clock.now })({ jobId: ID }, lambdaContext(REQUEST));
          expect(job.runs).to.have.length(0);
          expect(rawJob(fake, ID)).to.include({ status: finished, version: 1 });
        });
      }

      it("a cancel during the run wins: the late result is discarded", async () => {
        await seed(makeRecord({ jobId: ID }));
        const job = testJob(async () => {
          // The client cancels while the job runs.
          const current = rawJob(fake, ID)!;
          writeRaw(fake, { ...current, status: "CANCELLED", version: current.version + 1 });
          return { late: true };
        });
        await createAsyncWorker(job, { now: clock.now })({ jobId: ID }, lambdaContext(REQUEST));
        expect(job.runs).to.have.length(1);
        expect(rawJob(fake, ID)).to.include({ status: "CANCELLED" });
        expect(rawJob(fake, ID)).to.not.have.property("result");
      });

      it("two deliveries of one job: only one runs it", async () => {
        await seed(makeRecord({ jobId: ID }));
        const job = testJob(async () => 1);
        await Promise.all([
          createAsyncWorker(job, { now: clock.now })({ jobId: ID }, lambdaContext(REQUEST)),
          createAsyncWorker(job, { now: clock.now })({ jobId: ID }, lambdaContext(OTHER_REQUEST)),
        ]);
        expect(job.runs).to.have.length(1);
        expect(rawJob(fake, ID)?.status).to.equal("SUCCEEDED");
      });

      it("retries a store that fails for a moment while the outcome is recorded, keeping the result (no re-run)", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING", runId: REQUEST }));
        const op = store === "s3" ? "s3:PutObject" : "dynamodb:Put";
        fake.once(op, () => {
          throw awsError("ServiceUnavailable", "try later", 503);
        });
        const job = testJob(async () => "kept");
        await createAsyncWorker(job, { now: clock.now })({ jobId: ID }, lambdaContext(REQUEST));
        expect(job.runs).to.have.length(1);
        expect(rawJob(fake, ID)).to.include({ status: "SUCCEEDED", result: '"kept"' });
      });

      it("throws when the outcome cannot be recorded (so Lambda retries the delivery)", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING", runId: REQUEST }));
        fake.failAlways(store === "s3" ? "s3:PutObject" : "dynamodb:Put", () => awsError("ServiceUnavailable", "try later", 503));
        const err = await createAsyncWorker(testJob(async () => 1), { now: clock.now })({ jobId: ID }, lambdaContext(REQUEST)).catch((e) => e);
        expect(err).to.be.instanceOf(Error);
        expect(err.name).to.equal("ServiceUnavailable");
      });
    });
  }

  it("ignores an event without a valid job id, without touching AWS", async () => {
    const job = testJob(async () => 1);
    for (const event of [{ jobId: "../x" }, {}, { jobId: 5 }]) {
      await createAsyncWorker(job, { now: clock.now })(event as { jobId: string }, lambdaContext(REQUEST));
    }
    expect(job.runs).to.have.length(0);
    expect(fake.callCount()).to.equal(0);
  });
});
