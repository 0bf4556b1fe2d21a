// `npm start -- [--stack NAME] [--config KEY=VALUE]... [--port N] [--outputs FILE] [--faults]`, or
// `npx async-api-local` with the same flags in the folder of any program that uses the components.
import "./aws/stepfunctions/polyfill";
// The SDK's notice about Node 20 support would be printed by every function: once is in the README.
process.env.AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING ??= "1";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
import * as fs from "fs";
import * as path from "path";
import { startLocalCloud } from "./cloud/localCloud";
import { formatUsage, usageDocument } from "./usage/report";

const USAGE = "usage: npm start -- [--stack NAME] [--config KEY=VALUE]... [--port N] [--outputs FILE] [--state-dir DIR] [--quiet] [--faults] [--lambda-max-timeout SECONDS] [--usage]";

export interface CliOptions {
  stack: string;
  config: string[];
  port: number;
  outputs?: string;
  /** Where emulator state lives. @default .async-api/<stack> */
  stateDir?: string;
  quiet: boolean;
  /** Serve the local-only fault-injection admin API (local/admin/admin.ts); outputs gain `adminUrl` and `localEndpoints`. */
  faults: boolean;
  /** Lambda's timeout limit on this local cloud (default 900): lower it to see what a job longer than Lambda's limit does. */
  lambdaMaxTimeoutSeconds?: number;
  /** Print what AWS would bill for what was served (local/usage/) when the cloud stops. */
  usage: boolean;
}

export function parseArgs(argv: string[]): CliOptions {
  const options: CliOptions = { stack: "dev", config: [], port: 8080, quiet: false, faults: false, usage: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") && !arg.startsWith("--config=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case "--stack":
        options.stack = value();
        break;
      case "--config":
        options.config.push(value());
        break;
      case "--port": {
        const v = value();
        const port = Number(v);
        if (!/^\d+$/.test(v) || port > 65535) throw new Error(`--port takes 0 to 65535, got '${v}'`);
        options.port = port;
        break;
      }
      case "--outputs":
        options.outputs = value();
        break;
      case "--state-dir":
        options.stateDir = value();
        break;
      case "--quiet":
        options.quiet = true;
        break;
      case "--faults":
        options.faults = true;
        break;
      case "--usage":
        options.usage = true;
        break;
      case "--lambda-max-timeout": {
        const v = value();
        const seconds = Number(v);
        if (!/^\d+$/.test(v) || seconds < 1 || seconds > 900) throw new Error(`--lambda-max-timeout takes 1 to 900 seconds, got '${v}'`);
        options.lambdaMaxTimeoutSeconds = seconds;
        break;
      }
      case "--help":
      case "-h":
        console.log(USAGE);
        process.exit(0);
      default:
        if (arg.startsWith("--config=")) options.config.push(arg.slice("--config=".length));
        else throw new Error(`unknown option '${arg}'\n${USAGE}`);
    }
  }
  return options;
}

/** A ready-to-paste request for the stack's auth mode. */
export function curlExample(outputs: Record<string, unknown>): string {
  const url = `${outputs.apiUrl}/jobs`;
  const body = `-H 'Content-Type: application/json' -d '{"seconds": 2}'`;
  switch (outputs.auth) {
    case "iam":
      return `curl -i --aws-sigv4 "aws:amz:us-east-1:execute-api" --user test:test ${body} ${url}`;
    case "apiKey":
      return `curl -i -H 'x-api-key: ${outputs.apiKey}' ${body} ${url}`;
    default:
      return `curl -i ${body} ${url}`;
  }
}

async function waitUntilAnswering(apiUrl: string, limitMs = 30_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      await fetch(`${apiUrl}/jobs/00000000-0000-4000-8000-000000000000`, { method: "GET" });
      return;
    } catch (e) {
      if (Date.now() - started > limitMs) throw new Error(`the API at ${apiUrl} does not answer: ${e}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const began = Date.now();
  // The program in the current folder: this repository's for `npm start`, any program that uses
  // the components for `npx async-api-local`.
  const projectDir = process.cwd();
  const log = options.quiet ? undefined : (line: string) => process.stdout.write(`${line}\n`);
  const cloud = await startLocalCloud({
    projectDir,
    stack: options.stack,
    config: options.config,
    port: options.port,
    stateDir: options.stateDir ? path.resolve(options.stateDir) : undefined,
    log,
    faults: options.faults,
    lambdaMaxTimeoutSeconds: options.lambdaMaxTimeoutSeconds,
  });
  const outputs = cloud.outputs;
  await waitUntilAnswering(String(outputs.apiUrl));
  // Usage counts from here: not the deployment's calls nor the readiness probe.
  cloud.meter.reset();

  if (options.outputs) {
    const file = path.resolve(options.outputs);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(outputs, null, 2));
    fs.renameSync(`${file}.tmp`, file);
  }
  const width = Math.max(...Object.keys(outputs).map((k) => k.length));
  console.log(`\nasync-api local cloud (stack ${options.stack}) ready in ${((Date.now() - began) / 1000).toFixed(1)} s; state in ${path.relative(process.cwd(), cloud.stateDir) || "."}\n`);
  console.log("Outputs:");
  for (const [k, v] of Object.entries(outputs)) console.log(`  ${k.padEnd(width)}  ${typeof v === "string" ? v : JSON.stringify(v)}`);
  if (outputs.auth === "none") console.log("\n  WARNING: auth is 'none': anyone who can reach this port can submit jobs.");
  if (options.faults) console.log(`\n  Fault injection is on: POST ${outputs.adminUrl}/_local/faults (see local/admin/admin.ts).`);
  console.log(`\nTry it:\n  ${curlExample(outputs)}\n`);
  console.log(`What it would cost on AWS so far: GET ${new URL(String(outputs.apiUrl)).origin}/__local/usage${options.usage ? " (printed at exit too)" : ""}\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local cloud...`);
    // Work still in flight (an async invoke's retry, a running execution) may fail once its
    // service is gone: that is the stop, not an error.
    const late = (e: unknown) => console.log(`(ignored while stopping: ${e instanceof Error ? e.message : e})`);
    process.on("unhandledRejection", late);
    process.on("uncaughtException", late);
    const limit = setTimeout(() => {
      console.log("the services took more than 10 s to stop; exiting anyway");
      process.exit(0);
    }, 10_000);
    if (options.usage) console.log(`\n${formatUsage(usageDocument(cloud.meter))}`);
    await cloud.stop();
    clearTimeout(limit);
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

/** Starts the local cloud for the program in the current folder, as `npm start` and `async-api-local` do. */
export function runAsMain(): void {
  main().catch((e) => {
    console.error(`\nThe local cloud could not start: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  });
}

if (require.main === module) runAsMain();
