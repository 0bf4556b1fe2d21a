import { randomUUID } from "crypto";
import { createAuthorizer, type AuthOptions, type Authorizer } from "./auth";
import { AsyncApiError, codeForStatus } from "./errors";
import { backoffDelay, parseRetryAfter, sleep as realSleep, type Sleep } from "./retry";
import {
  HEADERS,
  IDEMPOTENCY_KEY_PATTERN,
  JOB_STATUSES,
  LIST_LIMIT,
  ROUTES,
  isTerminalStatus,
  routePath,
  type CancelAccepted,
  type ErrorInfo,
  type Job,
  type JobList,
  type JobStatus,
  type JobSummary,
} from "./types";

export interface AsyncApiClientOptions {
  /** The stack's `apiUrl` output (e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/v1`). */
  apiUrl: string;
  /** How to authenticate: the stack's `auth` output says which. */
  auth: AuthOptions;
  /**
   * Retries after a network error, a 429 or a 5xx (and a 409 `Conflict` "still in progress" for a
   * POST). GET and DELETE are idempotent; every POST carries an `Idempotency-Key`, so a retried POST
   * returns the job the first attempt created. @default 3
   */
  retries?: number;
  /** Backoff ceiling of the first retry (doubled each retry, equal jitter). @default 200 */
  retryBaseDelayMs?: number;
  /** Longest wait between two attempts, `Retry-After` included. @default 20000 */
  retryMaxDelayMs?: number;
  /** One attempt is abandoned (and retried) after this long. @default 30000 */
  requestTimeoutMs?: number;
  /** `wait`: first delay between polls when the API sends no `Retry-After`. @default 500 */
  pollInitialDelayMs?: number;
  /** `wait`: longest delay between polls (a longer `Retry-After` is cut to it). @default 30000 */
  pollMaxDelayMs?: number;
  /** `wait`: shortest delay between polls, even with `Retry-After: 0`. @default 100 */
  pollMinDelayMs?: number;
  /**
   * `wait`: after the first read, read with `GET /jobs/{id}?wait=N` (a long poll: the API answers
   * when the job ends or changes status, or after N seconds), N at most this; 0 polls by
   * `Retry-After` instead. An API that answers at once anyway is polled by `Retry-After`. @default 20
   */
  longPollSeconds?: number;
  /** The `fetch` to use (tests inject one). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Tests: the sleep between attempts and polls, a random source for jitter, and a clock. */
  sleep?: Sleep;
  random?: () => number;
  now?: () => number;
}

export interface SubmitOptions {
  /**
   * `Idempotency-Key` (1-64 of `A-Za-z0-9_-`). The same key and input within the stack's
   * `resultTtlMinutes` return the same job. @default a new random key, so retries are safe
   */
  idempotencyKey?: string;
  /**
   * `Callback-Url`: when the job ends, the stack POSTs it there, signed (check it with
   * `verifyWebhook`). `https://`, at most 2,048 characters, a public host. @default none
   */
  callbackUrl?: string;
  signal?: AbortSignal;
}

export interface SubmitResult {
  jobId: string;
  /** `PENDING` for a new job; a replay (`replayed`) reports the job's current status. */
  status: JobStatus;
  createdAt: string;
  /** `Location`: `{apiUrl}/jobs/{jobId}`. */
  location: string;
  /** `Retry-After`: when to read the job first. */
  retryAfterSeconds?: number;
  /** `Idempotent-Replayed: true`: this key had already created the job. */
  replayed: boolean;
  /** The key sent (the caller's or the generated one): keep it to retry the submit later. */
  idempotencyKey: string;
}

export interface WaitProgress<TResult = unknown> {
  jobId: string;
  status: JobStatus;
  job: Job<TResult>;
  /** Since `wait` was called. */
  elapsedMs: number;
  /** Reads so far, this one included. */
  polls: number;
  /** The status differs from the previous read (always true for the first). */
  changed: boolean;
  /** How long until the next read; undefined once the job is terminal. */
  nextPollMs?: number;
}

