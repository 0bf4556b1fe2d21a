import { expect } from "chai";
import { createAuthorizer } from "../../client/auth";
import { AsyncApiClient, AsyncApiError, IDEMPOTENCY_KEY_PATTERN, backoffBounds, type Job, type JobList } from "../../client/index";
import { verifySigV4 } from "../../local/aws/apigateway/sigv4";
import { API, apiError, fakeClient, job, json, networkError, rejection, scriptedFetch, type Call, type Step } from "./fakes";

const JOB_URL = `${API}/jobs/job-1`;
const accepted = (headers: Record<string, string> = {}) =>
  json(202, { jobId: "job-1", status: "PENDING", createdAt: "2026-01-01T00:00:00.000Z" }, { Location: JOB_URL, "Retry-After": "1", ...headers });

/** Default retry backoff: base 200 ms, doubled per retry; random() = 0.5 sits mid-way in [ceil/2, ceil]. */
const midBackoff = (attempt: number) => {
  const { min, max } = backoffBounds(attempt, { baseMs: 200, maxMs: 20_000 });
  return (min + max) / 2;
};

describe("client AsyncApiClient (injected fetch)", () => {
  describe("retry policy for GET", () => {
    it("retries 503, 429 and a network error with exponential backoff, then succeeds", async () => {
      const { client, calls, time } = fakeClient([apiError(503, "ServiceUnavailable"), apiError(429, "TooManyRequests"), networkError(), json(200, job("RUNNING"))]);
      const got = await client.get("job-1");
      expect(got.status).to.equal("RUNNING");
      expect(calls.map((c) => `${c.method} ${c.url}`)).to.deep.equal(Array(4).fill(`GET ${JOB_URL}`));
      expect(time.sleeps).to.deep.equal([midBackoff(0), midBackoff(1), midBackoff(2)]);
      expect(time.sleeps[2]).to.be.greaterThan(time.sleeps[1]).and.greaterThan(0);
    });

    it("gives up after `retries` retries with the last answer's error", async () => {
      const { client, calls } = fakeClient(Array(4).fill(apiError(503, "ServiceUnavailable", "try later")));
      const err = await rejection(client.get("job-1"));
      expect(err).to.be.instanceOf(AsyncApiError);
      expect(err).to.include({ code: "ServiceUnavailable", status: 503, message: "try later", jobId: "job-1" });
      expect(calls).to.have.length(4);
    });

    it("honours `retries: 0` and a custom count", async () => {
      const none = fakeClient([apiError(500, "InternalError")], { retries: 0 });
      expect((await rejection(none.client.get("job-1"))).code).to.equal("InternalError");
      expect(none.calls).to.have.length(1);
      const one = fakeClient([apiError(502, "BadGateway"), apiError(502, "BadGateway")], { retries: 1 });
      expect((await rejection(one.client.get("job-1"))).status).to.equal(502);
      expect(one.calls).to.have.length(2);
    });

    it("reports a network error that outlasts the retries as NetworkError, without an HTTP status", async () => {
      const { client, calls } = fakeClient(Array(4).fill(networkError()));
      const err = await rejection(client.get("job-1"));
      expect(err).to.be.instanceOf(AsyncApiError);
      expect(err.code).to.equal("NetworkError");
      expect(err.status).to.equal(undefined);
      expect(err.message).to.include("ECONNRESET").and.include("4 attempts");
      expect(err.cause).to.be.instanceOf(TypeError);
      expect(calls).to.have.length(4);
    });

    it("does not retry a 4xx (other than 429)", async () => {
      const { client, calls } = fakeClient([apiError(404, "NotFound", "No such job."), json(200, job("RUNNING"))]);
      const err = await rejection(client.get("job-1"));
      expect(err).to.include({ code: "NotFound", status: 404, message: "No such job.", jobId: "job-1" });
      expect(calls).to.have.length(1);
    });

    it("honours Retry-After on 429/503, capped at retryMaxDelayMs", async () => {
      const { client, time } = fakeClient([apiError(429, "TooManyRequests", "slow down", { "Retry-After": "2" }), apiError(503, "ServiceUnavailable", "x", { "Retry-After": "600" }), json(200, job("RUNNING"))], {
        retryMaxDelayMs: 5000,
      });
      await client.get("job-1");
      expect(time.sleeps).to.deep.equal([2000, 5000]);
    });

    it("retries a request that does not answer within requestTimeoutMs", async () => {
      let first = true;
      const slow: typeof fetch = (async (_url: string, init: RequestInit) => {
        if (first) {
          first = false;
          return new Promise((_, reject) => init.signal!.addEventListener("abort", () => reject(init.signal!.reason)));
        }
        return new Response(JSON.stringify(job("RUNNING")), { status: 200 });
      }) as unknown as typeof fetch;
      const client = new AsyncApiClient({ apiUrl: API, auth: { type: "none" }, fetch: slow, requestTimeoutMs: 50, sleep: async () => undefined });
      expect((await client.get("job-1")).status).to.equal("RUNNING");
      expect(first).to.equal(false);
    });
  });

  describe("retry policy for POST: always with an Idempotency-Key", () => {
    it("generates a key when none is given and sends the SAME key on every attempt", async () => {
      const { client, calls } = fakeClient([apiError(503, "ServiceUnavailable"), networkError(), apiError(502, "BadGateway"), accepted({ "Idempotent-Replayed": "true" })]);
      const submitted = await client.submit({ seconds: 1 });
      expect(calls).to.have.length(4);
      const keys = calls.map((c) => c.headers["idempotency-key"]);
      expect(keys[0]).to.match(IDEMPOTENCY_KEY_PATTERN);
      expect(new Set(keys).size, `keys ${keys.join(", ")}`).to.equal(1);
      expect(calls.every((c) => c.method === "POST" && c.body === '{"seconds":1}' && c.headers["content-type"] === "application/json")).to.equal(true);
      expect(submitted).to.deep.equal({
        jobId: "job-1",
        status: "PENDING",
        createdAt: "2026-01-01T00:00:00.000Z",
        location: JOB_URL,
        retryAfterSeconds: 1,
        replayed: true,
        idempotencyKey: keys[0],
      });
    });

    it("generates a new key for each submit", async () => {
      const { client, calls } = fakeClient([accepted(), accepted(), accepted()]);
      await client.submit({ seconds: 1 });
      await client.submit({ seconds: 1 });
      await client.submit({ seconds: 1 });
      const keys = calls.map((c) => c.headers["idempotency-key"]);
      expect(keys.every((k) => IDEMPOTENCY_KEY_PATTERN.test(k))).to.equal(true);
      expect(new Set(keys).size).to.equal(3);
    });

    it("sends the caller's key as given on every attempt, and reports replayed=false without the header", async () => {
      const { client, calls } = fakeClient([networkError(), accepted()]);
      const submitted = await client.submit({ seconds: 1 }, { idempotencyKey: "order-42_A" });
      expect(calls.map((c) => c.headers["idempotency-key"])).to.deep.equal(["order-42_A", "order-42_A"]);
      expect(submitted.replayed).to.equal(false);
      expect(submitted.idempotencyKey).to.equal("order-42_A");
    });

    it("rejects a malformed key before sending anything", async () => {
      for (const bad of ["", "has space", "x".repeat(65), "é"]) {
        const { client, calls } = fakeClient([]);
        const err = await rejection(client.submit({ seconds: 1 }, { idempotencyKey: bad }));
        expect(err).to.include({ code: "InvalidArgument" });
        expect(calls, bad).to.have.length(0);
      }
    });

    it("does not retry 400, 409 IdempotencyConflict or 413", async () => {
      for (const step of [apiError(400, "ValidationError", "seconds: must be <= 900"), apiError(409, "IdempotencyConflict"), apiError(413, "PayloadTooLarge")]) {
        const { client, calls } = fakeClient([step, accepted()]);
        const err = await rejection(client.submit({ seconds: 1000 }));
        expect(err).to.be.instanceOf(AsyncApiError);
        expect(err.status).to.be.oneOf([400, 409, 413]);
        expect(calls).to.have.length(1);
      }
    });

    it("retries 409 Conflict (the same key still in progress) after its Retry-After", async () => {
      const { client, calls, time } = fakeClient([apiError(409, "Conflict", "still in progress", { "Retry-After": "1" }), accepted({ "Idempotent-Replayed": "true" })]);
      const submitted = await client.submit({ seconds: 1 });
      expect(calls).to.have.length(2);
      expect(calls[0].headers["idempotency-key"]).to.equal(calls[1].headers["idempotency-key"]);
      expect(time.sleeps).to.deep.equal([1000]);
      expect(submitted.replayed).to.equal(true);
    });

    it("falls back to {apiUrl}/jobs/{jobId} without a Location header", async () => {
      const { client } = fakeClient([json(202, { jobId: "a/b", status: "PENDING", createdAt: "t" })]);
      const submitted = await client.submit({});
      expect(submitted.location).to.equal(`${API}/jobs/a%2Fb`);
      expect(submitted).to.not.have.property("retryAfterSeconds");
    });
  });

  describe("cancel (DELETE, idempotent)", () => {
    it("is retried on 502 and returns CANCELLED", async () => {
      const { client, calls } = fakeClient([apiError(502, "BadGateway"), json(202, { jobId: "job-1", status: "CANCELLED" })]);
      expect(await client.cancel("job-1")).to.deep.equal({ jobId: "job-1", status: "CANCELLED" });
      expect(calls.map((c) => c.method)).to.deep.equal(["DELETE", "DELETE"]);
    });

    it("treats 409 on a retry as success when the job reads CANCELLED (the first attempt went through)", async () => {
      const { client, calls } = fakeClient([networkError(), apiError(409, "Conflict", "The job has already finished."), json(200, job("CANCELLED"))]);
      expect(await client.cancel("job-1")).to.deep.equal({ jobId: "job-1", status: "CANCELLED" });
      expect(calls.map((c) => c.method)).to.deep.equal(["DELETE", "DELETE", "GET"]);
    });

    it("throws Conflict for a job that had already finished", async () => {
      const { client, calls } = fakeClient([apiError(409, "Conflict", "The job has already finished.")]);
      const err = await rejection(client.cancel("job-1"));
      expect(err).to.include({ code: "Conflict", status: 409, jobId: "job-1" });
      expect(calls).to.have.length(1);
    });
  });

  describe("wait", () => {
    // The first read is a long poll too: a 1-second job is then awaited in two requests after the submit.
    it("long-polls from the first read: ?wait=20 (less when the wait's timeout is nearer), again at once when the API held it or the status changed", async () => {
      const held = (status: string) => (call: { url: string }) => {
        // The API holds a long poll for its N seconds when nothing changes.
        const wait = new URL(call.url).searchParams.get("wait");
        if (wait) time.advance(Number(wait) * 1000);
        return json(200, job(status), { "Retry-After": "5" });
      };
      const script = [json(200, job("PENDING"), { "Retry-After": "1" }), json(200, job("RUNNING"), { "Retry-After": "5" }), held("RUNNING"), json(200, job("SUCCEEDED", { result: 1 }))];
      const { client, calls, time } = fakeClient(script);
      const done = await client.wait("job-1", { timeoutMs: 60_000 });
      expect(done.status).to.equal("SUCCEEDED");
      expect(calls.map((c) => new URL(c.url).searchParams.get("wait"))).to.deep.equal(["20", "20", "20", "20"]);
      expect(time.sleeps, "no sleeps between long polls").to.deep.equal([]);
      // Near the wait's own timeout, the long poll asks for what is left.
      const near = fakeClient([json(200, job("RUNNING")), json(200, job("SUCCEEDED", { result: 1 }))]);
      near.time.advance(0);
      await near.client.wait("job-1", { timeoutMs: 7_500 });
      expect(new URL(near.calls[1].url).searchParams.get("wait")).to.equal("7");
    });

    // CONTRACT.md, "long poll": the answer also comes when the job's progress changes. Such an
    // answer is a change, not an API without ?wait (bench:webhook found wait() sleeping 5 s here).
    it("long-polls again at once after an answer that only brought new progress", async () => {
      const progress = (percent: number) => job("RUNNING", { progress: { percent, updatedAt: new Date(percent).toISOString() } });
      const { client, calls, time } = fakeClient([
        json(200, progress(10), { "Retry-After": "6" }),
        json(200, progress(20), { "Retry-After": "6" }),
        json(200, progress(30), { "Retry-After": "6" }),
        json(200, job("SUCCEEDED", { result: 1 })),
      ]);
      await client.wait("job-1");
      expect(calls.map((c) => new URL(c.url).searchParams.get("wait"))).to.deep.equal(["20", "20", "20", "20"]);
      expect(time.sleeps, "no Retry-After sleeps").to.deep.equal([]);
    });

    it("falls back to Retry-After polls when the API answers a long poll at once (an API without ?wait)", async () => {
      const { client, calls, time } = fakeClient([
        json(200, job("RUNNING"), { "Retry-After": "2" }),
        json(200, job("RUNNING"), { "Retry-After": "3" }),
        json(200, job("SUCCEEDED", { result: 1 })),
      ]);
      await client.wait("job-1");
      // The first read, a long poll answered at once and unchanged, then Retry-After.
      expect(calls).to.have.length(3);
      expect(time.sleeps).to.deep.equal([3000]);
    });

    it("honours Retry-After between polls and reports progress (longPollSeconds 0)", async () => {
      const { client, calls, time } = fakeClient(
        [
          json(200, job("PENDING"), { "Retry-After": "1" }),
          json(200, job("RUNNING"), { "Retry-After": "3" }),
          json(200, job("RUNNING"), { "Retry-After": "2" }),
          json(200, job("SUCCEEDED", { result: { message: "Done" } })),
        ],
        { longPollSeconds: 0 },
      );
      const seen: Array<[string, boolean, number | undefined]> = [];
      const done = await client.wait("job-1", { onProgress: (p) => seen.push([p.status, p.changed, p.nextPollMs]) });
      expect(done.status).to.equal("SUCCEEDED");
      expect(done.result).to.deep.equal({ message: "Done" });
      expect(time.sleeps).to.deep.equal([1000, 3000, 2000]);
      expect(calls).to.have.length(4);
      expect(seen).to.deep.equal([
        ["PENDING", true, 1000],
        ["RUNNING", true, 3000],
        ["RUNNING", false, 2000],
        ["SUCCEEDED", true, undefined],
      ]);
    });

    it("backs off with jitter when there is no Retry-After", async () => {
      const steps: Step[] = [...Array(5).fill(json(200, job("RUNNING"))), json(200, job("SUCCEEDED", { result: 1 }))];
      const low = fakeClient(steps, { random: () => 0, pollInitialDelayMs: 500, pollMaxDelayMs: 4000, longPollSeconds: 0 });
      await low.client.wait("job-1");
      const high = fakeClient(steps, { random: () => 1, pollInitialDelayMs: 500, pollMaxDelayMs: 4000, longPollSeconds: 0 });
      await high.client.wait("job-1");
      // Ceilings 500, 1000, 2000, 4000, 4000 (capped); the delay is in [ceiling/2, ceiling].
      expect(low.time.sleeps).to.deep.equal([250, 500, 1000, 2000, 2000]);
      expect(high.time.sleeps).to.deep.equal([500, 1000, 2000, 4000, 4000]);
    });

    it("never polls faster than pollMinDelayMs, even with Retry-After: 0", async () => {
      const { client, time } = fakeClient([json(200, job("RUNNING"), { "Retry-After": "0" }), json(200, job("FAILED", { error: { code: "X", message: "m" } }))], { pollMinDelayMs: 250, longPollSeconds: 0 });
      await client.wait("job-1");
      expect(time.sleeps).to.deep.equal([250]);
    });

    it("returns a FAILED, TIMED_OUT or CANCELLED job instead of throwing", async () => {
      for (const status of ["FAILED", "TIMED_OUT", "CANCELLED"]) {
        const { client } = fakeClient([json(200, job(status, status === "CANCELLED" ? {} : { error: { code: "TimerFailed", message: "boom" } }))]);
        expect((await client.wait("job-1")).status).to.equal(status);
      }
    });

    it("gives up with WaitTimeout after timeoutMs, reading once more at the deadline", async () => {
      const { client, calls, time } = fakeClient(Array(10).fill(json(200, job("RUNNING"), { "Retry-After": "1" })), { longPollSeconds: 0 });
      const err = await rejection(client.wait("job-1", { timeoutMs: 2500 }));
      expect(err).to.be.instanceOf(AsyncApiError);
      expect(err).to.include({ code: "WaitTimeout", jobId: "job-1" });
      expect(err.job.status).to.equal("RUNNING");
      expect(time.sleeps).to.deep.equal([1000, 1000, 500]);
      expect(calls).to.have.length(4);
    });

    it("stops with Aborted when the signal fires (the job is not cancelled)", async () => {
      const controller = new AbortController();
      const { client, calls } = fakeClient(Array(10).fill(json(200, job("RUNNING"), { "Retry-After": "1" })));
      const err = await rejection(client.wait("job-1", { signal: controller.signal, onProgress: (p) => p.polls === 2 && controller.abort() }));
      expect(err).to.include({ code: "Aborted", jobId: "job-1" });
      expect(calls.map((c) => c.method)).to.deep.equal(["GET", "GET"]);
    });

    it("downloads a resultUrl result transparently, without the API's credentials", async () => {
      const big = { message: "Done", padding: "x".repeat(300_000) };
      const resultUrl = "https://bucket.s3.eu-west-1.amazonaws.com/results/job-1.json?X-Amz-Signature=abc";
      const { client, calls } = fakeClient([json(200, job("SUCCEEDED", { resultUrl })), json(200, big)]);
      const done = await client.wait("job-1");
      expect(done.result).to.deep.equal(big);
      expect(done.resultUrl).to.equal(resultUrl);
      expect(calls[1].url).to.equal(resultUrl);
      expect(calls[0].headers["x-api-key"]).to.equal("k-123");
      expect(calls[1].headers).to.not.have.property("x-api-key");
      expect(calls[1].headers).to.not.have.property("authorization");
    });

    it("retries a failed result download, and reports one that keeps failing as ResultDownloadFailed", async () => {
      const resultUrl = "https://bucket.example/r.json";
      const ok = fakeClient([json(200, job("SUCCEEDED", { resultUrl })), json(503, "<Error/>"), json(200, { n: 1 })]);
      expect((await ok.client.wait("job-1")).result).to.deep.equal({ n: 1 });
      const expired = fakeClient([json(200, job("SUCCEEDED", { resultUrl })), json(403, "<Error>AccessDenied</Error>")]);
      const err = await rejection(expired.client.wait("job-1"));
      expect(err).to.include({ code: "ResultDownloadFailed", status: 403, jobId: "job-1" });
      expect(err.message).to.include("expired");
    });

    it("waitForResult throws the job's error code for FAILED/TIMED_OUT and Cancelled for CANCELLED", async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [job("FAILED", { error: { code: "TimerFailed", message: "Failed on purpose" } }), "TimerFailed"],
        [job("TIMED_OUT", { error: { code: "TimedOut", message: "too slow" } }), "TimedOut"],
        [job("CANCELLED"), "Cancelled"],
      ];
      for (const [body, code] of cases) {
        const { client } = fakeClient([json(200, body)]);
        const err = await rejection(client.waitForResult("job-1"));
        expect(err).to.be.instanceOf(AsyncApiError);
        expect(err).to.include({ code, jobId: "job-1" });
        expect(err.status).to.equal(undefined);
        expect((err.job as Job).status).to.equal(body.status);
      }
      const { client } = fakeClient([json(200, job("SUCCEEDED", { result: { message: "ok" } }))]);
      expect(await client.waitForResult("job-1")).to.deep.equal({ message: "ok" });
    });
  });

  describe("list (GET /jobs)", () => {
    const listed = (jobId: string, status = "SUCCEEDED", extra: Record<string, unknown> = {}) => job(status, { jobId, ...extra });
    const page = (jobs: unknown[], nextCursor?: string) => json(200, { jobs, ...(nextCursor !== undefined ? { nextCursor } : {}) });
    const query = (call: Call) => Object.fromEntries(new URL(call.url).searchParams);
    async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
      const out: T[] = [];
      for await (const p of pages) out.push(p);
      return out;
    }

    it("listPage sends status as a comma list, limit and the cursor URL-encoded, and returns the page", async () => {
      const body = { jobs: [listed("j2", "FAILED", { error: { code: "TimerFailed", message: "boom" } }), listed("j1")], nextCursor: "eyJrIjoxfQ-_x" };
      const { client, calls } = fakeClient([json(200, body)]);
      const got: JobList = await client.listPage({ status: ["SUCCEEDED", "FAILED"], limit: 2, cursor: "a+b/c=&d" });
      expect(got).to.deep.equal(body);
      expect(calls).to.have.length(1);
      expect(calls[0].method).to.equal("GET");
      expect(calls[0].url).to.equal(`${API}/jobs?status=SUCCEEDED%2CFAILED&limit=2&cursor=a%2Bb%2Fc%3D%26d`);
      expect(query(calls[0])).to.deep.equal({ status: "SUCCEEDED,FAILED", limit: "2", cursor: "a+b/c=&d" });
      expect(calls[0].headers["x-api-key"]).to.equal("k-123");
    });

    it("listPage without options sends no query (the API's defaults); one status is sent alone; the last page has no nextCursor", async () => {
      const { client, calls } = fakeClient([page([listed("j1")]), page([])]);
      expect(await client.listPage()).to.deep.equal({ jobs: [listed("j1")] });
      expect(calls[0].url).to.equal(`${API}/jobs`);
      expect(await client.listPage({ status: "RUNNING" })).to.deep.equal({ jobs: [] });
      expect(calls[1].url).to.equal(`${API}/jobs?status=RUNNING`);
    });

    it("list follows nextCursor page after page, past a short and an empty page, and stops when it is absent", async () => {
      const { client, calls } = fakeClient([
        page([listed("j5"), listed("j4")], "c-1"),
        page([listed("j3")], "c_2"), // short, not the last
        page([], "c-3"), // empty, not the last
        page([listed("j2"), listed("j1")]),
      ]);
      const pages = await collect(client.list({ status: "SUCCEEDED", pageSize: 2 }));
      expect(pages.map((p) => p.jobs.map((j) => j.jobId))).to.deep.equal([["j5", "j4"], ["j3"], [], ["j2", "j1"]]);
      expect(pages.map((p) => p.nextCursor)).to.deep.equal(["c-1", "c_2", "c-3", undefined]);
      expect(calls.map(query)).to.deep.equal([
        { status: "SUCCEEDED", limit: "2" },
        { status: "SUCCEEDED", limit: "2", cursor: "c-1" },
        { status: "SUCCEEDED", limit: "2", cursor: "c_2" },
        { status: "SUCCEEDED", limit: "2", cursor: "c-3" },
      ]);
    });

    it("list asks for pages of 100 by default", async () => {
      const { client, calls } = fakeClient([page([listed("j1")])]);
      expect(await collect(client.list())).to.have.length(1);
      expect(query(calls[0])).to.deep.equal({ limit: "100" });
    });

    it("jobs yields the jobs one by one across pages, and reads no further page after a break", async () => {
      const { client, calls } = fakeClient([page([listed("j4"), listed("j3")], "c1"), page([listed("j2"), listed("j1")], "c2"), page([listed("j0")])]);
      const ids: string[] = [];
      for await (const j of client.jobs({ pageSize: 2 })) {
        ids.push(j.jobId);
        if (ids.length === 3) break;
      }
      expect(ids).to.deep.equal(["j4", "j3", "j2"]);
      expect(calls).to.have.length(2);
      const all = fakeClient([page([listed("j2")], "c1"), page([listed("j1")])]);
      expect((await collect(all.client.jobs())).map((j) => j.jobId)).to.deep.equal(["j2", "j1"]);
    });

    it("retries a page answered 503 (GET is idempotent), with the same cursor", async () => {
      const { client, calls, time } = fakeClient([page([listed("j2")], "c1"), apiError(503, "ServiceUnavailable", "busy", { "Retry-After": "1" }), networkError(), page([listed("j1")])]);
      const pages = await collect(client.list());
      expect(pages.flatMap((p) => p.jobs.map((j) => j.jobId))).to.deep.equal(["j2", "j1"]);
      expect(calls.map((c) => query(c).cursor)).to.deep.equal([undefined, "c1", "c1", "c1"]);
      expect(time.sleeps).to.deep.equal([1000, midBackoff(1)]);
    });

    it("a 400 ValidationError (e.g. a foreign cursor) is an AsyncApiError, not retried, and ends the iteration", async () => {
      const { client, calls } = fakeClient([page([listed("j2")], "c1"), apiError(400, "ValidationError", "cursor: was made for another status filter")]);
      const seen: string[] = [];
      const err = await rejection(
        (async () => {
          for await (const p of client.list()) seen.push(...p.jobs.map((j) => j.jobId));
        })(),
      );
      expect(err).to.be.instanceOf(AsyncApiError);
      expect(err).to.include({ code: "ValidationError", status: 400, message: "cursor: was made for another status filter" });
      expect(err.jobId).to.equal(undefined);
      expect(seen).to.deep.equal(["j2"]);
      expect(calls).to.have.length(2);
      const one = fakeClient([apiError(400, "ValidationError", "limit: must be at most 100")]);
      expect(await rejection(one.client.listPage({ limit: 100 }))).to.include({ code: "ValidationError", status: 400 });
    });

    it("InvalidArgument for a bad limit, pageSize, status or cursor, before any request", async () => {
      const { client, calls } = fakeClient([]);
      for (const limit of [0, 101, 1.5, NaN]) expect(await rejection(client.listPage({ limit })), `limit ${limit}`).to.include({ code: "InvalidArgument" });
      for (const status of ["NOPE", "succeeded", [], ["FAILED", "NOPE"]]) {
        expect(await rejection(client.listPage({ status: status as never })), JSON.stringify(status)).to.include({ code: "InvalidArgument" });
      }
      expect(await rejection(client.listPage({ cursor: "" }))).to.include({ code: "InvalidArgument" });
      // list and jobs check their arguments at the call, not at the first page.
      expect(() => client.list({ pageSize: 0 })).to.throw(AsyncApiError, /pageSize must be an integer from 1 to 100, got 0/);
      expect(() => client.jobs({ pageSize: 500 })).to.throw(AsyncApiError, /pageSize/);
      expect(() => client.list({ status: "DONE" as never })).to.throw(AsyncApiError, /status must be one of PENDING, RUNNING/);
      expect(calls).to.have.length(0);
    });

    it("InvalidResponse for a body that is not a page, and for a cursor that does not move", async () => {
      const bad = [json(200, { items: [] }), json(200, { jobs: [{ jobId: "j1", status: "EXPLODED" }] }), json(200, { jobs: [{ status: "RUNNING" }] }), json(200, { jobs: [], nextCursor: 7 })];
      const { client } = fakeClient(bad);
      for (let i = 0; i < bad.length; i++) expect(await rejection(client.listPage()), `body ${i}`).to.include({ code: "InvalidResponse", status: 200 });
      const stuck = fakeClient([page([listed("j2")], "same"), page([], "same")]);
      const err = await rejection(collect(stuck.client.list()));
      expect(err).to.include({ code: "InvalidResponse" });
      expect(err.message).to.include("nextCursor");
      expect(stuck.calls).to.have.length(2);
    });

    it("stops with Aborted when the signal fires between pages", async () => {
      const controller = new AbortController();
      const { client, calls } = fakeClient([page([listed("j2")], "c1"), page([listed("j1")])]);
      const err = await rejection(
        (async () => {
          for await (const _ of client.list({ signal: controller.signal })) controller.abort();
        })(),
      );
      expect(err).to.include({ code: "Aborted" });
      expect(calls).to.have.length(1);
    });

    // The local cloud (like API Gateway) recomputes the canonical query string from the query as
    // received; a signature over anything else is a 403.
    it("iam: the signature covers the query string exactly as sent (the local gateway's verifier accepts it)", async () => {
      const apiUrl = "http://127.0.0.1:4566/v1";
      const { client, calls } = fakeClient([page([]), page([])], { apiUrl, auth: { type: "iam", credentials: { accessKeyId: "alice", secretAccessKey: "test" } } });
      await client.listPage({ status: ["SUCCEEDED", "FAILED"], limit: 2, cursor: "eyJrIjoxfQ-_x" });
      await client.listPage({ cursor: "a b+c/=" });
      const verify = (call: Call, rawQuery = new URL(call.url).search.slice(1)) =>
        verifySigV4(
          { method: call.method, rawPath: new URL(call.url).pathname, rawQuery, headers: [...Object.entries(call.headers), ["host", "127.0.0.1:4566"]], body: Buffer.alloc(0) },
          { region: "us-east-1", service: "execute-api" },
        );
      expect(new URL(calls[0].url).search).to.equal("?status=SUCCEEDED%2CFAILED&limit=2&cursor=eyJrIjoxfQ-_x");
      for (const call of calls) expect(await verify(call), call.url).to.deep.include({ ok: true, accessKeyId: "alice" });
      // What the signature covers: another filter, limit or cursor is refused.
      for (const forged of ["status=SUCCEEDED&limit=2&cursor=eyJrIjoxfQ-_x", "status=SUCCEEDED%2CFAILED&limit=3&cursor=eyJrIjoxfQ-_x", "status=SUCCEEDED%2CFAILED&limit=2&cursor=eyJrIjoxfQ-_y"]) {
        expect(await verify(calls[0], forged), forged).to.deep.include({ ok: false, reason: "invalid" });
      }
    });

    it("iam: a repeated query parameter is signed with every value", async () => {
      const authorize = createAuthorizer("http://127.0.0.1:4566/v1", { type: "iam", credentials: { accessKeyId: "alice", secretAccessKey: "test" } });
      const url = new URL("http://127.0.0.1:4566/v1/jobs?status=FAILED&status=TIMED_OUT");
      const headers = await authorize({ method: "GET", url, headers: { accept: "application/json" } });
      const verified = await verifySigV4(
        { method: "GET", rawPath: url.pathname, rawQuery: url.search.slice(1), headers: [...Object.entries(headers), ["host", url.host]], body: Buffer.alloc(0) },
        { region: "us-east-1", service: "execute-api" },
      );
      expect(verified).to.deep.include({ ok: true });
    });
  });

  describe("errors", () => {
    it("carry code, status, message, jobId and requestId, and serialize to the contract's shape", async () => {
      const { client } = fakeClient([apiError(404, "NotFound", "No such job.", { "x-amzn-RequestId": "req-9" })]);
      const err: AsyncApiError = await rejection(client.get("job-1"));
      expect(err).to.be.instanceOf(Error).and.instanceOf(AsyncApiError);
      expect(err.name).to.equal("AsyncApiError");
      expect(err).to.include({ code: "NotFound", status: 404, message: "No such job.", jobId: "job-1", requestId: "req-9" });
      expect(JSON.parse(JSON.stringify(err))).to.deep.equal({ error: { code: "NotFound", message: "No such job." }, status: 404, jobId: "job-1", requestId: "req-9" });
    });

    it("name a code from the HTTP status when the body is not the contract's error", async () => {
      const { client } = fakeClient([json(403, { message: "Forbidden" }), json(502, "<html>bad gateway</html>")], { retries: 0 });
      expect(await rejection(client.get("job-1"))).to.include({ code: "Forbidden", status: 403 });
      expect(await rejection(client.get("job-1"))).to.include({ code: "BadGateway", status: 502 });
    });

    it("InvalidResponse for a 2xx that is not the job", async () => {
      const { client } = fakeClient([json(200, "not json{"), json(200, { hello: 1 }), json(200, job("EXPLODED"))]);
      for (let i = 0; i < 3; i++) expect(await rejection(client.get("job-1"))).to.include({ code: "InvalidResponse", status: 200 });
    });

    it("InvalidArgument for a bad apiUrl, auth or job id, before any request", async () => {
      const { fetch, calls } = scriptedFetch([]);
      expect(() => new AsyncApiClient({ apiUrl: "not a url", auth: { type: "none" }, fetch })).to.throw(AsyncApiError, /apiUrl/);
      expect(() => new AsyncApiClient({ apiUrl: "ftp://x", auth: { type: "none" }, fetch })).to.throw(AsyncApiError, /http/);
      expect(() => new AsyncApiClient({ apiUrl: API, auth: { type: "apiKey", key: "" }, fetch })).to.throw(AsyncApiError, /key/);
      const client = new AsyncApiClient({ apiUrl: API, auth: { type: "none" }, fetch });
      expect(await rejection(client.get(""))).to.include({ code: "InvalidArgument" });
      expect(calls).to.have.length(0);
    });
  });

  describe("auth", () => {
    it("apiKey sends x-api-key; none sends no credentials; ids are URL-encoded", async () => {
      const a = fakeClient([json(200, job("RUNNING"))], { auth: { type: "apiKey", key: "secret-key" } });
      await a.client.get("job-1");
      expect(a.calls[0].headers["x-api-key"]).to.equal("secret-key");
      const n = fakeClient([apiError(404, "NotFound")], { auth: { type: "none" } });
      await rejection(n.client.get("../x y"));
      expect(n.calls[0].url).to.equal(`${API}/jobs/..%2Fx%20y`);
      expect(n.calls[0].headers).to.not.have.property("x-api-key");
      expect(n.calls[0].headers).to.not.have.property("authorization");
    });

    it("iam signs each attempt with SigV4 for execute-api in the URL's region, with the session token", async () => {
      let resolved = 0;
      const { client, calls } = fakeClient([apiError(503, "ServiceUnavailable"), accepted()], {
        auth: {
          type: "iam",
          credentials: async () => {
            resolved++;
            return { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret", sessionToken: "token-1" };
          },
        },
      });
      await client.submit({ seconds: 1 });
      expect(calls).to.have.length(2);
      for (const call of calls) {
        expect(call.headers.authorization).to.match(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/);
        expect(call.headers.authorization).to.include("idempotency-key").and.include("host").and.include("x-amz-date");
        expect(call.headers["x-amz-security-token"]).to.equal("token-1");
        expect(call.headers["x-amz-date"]).to.match(/^\d{8}T\d{6}Z$/);
        expect(call.headers).to.not.have.property("host");
      }
      expect(resolved).to.be.at.least(1);
    });

    it("iam turns a credential chain failure into CredentialsError", async () => {
      const { client, calls } = fakeClient([], {
        auth: {
          type: "iam",
          credentials: async () => {
            throw new Error("Could not load credentials from any providers");
          },
        },
      });
      const err = await rejection(client.get("job-1"));
      expect(err).to.include({ code: "CredentialsError" });
      expect(err.message).to.include("Could not load credentials");
      expect(calls).to.have.length(0);
    });
  });
});
