// CONTRACT.md §2, "When a service behind the API fails": the job store failing or throttling past
// the SDK's retries is 503 ServiceUnavailable with Retry-After, the same on every backend × store
// and route (POST, GET and DELETE; the stream backend's direct API Gateway → DynamoDB integration
// included), never a 500 or a 4xx; the request left no job behind, and a retry with the same
// Idempotency-Key makes the one job, which then succeeds.
//
// The local cloud (`--faults`, local/admin/admin.ts) fails the next n store calls as the services do:
// DynamoDB with 500 InternalServerError or 400 ThrottlingException ("Error handling with DynamoDB"
// in the DynamoDB developer guide), S3 with 500 InternalError or 503 SlowDown ("Error responses" in
// the Amazon S3 API reference). The AWS SDK retries each call 3 times in all (the AWS SDKs and Tools
// reference guide, "Retry behavior": standard mode); API Gateway's DynamoDB integration makes one
// call. Ten failures in a row outlast either, and are cleared before the retry.
//
// One cloud per backend × store, side by side; each runs its scenarios one after the other (faults
// are global to an emulator) in the background, and each `it` awaits its scenario.
import { expect } from "chai";
import { SERVICE_UNAVAILABLE_RETRY_AFTER } from "../../lambdas/shared/retryAfter";
import { JobApi, type Response } from "../support/localCloud";
import { armFault, clearFaults, leaks, removeState, settled, startFaultCloud, storedJobs, type FaultCloud, type FaultSpec } from "./support";

const CLOUDS = ["stepfunctions/dynamodb", "stepfunctions/s3", "lambda/dynamodb", "lambda/s3", "stream/dynamodb"];
const ORIGIN = "http://app.example.test";
const FAILURES_IN_A_ROW = 10;

interface Ctx {
  id: string;
  store: string;
  cloud: FaultCloud;
  api: JobApi;
}

/**
 * Store write faults of both kinds the store has: a server fault and throttling. With `fromFunction`,
 * only that function's calls fail: the events publisher and the webhook delivery of earlier jobs
 * also write the bucket (their markers), and would otherwise take faults meant for the route.
 */
function writeFaults(store: string, fromFunction?: string): { name: string; fault: FaultSpec }[] {
  const scope = fromFunction ? { function: fromFunction } : {};
  return store === "s3"
    ? [
        { name: "S3 500 InternalError", fault: { kind: "s3Writes", count: FAILURES_IN_A_ROW, status: 500, ...scope } },
        { name: "S3 503 SlowDown", fault: { kind: "s3Writes", count: FAILURES_IN_A_ROW, status: 503, ...scope } },
      ]
    : [
        { name: "DynamoDB InternalServerError", fault: { kind: "dynamodbWrites", count: FAILURES_IN_A_ROW, code: "InternalServerError", ...scope } },
        { name: "DynamoDB ThrottlingException", fault: { kind: "dynamodbWrites", count: FAILURES_IN_A_ROW, code: "ThrottlingException", ...scope } },
      ];
}

/** The contract's 503: exactly, with the one Retry-After of every backend, CORS for the browser, nothing leaked. */
function expectServiceUnavailable(res: Response, what: string): void {
  expect(res.status, `${what}: ${res.text}`).to.equal(503);
  expect(res.body, `${what}: ${res.text}`).to.have.all.keys("error");
  expect(res.body.error, `${what}: ${res.text}`).to.have.all.keys("code", "message");
  expect(res.body.error.code, what).to.equal("ServiceUnavailable");
  expect(res.headers.get("retry-after"), what).to.equal(SERVICE_UNAVAILABLE_RETRY_AFTER);
  expect(res.headers.get("content-type"), what).to.match(/^application\/json/);
  expect(res.headers.get("access-control-allow-origin"), `${what}: a browser may read the answer`).to.equal(ORIGIN);
  expect(res.headers.get("access-control-expose-headers") ?? "", `${what}: and its Retry-After`).to.include("Retry-After");
  expect(leaks(res.text), what).to.deep.equal([]);
  expect(res.text, `${what}: no AWS error type`).to.not.match(/Exception|InternalServerError|InternalError|SlowDown|Throttling|TransactionCanceled/);
}

