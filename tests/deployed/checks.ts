// The checks of `npm run test:deployed`: the HTTP end-to-end contract (CONTRACT.md §2) against a
// deployed async-api with the demo `timer` job, on AWS or on the local cloud. Each check throws
// `CheckFailed` with a short reason; one that does not apply to this API throws `NotApplicable`.
import { isTerminal, type JobApi, type Response } from "../support/localCloud";
import type { Target } from "./target";

export class CheckFailed extends Error {}
export class NotApplicable extends Error {}

export interface Check {
  name: string;
  run(t: Target): Promise<void>;
}

function check(ok: unknown, reason: string): asserts ok {
  if (!ok) throw new CheckFailed(reason);
}

const said = (res: Response) => `${res.status} ${res.text.slice(0, 160)}`;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const LEAK = /arn:aws|\b\d{12}\b|\n\s+at |Exception\b/;
const UNKNOWN_ID = "0f8fad5b-d9cb-469f-a165-70867728950e";
// Polling every half second keeps a run against AWS at a few requests a second.
const POLL_MS = 500;

/** The contract's error shape with this status and code, nothing leaked. */
function expectError(res: Response, status: number, code: string): void {
  check(res.status === status && res.body?.error?.code === code, `expected ${status} ${code}, got ${said(res)}`);
  check(typeof res.body.error.message === "string" && res.body.error.message.length > 0, `no error message: ${said(res)}`);
  check(!LEAK.test(res.text), `the error leaks internals: ${said(res)}`);
}

async function accepted(api: JobApi, input: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const res = await api.submit(input, headers);
  check(res.status === 202 && typeof res.body?.jobId === "string", `POST /jobs: expected 202 with a jobId, got ${said(res)}`);
  return res;
}

const until = (t: Target, jobId: string, done: (status: string) => boolean = isTerminal) => t.api.waitFor(jobId, done, t.jobTimeoutMs, POLL_MS);
const postRaw = (t: Target, body: string, contentType = "application/json", headers: Record<string, string> = {}) =>
  t.api.request("POST", "/jobs", { body, headers: { "Content-Type": contentType, ...headers } });
// Valid JSON with a valid input, made larger than 256 KiB by white space.
const OVERSIZED_VALID = JSON.stringify({ seconds: 1 }) + " ".repeat(300 * 1024);

