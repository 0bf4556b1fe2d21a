import { expect } from "chai";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import type { JobDefinition } from "../../lambdas/jobs/types";
import { createRecorder } from "../../lambdas/worker/recorder";
import { createStepFunctionsWorker } from "../../lambdas/worker/stepFunctionsWorker";
import { awsError } from "./support/fakeAws";
import { Clock, RESULTS_BUCKET, STORES, T0, TTL_SECONDS, configure, lambdaContext, makeRecord, rawJob, seed, useFakeAws } from "./support/harness";

const ID = "5f2b8a1e-0c3d-4e5f-9a6b-7c8d9e0f1a2b";
const iso = (ms: number) => new Date(ms).toISOString();

const job = (run: JobDefinition["run"]): JobDefinition => ({ name: "test", schema: {}, run });

describe("lambdas/worker/stepFunctionsWorker (backend stepfunctions)", () => {
  const fake = useFakeAws();
  let clock: Clock;
  beforeEach(() => {
    clock = new Clock();
  });

  for (const store of STORES) {
    describe(`store ${store}`, () => {
      beforeEach(() => configure({ store, backend: "stepfunctions" }));
      const jobWrites = () =>
        fake.ddb.commandCalls(PutCommand).length + fake.s3.commandCalls(PutObjectCommand).filter((c) => c.args[0].input.Bucket !== RESULTS_BUCKET).length;

      it("runs a RUNNING job on its stored input and answers SUCCEEDED with the result text; writes no record", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING", input: '{"a":1}' }));
        const before = jobWrites();
        const out = await createStepFunctionsWorker(job(async (input: any) => ({ got: input.a })), { now: clock.now })({ jobId: ID }, lambdaContext());
        // expiresAt: the finished job's expiry (its finish + the TTL), which the state machine cannot compute.
        expect(out).to.deep.equal({ outcome: "SUCCEEDED", result: '{"got":1}', resultSize: 9, expiresAt: Math.ceil(clock.now() / 1000) + TTL_SECONDS });
        expect(jobWrites()).to.equal(before);
        expect(rawJob(fake, ID)).to.include({ status: "RUNNING", version: 1 });
      });

      it("offloads a large result and answers resultRef + resultSize", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        const big = "y".repeat(100 * 1024);
        const out = await createStepFunctionsWorker(job(async () => big), { now: clock.now })({ jobId: ID }, lambdaContext());
        expect(out).to.deep.equal({ outcome: "SUCCEEDED", resultRef: `results/${ID}.json`, resultSize: big.length + 2, expiresAt: Math.ceil(clock.now() / 1000) + TTL_SECONDS });
        expect(fake.objects.get(`${RESULTS_BUCKET}/results/${ID}.json`)?.body).to.equal(JSON.stringify(big));
      });

      it("answers FAILED with the error's name and message", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        const err = Object.assign(new Error("nope"), { name: "TimerFailed" });
        const out = await createStepFunctionsWorker(job(async () => { throw err; }), { now: clock.now })({ jobId: ID }, lambdaContext());
        expect(out).to.deep.equal({ outcome: "FAILED", error: { code: "TimerFailed", message: "nope" }, expiresAt: Math.ceil(clock.now() / 1000) + TTL_SECONDS });
      });

      it("answers TIMED_OUT when the job outlives remaining time − 3 s", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        const out = await createStepFunctionsWorker(job(() => new Promise(() => undefined)), { now: clock.now })({ jobId: ID }, lambdaContext(undefined, 3_010));
        expect(out).to.deep.include({ outcome: "TIMED_OUT" });
      });

      for (const status of ["PENDING", "SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"] as const) {
        it(`answers DISCARDED without running for a ${status} job`, async () => {
          await seed(makeRecord({ jobId: ID, status }));
          let ran = false;
          const out = await createStepFunctionsWorker(job(async () => (ran = true)), { now: clock.now })({ jobId: ID }, lambdaContext());
          expect(out).to.deep.equal({ outcome: "DISCARDED" });
          expect(ran).to.equal(false);
        });
      }

      it("answers DISCARDED for a missing job or one past its deadline", async () => {
        const w = createStepFunctionsWorker(job(async () => 1), { now: clock.now });
        expect(await w({ jobId: ID }, lambdaContext())).to.deep.equal({ outcome: "DISCARDED" });
        const record = await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        clock.t = Date.parse(record.deadline);
        expect(await w({ jobId: ID }, lambdaContext())).to.deep.equal({ outcome: "DISCARDED" });
        expect(await w({ jobId: "../x" }, lambdaContext())).to.deep.equal({ outcome: "DISCARDED" });
      });
    });
  }
});

