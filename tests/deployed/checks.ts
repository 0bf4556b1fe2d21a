// The checks of `npm run test:deployed`: the HTTP end-to-end contract (CONTRACT.md §2) against a
// deployed async-api with the demo `timer` job, on AWS or on the local cloud. Each check throws
// `CheckFailed` with a short reason; one that does not apply to this API is skipped as N/A.
import type { AuthKind } from "../../client/discoverAuth";
import { isTerminal, type Answer, type DeployedApi } from "./http";

export class CheckFailed extends Error {}
export class NotApplicable extends Error {}

/** What the runner knows of the API under test. */
export interface Target {
  api: DeployedApi;
  auth: AuthKind;
  /** From the stack outputs when given (`--outputs`), else unknown. */
  backend?: string;
  /** Worker fargate: jobs wait for a task to start (minutes on AWS). */
  fargate: boolean;
  /** How long a short job may take from submit to its end. */
  jobTimeoutMs: number;
}

export interface Check {
  name: string;
  run(t: Target): Promise<void>;
}

function check(ok: unknown, reason: string): asserts ok {
  if (!ok) throw new CheckFailed(reason);
}

const said = (res: Answer) => `${res.status} ${res.text.slice(0, 160)}`;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const LEAK = /arn:aws|\b\d{12}\b|\n\s+at |Exception\b/;

/** The contract's error shape with this status and code, nothing leaked. */
function expectError(res: Answer, status: number, codes: string | string[]): void {
  const allowed = ([] as string[]).concat(codes);
  check(res.status === status && allowed.includes(res.body?.error?.code), `expected ${status} ${allowed.join(" or ")}, got ${said(res)}`);
  check(typeof res.body.error.message === "string" && res.body.error.message.length > 0, `no error message: ${said(res)}`);
  check(!LEAK.test(res.text), `the error leaks internals: ${said(res)}`);
}

async function accepted(t: Target, input: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await t.api.submit(input, headers);
  check(res.status === 202 && typeof res.body?.jobId === "string", `POST /jobs: expected 202 with a jobId, got ${said(res)}`);
  return res;
}

const terminal = (t: Target, jobId: string) => t.api.until(jobId, isTerminal, t.jobTimeoutMs);

