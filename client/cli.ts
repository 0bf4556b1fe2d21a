// `async-api`: the command line of the client (bin shim: client/bin/async-api.js).
process.env.AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING ??= "1";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { AuthOptions } from "./auth";
import { AsyncApiClient, type ListOptions, type SubmitResult, type WaitProgress } from "./client";
import { AuthDiscoveryError, discoverAuth, openapiUrl, type AuthKind } from "./discoverAuth";
import { AsyncApiError } from "./errors";
import { startWebhookListener, type WebhookListener } from "./listen";
import { JOB_STATUSES, LIST_LIMIT, type Job, type JobStatus, type JobSummary } from "./types";
import { isWebhookSecret } from "./webhooks";

export const USAGE = `usage: async-api <command> [options]

commands:
  submit <json|-|@file> [--wait] [--idempotency-key K] [--callback-url URL]
                          submit a job (input as JSON, '-' for stdin, @file for a file)
  status <jobId>          print the job as it is now
  wait <jobId>            wait until the job finishes; print it (with its result)
  cancel <jobId>          cancel a PENDING or RUNNING job
  list [--status S[,S...]] [--limit N]
                          list your jobs, newest first
  listen --port N [--secret S] [--path P] [--host H]
                          receive the stack's webhooks: verify each delivery (Standard Webhooks),
                          print it, answer 204 (401 if it fails verification), until Ctrl-C

options:
  --url URL               the API's base URL (default: apiUrl of the current stack, see below)
  --outputs FILE          read apiUrl, auth and apiKey (listen: webhookSecret) from this stack
                          outputs JSON file
  --stack NAME            the stack for 'pulumi stack output' (default: the selected stack)
  --auth iam|apiKey|none  how to authenticate (default: the outputs' auth; else, for a URL from
                          --url or ASYNC_API_URL, the auth the API declares, see below; else iam)
  --api-key KEY           the API key for auth apiKey (or env ASYNC_API_KEY)
  --region REGION         SigV4 region (default: from the execute-api host name, else AWS_REGION)
  --wait                  submit: wait for the job to finish
  --idempotency-key K     submit: 1-64 of A-Za-z0-9_- (default: a random key)
  --callback-url URL      submit: POST the job there, signed, when it ends (a webhook; see listen)
  --timeout SECONDS       wait: give up after this long (exit 5; the job keeps running)
  --status S[,S...]       list: only jobs in these statuses (PENDING, RUNNING, SUCCEEDED, FAILED,
                          CANCELLED, TIMED_OUT)
  --limit N               list: print at most N jobs (default 20), reading as many pages as it takes
  --port N                listen: the port (0: any free port; the URL is printed on stderr)
  --host H                listen: the address to bind (default 127.0.0.1)
  --path P                listen: take deliveries on this path only (default: any path)
  --secret S              listen: the webhook secret, whsec_<base64> (default: env
                          ASYNC_API_WEBHOOK_SECRET, else the outputs file's webhookSecret)
  --retries N             retries of a failed request (default 3)
  --json                  print one JSON document on stdout (progress still goes to stderr);
                          listen: each verified delivery's body, one JSON line each
  --quiet                 no progress on stderr (listen: no listening and stopped lines)
  -h, --help              this text

The API URL, first found: --url; env ASYNC_API_URL; the outputs file given by --outputs or env
ASYNC_API_OUTPUTS; .async-api/outputs.json (write it with: npm start -- --outputs .async-api/outputs.json);
'pulumi stack output --json'.

The auth, first found: --auth; the outputs file's auth; for a URL from --url or ASYNC_API_URL, the
auth the API itself declares in <apiUrl>/openapi.json (read without credentials): no security on
its job routes means none, an x-api-key scheme means apiKey (give --api-key or ASYNC_API_KEY), SigV4
means iam. When that document cannot be read, async-api stops and asks for --auth.
Auth iam signs with the default AWS credential chain (env, profiles, SSO, assumed roles); on the
local cloud any key id works with the secret 'test':
AWS_ACCESS_KEY_ID=alice AWS_SECRET_ACCESS_KEY=test async-api submit '{"seconds": 2}' --wait

Webhooks on the local cloud (it may call http:// on loopback):
async-api listen --port 9000, then submit with the header 'Callback-Url: http://127.0.0.1:9000/'.
The secret: the stack's webhookSecret output (pulumi stack output webhookSecret --show-secrets);
prefer the env variable to --secret, which other users of the machine can see in the process list.

exit codes: 0 done (waited job SUCCEEDED; listen stopped by SIGINT or SIGTERM), 1 job FAILED,
2 job TIMED_OUT, 3 job CANCELLED, 4 usage, API or transport error, 5 --timeout passed while the
job was still running, 130 interrupted`;