export interface WaitOptions<TResult = unknown> {
  /** Give up (AsyncApiError `WaitTimeout`) when the job is still not terminal after this long. */
  timeoutMs?: number;
  /** Stop waiting (AsyncApiError `Aborted`). The job itself keeps running: see `cancel`. */
  signal?: AbortSignal;
  /** Called after every read of the job. */
  onProgress?: (progress: WaitProgress<TResult>) => void;
}

export interface GetOptions {
  signal?: AbortSignal;
}

export interface ListPageOptions {
  /** Only jobs in this status, or in any of these. @default every status */
  status?: JobStatus | readonly JobStatus[];
  /** At most this many jobs, 1 to 100 (a page may hold fewer and still have a `nextCursor`). @default 20 */
  limit?: number;
  /** The `nextCursor` of the previous page, read with the same `status`; none for the first page. */
  cursor?: string;
  signal?: AbortSignal;
}

export interface ListOptions {
  /** Only jobs in this status, or in any of these. @default every status */
  status?: JobStatus | readonly JobStatus[];
  /** The `limit` of each page, 1 to 100. @default 100 */
  pageSize?: number;
  /** Stops reading pages (AsyncApiError `Aborted`). */
  signal?: AbortSignal;
}

interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Attempts made, this one included. */
  attempts: number;
}

interface RequestSpec {
  method: "GET" | "POST" | "DELETE";
  url: URL;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  jobId?: string;
  /** Adds auth headers; absent for a presigned `resultUrl`. */
  authorize?: Authorizer;
}

const DEFAULTS = {
  retries: 3,
  retryBaseDelayMs: 200,
  retryMaxDelayMs: 20_000,
  requestTimeoutMs: 30_000,
  pollInitialDelayMs: 500,
  pollMaxDelayMs: 30_000,
  pollMinDelayMs: 100,
  longPollSeconds: 20,
  listPageSize: LIST_LIMIT.max,
};

const USER_AGENT = "async-api-client/0.1";

function longPollSecondsOf(value: number | undefined): number {
  if (value === undefined) return DEFAULTS.longPollSeconds;
  if (!Number.isInteger(value) || value < 0 || value > 20) throw new AsyncApiError({ code: "InvalidArgument", message: `longPollSeconds must be an integer from 0 to 20, got ${value}` });
  return value;
}

/** `GET /jobs`'s `status`: one status or a comma-separated list of them. */
function statusFilterOf(status: ListPageOptions["status"]): string | undefined {
  if (status === undefined) return undefined;
  const statuses: readonly unknown[] = Array.isArray(status) ? status : [status];
  if (statuses.length === 0 || !statuses.every((s) => (JOB_STATUSES as readonly unknown[]).includes(s))) {
    throw new AsyncApiError({ code: "InvalidArgument", message: `status must be one of ${JOB_STATUSES.join(", ")} or a non-empty list of them, got ${JSON.stringify(status)}` });
  }
  return statuses.join(",");
}

function listLimitOf(value: number, name: "limit" | "pageSize"): number {
  if (!Number.isInteger(value) || value < LIST_LIMIT.min || value > LIST_LIMIT.max) {
    throw new AsyncApiError({ code: "InvalidArgument", message: `${name} must be an integer from ${LIST_LIMIT.min} to ${LIST_LIMIT.max}, got ${value}` });
  }
  return value;
}

function cursorOf(cursor: string | undefined): string | undefined {
  if (cursor !== undefined && (typeof cursor !== "string" || cursor.length === 0)) {
    throw new AsyncApiError({ code: "InvalidArgument", message: "cursor must be the nextCursor of a page (a non-empty string)" });
  }
  return cursor;
}

/** A new `Idempotency-Key`: a random UUID (36 of `0-9a-f-`). */
export function generateIdempotencyKey(): string {
  return randomUUID();
}

