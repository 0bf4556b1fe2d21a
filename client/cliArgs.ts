// `async-api`'s command line: its usage text, exit codes, options and their parsing.

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

export class UsageError extends Error {}

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

