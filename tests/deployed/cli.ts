// `npm run test:deployed -- --url <apiUrl> [--api-key K] [--outputs FILE] [--auth iam|apiKey|none] [--job-timeout S]`
// Runs the HTTP end-to-end checks (tests/deployed/checks.ts) against a deployed async-api, side by
// side, and prints a table: check, PASS / FAIL / N/A, seconds, why. Exit code 0 only if none
// failed, 1 if one did, 2 if the checks could not start (bad options, no credentials, no answer).
import { CHECKS } from "./checks";
import { renderTable, runChecks } from "./report";
import { resolveTarget, type Target, type TargetOptions } from "./target";

const USAGE = `usage: npm run test:deployed -- --url <apiUrl> [--api-key KEY] [--outputs FILE] [--auth iam|apiKey|none] [--job-timeout SECONDS]
  --url          the API's base URL (the stack output apiUrl)
  --api-key      the API key (auth apiKey; or env ASYNC_API_KEY)
  --outputs      a stack outputs JSON file (pulumi stack output --json --show-secrets > outputs.json,
                 or the local cloud's --outputs file): apiUrl, auth, apiKey, backend and worker from it
  --auth         the API's auth, instead of reading it from <apiUrl>/openapi.json
  --job-timeout  how long a short job may take end to end (default 120 s when the outputs say
                 worker lambda, else 900 s: a Fargate task takes minutes to start on AWS)
auth iam signs with the AWS SDK's default credential chain (the local cloud takes any key id with secret "test").`;

function parse(argv: string[]): TargetOptions {
  const o: TargetOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === "--url") o.url = value();
    else if (flag === "--api-key") o.apiKey = value();
    else if (flag === "--outputs") o.outputs = value();
    else if (flag === "--auth") o.auth = value();
    else if (flag === "--job-timeout") {
      const v = value();
      o.jobTimeoutSeconds = Number(v);
      if (!(o.jobTimeoutSeconds > 0)) throw new Error(`--job-timeout takes a number of seconds, got '${v}'`);
    } else if (flag === "--help" || flag === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option '${flag}'\n${USAGE}`);
  }
  return o;
}

function describe(t: Target): string {
  const backend = t.backend ? `backend ${t.backend} (${t.backendSource})` : "backend unknown";
  const worker = t.worker ? `worker ${t.worker}` : "worker unknown (give --outputs)";
  return `Checking ${t.api.apiUrl}: auth ${t.auth}, ${backend}, ${worker}; jobs may take ${t.jobTimeoutMs / 1000} s`;
}

async function main(): Promise<number> {
  const t = await resolveTarget(parse(process.argv.slice(2)), USAGE);
  console.log(`${describe(t)}\n`);
  const rows = await runChecks(CHECKS, t);
  console.log(renderTable(rows));
  return rows.some((r) => r.result === "FAIL") ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`test:deployed: ${err instanceof Error ? err.message : err}`);
    process.exit(2);
  },
);
