// The fault-injection admin API (local/admin/admin.ts) on in-process services: the test clock
// (`/_local/clock`) and process faults targeted at one job's invocation (`jobId`), which hit only
// the process running that invocation.
import * as fs from "fs";
import * as path from "path";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { expect } from "chai";
import { startAdminServer, type AdminServer } from "../../local/admin/admin";
import { startDynamoDbService, type LocalDynamoDbService } from "../../local/aws/dynamodb";
import { startLambdaService, type LocalLambdaService } from "../../local/aws/lambda";
import { startS3Service, type LocalS3Service } from "../../local/aws/s3";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, sdkEnvironment, type Endpoints, type InvokeResult } from "../../local/aws/types";
import { tempDir } from "../support/tmp";

const SLEEPER = `
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
exports.handler = async (event) => { await sleep(event.ms || 0); return { pid: process.pid, jobId: event.jobId, now: Date.now() }; };`;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("local fault-injection admin API", function () {
  this.timeout(60_000);
  let dir: string;
  let dynamodb: LocalDynamoDbService;
  let s3: LocalS3Service;
  let lambda: LocalLambdaService;
  let admin: AdminServer;

  before(async () => {
    dir = tempDir("local-admin-");
    dynamodb = await startDynamoDbService({ ttlSweepMs: 0 });
    s3 = await startS3Service({ dir: path.join(dir, "s3") });
    const endpoints: Endpoints = { dynamodb: dynamodb.endpoint, s3: s3.endpoint, lambda: "", sfn: "http://127.0.0.1:1" };
    lambda = await startLambdaService({ stateDir: path.join(dir, "lambda"), environment: () => sdkEnvironment(endpoints) });
    endpoints.lambda = lambda.endpoint;
    for (const name of ["job-worker", "other"]) {
      await lambda.createFunction({
        name,
        arn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${name}`,
        code: SLEEPER,
        handler: "index.handler",
        environment: {},
        timeoutSeconds: 3,
        memorySize: 256,
      });
    }
    admin = await startAdminServer({ dynamodb, s3, lambda, endpoints, functionNames: () => ["job-worker", "other"] });
  });

  after(async () => {
    await admin?.stop();
    await lambda?.stop();
    await s3?.stop();
    await dynamodb?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  afterEach(async () => {
    await fetch(`${admin.url}/_local/faults`, { method: "DELETE" });
  });

  async function post(route: string, body: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${admin.url}${route}`, { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
    return { status: res.status, body: await res.json() };
  }

  async function faults(): Promise<{ fired: any[]; missed: any[] }> {
    return (await fetch(`${admin.url}/_local/faults`)).json() as Promise<{ fired: any[]; missed: any[] }>;
  }

  function run(jobId: string, ms: number, fn = "job-worker"): Promise<InvokeResult> {
    return lambda.invoke(fn, JSON.stringify({ jobId, ms }), "RequestResponse");
  }

  const errorType = (r: InvokeResult) => (r.functionError ? JSON.parse(r.payload).errorType : undefined);

  describe("the test clock", () => {
    it("moves now for the functions and the TTL sweep, reports it, and refuses bad offsets", async () => {
      await dynamodb.createTable({ name: "expiring", hashKey: "pk", attributes: [{ name: "pk", type: "S" }] });
      dynamodb.enableTtl("expiring", "expiresAt");
      const nowSeconds = Math.floor(Date.now() / 1000);
      await dynamodb.putItem("expiring", { pk: { S: "soon" }, expiresAt: { N: String(nowSeconds + 30) } });
      await dynamodb.putItem("expiring", { pk: { S: "later" }, expiresAt: { N: String(nowSeconds + 3600) } });
      const exists = async (pk: string) => (await dynamodb.client.send(new GetItemCommand({ TableName: "expiring", Key: { pk: { S: pk } }, ConsistentRead: true }))).Item !== undefined;

      const initial = (await (await fetch(`${admin.url}/_local/clock`)).json()) as { offsetMs: number };
      expect(initial.offsetMs).to.equal(0);

      const moved = await post("/_local/clock", { offsetMs: 61_000 });
      expect(moved.status, JSON.stringify(moved.body)).to.equal(200);
      expect(moved.body.offsetMs).to.equal(61_000);
      expect(Date.parse(moved.body.now) - Date.now()).to.be.within(55_000, 61_000);
      expect(moved.body.expiredItemsDeleted).to.equal(1);
      expect(await exists("soon"), "expired by the moved clock: swept").to.equal(false);
      expect(await exists("later")).to.equal(true);

      const before = Date.now();
      const out = JSON.parse((await run("clock", 0)).payload);
      expect(out.now - before).to.be.within(61_000, 70_000);
      expect(((await (await fetch(`${admin.url}/_local/clock`)).json()) as { offsetMs: number }).offsetMs).to.equal(61_000);

      for (const bad of [{ offsetMs: -1 }, { offsetMs: 1.5 }, { offsetMs: "61000" }, {}, [61_000]]) {
        const res = await post("/_local/clock", bad);
        expect(res.status, JSON.stringify(bad)).to.equal(400);
        expect(res.body.error.message).to.match(/offsetMs/);
      }
      expect((await post("/_local/clock", { offsetMs: 0 })).body.offsetMs).to.equal(0);
      const back = JSON.parse((await run("clock", 0)).payload);
      expect(Math.abs(back.now - Date.now())).to.be.below(5_000);
    });
  });

  describe("workerCrash and workerHang with a jobId", () => {
    it("kills only the process running the job's invocation, not a neighbour running another job", async () => {
      const armed = await post("/_local/faults", { kind: "workerCrash", function: "job-worker", jobId: "job-a", afterMs: 300 });
      expect(armed.status, JSON.stringify(armed.body)).to.equal(200);
      const [a, b] = await Promise.all([run("job-b", 1000), run("job-a", 1000)]);
      expect(errorType(a), a.payload).to.equal(undefined);
      expect(errorType(b), b.payload).to.equal("Runtime.ExitError");
      const survivor = JSON.parse(a.payload).pid as number;
      expect(isAlive(survivor), "job-b's process lives on").to.equal(true);
      const { fired } = await faults();
      expect(fired).to.have.length(1);
      expect(fired[0]).to.include({ kind: "workerCrash", function: "job-worker", jobId: "job-a" });
      expect(fired[0].pids).to.have.length(1);
      expect(fired[0].pids[0]).to.not.equal(survivor);
      // Spent: the job's next invocation runs normally.
      expect(errorType(await run("job-a", 0))).to.equal(undefined);
    });

    it("takes an invocation of the job that is already running when armed, and freezes only its process", async () => {
      const hung = run("job-h", 2000);
      const other = run("job-o", 1500);
      await waitFor(() => lambda.runningInvocations("job-worker").some((i) => i.payload.includes("job-h")), "job-h running");
      const armed = await post("/_local/faults", { kind: "workerHang", function: "job-worker", jobId: "job-h", afterMs: 0 });
      expect(armed.status).to.equal(200);
      const [h, o] = await Promise.all([hung, other]);
      // Without the fault it would have answered after 2 s; frozen, it runs into the 3-s timeout.
      expect(errorType(h), h.payload).to.equal("Sandbox.Timedout");
      expect(errorType(o), o.payload).to.equal(undefined);
      const { fired } = await faults();
      expect(fired.map((f) => [f.kind, f.jobId])).to.deep.equal([["workerHang", "job-h"]]);
      expect(fired[0].pids).to.not.include(JSON.parse(o.payload).pid);
      expect(isAlive(JSON.parse(o.payload).pid)).to.equal(true);
    });

    it("counts only the job's invocations: other jobs' invocations in between are spared", async () => {
      await post("/_local/faults", { kind: "workerCrash", function: "job-worker", jobId: "job-c", count: 2, afterMs: 100 });
      expect(errorType(await run("job-x", 300))).to.equal(undefined);
      expect(errorType(await run("job-c", 1000))).to.equal("Runtime.ExitError");
      expect(errorType(await run("job-y", 300))).to.equal(undefined);
      expect(errorType(await run("job-c", 1000))).to.equal("Runtime.ExitError");
      expect(errorType(await run("job-c", 300))).to.equal(undefined);
      expect((await faults()).fired.map((f) => f.jobId)).to.deep.equal(["job-c", "job-c"]);
    });

    it("without a jobId hits the next invocation's process only; an invocation that ends first is spared and listed as missed", async () => {
      // Two warm processes.
      const warm = await Promise.all([run("w1", 300), run("w2", 300)]);
      const pids = warm.map((r) => JSON.parse(r.payload).pid as number);
      expect(new Set(pids).size).to.equal(2);
      await post("/_local/faults", { kind: "workerCrash", function: "job-worker", afterMs: 200 });
      expect(errorType(await run("any", 800))).to.equal("Runtime.ExitError");
      const { fired } = await faults();
      expect(fired).to.have.length(1);
      expect(fired[0]).to.not.have.property("jobId");
      const killed = fired[0].pids[0];
      expect(pids).to.include(killed);
      const neighbour = pids.find((p) => p !== killed)!;
      expect(isAlive(neighbour), "the idle neighbour was left alone").to.equal(true);
      expect(lambda.workerPids("job-worker")).to.include(neighbour);

      await post("/_local/faults", { kind: "workerHang", function: "job-worker", jobId: "quick", afterMs: 500 });
      expect(errorType(await run("quick", 0))).to.equal(undefined);
      await waitFor(async () => (await faults()).missed.length === 1, "the missed fault listed");
      const after = await faults();
      expect(after.missed[0]).to.include({ kind: "workerHang", jobId: "quick" });
      expect(after.fired.filter((f) => f.kind === "workerHang")).to.deep.equal([]);
    });

    it("refuses a jobId that is not a non-empty string", async () => {
      for (const jobId of ["", 42, null]) {
        const res = await post("/_local/faults", { kind: "workerCrash", function: "job-worker", jobId });
        expect(res.status, JSON.stringify(jobId)).to.equal(400);
        expect(res.body.error.message).to.match(/jobId/);
      }
    });
  });
});