/** Exit codes, one per outcome. */
export const EXIT = { OK: 0, FAILED: 1, TIMED_OUT: 2, CANCELLED: 3, ERROR: 4, WAIT_TIMEOUT: 5, INTERRUPTED: 130 } as const;

/** Where output goes (tests pass their own). */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  readStdin(): Promise<string>;
  /** Runs `pulumi stack output`: returns stdout, or throws with the reason. */
  stackOutputs(args: string[]): string;
  /** `listen`: resolves with the signal's name when it should stop (default: SIGINT or SIGTERM). */
  untilStopped?(): Promise<string>;
}

export interface CliOptions {
  command?: string;
  args: string[];
  url?: string;
  outputs?: string;
  stack?: string;
  auth?: string;
  apiKey?: string;
  region?: string;
  wait: boolean;
  idempotencyKey?: string;
  callbackUrl?: string;
  timeoutSeconds?: number;
  retries?: number;
  status?: string;
  limit?: number;
  port?: number;
  host?: string;
  path?: string;
  secret?: string;
  json: boolean;
  quiet: boolean;
  help: boolean;
}

class UsageError extends Error {}

const VALUE_FLAGS: Record<string, keyof CliOptions> = {
  "--url": "url",
  "--outputs": "outputs",
  "--stack": "stack",
  "--auth": "auth",
  "--api-key": "apiKey",
  "--region": "region",
  "--idempotency-key": "idempotencyKey",
  "--callback-url": "callbackUrl",
  "--timeout": "timeoutSeconds",
  "--retries": "retries",
  "--status": "status",
  "--limit": "limit",
  "--port": "port",
  "--host": "host",
  "--path": "path",
  "--secret": "secret",
};