export const CHECKS: Check[] = [
  {
    name: "submit: 202, Location, Retry-After, PENDING",
    async run(t) {
      const res = await accepted(t.api, { seconds: 0 });
      const { jobId, status, createdAt } = res.body;
      check(res.headers.get("location") === `${t.api.apiUrl}/jobs/${jobId}`, `Location is ${res.headers.get("location")}`);
      check(Number(res.headers.get("retry-after")) > 0, `Retry-After is ${res.headers.get("retry-after")}`);
      check(res.headers.get("content-type")?.startsWith("application/json"), `Content-Type is ${res.headers.get("content-type")}`);
      check(status === "PENDING" && typeof createdAt === "string" && ISO.test(createdAt), `body ${res.text}`);
      // 122 random bits need at least 21 characters of a URL-safe alphabet (64 symbols).
      check(/^[A-Za-z0-9_-]{21,64}$/.test(jobId), `jobId ${jobId} is not 21 to 64 URL-safe characters`);
    },
  },
  {
    name: "status: readable at once, Retry-After while it runs",
    async run(t) {
      const { body } = await accepted(t.api, { seconds: 5 });
      const first = await t.api.get(body.jobId);
      check(first.status === 200 && first.body?.jobId === body.jobId, `GET right after the POST: ${said(first)}`);
      check(["PENDING", "RUNNING"].includes(first.body.status), `status ${first.body.status} right after the POST`);
      check(Number(first.headers.get("retry-after")) > 0, `no Retry-After while ${first.body.status}`);
      const { last, seen } = await until(t, body.jobId, (s) => s === "RUNNING" || isTerminal(s));
      check(last.body.status === "RUNNING", `never seen RUNNING (seen ${seen.join(" → ")})`);
      check(Number(last.headers.get("retry-after")) > 0, "no Retry-After while RUNNING");
      check(ISO.test(last.body.updatedAt ?? ""), `updatedAt is ${last.body.updatedAt}`);
    },
  },
  {
    name: "result: SUCCEEDED with the job's result",
    async run(t) {
      const { body } = await accepted(t.api, { seconds: 1 });
      const { last } = await until(t, body.jobId);
      check(last.body.status === "SUCCEEDED", `ended ${last.body.status}: ${last.text.slice(0, 200)}`);
      check(JSON.stringify(last.body.result) === JSON.stringify({ message: "Done after 1 seconds" }), `result ${JSON.stringify(last.body.result)}`);
      check(last.headers.get("retry-after") === null, "Retry-After on a finished job");
    },
  },
  {
    name: "failure: FAILED with the job's error (TimerFailed)",
    async run(t) {
      const { body } = await accepted(t.api, { seconds: 0, fail: true });
      const { last } = await until(t, body.jobId);
      check(last.body.status === "FAILED" && last.body.error?.code === "TimerFailed", `ended ${last.text.slice(0, 200)}`);
      check(!("result" in last.body) && !("resultUrl" in last.body), "a failed job has a result");
    },
  },
  {
    name: "large result: resultUrl downloads it",
    async run(t) {
      const { body } = await accepted(t.api, { seconds: 0, resultBytes: 300_000 });
      const { last } = await until(t, body.jobId);
      check(last.body.status === "SUCCEEDED" && typeof last.body.resultUrl === "string" && !("result" in last.body), `ended ${last.text.slice(0, 200)}`);
      const download = await fetch(last.body.resultUrl, { signal: AbortSignal.timeout(60_000) });
      check(download.status === 200, `resultUrl answered ${download.status}`);
      const text = await download.text();
      check(text.length > 256 * 1024, `downloaded ${text.length} bytes, expected about 300,000`);
      const result = JSON.parse(text);
      check(result.message === "Done after 0 seconds", `downloaded ${text.slice(0, 100)}`);
    },
  },
  {
    name: "idempotency: a replay returns the same job, another body is 409",
    async run(t) {
      const key = `deployed-check-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
      const first = await accepted(t.api, { seconds: 0 }, { "Idempotency-Key": key });
      check(first.headers.get("idempotent-replayed") === null, "the first POST says it was replayed");
      const again = await accepted(t.api, { seconds: 0 }, { "Idempotency-Key": key });
      check(again.body.jobId === first.body.jobId, `the replay made another job (${again.body.jobId})`);
      check(again.headers.get("idempotent-replayed") === "true", "no Idempotent-Replayed: true on the replay");
      expectError(await t.api.submit({ seconds: 1 }, { "Idempotency-Key": key }), 409, "IdempotencyConflict");
    },
  },
  {
    name: "cancel: 202 CANCELLED, stays CANCELLED, a second cancel is 409",
    async run(t) {
      const { body } = await accepted(t.api, { seconds: 60 });
      await until(t, body.jobId, (s) => s === "RUNNING" || isTerminal(s));
      const cancel = await t.api.cancel(body.jobId);
      check(cancel.status === 202 && cancel.body?.status === "CANCELLED" && cancel.body.jobId === body.jobId, `DELETE: ${said(cancel)}`);
      const after = await t.api.get(body.jobId);
      check(after.body?.status === "CANCELLED" && !("result" in after.body), `after the cancel: ${said(after)}`);
      expectError(await t.api.cancel(body.jobId), 409, "Conflict");
    },
  },
  {
    name: "list: GET /jobs pages the caller's jobs, newest first; a bad limit or cursor is 400",
    async run(t) {
      const mine: string[] = [];
      for (let i = 0; i < 3; i++) mine.push((await accepted(t.api, { seconds: 0 })).body.jobId);
      const seen: any[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 50; page++) {
        const res = await t.api.request("GET", `/jobs?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
        check(res.status === 200 && Array.isArray(res.body?.jobs), `GET /jobs: ${said(res)}`);
        check(res.body.jobs.length <= 2, `a page of limit 2 has ${res.body.jobs.length} jobs`);
        seen.push(...res.body.jobs);
        cursor = res.body.nextCursor;
        if (!cursor || mine.every((id) => seen.some((j) => j.jobId === id))) break;
      }
      for (const id of mine) check(seen.filter((j) => j.jobId === id).length === 1, `job ${id} listed ${seen.filter((j) => j.jobId === id).length} times`);
      const times = seen.map((j) => Date.parse(j.createdAt));
      check(times.every((x, i) => i === 0 || x <= times[i - 1]), "not newest first");
      check(seen.every((j) => !("result" in j) && !("resultUrl" in j)), "a listed job carries its result");
      expectError(await t.api.request("GET", "/jobs?limit=0"), 400, "ValidationError");
      expectError(await t.api.request("GET", "/jobs?status=DONE"), 400, "ValidationError");
      expectError(await t.api.request("GET", "/jobs?cursor=not-a-cursor"), 400, "ValidationError");
    },
  },
  {
    name: "long poll and progress: ?wait=10 answers at the job's change, with its progress",
    async run(t) {
      const { body } = await accepted(t.api, { seconds: 3 });
      await until(t, body.jobId, (s) => s === "RUNNING" || isTerminal(s));
      const asked = Date.now();
      const res = await t.api.request("GET", `/jobs/${body.jobId}?wait=10`);
      check(res.status === 200, `GET ?wait=10: ${said(res)}`);
      check(Date.now() - asked < 9000, `a long poll on a job that reports each second took ${Date.now() - asked} ms`);
      const { last } = await until(t, body.jobId);
      check(last.body.status === "SUCCEEDED" && typeof last.body.progress?.percent === "number", `ended ${last.text.slice(0, 300)}`);
      expectError(await t.api.request("GET", `/jobs/${body.jobId}?wait=21`), 400, "ValidationError");
    },
  },
  {
    name: "bad input: 415, 400, 413 and 404 in the contract's shape",
    async run(t) {
      expectError(await postRaw(t, '{"seconds":1}', "text/plain"), 415, "UnsupportedMediaType");
      // The stream backend's gateway validator answers malformed JSON as ValidationError (README, "Picking a backend").
      expectError(await postRaw(t, '{"seconds":'), 400, t.backend === "stream" ? "ValidationError" : "BadRequest");
      const missing = await t.api.submit({});
      expectError(missing, 400, "ValidationError");
      check(missing.body.error.message.includes("seconds"), `the message does not name the field: ${missing.body.error.message}`);
      expectError(await postRaw(t, OVERSIZED_VALID), 413, "PayloadTooLarge");
      expectError(await postRaw(t, '{"seconds":0}', "application/json", { "Idempotency-Key": "bad key!" }), 400, "BadRequest");
      expectError(await t.api.get(UNKNOWN_ID), 404, "NotFound");
      expectError(await t.api.get("not-a-job"), 404, "NotFound");
      expectError(await t.api.cancel(UNKNOWN_ID), 404, "NotFound");
    },
  },
  {
    name: "auth: a request without credentials is 403",
    async run(t) {
      if (t.auth === "none") throw new NotApplicable("the API is open (auth none)");
      expectError(await t.api.with({ kind: "none" }).submit({ seconds: 0 }), 403, "Forbidden");
      if (t.auth === "apiKey") expectError(await t.api.with({ kind: "apiKey", key: "not-the-key" }).submit({ seconds: 0 }), 403, "Forbidden");
      if (t.wrongSecret) expectError(await t.api.with(t.wrongSecret).submit({ seconds: 0 }), 403, "Forbidden");
    },
  },
  {
    name: "stream backend: the gateway validates the body before the size",
    async run(t) {
      if (t.backend !== "stream") throw new NotApplicable(t.backend ? `backend ${t.backend}` : "backend unknown");
      const extra = await t.api.submit({ seconds: 1, colour: "red" });
      expectError(extra, 400, "ValidationError");
      check(extra.body.error.message.includes("colour"), `the message does not name the extra property: ${extra.body.error.message}`);
      // Documented: the schema check comes first, so an oversized body that is also invalid is 400, not 413.
      expectError(await postRaw(t, JSON.stringify({ seconds: 1, pad: "x".repeat(300 * 1024) })), 400, "ValidationError");
    },
  },
  {
    name: "Fargate worker: a job runs in a task to its end",
    async run(t) {
      if (t.worker !== "fargate") throw new NotApplicable(t.worker ? `worker ${t.worker}` : "worker unknown (give --outputs)");
      const { body } = await accepted(t.api, { seconds: 3 });
      const { last, seen } = await until(t, body.jobId);
      check(last.body.status === "SUCCEEDED" && seen.includes("RUNNING"), `seen ${seen.join(" → ")}: ${last.text.slice(0, 200)}`);
      check(last.body.result?.message === "Done after 3 seconds", `result ${JSON.stringify(last.body.result)}`);
    },
  },
];
