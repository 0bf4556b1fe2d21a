// A scripted `fetch` and a virtual clock for the client's unit tests.
import { AsyncApiClient, type AsyncApiClientOptions, type AuthOptions } from "../../client/index";

export const API = "https://abc123.execute-api.eu-west-1.amazonaws.com/v1";

export interface Call {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** One scripted answer: a response, or an error `fetch` throws (a network error). */
export type Step = { status: number; body?: unknown; headers?: Record<string, string> } | { throw: Error } | ((call: Call) => Step);

export const json = (status: number, body?: unknown, headers: Record<string, string> = {}): Step => ({ status, body, headers });
export const apiError = (status: number, code: string, message = `${code} message`, headers: Record<string, string> = {}): Step =>
  json(status, { error: { code, message } }, headers);
export const networkError = (): Step => ({ throw: Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } }) });

export const job = (status: string, extra: Record<string, unknown> = {}) => ({
  jobId: "job-1",
  status,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:01.000Z",
  ...extra,
});

/** A fetch that answers `steps` in order and records every call; it fails the test when it runs out. */
export function scriptedFetch(steps: Step[]): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const queue = [...steps];
  const fake = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => (headers[k] = v));
    const call: Call = { method: init.method ?? "GET", url: String(input), headers, ...(typeof init.body === "string" ? { body: init.body } : {}) };
    calls.push(call);
    let step = queue.shift();
    if (step === undefined) throw new Error(`unexpected request #${calls.length}: ${call.method} ${call.url}`);
    while (typeof step === "function") step = step(call);
    if ("throw" in step) throw step.throw;
    const text = step.body === undefined ? "" : typeof step.body === "string" ? step.body : JSON.stringify(step.body);
    return new Response(text || null, { status: step.status, headers: { "content-type": "application/json", ...(step.headers ?? {}) } });
  };
  return { fetch: fake as typeof fetch, calls };
}

/** A clock that only moves when the client sleeps: every delay is recorded, none is waited. */
export function virtualTime() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    advance: (ms: number) => (now += ms),
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason;
      sleeps.push(ms);
      now += ms;
      await new Promise((r) => setImmediate(r));
      if (signal?.aborted) throw signal.reason;
    },
  };
}

/** A client on a scripted fetch and virtual time. */
export function fakeClient<TInput = unknown, TResult = unknown>(steps: Step[], options: Partial<AsyncApiClientOptions> & { auth?: AuthOptions } = {}) {
  const { fetch, calls } = scriptedFetch(steps);
  const time = virtualTime();
  const client = new AsyncApiClient<TInput, TResult>({
    apiUrl: API,
    auth: { type: "apiKey", key: "k-123" },
    fetch,
    sleep: time.sleep,
    now: time.now,
    random: () => 0.5,
    ...options,
  });
  return { client, calls, time };
}

/** Resolves with what the promise rejects with; fails when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    const value = await promise;
    throw Object.assign(new Error(`expected a rejection, got ${JSON.stringify(value)?.slice(0, 200)}`), { notRejected: true });
  } catch (err) {
    if ((err as { notRejected?: boolean }).notRejected) throw err;
    return err;
  }
}