export function parseArgs(argv: string[]): CliOptions {
  const options: CliOptions = { args: [], wait: false, json: false, quiet: false, help: false };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "-h" || arg === "--help" || arg === "help") {
      options.help = true;
      continue;
    }
    if (!arg.startsWith("--") || arg === "-") {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    switch (flag) {
      case "--wait":
      case "--json":
      case "--quiet":
        if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
        options[flag.slice(2) as "wait" | "json" | "quiet"] = true;
        continue;
    }
    const key = VALUE_FLAGS[flag];
    if (!key) throw new UsageError(`unknown option '${flag}'`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    if (key === "timeoutSeconds" || key === "retries") {
      const n = Number(value);
      if (value.trim() === "" || !Number.isFinite(n) || n < 0 || (key === "retries" && !Number.isInteger(n))) {
        throw new UsageError(`${flag} takes a number >= 0${key === "retries" ? " (an integer)" : ""}, got '${value}'`);
      }
      options[key] = n;
    } else if (key === "port") {
      const n = Number(value);
      if (value.trim() === "" || !Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag} takes an integer 0..65535 (0: any free port), got '${value}'`);
      options[key] = n;
    } else if (key === "limit") {
      const n = Number(value);
      if (value.trim() === "" || !Number.isInteger(n) || n < 1) throw new UsageError(`${flag} takes an integer >= 1, got '${value}'`);
      options[key] = n;
    } else {
      (options as unknown as Record<string, string>)[key] = value;
    }
  }
  options.command = positional[0];
  options.args = positional.slice(1);
  return options;
}

interface Target {
  apiUrl: string;
  auth: AuthOptions;
  /** Where the URL came from, for error messages. */
  source: string;
}

const DEFAULT_OUTPUTS = path.join(".async-api", "outputs.json");

function readOutputsFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read the outputs file ${file}: ${(err as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // below
  }
  throw new UsageError(`the outputs file ${file} is not a JSON object of stack outputs`);
}

/** Where the API URL came from, and the outputs read on the way. */
interface Location {
  apiUrl: string;
  source: string;
  outputs: Record<string, unknown> | undefined;
  pulumiArgs: string[];
}

/** The API URL: --url, then env, then an outputs file, then `pulumi stack output`. */
function locate(options: CliOptions, io: CliIo): Location {
  let outputs: Record<string, unknown> | undefined;
  let source: string;
  let apiUrl = options.url ?? io.env.ASYNC_API_URL;
  const explicitOutputs = options.outputs ?? io.env.ASYNC_API_OUTPUTS;
  const pulumiArgs = ["stack", "output", "--json", ...(options.stack ? ["--stack", options.stack] : [])];
  if (apiUrl) {
    source = options.url ? "--url" : "ASYNC_API_URL";
    if (explicitOutputs) outputs = readOutputsFile(path.resolve(io.cwd, explicitOutputs));
  } else {
    const file = explicitOutputs ?? (fs.existsSync(path.join(io.cwd, DEFAULT_OUTPUTS)) && !options.stack ? DEFAULT_OUTPUTS : undefined);
    if (file) {
      outputs = readOutputsFile(path.resolve(io.cwd, file));
      source = file;
    } else {
      try {
        outputs = JSON.parse(io.stackOutputs(pulumiArgs)) as Record<string, unknown>;
      } catch (err) {
        throw new UsageError(
          `no API URL: 'pulumi stack output' failed (${(err as Error).message.trim().split("\n")[0]}).\n` +
            "Pass --url URL (and --auth), or --outputs FILE: for the local cloud, run `npm start -- --outputs .async-api/outputs.json` " +
            "and async-api reads that file by default.",
        );
      }
      source = "pulumi stack output";
    }
    apiUrl = typeof outputs?.apiUrl === "string" ? outputs.apiUrl : undefined;
    if (!apiUrl) throw new UsageError(`${source} has no apiUrl output; pass --url URL`);
  }
  return { apiUrl, source, outputs, pulumiArgs };
}

/** The auth --auth or the outputs name, if either does. */
function declaredAuth(options: CliOptions, { outputs }: Location): string | undefined {
  return options.auth ?? (typeof outputs?.auth === "string" ? outputs.auth : undefined);
}

const MISSING_KEY = "auth apiKey needs a key: --api-key KEY or env ASYNC_API_KEY";

/** The client's auth options for an auth mode. */
function authOptions(authType: string, options: CliOptions, io: CliIo, { source, outputs, pulumiArgs }: Location, missingKey = MISSING_KEY): AuthOptions {
  switch (authType) {
    case "iam":
      return { type: "iam", ...(options.region ? { region: options.region } : {}) };
    case "none":
      return { type: "none" };
    case "apiKey": {
      let key = options.apiKey ?? io.env.ASYNC_API_KEY ?? (typeof outputs?.apiKey === "string" && outputs.apiKey !== "[secret]" ? outputs.apiKey : undefined);
      if (!key && source === "pulumi stack output") {
        try {
          const secret = JSON.parse(io.stackOutputs([...pulumiArgs, "--show-secrets"])) as Record<string, unknown>;
          if (typeof secret.apiKey === "string") key = secret.apiKey;
        } catch {
          // reported below
        }
      }
      if (!key) throw new UsageError(missingKey);
      return { type: "apiKey", key };
    }
    default:
      throw new UsageError(`--auth takes iam, apiKey or none, got '${authType}'`);
  }
}

/**
 * The API URL and auth from flags, env and outputs alone: the auth --auth or the outputs name,
 * else apiKey when a key is given, else iam. (The CLI itself uses `resolveTargetDiscovering`.)
 */
export function resolveTarget(options: CliOptions, io: CliIo): Target {
  return targetFromFlags(options, io, locate(options, io));
}

function targetFromFlags(options: CliOptions, io: CliIo, location: Location): Target {
  const authType = declaredAuth(options, location) ?? (options.apiKey ? "apiKey" : "iam");
  return { apiUrl: location.apiUrl, auth: authOptions(authType, options, io, location), source: location.source };
}

/**
 * As `resolveTarget`, but when the URL comes from --url or ASYNC_API_URL and neither --auth nor
 * an outputs file names the auth, the auth is the one the API's own openapi.json declares.
 */
export async function resolveTargetDiscovering(options: CliOptions, io: CliIo, discover: (apiUrl: string) => Promise<AuthKind> = discoverAuth): Promise<Target> {
  const location = locate(options, io);
  const fromUrl = location.source === "--url" || location.source === "ASYNC_API_URL";
  if (!fromUrl || declaredAuth(options, location) !== undefined) return targetFromFlags(options, io, location);
  let kind: AuthKind;
  try {
    kind = await discover(location.apiUrl);
  } catch (err) {
    if (err instanceof AuthDiscoveryError) throw new UsageError(err.message);
    throw err;
  }
  const missingKey = `the API uses auth apiKey (its ${openapiUrl(location.apiUrl)} says so) and needs a key: pass --api-key KEY or set env ASYNC_API_KEY`;
  const auth = authOptions(kind, options, io, location, missingKey);
  if (options.apiKey !== undefined && kind !== "apiKey" && !options.quiet) {
    io.stderr.write(`async-api: the API uses auth ${kind} (its openapi.json says so): --api-key is not sent\n`);
  }
  return { apiUrl: location.apiUrl, auth, source: location.source };
}

async function readInput(arg: string | undefined, io: CliIo): Promise<unknown> {
  if (arg === undefined) throw new UsageError("submit needs the job's input as JSON, e.g. async-api submit '{\"seconds\": 2}'");
  let text = arg;
  let from = "the input";
  if (arg === "-") {
    text = await io.readStdin();
    from = "stdin";
  } else if (arg.startsWith("@")) {
    try {
      text = fs.readFileSync(path.resolve(io.cwd, arg.slice(1)), "utf8");
    } catch (err) {
      throw new UsageError(`cannot read ${arg.slice(1)}: ${(err as Error).message}`);
    }
    from = arg.slice(1);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${from} is not JSON (${(err as Error).message}); quote it for the shell: async-api submit '{"seconds": 2}'`);
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** A job's progress as the CLI shows it: `[####......] 40% Slept 1 of 2.5 s`. */
export function progressText(progress: Job["progress"]): string {
  if (!progress) return "";
  const parts: string[] = [];
  if (progress.percent !== undefined) {
    const filled = Math.round(Math.min(100, Math.max(0, progress.percent)) / 10);
    parts.push(`[${"#".repeat(filled)}${".".repeat(10 - filled)}] ${Math.round(progress.percent)}%`);
  }
  if (progress.message) parts.push(progress.message.replace(/[\r\n\t\x00-\x1f]+/g, " ").slice(0, 80));
  return parts.join(" ");
}

/** Progress while waiting: one line redrawn in place on a TTY, one line per change of status or progress otherwise. */
class Progress {
  private timer: NodeJS.Timeout | undefined;
  private line = "";
  private status = "";
  private progress = "";
  private readonly started = Date.now();

  constructor(
    private readonly out: CliIo["stderr"],
    private readonly jobId: string,
    private readonly enabled: boolean,
  ) {
    if (enabled && out.isTTY) {
      this.timer = setInterval(() => this.redraw(), 200);
      this.timer.unref();
    }
  }

  update(p: WaitProgress) {
    if (!this.enabled) return;
    const progress = progressText(p.job.progress);
    const progressed = progress !== this.progress;
    this.progress = progress;
    if (this.out.isTTY) {
      this.status = p.status;
      this.redraw();
    } else if (p.changed || progressed) {
      this.out.write(`${this.jobId} ${p.status} ${seconds(Date.now() - this.started)}${progress ? ` ${progress}` : ""}\n`);
    }
  }

  private redraw() {
    if (!this.status) return;
    this.line = `${this.jobId} ${this.status} ${seconds(Date.now() - this.started)}${this.progress ? ` ${this.progress}` : ""}`;
    this.out.write(`\r\x1b[2K${this.line}`);
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.enabled && this.out.isTTY && this.status) {
      this.redraw();
      this.out.write("\n");
    }
  }
}

function describeJob(job: Job, extra: Array<[string, unknown]> = []): string {
  const rows: Array<[string, unknown]> = [
    ["job", job.jobId],
    ["status", job.status],
    ["created", job.createdAt],
    ["updated", job.updatedAt],
    ...extra,
  ];
  if (job.error) rows.push(["error", `${job.error.code}: ${job.error.message}`]);
  if (job.resultUrl && job.result === undefined) rows.push(["resultUrl", job.resultUrl]);
  let text = rows
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k.padEnd(9)} ${v}`)
    .join("\n");
  if (job.result !== undefined) text += `\nresult\n${JSON.stringify(job.result, null, 2)}`;
  return `${text}\n`;
}

function describeSubmit(s: SubmitResult): string {
  const rows: Array<[string, unknown]> = [
    ["job", s.jobId],
    ["status", s.status],
    ["created", s.createdAt],
    ["location", s.location],
    ["idempotency key", s.idempotencyKey],
    ["replayed", s.replayed ? "yes (this key had already created the job)" : undefined],
  ];
  return `${rows
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k.padEnd(9)} ${v}`)
    .join("\n")}\nfollow it: async-api wait ${s.jobId}\n`;
}

