/*
 * A job's progress (CONTRACT.md, "Progress"): context.progress({percent?, message?}); the latest
 * report is written at most once a second, only while the job is RUNNING, and reporting never
 * fails the job.
 */
import { expect } from "chai";
import { createProgressReporter, progressOf } from "../../lambdas/shared/progress";
import { awsError } from "./support/fakeAws";
import { Clock, STORES, T0, configure, makeRecord, rawJob, seed, store, useFakeAws, writeRaw } from "./support/harness";

const ID = "5f0c6a3e-2b1d-4c8e-9a7f-1e2d3c4b5a69";
const iso = (ms: number) => new Date(ms).toISOString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("lambdas/shared/progress", () => {
  it("keeps percent 0..100 and a message of at most 256 characters; a report with neither is nothing", () => {
    expect(progressOf({ percent: 42.25, message: "half" }, T0)).to.deep.equal({ percent: 42.3, message: "half", updatedAt: iso(T0) });
    expect(progressOf({ percent: 150 }, T0)?.percent).to.equal(100);
    expect(progressOf({ percent: -3 }, T0)?.percent).to.equal(0);
    expect(progressOf({ message: "m".repeat(300) }, T0)?.message).to.have.length(256);
    for (const bad of [{}, { percent: Number.NaN }, { percent: "50" }, { message: "" }, null, "50 %"]) expect(progressOf(bad, T0), JSON.stringify(bad)).to.equal(undefined);
  });

  for (const kind of STORES) {
    describe(`the reporter (store ${kind})`, () => {
      const fake = useFakeAws();
      beforeEach(() => configure({ store: kind }));

      it("writes a burst of reports as one write of the latest, and then at most one write per interval", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING", startedAt: iso(T0), deadline: iso(T0 + 3_600_000) }));
        const clock = new Clock();
        const reporter = createProgressReporter({ store: store(clock), now: () => Date.now(), jobId: ID, intervalMs: 100 });
        const puts = () => (kind === "dynamodb" ? fake.ddb.calls() : fake.s3.calls()).filter((c) => /Put/.test(c.args[0].constructor.name)).length;
        const before = puts();
        for (let i = 1; i <= 20; i++) reporter.report({ percent: i * 5, message: `step ${i}` });
        await sleep(20);
        expect(rawJob(fake, ID)?.progress).to.deep.include({ percent: 100, message: "step 20" });
        expect(puts() - before, "one write for twenty reports").to.equal(1);
        reporter.report({ percent: 1, message: "again" });
        reporter.report({ percent: 2, message: "and again" });
        await sleep(20);
        expect(rawJob(fake, ID)?.progress?.message, "not before the interval").to.equal("step 20");
        await sleep(150);
        expect(rawJob(fake, ID)?.progress).to.deep.include({ percent: 2, message: "and again" });
        expect(puts() - before).to.equal(2);
      });

      it("flush writes what is pending at once", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING", startedAt: iso(T0), deadline: iso(T0 + 3_600_000) }));
        const reporter = createProgressReporter({ store: store(new Clock()), now: new Clock().now, jobId: ID, intervalMs: 60_000 });
        reporter.report({ percent: 10 });
        reporter.report({ percent: 90, message: "almost" });
        await reporter.flush();
        expect(rawJob(fake, ID)?.progress).to.deep.include({ percent: 90, message: "almost" });
      });

      it("drops a report once the job is no longer RUNNING, and then every later one", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING", startedAt: iso(T0), deadline: iso(T0 + 3_600_000) }));
        writeRaw(fake, makeRecord({ jobId: ID, status: "CANCELLED", version: 2 }));
        const reporter = createProgressReporter({ store: store(new Clock()), now: new Clock().now, jobId: ID, intervalMs: 10 });
        reporter.report({ percent: 50 });
        await reporter.flush();
        reporter.report({ percent: 60 });
        await reporter.flush();
        expect(rawJob(fake, ID)).to.deep.include({ status: "CANCELLED" });
        expect(rawJob(fake, ID)?.progress).to.equal(undefined);
      });

      it("never throws when the store fails: the report is logged and lost", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING", startedAt: iso(T0), deadline: iso(T0 + 3_600_000) }));
        fake.failAlways(kind === "dynamodb" ? "dynamodb:Put" : "s3:PutObject", () => awsError("InternalServerError", "boom", 500));
        const reporter = createProgressReporter({ store: store(new Clock()), now: new Clock().now, jobId: ID, intervalMs: 10 });
        expect(() => reporter.report({ percent: 50 })).not.to.throw();
        await reporter.flush();
        expect(rawJob(fake, ID)?.progress).to.equal(undefined);
      });
    });
  }
});