const withOrigin = { Origin: ORIGIN };
const get = (ctx: Ctx, jobId: string) => ctx.api.request("GET", `/jobs/${jobId}`, { headers: withOrigin });
const cancel = (ctx: Ctx, jobId: string) => ctx.api.request("DELETE", `/jobs/${jobId}`, { headers: withOrigin });
const submit = (ctx: Ctx, input: unknown, key: string) => ctx.api.submit(input, { "Idempotency-Key": key, ...withOrigin });

async function jobsWithKey(ctx: Ctx, key: string): Promise<string[]> {
  return (await storedJobs(ctx.cloud)).filter((j) => j.idempotencyKey === key).map((j) => j.jobId);
}

interface Scenario {
  name: string;
  run(ctx: Ctx): Promise<void>;
}

const SCENARIOS: Scenario[] = [
  {
    name: "POST /jobs while the store's writes fail or throttle: 503 ServiceUnavailable with Retry-After and no job left; the retry with the same Idempotency-Key makes one job, which SUCCEEDS",
    async run(ctx) {
      // Backend stream has no submit function: the gateway writes the job itself.
      for (const { name, fault } of writeFaults(ctx.store, ctx.id.startsWith("stream") ? undefined : "submit")) {
        const key = `store-down-${ctx.id}-${name}`.replace(/[^A-Za-z0-9_-]+/g, "-");
        const before = (await storedJobs(ctx.cloud)).length;
        await armFault(ctx.cloud, fault);
        const refused = await submit(ctx, { seconds: 0 }, key);
        await clearFaults(ctx.cloud);
        expectServiceUnavailable(refused, `POST, ${name}`);
        expect((await storedJobs(ctx.cloud)).length, `${name}: job records after the refused POST`).to.equal(before);

        const accepted = await submit(ctx, { seconds: 0 }, key);
        expect(accepted.status, `${name}: the retry: ${accepted.text}`).to.equal(202);
        const replay = await submit(ctx, { seconds: 0 }, key);
        expect([replay.status, replay.body?.jobId, replay.headers.get("idempotent-replayed")], `${name}: ${replay.text}`).to.deep.equal([202, accepted.body.jobId, "true"]);
        expect(await jobsWithKey(ctx, key), `${name}: the store's jobs with the key`).to.deep.equal([accepted.body.jobId]);
        const { last } = await ctx.api.waitFor(accepted.body.jobId, undefined, 60_000);
        expect(last.body.status, `${name}: ${last.text}`).to.equal("SUCCEEDED");
      }
    },
  },
  {
    name: "GET /jobs/{id} while the store's reads fail: 503 ServiceUnavailable with Retry-After; once they recover, 200",
    async run(ctx) {
      const accepted = await submit(ctx, { seconds: 0 }, `read-${ctx.id.replace("/", "-")}`);
      expect(accepted.status, accepted.text).to.equal(202);
      const jobId = accepted.body.jobId;
      await ctx.api.waitFor(jobId, undefined, 60_000);
      const faults: { name: string; fault: FaultSpec }[] =
        ctx.store === "s3"
          ? [
              { name: "S3 503 SlowDown", fault: { kind: "s3Reads", count: FAILURES_IN_A_ROW, status: 503, function: "status" } },
              { name: "S3 500 InternalError", fault: { kind: "s3Reads", count: FAILURES_IN_A_ROW, status: 500, function: "status" } },
            ]
          : [
              // The status function's reads only: the webhook delivery reads every ended job too.
              { name: "DynamoDB InternalServerError", fault: { kind: "dynamodbReads", count: FAILURES_IN_A_ROW, code: "InternalServerError", function: "status" } },
              { name: "DynamoDB ThrottlingException", fault: { kind: "dynamodbReads", count: FAILURES_IN_A_ROW, code: "ThrottlingException", function: "status" } },
            ];
      for (const { name, fault } of faults) {
        await armFault(ctx.cloud, fault);
        const refused = await get(ctx, jobId);
        await clearFaults(ctx.cloud);
        expectServiceUnavailable(refused, `GET, ${name}`);
        const read = await get(ctx, jobId);
        expect([read.status, read.body?.status], `${name}: ${read.text}`).to.deep.equal([200, "SUCCEEDED"]);
      }
    },
  },
  {
    name: "DELETE /jobs/{id} of a RUNNING job while the store's writes fail: 503 ServiceUnavailable with Retry-After, the job untouched; once they recover, the cancel works",
    async run(ctx) {
      const accepted = await submit(ctx, { seconds: 20 }, `cancel-${ctx.id.replace("/", "-")}`);
      expect(accepted.status, accepted.text).to.equal(202);
      const jobId = accepted.body.jobId;
      await ctx.api.waitFor(jobId, (s) => s !== "PENDING", 30_000);
      const [{ name, fault }] = writeFaults(ctx.store, "cancel").reverse(); // throttling: the SDK's longest backoff
      // The running job's own progress writes (one a second) fail meanwhile too: enough failures
      // for every writer until the faults are cleared.
      await armFault(ctx.cloud, { ...fault, count: FAILURES_IN_A_ROW * 10 } as FaultSpec);
      const refused = await cancel(ctx, jobId);
      await clearFaults(ctx.cloud);
      expectServiceUnavailable(refused, `DELETE, ${name}`);
      const still = await get(ctx, jobId);
      expect([still.status, still.body?.status], `the job after the refused cancel: ${still.text}`).to.deep.equal([200, "RUNNING"]);

      const cancelled = await cancel(ctx, jobId);
      expect([cancelled.status, cancelled.body], cancelled.text).to.deep.equal([202, { jobId, status: "CANCELLED" }]);
      const read = await get(ctx, jobId);
      expect(read.body?.status, read.text).to.equal("CANCELLED");
    },
  },
];