function exitCodeOf(job: Job): number {
  switch (job.status) {
    case "SUCCEEDED":
      return EXIT.OK;
    case "FAILED":
      return EXIT.FAILED;
    case "TIMED_OUT":
      return EXIT.TIMED_OUT;
    case "CANCELLED":
      return EXIT.CANCELLED;
    default:
      return EXIT.ERROR;
  }
}

async function waitAndReport(client: AsyncApiClient, jobId: string, options: CliOptions, io: CliIo): Promise<number> {
  const progress = new Progress(io.stderr, jobId, !options.quiet);
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once("SIGINT", onSigint);
  let job: Job;
  try {
    job = await client.wait(jobId, {
      signal: controller.signal,
      onProgress: (p) => progress.update(p),
      ...(options.timeoutSeconds !== undefined ? { timeoutMs: options.timeoutSeconds * 1000 } : {}),
    });
  } catch (err) {
    progress.stop();
    if (err instanceof AsyncApiError && err.code === "Aborted") {
      io.stderr.write(`stopped waiting; job ${jobId} keeps running (async-api status ${jobId}, async-api cancel ${jobId})\n`);
      return EXIT.INTERRUPTED;
    }
    throw err;
  } finally {
    process.removeListener("SIGINT", onSigint);
  }
  progress.stop();
  io.stdout.write(options.json ? `${JSON.stringify(job)}\n` : describeJob(job));
  if (job.status !== "SUCCEEDED") {
    const why = job.error ? `${job.error.code}: ${job.error.message}` : job.status === "CANCELLED" ? "Cancelled: the job was cancelled" : job.status;
    io.stderr.write(`async-api: job ${jobId} ${job.status}: ${why}\n`);
  }
  return exitCodeOf(job);
}