describe("lambdas/worker/recorder (store s3 + stepfunctions)", () => {
  const fake = useFakeAws();
  let clock: Clock;
  beforeEach(() => {
    clock = new Clock();
  });

  for (const store of STORES) {
    describe(`store ${store}`, () => {
      beforeEach(() => configure({ store, backend: "stepfunctions" }));
      const record = () => createRecorder({ now: clock.now });
      const at = (ms: number) => iso(T0 + ms);

      it("RUNNING from PENDING, at the state's entered time", async () => {
        await seed(makeRecord({ jobId: ID }));
        expect(await record()({ jobId: ID, transition: "RUNNING", at: at(5) })).to.deep.equal({ applied: true });
        expect(rawJob(fake, ID)).to.include({ status: "RUNNING", startedAt: at(5), updatedAt: at(5), version: 2 });
      });

      it("SUCCEEDED with an inline result or a reference, and the TTL from then", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        const out = await record()({ jobId: ID, transition: "SUCCEEDED", at: at(1_000), run: { outcome: "SUCCEEDED", result: '{"ok":true}', resultSize: 11 } });
        expect(out.applied).to.equal(true);
        const r = rawJob(fake, ID)!;
        expect(r).to.include({ status: "SUCCEEDED", result: '{"ok":true}', resultSize: 11 });
        expect(r.expiresAt).to.equal((T0 + 1_000) / 1000 + TTL_SECONDS);

        fake.reset();
        configure({ store });
        await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        await record()({ jobId: ID, transition: "SUCCEEDED", at: at(1), run: { outcome: "SUCCEEDED", resultRef: `results/${ID}.json`, resultSize: 999_999 } });
        expect(rawJob(fake, ID)).to.include({ resultRef: `results/${ID}.json`, resultSize: 999_999 }).and.not.have.property("result");
      });

      it("FAILED with the worker's error", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        await record()({ jobId: ID, transition: "FAILED", at: at(1), run: { outcome: "FAILED", error: { code: "TimerFailed", message: "m" } } });
        expect(rawJob(fake, ID)).to.deep.include({ status: "FAILED", error: { code: "TimerFailed", message: "m" } });
      });

      it("a crash: FAILED with the error name and a static message, never the Cause", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        const cause = JSON.stringify({ errorMessage: "arn:aws:lambda:us-east-1:123456789012:function:x exploded", trace: ["at x (/var/task/index.js:1:1)"] });
        await record()({ jobId: ID, transition: "FAILED", at: at(1), failure: { Error: "Runtime.ExitError", Cause: cause } });
        const r = rawJob(fake, ID)!;
        expect(r.error!.code).to.equal("Runtime.ExitError");
        expect(r.error!.message).to.not.include("exploded");
        expect(JSON.stringify(r.error)).to.not.include("arn:");
      });

      it("TIMED_OUT, also after the deadline; and States.Timeout caught as a failure is TIMED_OUT too", async () => {
        const r = await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        const late = Date.parse(r.deadline) - T0 + 1;
        expect((await record()({ jobId: ID, transition: "TIMED_OUT", at: at(late), error: { code: "TimedOut", message: "The job did not finish within 60 seconds" } })).applied).to.equal(true);
        expect(rawJob(fake, ID)).to.deep.include({ status: "TIMED_OUT", error: { code: "TimedOut", message: "The job did not finish within 60 seconds" } });

        fake.reset();
        configure({ store });
        await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        await record()({ jobId: ID, transition: "FAILED", at: at(1), failure: { Error: "States.Timeout" } });
        expect(rawJob(fake, ID)?.status).to.equal("TIMED_OUT");
      });

      it("refuses what the rules refuse: applied false, nothing written", async () => {
        const cases: Array<[string, Parameters<ReturnType<typeof createRecorder>>[0]]> = [
          ["CANCELLED", { jobId: ID, transition: "RUNNING", at: at(1) }],
          ["CANCELLED", { jobId: ID, transition: "SUCCEEDED", at: at(1), run: { outcome: "SUCCEEDED", result: "1", resultSize: 1 } }],
          ["SUCCEEDED", { jobId: ID, transition: "FAILED", at: at(1), failure: { Error: "Lambda.Unknown" } }],
          ["TIMED_OUT", { jobId: ID, transition: "SUCCEEDED", at: at(1), run: { outcome: "SUCCEEDED", result: "1", resultSize: 1 } }],
          ["RUNNING", { jobId: ID, transition: "RUNNING", at: at(1) }],
          ["PENDING", { jobId: ID, transition: "SUCCEEDED", at: at(1), run: { outcome: "SUCCEEDED", result: "1", resultSize: 1 } }],
        ];
        for (const [status, event] of cases) {
          fake.reset();
          configure({ store });
          await seed(makeRecord({ jobId: ID, status: status as any }));
          expect(await record()(event), `${status} + ${event.transition}`).to.deep.equal({ applied: false });
          expect(rawJob(fake, ID)).to.include({ status, version: 1 });
        }
      });

      it("refuses a success entered after the deadline", async () => {
        const r = await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        const out = await record()({ jobId: ID, transition: "SUCCEEDED", at: r.deadline, run: { outcome: "SUCCEEDED", result: "1", resultSize: 1 } });
        expect(out).to.deep.equal({ applied: false });
      });

      it("answers applied: true again for a retry of a write it already applied (same `at`)", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        const event = { jobId: ID, transition: "FAILED" as const, at: at(7), failure: { Error: "X" } };
        expect(await record()(event)).to.deep.equal({ applied: true });
        expect(await record()(event)).to.deep.equal({ applied: true });
        expect(rawJob(fake, ID)?.version).to.equal(2);
        expect(await record()({ ...event, at: at(8) })).to.deep.equal({ applied: false });
      });

      it("answers applied: false for an unknown job or id", async () => {
        expect(await record()({ jobId: ID, transition: "RUNNING", at: at(1) })).to.deep.equal({ applied: false });
        expect(await record()({ jobId: "arn:aws:x", transition: "RUNNING", at: at(1) })).to.deep.equal({ applied: false });
      });

      it("throws when the write fails (the state machine retries it)", async () => {
        await seed(makeRecord({ jobId: ID }));
        fake.failAlways(store === "s3" ? "s3:PutObject" : "dynamodb:Put", () => awsError("SlowDown", "slow down", 503));
        const err = await record()({ jobId: ID, transition: "RUNNING", at: at(1) }).catch((e) => e);
        expect(err).to.be.instanceOf(Error);
      });
    });
  }
});