export const CHECKS: Check[] = [
  {
    name: "submit: 202, Location, Retry-After, PENDING",
    async run(t) {
      const res = await accepted(t, { seconds: 0 });
      check(res.headers.get("location") === `${t.api.apiUrl}/jobs/${res.body.jobId}`, `Location is ${res.headers.get("location")}`);
      check(Number(res.headers.get("retry-after")) > 0, `Retry-After is ${res.headers.get("retry-after")}`);
      check(res.body.status === "PENDING" && ISO.test(res.body.createdAt), `body ${res.text}`);
      check(/^[A-Za-z0-9_-]{1,64}$/.test(res.body.jobId), `jobId ${res.body.jobId} is not URL-safe`);
    },
  },
  {
    name: "status: readable at once, Retry-After while it runs",
    async run(t) {
      const { body } = await accepted(t, { seconds: 2 });
      const first = await t.api.get(body.jobId);
      check(first.status === 200, `GET right after the POST: ${said(first)}`);
      check(["PENDING", "RUNNING"].includes(first.body.status), `status ${first.body.status}`);
      check(Number(first.headers.get("retry-after")) > 0, "no Retry-After while the job is not finished");
    },
  },
  {
    name: "result: SUCCEEDED with the job's result",
    async run(t) {
      const { body } = await accepted(t, { seconds: 1 });
      const { last } = await terminal(t, body.jobId);
      check(last.body.status === "SUCCEEDED", `ended ${last.body.status}: ${last.text.slice(0, 200)}`);
      check(JSON.stringify(last.body.result) === JSON.stringify({ message: "Done after 1 seconds" }), `result ${JSON.stringify(last.body.result)}`);
      check(last.headers.get("retry-after") === null, "Retry-After on a finished job");
    },
  },
  {
    name: "failure: FAILED with the job's error (TimerFailed)",
    async run(t) {
      const { body } = await accepted(t, { seconds: 0, fail: true });
      const { last } = await terminal(t, body.jobId);
      check(last.body.status === "FAILED" && last.body.error?.code === "TimerFailed", `ended ${last.text.slice(0, 200)}`);
      check(!("result" in last.body), "a failed job has a result");
    },
  },
  {
    name: "large result: resultUrl downloads it",
    async run(t) {
      const { body } = await accepted(t, { seconds: 0, resultBytes: 300_000 });
      const { last } = await terminal(t, body.jobId);
      check(last.body.status === "SUCCEEDED" && typeof last.body.resultUrl === "string" && !("result" in last.body), `ended ${last.text.slice(0, 200)}`);
      const download = await fetch(last.body.resultUrl, { signal: AbortSignal.timeout(30_000) });
      check(download.status === 200, `resultUrl answered ${download.status}`);
      const result = JSON.parse(await download.text());
      check(result.message === "Done after 0 seconds", `downloaded ${JSON.stringify(result).slice(0, 100)}`);
    },
  },
  {
    name: "idempotency: a replay returns the same job, another body is 409",
    async run(t) {
      const key = `deployed-check-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
      const first = await accepted(t, { seconds: 0 }, { "Idempotency-Key": key });
      check(first.headers.get("idempotent-replayed") === null, "the first POST says it was replayed");
      const again = await accepted(t, { seconds: 0 }, { "Idempotency-Key": key });
      check(again.body.jobId === first.body.jobId, `the replay made another job (${again.body.jobId})`);
      check(again.headers.get("idempotent-replayed") === "true", "no Idempotent-Replayed: true on the replay");
      expectError(await t.api.submit({ seconds: 1 }, { "Idempotency-Key": key }), 409, "IdempotencyConflict");
    },
  },
  {
    name: "cancel: 202 CANCELLED, stays CANCELLED, a second cancel is 409",
    async run(t) {
      const { body } = await accepted(t, { seconds: 60 });
      await t.api.until(body.jobId, (s) => s === "RUNNING" || isTerminal(s), t.jobTimeoutMs);
      const cancel = await t.api.cancel(body.jobId);
      check(cancel.status === 202 && cancel.body?.status === "CANCELLED" && cancel.body.jobId === body.jobId, `DELETE: ${said(cancel)}`);
      const after = await t.api.get(body.jobId);
      check(after.body?.status === "CANCELLED" && !("result" in after.body), `after the cancel: ${said(after)}`);
      expectError(await t.api.cancel(body.jobId), 409, "Conflict");
    },
  },
  {
    name: "bad input: 415, 400, 413 and 404 in the contract's shape",
    async run(t) {
      const post = (body: string, contentType = "application/json", headers: Record<string, string> = {}) =>
        t.api.request("POST", "/jobs", { body, headers: { "Content-Type": contentType, ...headers } });
      expectError(await post('{"seconds":1}', "text/plain"), 415, "UnsupportedMediaType");
      // The stream backend's gateway validator answers malformed JSON as ValidationError (README, "Picking a backend").
      expectError(await post('{"seconds":'), 400, t.backend === "stream" ? "ValidationError" : t.backend ? "BadRequest" : ["BadRequest", "ValidationError"]);
      const missing = await t.api.submit({});
      expectError(missing, 400, "ValidationError");
      check(missing.body.error.message.includes("seconds"), `the message does not name the field: ${missing.body.error.message}`);
      expectError(await post(JSON.stringify({ seconds: 1 }) + " ".repeat(300 * 1024)), 413, "PayloadTooLarge");
      expectError(await post('{"seconds":0}', "application/json", { "Idempotency-Key": "bad key!" }), 400, "BadRequest");
      expectError(await t.api.get("0f8fad5b-d9cb-469f-a165-70867728950e"), 404, "NotFound");
      expectError(await t.api.get("not-a-job"), 404, "NotFound");
      expectError(await t.api.cancel("0f8fad5b-d9cb-469f-a165-70867728950e"), 404, "NotFound");
    },
  },
  {
    name: "auth: a request without credentials is 403",
    async run(t) {
      if (t.auth === "none") throw new NotApplicable("the API is open (auth none)");
      expectError(await t.api.as({ type: "none" }).submit({ seconds: 0 }), 403, "Forbidden");
      if (t.auth === "apiKey") expectError(await t.api.as({ type: "apiKey", key: "not-the-key" }).submit({ seconds: 0 }), 403, "Forbidden");
      if (t.auth === "iam") {
        const forged = await t.api.as({ type: "iam", credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wrong-secret" } }).submit({ seconds: 0 });
        expectError(forged, 403, "Forbidden");
      }
    },
  },
  {
    name: "stream backend: the gateway checks the body against the job's schema",
    async run(t) {
      if (t.backend !== "stream") throw new NotApplicable(t.backend ? `backend ${t.backend}` : "backend unknown (give --outputs)");
      const extra = await t.api.submit({ seconds: 1, colour: "red" });
      expectError(extra, 400, "ValidationError");
      check(extra.body.error.message.includes("colour"), `the message does not name the extra property: ${extra.body.error.message}`);
    },
  },
  {
    name: "Fargate worker: a job runs in a task to its end",
    async run(t) {
      if (!t.fargate) throw new NotApplicable("worker lambda (or unknown: give --outputs)");
      const { body } = await accepted(t, { seconds: 3 });
      const { last, seen } = await terminal(t, body.jobId);
      check(last.body.status === "SUCCEEDED" && seen.includes("RUNNING"), `seen ${seen.join(" → ")}: ${last.text.slice(0, 200)}`);
    },
  },
];
