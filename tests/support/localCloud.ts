import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { createAuthorizer, type AuthOptions, type Authorizer } from "../../client/auth";
import { tempDir } from "./tmp";

const ROOT = path.resolve(__dirname, "..", "..");

export interface CloudHandle {
  apiUrl: string;
  outputs: Record<string, any>;
  stateDir: string;
  config: string[];
  /** Everything the CLI printed so far. */
  output(): string;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, as a crash would. */
  kill(): void;
}

export interface StartOptions {
  stateDir?: string;
  stack?: string;
  timeoutMs?: number;
  /** `--faults`: the local-only fault-injection admin API (outputs `adminUrl`, `localEndpoints`). */
  faults?: boolean;
  /** Prefix of the temporary state directory. */
  tmpPrefix?: string;
  /** `--lambda-max-timeout`: Lambda's timeout limit on this local cloud. */
  lambdaMaxTimeoutSeconds?: number;
  /** Another program's local cloud: the command (e.g. `npx async-api-local`) and its folder. @default `npm start` here */
  launcher?: { command: string; args: string[]; cwd: string };
}

/**
 * Starts the local cloud as a user would (`npm start -- --config ...`), on a free port, with its
 * state in a temporary directory, and waits for the outputs file (written once the API answers).
 */
export async function startCloud(config: string[], options: StartOptions = {}): Promise<CloudHandle> {
  // A state directory of its own goes when the test file ends (tests/support/tmp.ts); a restart passes it on as `stateDir`.
  const stateDir = options.stateDir ?? tempDir(options.tmpPrefix ?? "async-api-e2e-");
  const outputsFile = path.join(stateDir, `outputs-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  const launcher = options.launcher ?? { command: process.execPath, args: ["-r", "./scripts/register-ts.js", "local/cli.ts"], cwd: ROOT };
  const args = [...launcher.args, "--port", "0", "--outputs", outputsFile, "--state-dir", stateDir, "--quiet"];
  if (options.faults) args.push("--faults");
  if (options.lambdaMaxTimeoutSeconds !== undefined) args.push("--lambda-max-timeout", String(options.lambdaMaxTimeoutSeconds));
  if (options.stack) args.push("--stack", options.stack);
  for (const c of config) args.push("--config", c);
  const child: ChildProcess = spawn(launcher.command, args, { cwd: launcher.cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env } });
  let printed = "";
  child.stdout!.on("data", (d) => (printed += d));
  child.stderr!.on("data", (d) => (printed += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));

  const started = Date.now();
  while (!fs.existsSync(outputsFile)) {
    if (exitCode !== undefined) throw new Error(`the local cloud exited with ${exitCode}:\n${printed}`);
    if (Date.now() - started > (options.timeoutMs ?? 90_000)) {
      child.kill("SIGKILL");
      throw new Error(`the local cloud did not become ready:\n${printed}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const outputs = JSON.parse(fs.readFileSync(outputsFile, "utf8"));
  return {
    apiUrl: outputs.apiUrl,
    outputs,
    stateDir,
    config,
    output: () => printed,
    async stop() {
      if (exitCode === undefined) child.kill("SIGTERM");
      return exited;
    },
    kill() {
      if (exitCode === undefined) child.kill("SIGKILL");
    },
  };
}

/** A query string as SigV4 signs it: a repeated parameter with all its values, as it is sent. */
export function signableQuery(params: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  params.forEach((v, k) => {
    const had = query[k];
    query[k] = had === undefined ? v : ([] as string[]).concat(had, v);
  });
  return query;
}

export type Auth =
  | { kind: "none" }
  | { kind: "iam"; accessKeyId: string; secret?: string }
  | { kind: "apiKey"; key: string }
  /** As the client does it (client/auth.ts): e.g. SigV4 from the AWS credential chain, in the API's own region. */
  | { kind: "client"; options: AuthOptions };

export interface Response {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

/** A small HTTP client for the job API, signing with SigV4 or sending the API key as asked. */
export class JobApi {
  private authorize?: Authorizer;

  constructor(
    readonly apiUrl: string,
    readonly auth: Auth,
  ) {}

  with(auth: Auth): JobApi {
    return new JobApi(this.apiUrl, auth);
  }

  async request(method: string, route: string, options: { body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    const url = new URL(`${this.apiUrl}${route}`);
    let headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (this.auth.kind === "apiKey") headers["x-api-key"] = this.auth.key;
    if (this.auth.kind === "client") {
      this.authorize ??= createAuthorizer(this.apiUrl, this.auth.options);
      headers = await this.authorize({ method, url, headers, ...(options.body !== undefined ? { body: options.body } : {}) });
    }
    if (this.auth.kind === "iam") {
      const signer = new SignatureV4({
        service: "execute-api",
        region: "us-east-1",
        credentials: { accessKeyId: this.auth.accessKeyId, secretAccessKey: this.auth.secret ?? "test" },
        sha256: Sha256,
      });
      const query = signableQuery(url.searchParams);
      const signed = await signer.sign({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname,
        query,
        headers: { host: url.host, ...headers },
        body: options.body,
      });
      headers = signed.headers as Record<string, string>;
      delete headers.host;
    }
    const res = await fetch(url, { method, headers, body: options.body });
    const text = await res.text();
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.status, headers: res.headers, text, body };
  }

  submit(input: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return this.request("POST", "/jobs", { body: JSON.stringify(input), headers: { "Content-Type": "application/json", ...headers } });
  }

  get(jobId: string): Promise<Response> {
    return this.request("GET", `/jobs/${jobId}`);
  }

  cancel(jobId: string): Promise<Response> {
    return this.request("DELETE", `/jobs/${jobId}`);
  }

  /** Polls until the job's status satisfies `done` (default: terminal); returns every status seen. */
  async waitFor(jobId: string, done: (status: string) => boolean = isTerminal, timeoutMs = 30_000, pollMs = 150): Promise<{ last: Response; seen: string[] }> {
    const seen: string[] = [];
    const started = Date.now();
    for (;;) {
      const last = await this.get(jobId);
      if (last.status !== 200) throw new Error(`GET ${jobId} answered ${last.status}: ${last.text}`);
      if (seen[seen.length - 1] !== last.body.status) seen.push(last.body.status);
      if (done(last.body.status)) return { last, seen };
      if (Date.now() - started > timeoutMs) throw new Error(`job ${jobId} still ${last.body.status} after ${timeoutMs} ms (seen ${seen.join(" → ")})`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}

export const isTerminal = (status: string) => ["SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"].includes(status);

/** The API client for a started cloud, authenticated the way its `auth` output asks. */
export function clientFor(cloud: CloudHandle, identity = "alice"): JobApi {
  const auth: Auth =
    cloud.outputs.auth === "iam" ? { kind: "iam", accessKeyId: identity } : cloud.outputs.auth === "apiKey" ? { kind: "apiKey", key: cloud.outputs.apiKey } : { kind: "none" };
  return new JobApi(cloud.apiUrl, auth);
}
