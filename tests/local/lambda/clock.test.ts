// The local Lambda service's test clock (local/aws/lambda/clock.ts): function processes see the real
// time plus an offset (Date.now(), new Date(), Date()), warm and new processes alike, and a busy
// process takes a new offset mid-invocation; timers and the runner's own deadlines stay real.
// Also: the service's view of which process runs which invocation (what fault injection targets).
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { LocalClock, startLambdaService, type LocalLambdaService, type RunningInvocation } from "../../../local/aws/lambda";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, sdkEnvironment, type LocalFunctionConfig } from "../../../local/aws/types";
import { tempDir } from "../../support/tmp";

const DAY = 86_400_000;

function fn(name: string, code: string, extra: Partial<LocalFunctionConfig> = {}): LocalFunctionConfig {
  return { name, arn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${name}`, code, handler: "index.handler", environment: {}, timeoutSeconds: 10, memorySize: 256, ...extra };
}

/** Reports what "now" looks like inside the function (and what it was when the module loaded). */
const CLOCK = `
const loadedAt = Date.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
exports.handler = async (event, context) => {
  const now = Date.now();
  const created = new Date().getTime();
  const text = Date();
  const before = Date.now();
  await sleep(event.sleepMs || 0);
  const slept = Date.now() - before;
  return {
    pid: process.pid, loadedAt, now, created, text,
    epoch: new Date(0).getTime(), parsed: new Date("2020-01-01T00:00:00Z").getTime(), utc: Date.UTC(2020, 0, 1),
    isDate: new Date() instanceof Date, tag: Object.prototype.toString.call(new Date()),
    remaining: context.getRemainingTimeInMillis(), slept,
    env: process.env._LOCAL_CLOCK_OFFSET_MS === undefined ? "absent" : "present",
  };
};`;

/** Writes event.marker once it runs, then waits (on real time) until its clock jumps by more than event.jumpMs, or 8 s pass. */
const WATCHER = `
exports.handler = async (event) => {
  require("fs").writeFileSync(event.marker, "running");
  const start = Date.now();
  const realStart = process.hrtime.bigint();
  for (;;) {
    const jumped = Date.now() - start - Number((process.hrtime.bigint() - realStart) / 1000000n);
    if (jumped > event.jumpMs) return { jumped: true, by: jumped };
    if (process.hrtime.bigint() - realStart > 8000000000n) return { jumped: false, by: jumped };
    await new Promise((r) => setTimeout(r, 20));
  }
};`;

describe("local Lambda service: the test clock", function () {
  this.timeout(60_000);
  let service: LocalLambdaService;
  let stateDir: string;
  const clock = new LocalClock();

  before(async () => {
    stateDir = tempDir("lambda-clock-");
    const endpoints = { dynamodb: "http://127.0.0.1:1", s3: "http://127.0.0.1:2", lambda: "", sfn: "http://127.0.0.1:3" };
    service = await startLambdaService({ stateDir, environment: () => sdkEnvironment(endpoints), clock });
    await service.createFunction(fn("clock", CLOCK));
    await service.createFunction(fn("watcher", WATCHER));
  });

  after(async () => {
    await service?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  async function callClock(payload: unknown = {}): Promise<any> {
    const before = Date.now();
    const res = await service.invoke("clock", JSON.stringify(payload), "RequestResponse");
    const after = Date.now();
    expect(res.functionError, res.payload).to.equal(undefined);
    return { ...JSON.parse(res.payload), before, after };
  }

  it("uses the given clock, and starts at the real time", async () => {
    expect(service.clock).to.equal(clock);
    clock.setOffset(0);
    const r = await callClock();
    expect(r.now).to.be.within(r.before, r.after);
    expect(r.env, "the offset variable is not in the function's environment").to.equal("absent");
  });

  it("shifts Date.now(), new Date() and Date() in a warm process, leaving dates built from values alone", async () => {
    const warm = await callClock();
    clock.setOffset(DAY);
    const r = await callClock({ sleepMs: 150 });
    expect(r.pid, "the same warm process").to.equal(warm.pid);
    expect(r.now).to.be.within(r.before + DAY, r.after + DAY);
    expect(r.created).to.be.within(r.before + DAY, r.after + DAY);
    const textDay = new Date(r.text).toISOString().slice(0, 10);
    expect(textDay).to.be.oneOf([new Date(r.before + DAY).toISOString().slice(0, 10), new Date(r.after + DAY).toISOString().slice(0, 10)]);
    expect(r.epoch).to.equal(0);
    expect(r.parsed).to.equal(Date.UTC(2020, 0, 1));
    expect(r.utc).to.equal(Date.UTC(2020, 0, 1));
    expect(r.isDate).to.equal(true);
    expect(r.tag).to.equal("[object Date]");
    // The clock runs at the real rate (timers are real), and the deadline is not shifted.
    expect(r.slept).to.be.within(140, 10_000);
    expect(r.remaining).to.be.within(1, 10_000);
    clock.setOffset(0);
  });

  it("hands the offset to a process that starts after the clock moved, before its module loads", async () => {
    const warm = service.workerPids("clock");
    clock.setOffset(2 * DAY);
    // More at once than there are warm processes: at least one runs on a new process.
    const results = await Promise.all(Array.from({ length: warm.length + 1 }, () => callClock({ sleepMs: 300 })));
    const fresh = results.filter((r) => !warm.includes(r.pid));
    expect(fresh.length).to.be.at.least(1);
    for (const r of results) expect(r.now).to.be.within(r.before + 2 * DAY, r.after + 2 * DAY);
    for (const r of fresh) expect(r.loadedAt, "module load time of a process started after the move").to.be.within(r.before + 2 * DAY, r.after + 2 * DAY);
    clock.setOffset(0);
    const back = await callClock();
    expect(back.now).to.be.within(back.before, back.after);
  });

  it("moves the clock of a process that is running an invocation", async () => {
    clock.setOffset(0);
    const marker = path.join(stateDir, "watcher-running");
    const pending = service.invoke("watcher", JSON.stringify({ jumpMs: 3_000_000, marker }), "RequestResponse");
    const started = Date.now();
    while (!fs.existsSync(marker)) {
      if (Date.now() - started > 10_000) throw new Error("the watcher never started");
      await new Promise((r) => setTimeout(r, 20));
    }
    clock.setOffset(3_600_000);
    const res = await pending;
    clock.setOffset(0);
    const out = JSON.parse(res.payload);
    expect(out.jumped, res.payload).to.equal(true);
    expect(out.by).to.be.within(3_000_000, 3_700_000);
  });

  it("refuses offsets that are negative, fractional or over 366 days", () => {
    expect(() => clock.setOffset(-1)).to.throw(RangeError);
    expect(() => clock.setOffset(1.5)).to.throw(RangeError);
    expect(() => clock.setOffset(367 * DAY)).to.throw(RangeError);
    expect(clock.offsetMs).to.equal(0);
  });

  it("tells observers which process runs an invocation, with its payload, and when it ends", async () => {
    const seen: { started: RunningInvocation[]; ended: { invocation: RunningInvocation; status: string }[] } = { started: [], ended: [] };
    const stop = service.observeInvocations({
      started: (i) => seen.started.push(i),
      ended: (i, outcome) => seen.ended.push({ invocation: i, status: outcome.status }),
    });
    try {
      const pending = callClock({ sleepMs: 300, jobId: "job-1" });
      const started = Date.now();
      while (!service.runningInvocations("clock").length) {
        if (Date.now() - started > 10_000) throw new Error("never started");
        await new Promise((r) => setTimeout(r, 10));
      }
      const [running] = service.runningInvocations("clock");
      expect(running.payload).to.contain("job-1");
      expect(running.ended).to.equal(false);
      expect(service.runningInvocations("watcher")).to.deep.equal([]);
      const out = await pending;
      expect(running.pid, "the pid of the process that ran it").to.equal(out.pid);
      expect(running.ended).to.equal(true);
      expect(service.runningInvocations("clock")).to.deep.equal([]);
      expect(seen.started).to.have.length(1);
      expect(seen.started[0]).to.equal(running);
      expect(seen.ended.map((e) => [e.invocation, e.status])).to.deep.equal([[running, "success"]]);
    } finally {
      stop();
    }
    await callClock();
    expect(seen.started, "no calls after unsubscribing").to.have.length(1);
  });
});