/** Runs tasks with at most `n` at a time. */
function atMost(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    while (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

describe("reliability: a service behind the API failing is 503 ServiceUnavailable with Retry-After on every backend and store", function () {
  this.timeout(240_000);
  const clouds = new Map<string, Promise<Ctx>>();
  const results = new Map<string, Promise<void>>();

  before(() => {
    // Two clouds boot at once (booting is CPU-bound, and this machine may have 2 cores); each
    // starts its scenarios as soon as it is up.
    const boot = atMost(2);
    for (const id of CLOUDS) {
      const [backend, store] = id.split("/");
      const config = [`backend=${backend}`, `store=${store}`, "auth=none", "jobTimeoutSeconds=30", `corsOrigins=["${ORIGIN}"]`];
      const ready = settled(boot(() => startFaultCloud(config)).then((cloud): Ctx => ({ id, store, cloud, api: new JobApi(cloud.apiUrl, { kind: "none" }) })));
      clouds.set(id, ready);

      let chain: Promise<unknown> = ready;
      for (const s of SCENARIOS) {
        const p = settled(chain.then(() => ready).then((ctx) => s.run(ctx).finally(() => clearFaults(ctx.cloud).catch(() => undefined))));
        results.set(`${id}: ${s.name}`, p);
        chain = p.catch(() => undefined);
      }
    }
  });

  after(async () => {
    await Promise.all([...results.values()].map((p) => p.catch(() => undefined)));
    const codes: string[] = [];
    for (const [id, ready] of clouds) {
      const ctx = await ready.catch(() => undefined);
      if (!ctx) continue;
      const code = await ctx.cloud.stop();
      removeState(ctx.cloud);
      if (code !== 0) codes.push(`${id} exited ${code}`);
    }
    expect(codes, "every local cloud exits 0 on SIGTERM").to.deep.equal([]);
  });

  for (const id of CLOUDS) {
    describe(`backend ${id.replace("/", " x store ")}`, () => {
      for (const s of SCENARIOS) it(s.name, () => results.get(`${id}: ${s.name}`)!);
    });
  }
});
