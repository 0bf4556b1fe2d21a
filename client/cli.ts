// `async-api`: the command line of the client (bin shim: client/bin/async-api.js).
process.env.AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING ??= "1";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { AsyncApiClient, type ListOptions } from "./client";
import { AsyncApiError } from "./errors";
import { startWebhookListener, type WebhookListener } from "./listen";
import { JOB_STATUSES, LIST_LIMIT, type Job, type JobStatus, type JobSummary } from "./types";
import { isWebhookSecret } from "./webhooks";

import { EXIT, USAGE, UsageError, parseArgs, type CliIo, type CliOptions } from "./cliArgs";
import { DEFAULT_OUTPUTS, readOutputsFile, resolveTargetDiscovering } from "./cliTarget";
import { Progress, describeJob, describeSubmit, exitCodeOf, jobTable } from "./cliOutput";

export { EXIT, USAGE, parseArgs, type CliIo, type CliOptions } from "./cliArgs";
export { resolveTarget, resolveTargetDiscovering } from "./cliTarget";
export { jobTable, progressText } from "./cliOutput";

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