/** How many jobs `list` prints when --limit is not given. */
const DEFAULT_LIST_LIMIT = 20;

/** --status as the client takes it: one status or a comma-separated list, in any case. */
function statusFilter(value: string | undefined): JobStatus[] | undefined {
  if (value === undefined) return undefined;
  const statuses = value.split(",").map((s) => s.trim().toUpperCase());
  const unknown = statuses.find((s) => !(JOB_STATUSES as readonly string[]).includes(s));
  if (unknown !== undefined) {
    throw new UsageError(`--status takes one or more of ${JOB_STATUSES.join(", ")} separated by commas; '${unknown}' is not one`);
  }
  return statuses as JobStatus[];
}

/** The newest `max` jobs, page after page; `more` when the API has (or may have) others after them. */
async function newestJobs(client: AsyncApiClient, filter: Pick<ListOptions, "status">, max: number): Promise<{ jobs: JobSummary[]; more: boolean }> {
  const jobs: JobSummary[] = [];
  for await (const page of client.list({ ...filter, pageSize: Math.min(max, LIST_LIMIT.max) })) {
    const taken = page.jobs.slice(0, max - jobs.length);
    jobs.push(...taken);
    if (jobs.length >= max) return { jobs, more: taken.length < page.jobs.length || page.nextCursor !== undefined };
  }
  return { jobs, more: false };
}

