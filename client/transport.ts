/**
 * One API call with the client's retry policy (./retry.ts), and the reading of what the API
 * answered: the contract's error body, a job list, and the client's own errors (`Aborted`,
 * `NetworkError`, `InvalidResponse`).
 */
import type { Authorizer } from "./auth";
import { AsyncApiError, codeForStatus } from "./errors";
import { backoffDelay, parseRetryAfter, type Sleep } from "./retry";
import { HEADERS, JOB_STATUSES, type ErrorInfo, type JobList, type JobSummary } from "./types";

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Attempts made, this one included. */
  attempts: number;
}

export interface RequestSpec {
  method: "GET" | "POST" | "DELETE";
  url: URL;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  jobId?: string;
  /** Adds auth headers; absent for a presigned `resultUrl`. */
  authorize?: Authorizer;
}

const USER_AGENT = "async-api-client/0.1";

/** What a transport needs of the client's options. */
export interface TransportOptions {
  retries: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  requestTimeoutMs: number;
  fetch: typeof fetch;
  sleep: Sleep;
  random: () => number;
}

/** Sends requests for a client: retries what is safe to repeat, turns what is not a success into an `AsyncApiError`. */
export class Transport {
  constructor(private readonly options: TransportOptions) {}

  /**
   * One API call with the retry policy. Retries only what is safe to repeat: GET and DELETE, and a
   * POST that carries an `Idempotency-Key` (every POST this client sends does). Resolves with a 2xx
   * (or an allowed status); throws `AsyncApiError` for anything else.
   */
  async request(spec: RequestSpec, options: { allow?: number[] | "all" } = {}): Promise<RawResponse> {
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

  json(res: RawResponse): unknown {
    try {
      return JSON.parse(res.text);
    } catch {
      throw invalidResponse(res, `HTTP ${res.status} with a body that is not JSON`);
    }
  }

  apiError(res: RawResponse, jobId?: string): AsyncApiError {
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

export function errorInfo(res: RawResponse): ErrorInfo | undefined {
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
export function parseJobList(res: RawResponse, body: unknown): JobList {
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

export function invalidResponse(res: RawResponse, message: string, jobId?: string): AsyncApiError {
  return new AsyncApiError({ code: "InvalidResponse", message, status: res.status, ...(jobId !== undefined ? { jobId } : {}) });
}

export function aborted(jobId: string | undefined, reason: unknown): AsyncApiError {
  return new AsyncApiError({
    code: "Aborted",
    message: jobId ? `stopped waiting for job ${jobId}: aborted` : "the request was aborted",
    ...(jobId !== undefined ? { jobId } : {}),
    cause: reason,
  });
}

export function describeNetworkError(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e?.cause?.code ?? e?.cause?.message;
  return cause ? `${e.message ?? "fetch failed"} (${cause})` : (e?.message ?? String(err));
}

/** A signal that fires when any of the given ones does. */
export function anySignal(signals: Array<AbortSignal | undefined>): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length <= 1) return present[0];
  return AbortSignal.any(present);
}

