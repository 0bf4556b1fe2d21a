// The requests of `npm run test:deployed`: plain fetch, signed or keyed the way the API's auth asks
// (client/auth.ts: SigV4 for `execute-api` from the AWS credential chain, or `x-api-key`).
import { createAuthorizer, type AuthOptions, type Authorizer } from "../../client/auth";

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export class DeployedApi {
  private readonly authorize: Authorizer;

  constructor(
    readonly apiUrl: string,
    readonly auth: AuthOptions,
  ) {
    this.authorize = createAuthorizer(apiUrl, auth);
  }

  /** The same API with other credentials (or none). */
  as(auth: AuthOptions): DeployedApi {
    return new DeployedApi(this.apiUrl, auth);
  }

  async request(method: string, route: string, options: { body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
    const url = new URL(`${this.apiUrl}${route}`);
    const headers = await this.authorize({ method, url, headers: { ...(options.headers ?? {}) }, ...(options.body !== undefined ? { body: options.body } : {}) });
    const res = await fetch(url, { method, headers, ...(options.body !== undefined ? { body: options.body } : {}), signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.status, headers: res.headers, text, body };
  }

  submit(input: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    return this.request("POST", "/jobs", { body: JSON.stringify(input), headers: { "Content-Type": "application/json", ...headers } });
  }

  get(jobId: string): Promise<Answer> {
    return this.request("GET", `/jobs/${jobId}`);
  }

  cancel(jobId: string): Promise<Answer> {
    return this.request("DELETE", `/jobs/${jobId}`);
  }

  /** Polls until `done(status)` (default: terminal), by the job's own Retry-After, at most `timeoutMs`. */
  async until(jobId: string, done: (status: string) => boolean, timeoutMs: number): Promise<{ last: Answer; seen: string[] }> {
    const seen: string[] = [];
    const started = Date.now();
    for (;;) {
      const last = await this.get(jobId);
      if (last.status !== 200) throw new Error(`GET ${jobId} answered ${last.status}: ${last.text.slice(0, 200)}`);
      if (seen[seen.length - 1] !== last.body.status) seen.push(last.body.status);
      if (done(last.body.status)) return { last, seen };
      if (Date.now() - started > timeoutMs) throw new Error(`job still ${last.body.status} after ${timeoutMs / 1000} s (seen ${seen.join(" → ")})`);
      const wait = Math.min(Number(last.headers.get("retry-after") ?? "1") || 1, 5);
      await new Promise((r) => setTimeout(r, Math.min(wait * 1000, 1000)));
    }
  }
}

export const TERMINAL = ["SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"];
export const isTerminal = (status: string) => TERMINAL.includes(status);