/**
 * The typed client of an async-api stack.
 *
 * ```ts
 * const api = new AsyncApiClient<TimerInput, TimerResult>({ apiUrl, auth: { type: "iam" } });
 * const { jobId } = await api.submit({ seconds: 5 });
 * const job = await api.wait(jobId, { onProgress: (p) => console.log(p.status) });
 * ```
 */
export class AsyncApiClient<TInput = unknown, TResult = unknown> {
  readonly apiUrl: string;
  private readonly options: Required<Omit<AsyncApiClientOptions, "apiUrl" | "auth">>;
  private readonly authorize: Authorizer;

  constructor(options: AsyncApiClientOptions) {
    let url: URL;
    try {
      url = new URL(options.apiUrl);
    } catch {
      throw new AsyncApiError({ code: "InvalidArgument", message: `apiUrl is not a URL: ${JSON.stringify(options.apiUrl)}` });
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new AsyncApiError({ code: "InvalidArgument", message: `apiUrl must be http(s), got ${JSON.stringify(options.apiUrl)}` });
    }
    if (!options.auth || typeof options.auth !== "object") {
      throw new AsyncApiError({ code: "InvalidArgument", message: 'auth is required: { type: "iam" }, { type: "apiKey", key }, or { type: "none" }' });
    }
    this.apiUrl = options.apiUrl.replace(/\/+$/, "");
    const retries = options.retries ?? DEFAULTS.retries;
    if (!Number.isInteger(retries) || retries < 0) throw new AsyncApiError({ code: "InvalidArgument", message: `retries must be an integer >= 0, got ${retries}` });
    const fetchImpl = options.fetch ?? globalThis.fetch;
    this.options = {
      retries,
      retryBaseDelayMs: options.retryBaseDelayMs ?? DEFAULTS.retryBaseDelayMs,
      retryMaxDelayMs: options.retryMaxDelayMs ?? DEFAULTS.retryMaxDelayMs,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
      pollInitialDelayMs: options.pollInitialDelayMs ?? DEFAULTS.pollInitialDelayMs,
      pollMaxDelayMs: options.pollMaxDelayMs ?? DEFAULTS.pollMaxDelayMs,
      pollMinDelayMs: options.pollMinDelayMs ?? DEFAULTS.pollMinDelayMs,
      longPollSeconds: longPollSecondsOf(options.longPollSeconds),
      fetch: (input, init) => fetchImpl(input, init),
      sleep: options.sleep ?? realSleep,
      random: options.random ?? Math.random,
      now: options.now ?? Date.now,
    };
    this.authorize = createAuthorizer(this.apiUrl, options.auth);
  }

