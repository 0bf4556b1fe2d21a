import { expect } from "chai";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { createListHandler, MAX_INDEX_READS_PER_PAGE } from "../../lambdas/api/list";
import { awsError } from "./support/fakeAws";
import { ALICE, ALICE_KEY, BOB, BOB_KEY, Clock, STORES, T0, TTL_SECONDS, apiEvent, call, configure, makeRecord, seed, useFakeAws } from "./support/harness";

const iso = (ms: number) => new Date(ms).toISOString();
/** The n-th job id (lowercase UUIDs that sort like n). */
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const list = (query: Record<string, string> = {}, caller: { userArn?: string | null; apiKeyId?: string | null } = {}) =>
  apiEvent({ method: "GET", query, ...caller });

/** Every page of a list, following nextCursor (at most `max` pages). */
async function allPages(handler: ReturnType<typeof createListHandler>, query: Record<string, string>, caller = {}, max = 50) {
  const pages: any[] = [];
  let cursor: string | undefined;
  do {
    const res = await call(handler, list({ ...query, ...(cursor ? { cursor } : {}) }, caller));
    expect(res.status, res.raw).to.equal(200);
    pages.push(res.body);
    cursor = res.body.nextCursor;
  } while (cursor && pages.length < max);
  return pages;
}

describe("lambdas/api/list: GET /jobs", () => {
  const fake = useFakeAws();
  let clock: Clock;
  let handler: ReturnType<typeof createListHandler>;
  beforeEach(() => {
    clock = new Clock();
    handler = createListHandler({ now: clock.now });
  });

  for (const store of STORES) {
    describe(`store ${store}`, () => {
      beforeEach(() => configure({ store }));

      it("lists the caller's jobs newest first, in pages of limit, each once; the last page has no nextCursor", async () => {
        // Created out of order; two in the same millisecond.
        const ages = [5, 1, 9, 3, 3, 7, 2];
        for (const [n, age] of ages.entries()) await seed(makeRecord({ jobId: id(n), createdAt: iso(T0 - age * 1000), updatedAt: iso(T0 - age * 1000) }));
        const pages = await allPages(handler, { limit: "2" });
        expect(pages.map((p) => p.jobs.length)).to.deep.equal([2, 2, 2, 1]);
        expect(pages.slice(0, -1).every((p) => typeof p.nextCursor === "string")).to.equal(true);
        expect(pages[pages.length - 1]).to.not.have.property("nextCursor");
        const jobs = pages.flatMap((p) => p.jobs);
        expect(jobs.map((j) => j.jobId).sort()).to.deep.equal(ages.map((_, n) => id(n)).sort());
        const times = jobs.map((j) => Date.parse(j.createdAt));
        expect(times).to.deep.equal([...times].sort((a, b) => b - a));
      });

      it("ends without a nextCursor when the last page is exactly full", async () => {
        for (let n = 0; n < 4; n++) await seed(makeRecord({ jobId: id(n), createdAt: iso(T0 - n * 1000) }));
        const pages = await allPages(handler, { limit: "2" });
        expect(pages.map((p) => p.jobs.length)).to.deep.equal([2, 2]);
        expect(pages[1]).to.not.have.property("nextCursor");
        const one = await call(handler, list({ limit: "4" }));
        expect(one.body.jobs).to.have.length(4);
        expect(one.body).to.not.have.property("nextCursor");
      });

      it("defaults to 20 a page; shows jobs without result, resultUrl or input, with progress and error", async () => {
        for (let n = 0; n < 21; n++) await seed(makeRecord({ jobId: id(n), createdAt: iso(T0 - n) }));
        await seed(makeRecord({ jobId: id(90), createdAt: iso(T0 + 5), status: "SUCCEEDED", result: '{"big":true}', resultSize: 12, progress: { percent: 100, updatedAt: iso(T0) } }));
        await seed(makeRecord({ jobId: id(91), createdAt: iso(T0 + 4), status: "FAILED", error: { code: "TimerFailed", message: "boom" } }));
        const res = await call(handler, list());
        expect(res.body.jobs).to.have.length(20);
        expect(res.body.nextCursor).to.be.a("string");
        expect(res.headers["Cache-Control"]).to.equal("no-store");
        expect(res.body.jobs[0]).to.deep.equal({ jobId: id(90), status: "SUCCEEDED", createdAt: iso(T0 + 5), updatedAt: iso(T0), progress: { percent: 100, updatedAt: iso(T0) } });
        expect(res.body.jobs[1]).to.deep.equal({ jobId: id(91), status: "FAILED", createdAt: iso(T0 + 4), updatedAt: iso(T0), error: { code: "TimerFailed", message: "boom" } });
        expect(res.raw).to.not.match(/"(result|resultUrl|resultRef|input|owner|version|expiresAt|deadline)"/);
      });

      it("filters by status as GET shows it: an overdue RUNNING job is TIMED_OUT; a comma list is any of them", async () => {
        await seed(makeRecord({ jobId: id(1), status: "RUNNING", createdAt: iso(T0 - 3), deadline: iso(T0 - 1) }));
        await seed(makeRecord({ jobId: id(2), status: "RUNNING", createdAt: iso(T0 - 2), deadline: iso(T0 + 60_000) }));
        await seed(makeRecord({ jobId: id(3), status: "FAILED", createdAt: iso(T0 - 1), error: { code: "X", message: "x" } }));
        const ids = async (status: string) => (await call(handler, list({ status }))).body.jobs.map((j: any) => [j.jobId, j.status]);
        expect(await ids("RUNNING")).to.deep.equal([[id(2), "RUNNING"]]);
        expect(await ids("TIMED_OUT")).to.deep.equal([[id(1), "TIMED_OUT"]]);
        expect(await ids("FAILED,TIMED_OUT")).to.deep.equal([[id(3), "FAILED"], [id(1), "TIMED_OUT"]]);
        expect(await ids("SUCCEEDED")).to.deep.equal([]);
      });

      it("never lists an expired job, nor a finished one past the result TTL", async () => {
        await seed(makeRecord({ jobId: id(1), createdAt: iso(T0 - 3), expiresAt: Math.floor(T0 / 1000) - 1 }));
        await seed(makeRecord({ jobId: id(2), status: "SUCCEEDED", result: "{}", createdAt: iso(T0 - 2), updatedAt: iso(T0 - TTL_SECONDS * 1000 - 1) }));
        await seed(makeRecord({ jobId: id(3), createdAt: iso(T0 - 1) }));
        expect((await call(handler, list())).body.jobs.map((j: any) => j.jobId)).to.deep.equal([id(3)]);
      });

      it("iam: lists only the caller's jobs (an assumed role without its session name)", async () => {
        await seed(makeRecord({ jobId: id(1), owner: ALICE }));
        await seed(makeRecord({ jobId: id(2), owner: BOB }));
        await seed(makeRecord({ jobId: id(3), owner: "arn:aws:sts::123456789012:assumed-role/ci" }));
        expect((await call(handler, list({}, { userArn: BOB }))).body.jobs.map((j: any) => j.jobId)).to.deep.equal([id(2)]);
        const role = await call(handler, list({}, { userArn: "arn:aws:sts::123456789012:assumed-role/ci/session-2" }));
        expect(role.body.jobs.map((j: any) => j.jobId)).to.deep.equal([id(3)]);
      });

      it("apiKey: lists the jobs of the key that submitted them", async () => {
        configure({ store, auth: "apiKey" });
        await seed(makeRecord({ jobId: id(1), owner: ALICE_KEY }));
        await seed(makeRecord({ jobId: id(2), owner: BOB_KEY }));
        expect((await call(handler, list({}, { apiKeyId: BOB_KEY }))).body.jobs.map((j: any) => j.jobId)).to.deep.equal([id(2)]);
        const none = await call(handler, list({}, { apiKeyId: null }));
        expect([none.status, none.body.error.code]).to.deep.equal([403, "Forbidden"]);
      });

      it("none: everyone lists the public jobs", async () => {
        configure({ store, auth: "none" });
        await seed(makeRecord({ jobId: id(1), owner: "public" }));
        expect((await call(handler, list({}, { userArn: null, apiKeyId: null }))).body.jobs.map((j: any) => j.jobId)).to.deep.equal([id(1)]);
      });

      it("refuses a cursor made for another caller or another filter (400 naming cursor), and never shows their jobs", async () => {
        for (let n = 0; n < 3; n++) await seed(makeRecord({ jobId: id(n), owner: ALICE, createdAt: iso(T0 - n) }));
        await seed(makeRecord({ jobId: id(9), owner: BOB, createdAt: iso(T0 - 10) }));
        const first = await call(handler, list({ limit: "1" }));
        const cursor = first.body.nextCursor as string;
        const bob = await call(handler, list({ limit: "1", cursor }, { userArn: BOB }));
        expect([bob.status, bob.body.error.code]).to.deep.equal([400, "ValidationError"]);
        expect(bob.body.error.message).to.match(/cursor/);
        const filtered = await call(handler, list({ limit: "1", cursor, status: "PENDING" }));
        expect(filtered.status).to.equal(400);
        // The same filter written in another order is the same filter.
        const statusCursor = (await call(handler, list({ limit: "1", status: "PENDING,RUNNING" }))).body.nextCursor;
        expect((await call(handler, list({ limit: "1", status: "RUNNING,PENDING", cursor: statusCursor }))).status).to.equal(200);
        expect((await call(handler, list({ limit: "1", cursor }))).body.jobs.map((j: any) => j.jobId)).to.deep.equal([id(1)]);
      });

      it("a page cut short after MAX_INDEX_READS_PER_PAGE reads still goes on, from where it stopped, to every match", async () => {
        for (let n = 0; n < 30; n++) await seed(makeRecord({ jobId: id(n), createdAt: iso(T0 - n * 10) }));
        await seed(makeRecord({ jobId: id(99), status: "FAILED", createdAt: iso(T0 - 1000), error: { code: "X", message: "x" } }));
        const before = fake.callCount();
        const first = await call(handler, list({ limit: "1", status: "FAILED" }));
        const reads = fake.ddb.commandCalls(QueryCommand).length + fake.s3.calls().filter((c) => c.args[0].constructor.name === "ListObjectsV2Command").length;
        expect(reads, "index reads of one request").to.equal(MAX_INDEX_READS_PER_PAGE);
        expect(fake.callCount()).to.be.greaterThan(before);
        expect(first.body.jobs).to.deep.equal([]);
        expect(first.body.nextCursor).to.be.a("string");
        const pages = await allPages(handler, { limit: "1", status: "FAILED" });
        expect(pages.flatMap((p) => p.jobs).map((j) => j.jobId)).to.deep.equal([id(99)]);
      });

      it("a store failing past the SDK's retries is 503 ServiceUnavailable with Retry-After", async () => {
        fake.failAlways(store === "s3" ? "s3:ListObjectsV2" : "dynamodb:Query", () => awsError("ThrottlingException", "Rate exceeded", 400));
        const res = await call(handler, list());
        expect([res.status, res.body.error.code]).to.deep.equal([503, "ServiceUnavailable"]);
        expect(res.headers["Retry-After"]).to.match(/^\d+$/);
      });
    });
  }

  describe("reads", () => {
    beforeEach(() => configure({ store: "dynamodb" }));

    it("DynamoDB: one Query of the owner index, newest first, for limit + 1 jobs", async () => {
      await call(handler, list({ limit: "7" }));
      const queries = fake.ddb.commandCalls(QueryCommand);
      expect(queries).to.have.length(1);
      expect(queries[0].args[0].input).to.deep.include({ IndexName: "byOwner", ScanIndexForward: false, Limit: 8, ExpressionAttributeValues: { ":owner": ALICE } });
    });

    it("S3: one ListObjectsV2 of the owner's index prefix, for limit + 1 keys", async () => {
      configure({ store: "s3" });
      await seed(makeRecord({ jobId: id(1) }));
      await call(handler, list({ limit: "7" }));
      const lists = fake.s3.calls().filter((c) => c.args[0].constructor.name === "ListObjectsV2Command");
      expect(lists).to.have.length(1);
      const input = (lists[0].args[0] as any).input;
      expect(input.MaxKeys).to.equal(8);
      expect(input.Prefix).to.match(/^index\/[0-9a-f]{64}\/$/);
      expect(input.Prefix).to.not.include("alice");
    });
  });

  describe("bad queries: 400 ValidationError naming the parameter, before any read", () => {
    beforeEach(() => configure({ store: "dynamodb" }));
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ["limit 0", { limit: "0" }, /limit/],
      ["limit 101", { limit: "101" }, /limit/],
      ["limit -1", { limit: "-1" }, /limit/],
      ["limit 1.5", { limit: "1.5" }, /limit/],
      ["limit abc", { limit: "abc" }, /limit/],
      ["limit empty", { limit: "" }, /limit/],
      ["limit huge", { limit: "9".repeat(5000) }, /limit/],
      ["unknown status", { status: "DONE" }, /status/],
      ["lowercase status", { status: "running" }, /status/],
      ["empty status", { status: "" }, /status/],
      ["trailing comma", { status: "RUNNING," }, /status/],
      ["huge status", { status: "RUNNING,".repeat(10_000) }, /status/],
      ["arn status", { status: "arn:aws:iam::123456789012:root" }, /status/],
      ["empty cursor", { cursor: "" }, /cursor/],
      ["not base64url", { cursor: "a b+c/d" }, /cursor/],
      ["not JSON", { cursor: Buffer.from("hello").toString("base64url") }, /cursor/],
      ["forged shape", { cursor: Buffer.from(JSON.stringify({ b: "x", c: "2026-01-01T00:00:00.000Z", j: id(1) })).toString("base64url") }, /cursor/],
      ["huge cursor", { cursor: "A".repeat(100_000) }, /cursor/],
    ];
    for (const [name, query, names] of cases) {
      it(name, async () => {
        const res = await call(handler, list(query));
        expect([res.status, res.body.error.code], res.raw).to.deep.equal([400, "ValidationError"]);
        expect(res.body.error.message).to.match(names);
        expect(res.raw.length).to.be.below(400);
        expect(fake.callCount()).to.equal(0);
      });
    }

    it("a parameter given twice", async () => {
      const event: APIGatewayProxyEvent = list({ limit: "2" });
      event.multiValueQueryStringParameters = { limit: ["2", "3"] };
      const res = await call(handler, event);
      expect([res.status, res.body.error.message]).to.deep.equal([400, "limit may be given once."]);
    });

    it("iam: no caller identity is 403", async () => {
      const res = await call(handler, list({}, { userArn: null }));
      expect([res.status, res.body.error.code]).to.deep.equal([403, "Forbidden"]);
    });
  });
});