/** Jobs as a table: id, status, created, progress and error code, one job a line. */
export function jobTable(jobs: JobSummary[]): string {
  const rows = [
    ["JOB", "STATUS", "CREATED", "PROGRESS", "ERROR"],
    ...jobs.map((job) => [job.jobId, job.status, job.createdAt, progressText(job.progress), job.error ? String(job.error.code).replace(/[\x00-\x1f]+/g, " ") : ""]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd() + "\n").join("");
}

async function listAndReport(client: AsyncApiClient, options: CliOptions, io: CliIo): Promise<number> {
  const status = statusFilter(options.status);
  const limit = options.limit ?? DEFAULT_LIST_LIMIT;
  const { jobs, more } = await newestJobs(client, status ? { status } : {}, limit);
  if (options.json) io.stdout.write(`${JSON.stringify({ jobs })}\n`);
  else io.stdout.write(jobs.length > 0 ? jobTable(jobs) : `no jobs${status ? ` in ${status.join(", ")}` : ""}\n`);
  if (more && !options.quiet) io.stderr.write(`async-api: the newest ${limit} jobs; there may be more (raise --limit)\n`);
  return EXIT.OK;
}

/** The webhook secret and where it came from: --secret, env, then an outputs file's webhookSecret. */
function webhookSecret(options: CliOptions, io: CliIo): { secret: string; source: string } {
  if (options.secret !== undefined) return { secret: options.secret, source: "--secret" };
  if (io.env.ASYNC_API_WEBHOOK_SECRET) return { secret: io.env.ASYNC_API_WEBHOOK_SECRET, source: "ASYNC_API_WEBHOOK_SECRET" };
  const file = options.outputs ?? io.env.ASYNC_API_OUTPUTS ?? (fs.existsSync(path.join(io.cwd, DEFAULT_OUTPUTS)) ? DEFAULT_OUTPUTS : undefined);
  const fromFile = file === undefined ? undefined : readOutputsFile(path.resolve(io.cwd, file)).webhookSecret;
  // A file written without --show-secrets holds "[secret]" in place of the secret.
  if (typeof fromFile === "string" && fromFile !== "[secret]") return { secret: fromFile, source: `${file} (webhookSecret)` };
  throw new UsageError(
    `listen needs the stack's webhook secret${file ? ` (${file} has no usable webhookSecret)` : ""}: set env ASYNC_API_WEBHOOK_SECRET or pass --secret, ` +
      `e.g. ASYNC_API_WEBHOOK_SECRET="$(pulumi stack output webhookSecret --show-secrets)" async-api listen --port ${options.port ?? 9000}`,
  );
}

/** Resolves with the name of the first SIGINT or SIGTERM (and stops catching them). */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.removeListener("SIGINT", stop);
      process.removeListener("SIGTERM", stop);
      resolve(signal);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

/** `listen`: receives and verifies webhooks until stopped. */
async function listenAndReport(options: CliOptions, io: CliIo): Promise<number> {
  if (options.args.length > 0) throw new UsageError(`listen takes no argument, got '${options.args[0]}'`);
  if (options.port === undefined) throw new UsageError("listen needs --port N (0: any free port)");
  if (options.path !== undefined && !options.path.startsWith("/")) throw new UsageError(`--path takes a path that starts with '/', got '${options.path}'`);
  const { secret, source } = webhookSecret(options, io);
  if (!isWebhookSecret(secret)) throw new UsageError(`the webhook secret from ${source} is not whsec_<base64> (the stack's webhookSecret output)`);
  const host = options.host ?? "127.0.0.1";
  let listener: WebhookListener;
  try {
    listener = await startWebhookListener({ secret, host, port: options.port, json: options.json, stdout: io.stdout, stderr: io.stderr, ...(options.path !== undefined ? { path: options.path } : {}) });
  } catch (err) {
    io.stderr.write(`async-api: cannot listen on ${host} port ${options.port}: ${(err as Error).message}\n`);
    return EXIT.ERROR;
  }
  const stopped = (io.untilStopped ?? untilSignal)();
  if (!options.quiet) io.stderr.write(`listening on ${listener.url} (verifying with the secret from ${source}); Ctrl-C stops\n`);
  const signal = await stopped;
  await listener.close();
  if (!options.quiet) io.stderr.write(`stopped listening (${signal})\n`);
  return EXIT.OK;
}

function needId(options: CliOptions): string {
  const id = options.args[0];
  if (!id) throw new UsageError(`${options.command} needs a job id: async-api ${options.command} <jobId>`);
  if (options.args.length > 1) throw new UsageError(`${options.command} takes one job id, got ${options.args.length} arguments`);
  return id;
}

async function run(options: CliOptions, io: CliIo): Promise<number> {
  if (options.help) {
    io.stdout.write(`${USAGE}\n`);
    return EXIT.OK;
  }
  const command = options.command;
  if (!command) throw new UsageError("no command");
  if (!["submit", "status", "wait", "cancel", "list", "listen"].includes(command)) throw new UsageError(`unknown command '${command}'`);
  if (command !== "submit" && (options.wait || options.idempotencyKey !== undefined || options.callbackUrl !== undefined)) {
    throw new UsageError(`--wait, --idempotency-key and --callback-url go with submit, not ${command}`);
  }
  if (command !== "list" && (options.status !== undefined || options.limit !== undefined)) {
    throw new UsageError(`--status and --limit go with list, not ${command}`);
  }
  if (command !== "listen" && [options.port, options.host, options.path, options.secret].some((v) => v !== undefined)) {
    throw new UsageError(`--port, --host, --path and --secret go with listen, not ${command}`);
  }
  if (command === "listen") return listenAndReport(options, io);
  if (command === "list") {
    if (options.args.length > 0) throw new UsageError(`list takes no argument, got '${options.args[0]}' (filter with --status)`);
    statusFilter(options.status);
  }
  const input = command === "submit" ? await readInput(options.args[0], io) : undefined;
  if (command === "submit" && options.args.length > 1) throw new UsageError(`submit takes one input, got ${options.args.length} arguments (quote the JSON)`);
  const jobId = command === "submit" || command === "list" ? undefined : needId(options);
  const target = await resolveTargetDiscovering(options, io);
  const client = new AsyncApiClient({ apiUrl: target.apiUrl, auth: target.auth, ...(options.retries !== undefined ? { retries: options.retries } : {}) });

  switch (command) {
    case "submit": {
      const submitted = await client.submit(input, {
        ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
        ...(options.callbackUrl !== undefined ? { callbackUrl: options.callbackUrl } : {}),
      });
      if (!options.wait) {
        io.stdout.write(options.json ? `${JSON.stringify(submitted)}\n` : describeSubmit(submitted));
        return EXIT.OK;
      }
      if (!options.quiet && !options.json) io.stderr.write(`submitted job ${submitted.jobId}${submitted.replayed ? " (replayed)" : ""}\n`);
      return waitAndReport(client, submitted.jobId, options, io);
    }
    case "status": {
      const job = await client.get(jobId!);
      io.stdout.write(options.json ? `${JSON.stringify(job)}\n` : describeJob(job));
      return EXIT.OK;
    }
    case "wait":
      return waitAndReport(client, jobId!, options, io);
    case "cancel": {
      const cancelled = await client.cancel(jobId!);
      io.stdout.write(options.json ? `${JSON.stringify(cancelled)}\n` : `job ${cancelled.jobId} ${cancelled.status}\n`);
      return EXIT.OK;
    }
    case "list":
      return listAndReport(client, options, io);
  }
  return EXIT.ERROR;
}

/** Runs the CLI; resolves with the exit code (it never throws). */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  let options: CliOptions | undefined;
  try {
    options = parseArgs(argv);
    return await run(options, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`async-api: ${err.message}\n${err.message.startsWith("no API URL") ? "" : "run 'async-api --help' for usage\n"}`);
      if (options?.json) io.stdout.write(`${JSON.stringify({ error: { code: "Usage", message: err.message } })}\n`);
      return EXIT.ERROR;
    }
    if (err instanceof AsyncApiError) {
      const http = err.status !== undefined ? ` (HTTP ${err.status})` : "";
      io.stderr.write(`async-api: ${err.code}${http}: ${err.message}\n`);
      if (options?.json) io.stdout.write(`${JSON.stringify(err)}\n`);
      return err.code === "WaitTimeout" ? EXIT.WAIT_TIMEOUT : EXIT.ERROR;
    }
    io.stderr.write(`async-api: ${(err as Error)?.stack ?? err}\n`);
    return EXIT.ERROR;
  }
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
    stackOutputs: (args) => {
      const res = spawnSync("pulumi", args, { encoding: "utf8", timeout: 120_000, stdio: ["ignore", "pipe", "pipe"] });
      if (res.error) throw new Error((res.error as NodeJS.ErrnoException).code === "ENOENT" ? "the pulumi CLI is not installed or not on PATH" : res.error.message);
      if (res.status !== 0) throw new Error(res.stderr.trim() || `pulumi exited with ${res.status}`);
      return res.stdout;
    },
  };
}

/** Sets the exit code once stdout and stderr are flushed (a large result must not be cut off). */
export function runAsMain(argv: string[] = process.argv.slice(2)): void {
  void main(argv).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) runAsMain();
