import { randomUUID } from "crypto";
import { createAuthorizer, type Authorizer } from "./auth";
import { AsyncApiError } from "./errors";
import { backoffDelay, parseRetryAfter, sleep as realSleep } from "./retry";
import {
  DEFAULTS,
  cursorOf,
  listLimitOf,
  longPollSecondsOf,
  statusFilterOf,
  type AsyncApiClientOptions,
  type GetOptions,
  type ListOptions,
  type ListPageOptions,
  type SubmitOptions,
  type SubmitResult,
  type WaitOptions,
} from "./options";
import { Transport, aborted, anySignal, invalidResponse, parseJobList, type RawResponse } from "./transport";
import {
  HEADERS,
  IDEMPOTENCY_KEY_PATTERN,
  JOB_STATUSES,
  ROUTES,
  isTerminalStatus,
  routePath,
  type CancelAccepted,
  type Job,
  type JobList,
  type JobStatus,
  type JobSummary,
} from "./types";

export type { AsyncApiClientOptions, GetOptions, ListOptions, ListPageOptions, SubmitOptions, SubmitResult, WaitOptions, WaitProgress } from "./options";

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
  private readonly transport: Transport;

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
    this.transport = new Transport(this.options);
  }

  /** `POST /jobs`: submit a job. Always sends an `Idempotency-Key` (a generated one by default). */
  async submit(input: TInput, options: SubmitOptions = {}): Promise<SubmitResult> {
    const idempotencyKey = options.idempotencyKey ?? generateIdempotencyKey();
    if (typeof idempotencyKey !== "string" || !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
      throw new AsyncApiError({ code: "InvalidArgument", message: "idempotencyKey must be 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'." });
    }
    const body = JSON.stringify(input);
    if (body === undefined) throw new AsyncApiError({ code: "InvalidArgument", message: "the job input must be JSON-serializable" });
    const res = await this.transport.request({
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
    const accepted = this.transport.json(res) as Record<string, unknown>;
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
    const res = await this.transport.request(
      { method: ROUTES.cancel.method, url: this.jobUrl("cancel", jobId), headers: {}, jobId, ...(options.signal ? { signal: options.signal } : {}), authorize: this.authorize },
      { allow: [409] },
    );
    if (res.status === 409) {
      // A retried DELETE whose first attempt went through reads "already finished": that is success.
      if (res.attempts > 1) {
        const job = await this.get(jobId, options).catch(() => undefined);
        if (job?.status === "CANCELLED") return { jobId, status: "CANCELLED" };
      }
      throw this.transport.apiError(res, jobId);
    }
    const body = this.transport.json(res) as Record<string, unknown>;
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
    const res = await this.transport.request({ method: ROUTES.list.method, url, headers: {}, ...(options.signal ? { signal: options.signal } : {}), authorize: this.authorize });
    return parseJobList(res, this.transport.json(res));
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
      res = await this.transport.request({ method: "GET", url, headers: {}, jobId: job.jobId, ...(options.signal ? { signal: options.signal } : {}) }, { allow: "all" });
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
    const res = await this.transport.request({ method: ROUTES.get.method, url, headers: {}, jobId, ...(signal ? { signal } : {}), authorize: this.authorize });
    const body = this.transport.json(res) as Job<TResult>;
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