  /** `POST /jobs`: submit a job. Always sends an `Idempotency-Key` (a generated one by default). */
  async submit(input: TInput, options: SubmitOptions = {}): Promise<SubmitResult> {
    const idempotencyKey = options.idempotencyKey ?? generateIdempotencyKey();
    if (typeof idempotencyKey !== "string" || !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
      throw new AsyncApiError({ code: "InvalidArgument", message: "idempotencyKey must be 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'." });
    }
    const body = JSON.stringify(input);
    if (body === undefined) throw new AsyncApiError({ code: "InvalidArgument", message: "the job input must be JSON-serializable" });
    const res = await this.request({
      method: ROUTES.submit.method,
      url: this.url(routePath("submit")),
      headers: {
        "content-type": "application/json",
        [HEADERS.idempotencyKey.toLowerCase()]: idempotencyKey,
        ...(options.callbackUrl !== undefined ? { [HEADERS.callbackUrl.toLowerCase()]: options.callbackUrl } : {}),
      },
      body,
      ...(options.signal ? { signal: options.signal } : {}),
      authorize: this.authorize,
    });
    const accepted = this.json(res) as Record<string, unknown>;
    if (typeof accepted?.jobId !== "string" || typeof accepted.status !== "string") {
      throw invalidResponse(res, "POST /jobs answered without jobId and status");
    }
    const retryAfter = parseRetryAfter(res.headers.get(HEADERS.retryAfter));
    return {
      jobId: accepted.jobId,
      status: accepted.status as JobStatus,
      createdAt: String(accepted.createdAt),
      location: res.headers.get(HEADERS.location) ?? `${this.apiUrl}${routePath("get", accepted.jobId)}`,
      ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter / 1000 } : {}),
      replayed: res.headers.get(HEADERS.idempotentReplayed) === "true",
      idempotencyKey,
    };
  }

  /** `GET /jobs/{jobId}`: the job as it is now (a large result is left as `resultUrl`). */
  async get(jobId: string, options: GetOptions = {}): Promise<Job<TResult>> {
    return (await this.read(jobId, options.signal)).job;
  }

  /** `DELETE /jobs/{jobId}`: cancel a PENDING or RUNNING job (`Conflict` once it has finished). */
  async cancel(jobId: string, options: GetOptions = {}): Promise<CancelAccepted> {
    const res = await this.request(
      { method: ROUTES.cancel.method, url: this.jobUrl("cancel", jobId), headers: {}, jobId, ...(options.signal ? { signal: options.signal } : {}), authorize: this.authorize },
      { allow: [409] },
    );
    if (res.status === 409) {
      // A retried DELETE whose first attempt went through reads "already finished": that is success.
      if (res.attempts > 1) {
        const job = await this.get(jobId, options).catch(() => undefined);
        if (job?.status === "CANCELLED") return { jobId, status: "CANCELLED" };
      }
      throw this.apiError(res, jobId);
    }
    const body = this.json(res) as Record<string, unknown>;
    return { jobId: typeof body?.jobId === "string" ? body.jobId : jobId, status: "CANCELLED" };
  }

  /**
   * `GET /jobs`: one page of the caller's jobs, newest first (without their results). Read the next
   * page with the same `status` and this page's `nextCursor` as `cursor`. A page may hold fewer than
   * `limit` jobs and still have a `nextCursor`: only its absence ends the list. `list` and `jobs`
   * follow the cursor for you.
   */
  async listPage(options: ListPageOptions = {}): Promise<JobList> {
    const url = this.listUrl(options);
    const res = await this.request({ method: ROUTES.list.method, url, headers: {}, ...(options.signal ? { signal: options.signal } : {}), authorize: this.authorize });
    return parseJobList(res, this.json(res));
  }

  /**
   * Every page of the caller's jobs, newest first: `listPage` after `listPage`, following
   * `nextCursor` until a page comes without one (a short page does not end the list). Each page is
   * retried as `get` is. `break` out of the loop to stop: no further page is read.
   *
   * ```ts
   * for await (const page of api.list({ status: ["FAILED", "TIMED_OUT"] })) console.log(page.jobs);
   * ```
   */
  list(options: ListOptions = {}): AsyncIterableIterator<JobList> {
    // Checked now, so a bad argument throws at the call rather than at the first page.
    const limit = listLimitOf(options.pageSize ?? DEFAULTS.listPageSize, "pageSize");
    statusFilterOf(options.status);
    return this.pages({ limit, ...(options.status !== undefined ? { status: options.status } : {}), ...(options.signal ? { signal: options.signal } : {}) });
  }

  /**
   * The caller's jobs one by one, newest first, across every page of `list` (a page is read when the
   * previous one is used up).
   *
   * ```ts
   * for await (const job of api.jobs({ status: "RUNNING" })) console.log(job.jobId, job.progress?.percent);
   * ```
   */
  jobs(options: ListOptions = {}): AsyncIterableIterator<JobSummary> {
    const pages = this.list(options);
    return (async function* () {
      for await (const page of pages) yield* page.jobs;
    })();
  }

  /**
   * Polls the job until it is SUCCEEDED, FAILED, CANCELLED or TIMED_OUT and returns it; a result
   * given as `resultUrl` is downloaded into `result`. Waits as long as `Retry-After` says, or backs
   * off with jitter when the API sends none. A job that did not succeed is returned, not thrown:
   * see `waitForResult`.
   */
  async wait(jobId: string, options: WaitOptions<TResult> = {}): Promise<Job<TResult>> {
    const { now, sleep, random } = this.options;
    const started = now();
    const deadline = options.timeoutMs !== undefined ? AbortSignal.timeout(Math.max(0, options.timeoutMs)) : undefined;
    const signal = anySignal([options.signal, deadline]);
    let polls = 0;
    let backoffAttempt = 0;
    let previous: JobStatus | undefined;
    let previousProgress = "null";
    let last: Job<TResult> | undefined;
    const timedOut = () =>
      new AsyncApiError({
        code: "WaitTimeout",
        message: `job ${jobId} is still ${last?.status ?? "unread"} after ${options.timeoutMs} ms`,
        jobId,
        ...(last ? { job: last } : {}),
      });
    const stopped = (err: unknown): never => {
      if (options.signal?.aborted) throw aborted(jobId, options.signal.reason);
      if (deadline?.aborted) throw timedOut();
      throw err;
    };
    try {
      for (;;) {
        // Every read a long poll of what is left of the wait (whole seconds, at most longPollSeconds):
        // the first too, which answers as soon as the job starts or ends.
        const left = options.timeoutMs !== undefined ? Math.floor((options.timeoutMs - (now() - started)) / 1000) : Infinity;
        const waitSeconds = this.options.longPollSeconds > 0 && left >= 1 ? Math.min(this.options.longPollSeconds, left) : undefined;
        const asked = now();
        const { job, retryAfterMs } = await this.read(jobId, signal, waitSeconds).catch(stopped);
        last = job;
        polls++;
        // A long poll also answers a progress report: that is a change too, not an API that answers at once.
        const progress = JSON.stringify(job.progress ?? null);
        const changed = job.status !== previous;
        const progressed = progress !== previousProgress;
        previous = job.status;
        previousProgress = progress;
        if (isTerminalStatus(job.status)) {
          if (job.status === "SUCCEEDED" && job.result === undefined && job.resultUrl) {
            job.result = await this.downloadResult(job, { signal }).catch(stopped);
          }
          options.onProgress?.({ jobId, status: job.status, job, elapsedMs: now() - started, polls, changed });
          return job;
        }
        // After the first read, or when the API held the request (or answered a change): long-poll
        // at once. An API that answered a long poll at once, unchanged, is polled by Retry-After.
        const leftAfter = options.timeoutMs !== undefined ? options.timeoutMs - (now() - started) : Infinity;
        if (this.options.longPollSeconds > 0 && leftAfter >= 1000 && (waitSeconds === undefined || changed || progressed || now() - asked >= 1000)) {
          options.onProgress?.({ jobId, status: job.status, job, elapsedMs: now() - started, polls, changed, nextPollMs: 0 });
          continue;
        }
        let delay =
          retryAfterMs !== undefined
            ? Math.min(this.options.pollMaxDelayMs, Math.max(this.options.pollMinDelayMs, retryAfterMs))
            : backoffDelay(backoffAttempt++, { baseMs: this.options.pollInitialDelayMs, maxMs: this.options.pollMaxDelayMs }, random);
        const elapsedMs = now() - started;
        if (options.timeoutMs !== undefined) {
          const remaining = options.timeoutMs - elapsedMs;
          if (remaining <= 0) throw timedOut();
          delay = Math.min(delay, remaining);
        }
        options.onProgress?.({ jobId, status: job.status, job, elapsedMs, polls, changed, nextPollMs: delay });
        // After a sleep cut to the deadline, the next read is the last one.
        await sleep(delay, signal).catch(stopped);
      }
    } catch (err) {
      if (err instanceof AsyncApiError) throw err;
      return stopped(err);
    }
  }

  /**
   * `wait`, then the result of a SUCCEEDED job. Throws `AsyncApiError` otherwise: `code` is the
   * job's error code (`TimerFailed`, `TimedOut`, ...) or `Cancelled`, and `job` is the job.
   */
  async waitForResult(jobId: string, options: WaitOptions<TResult> = {}): Promise<TResult> {
    const job = await this.wait(jobId, options);
    return resultOf(job);
  }

  /** `submit`, then `waitForResult`: the result of a new job, or an `AsyncApiError`. */
  async run(input: TInput, options: SubmitOptions & WaitOptions<TResult> = {}): Promise<TResult> {
    const { jobId } = await this.submit(input, options);
    return this.waitForResult(jobId, options);
  }

  /** The result of a SUCCEEDED job: `result`, or the JSON at `resultUrl`. */
  async downloadResult(job: Job<TResult>, options: GetOptions = {}): Promise<TResult> {
    if (job.result !== undefined || !job.resultUrl) return job.result as TResult;
    let url: URL;
    try {
      url = new URL(job.resultUrl);
    } catch {
      throw new AsyncApiError({ code: "ResultDownloadFailed", message: `job ${job.jobId}: resultUrl is not a URL`, jobId: job.jobId });
    }
    let res: RawResponse;
    try {
      res = await this.request({ method: "GET", url, headers: {}, jobId: job.jobId, ...(options.signal ? { signal: options.signal } : {}) }, { allow: "all" });
    } catch (err) {
      if (err instanceof AsyncApiError && err.code === "Aborted") throw err;
      throw new AsyncApiError({ code: "ResultDownloadFailed", message: `job ${job.jobId}: downloading resultUrl failed: ${(err as Error).message}`, jobId: job.jobId, cause: err });
    }
    if (res.status !== 200) {
      throw new AsyncApiError({
        code: "ResultDownloadFailed",
        message: `job ${job.jobId}: resultUrl answered HTTP ${res.status}${res.status === 403 ? " (the presigned URL may have expired: read the job again)" : ""}`,
        status: res.status,
        jobId: job.jobId,
      });
    }
    try {
      return JSON.parse(res.text) as TResult;
    } catch (err) {
      throw new AsyncApiError({ code: "ResultDownloadFailed", message: `job ${job.jobId}: the result at resultUrl is not JSON`, jobId: job.jobId, cause: err });
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** GET the job, with its `Retry-After`. */
  private async read(jobId: string, signal?: AbortSignal, waitSeconds?: number): Promise<{ job: Job<TResult>; retryAfterMs?: number }> {
    const url = this.jobUrl("get", jobId);
    if (waitSeconds !== undefined) url.searchParams.set("wait", String(waitSeconds));
    const res = await this.request({ method: ROUTES.get.method, url, headers: {}, jobId, ...(signal ? { signal } : {}), authorize: this.authorize });
    const body = this.json(res) as Job<TResult>;
    if (typeof body?.jobId !== "string" || typeof body.status !== "string") throw invalidResponse(res, `GET /jobs/${jobId} answered without jobId and status`, jobId);
    if (!(JOB_STATUSES as readonly string[]).includes(body.status)) throw invalidResponse(res, `GET /jobs/${jobId} answered an unknown status ${JSON.stringify(body.status)}`, jobId);
    const retryAfterMs = parseRetryAfter(res.headers.get(HEADERS.retryAfter));
    return { job: body, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }

  private async *pages(options: Omit<ListPageOptions, "cursor">): AsyncGenerator<JobList> {
    let cursor: string | undefined;
    do {
      const page = await this.listPage({ ...options, ...(cursor !== undefined ? { cursor } : {}) });
      // A cursor that does not move would read the same page forever.
      if (page.nextCursor !== undefined && page.nextCursor === cursor) {
        throw new AsyncApiError({ code: "InvalidResponse", message: "GET /jobs answered the cursor it was given as nextCursor", status: 200 });
      }
      cursor = page.nextCursor;
      yield page;
    } while (cursor !== undefined);
  }

  private listUrl(options: ListPageOptions): URL {
    const status = statusFilterOf(options.status);
    const limit = options.limit !== undefined ? listLimitOf(options.limit, "limit") : undefined;
    const cursor = cursorOf(options.cursor);
    const url = this.url(routePath("list"));
    if (status !== undefined) url.searchParams.set("status", status);
    if (limit !== undefined) url.searchParams.set("limit", String(limit));
    if (cursor !== undefined) url.searchParams.set("cursor", cursor);
    return url;
  }

  private url(route: string): URL {
    return new URL(`${this.apiUrl}${route}`);
  }

  private jobUrl(route: "get" | "cancel", jobId: string): URL {
    if (typeof jobId !== "string" || jobId.length === 0) throw new AsyncApiError({ code: "InvalidArgument", message: "jobId must be a non-empty string" });
    return this.url(routePath(route, jobId));
  }

  /**
   * One API call with the retry policy. Retries only what is safe to repeat: GET and DELETE, and a
   * POST that carries an `Idempotency-Key` (every POST this client sends does). Resolves with a 2xx
   * (or an allowed status); throws `AsyncApiError` for anything else.
   */
  private async request(spec: RequestSpec, options: { allow?: number[] | "all" } = {}): Promise<RawResponse> {
    const { retries, retryBaseDelayMs, retryMaxDelayMs, requestTimeoutMs, random } = this.options;
    const canRetry = spec.method !== "POST" || spec.headers[HEADERS.idempotencyKey.toLowerCase()] !== undefined;
    const backoff = { baseMs: retryBaseDelayMs, maxMs: retryMaxDelayMs };
    for (let attempt = 0; ; attempt++) {
      if (spec.signal?.aborted) throw aborted(spec.jobId, spec.signal.reason);
      const retriesLeft = canRetry && attempt < retries;
      let res: Response;
      let text: string;
      const timeout = AbortSignal.timeout(requestTimeoutMs);
      try {
        const base = { accept: "application/json", "user-agent": USER_AGENT, ...spec.headers };
        const headers = spec.authorize ? await spec.authorize({ method: spec.method, url: spec.url, headers: base, ...(spec.body !== undefined ? { body: spec.body } : {}) }) : base;
        res = await this.options.fetch(spec.url, {
          method: spec.method,
          headers,
          ...(spec.body !== undefined ? { body: spec.body } : {}),
          signal: anySignal([spec.signal, timeout]),
          redirect: "follow",
        });
        text = await res.text();
      } catch (err) {
        if (spec.signal?.aborted) throw aborted(spec.jobId, spec.signal.reason);
        if (err instanceof AsyncApiError) throw err; // credentials
        const reason = timeout.aborted ? `no answer within ${requestTimeoutMs} ms` : describeNetworkError(err);
        if (!retriesLeft) {
          throw new AsyncApiError({
            code: "NetworkError",
            message: `${spec.method} ${spec.url.origin}${spec.url.pathname}: ${reason}${attempt > 0 ? ` (after ${attempt + 1} attempts)` : ""}`,
            ...(spec.jobId !== undefined ? { jobId: spec.jobId } : {}),
            cause: err,
          });
        }
        await this.pause(backoffDelay(attempt, backoff, random), spec);
        continue;
      }
      const raw: RawResponse = { status: res.status, headers: res.headers, text, attempts: attempt + 1 };
      if (res.status >= 200 && res.status < 300) return raw;
      if (retriesLeft && this.isRetryable(raw, spec)) {
        const retryAfter = parseRetryAfter(res.headers.get(HEADERS.retryAfter));
        await this.pause(Math.min(retryMaxDelayMs, retryAfter ?? backoffDelay(attempt, backoff, random)), spec);
        continue;
      }
      if (options.allow === "all" || options.allow?.includes(res.status)) return raw;
      throw this.apiError(raw, spec.jobId);
    }
  }

  private isRetryable(res: RawResponse, spec: RequestSpec): boolean {
    if (res.status === 429 || res.status >= 500) return true;
    // POST with a key whose first attempt is still being processed: "Retry shortly".
    if (spec.method === "POST" && res.status === 409) return errorInfo(res)?.code === "Conflict";
    return false;
  }

  private async pause(ms: number, spec: RequestSpec): Promise<void> {
    try {
      await this.options.sleep(ms, spec.signal);
    } catch (err) {
      throw aborted(spec.jobId, spec.signal?.reason ?? err);
    }
  }

  private json(res: RawResponse): unknown {
    try {
      return JSON.parse(res.text);
    } catch {
      throw invalidResponse(res, `HTTP ${res.status} with a body that is not JSON`);
    }
  }

  private apiError(res: RawResponse, jobId?: string): AsyncApiError {
    const info = errorInfo(res);
    const requestId = res.headers.get("x-amzn-requestid") ?? res.headers.get("x-amz-apigw-id") ?? undefined;
    return new AsyncApiError({
      code: info?.code ?? codeForStatus(res.status),
      message: info?.message ?? (res.text.trim().slice(0, 200) || `HTTP ${res.status}`),
      status: res.status,
      ...(jobId !== undefined ? { jobId } : {}),
      ...(requestId ? { requestId } : {}),
    });
  }
}

/** The result of a finished job, or the `AsyncApiError` `waitForResult` throws. */
export function resultOf<TResult>(job: Job<TResult>): TResult {
  switch (job.status) {
    case "SUCCEEDED":
      return job.result as TResult;
    case "CANCELLED":
      throw new AsyncApiError({ code: "Cancelled", message: `job ${job.jobId} was cancelled`, jobId: job.jobId, job });
    default:
      throw new AsyncApiError({
        code: job.error?.code ?? job.status,
        message: job.error?.message ?? `job ${job.jobId} ended ${job.status}`,
        jobId: job.jobId,
        job,
      });
  }
}

function errorInfo(res: RawResponse): ErrorInfo | undefined {
  try {
    const body = JSON.parse(res.text) as { error?: Partial<ErrorInfo> };
    if (body?.error && typeof body.error.code === "string") {
      return { code: body.error.code, message: typeof body.error.message === "string" ? body.error.message : `HTTP ${res.status}` };
    }
  } catch {
    // Not the contract's error body.
  }
  return undefined;
}

/** A `GET /jobs` body as `JobList`, or `InvalidResponse`. */
function parseJobList(res: RawResponse, body: unknown): JobList {
  const list = body as { jobs?: unknown; nextCursor?: unknown } | null;
  if (!Array.isArray(list?.jobs)) throw invalidResponse(res, "GET /jobs answered without a jobs list");
  for (const job of list.jobs as Array<Partial<JobSummary> | null>) {
    if (typeof job?.jobId !== "string" || !(JOB_STATUSES as readonly unknown[]).includes(job.status)) {
      throw invalidResponse(res, `GET /jobs answered a job without a jobId or with an unknown status: ${JSON.stringify(job)?.slice(0, 200)}`);
    }
  }
  const nextCursor = list.nextCursor ?? undefined;
  if (nextCursor !== undefined && (typeof nextCursor !== "string" || nextCursor.length === 0)) throw invalidResponse(res, "GET /jobs answered a nextCursor that is not a non-empty string");
  return { jobs: list.jobs as JobSummary[], ...(nextCursor !== undefined ? { nextCursor } : {}) };
}

function invalidResponse(res: RawResponse, message: string, jobId?: string): AsyncApiError {
  return new AsyncApiError({ code: "InvalidResponse", message, status: res.status, ...(jobId !== undefined ? { jobId } : {}) });
}

function aborted(jobId: string | undefined, reason: unknown): AsyncApiError {
  return new AsyncApiError({
    code: "Aborted",
    message: jobId ? `stopped waiting for job ${jobId}: aborted` : "the request was aborted",
    ...(jobId !== undefined ? { jobId } : {}),
    cause: reason,
  });
}

function describeNetworkError(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e?.cause?.code ?? e?.cause?.message;
  return cause ? `${e.message ?? "fetch failed"} (${cause})` : (e?.message ?? String(err));
}

/** A signal that fires when any of the given ones does. */
function anySignal(signals: Array<AbortSignal | undefined>): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length <= 1) return present[0];
  return AbortSignal.any(present);
}
