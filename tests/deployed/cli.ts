// `npm run test:deployed -- --url <apiUrl> [--api-key K] [--outputs FILE] [--auth iam|apiKey|none]`
// Runs the HTTP end-to-end checks (tests/deployed/checks.ts) against a deployed async-api, side by
// side, and prints a table: check, PASS / FAIL / N/A, seconds, why. Exit code 0 only if none failed.
// iam signs with the AWS SDK's credential chain (the local cloud takes any key id with secret "test").
import * as fs from "fs";
import type { AuthOptions } from "../../client/auth";
import { discoverAuth, type AuthKind } from "../../client/discoverAuth";
import { CHECKS, NotApplicable, type Target } from "./checks";
import { DeployedApi } from "./http";

const USAGE = `usage: npm run test:deployed -- --url <apiUrl> [--api-key KEY] [--outputs FILE] [--auth iam|apiKey|none] [--job-timeout SECONDS]
  --url          the API's base URL (the stack output apiUrl)
  --api-key      the API key (auth apiKey; or env ASYNC_API_KEY)
  --outputs      a stack outputs JSON file (pulumi stack output --json --show-secrets > outputs.json,
                 or the local cloud's --outputs file): apiUrl, auth, apiKey, backend and worker from it
  --auth         skip reading the auth from <apiUrl>/openapi.json
  --job-timeout  how long a short job may take end to end (default 120 s; 900 s with the Fargate worker)`;

interface Options {
  url?: string;
  apiKey?: string;
  outputs?: string;
  auth?: string;
  jobTimeoutSeconds?: number;
}

function parse(argv: string[]): Options {
  const o: Options = {};
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
    else if (flag === "--job-timeout") o.jobTimeoutSeconds = Number(value());
    else if (flag === "--help" || flag === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option '${flag}'\n${USAGE}`);
  }
  return o;
}

async function target(o: Options): Promise<Target> {
  const outputs = o.outputs ? (JSON.parse(fs.readFileSync(o.outputs, "utf8")) as Record<string, unknown>) : {};
  const apiUrl = (o.url ?? (typeof outputs.apiUrl === "string" ? outputs.apiUrl : undefined))?.replace(/\/+$/, "");
  if (!apiUrl) throw new Error(`give --url (or --outputs with apiUrl)\n${USAGE}`);
  const kind = (o.auth ?? (typeof outputs.auth === "string" ? outputs.auth : undefined) ?? (await discoverAuth(apiUrl))) as AuthKind;
  let auth: AuthOptions;
  if (kind === "apiKey") {
    const key = o.apiKey ?? process.env.ASYNC_API_KEY ?? (typeof outputs.apiKey === "string" ? outputs.apiKey : undefined);
    if (!key) throw new Error("the API uses auth apiKey: give --api-key KEY (or env ASYNC_API_KEY)");
    auth = { type: "apiKey", key };
  } else if (kind === "iam" || kind === "none") {
    auth = { type: kind };
  } else {
    throw new Error(`--auth takes iam, apiKey or none, got '${kind}'`);
  }
  const fargate = typeof outputs.clusterName === "string";
  return {
    api: new DeployedApi(apiUrl, auth),
    auth: kind,
    ...(typeof outputs.backend === "string" ? { backend: outputs.backend } : {}),
    fargate,
    jobTimeoutMs: (o.jobTimeoutSeconds ?? (fargate ? 900 : 120)) * 1000,
  };
}

type Row = { name: string; result: "PASS" | "FAIL" | "N/A"; seconds: number; why: string };

async function main(): Promise<number> {
  const t = await target(parse(process.argv.slice(2)));
  console.log(`Checking ${t.api.apiUrl} (auth ${t.auth}${t.backend ? `, backend ${t.backend}` : ""}${t.fargate ? ", worker fargate" : ""})\n`);
  const rows: Row[] = await Promise.all(
    CHECKS.map(async (c): Promise<Row> => {
      const started = Date.now();
      const seconds = () => (Date.now() - started) / 1000;
      try {
        await c.run(t);
        return { name: c.name, result: "PASS", seconds: seconds(), why: "" };
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        return { name: c.name, result: err instanceof NotApplicable ? "N/A" : "FAIL", seconds: seconds(), why };
      }
    }),
  );
  const width = Math.max(...rows.map((r) => r.name.length));
  console.log(`${"check".padEnd(width)}  result  seconds  why`);
  for (const r of rows) console.log(`${r.name.padEnd(width)}  ${r.result.padEnd(6)}  ${r.seconds.toFixed(1).padStart(7)}  ${r.why.replace(/\s+/g, " ").slice(0, 200)}`);
  const failed = rows.filter((r) => r.result === "FAIL").length;
  const passed = rows.filter((r) => r.result === "PASS").length;
  console.log(`\nPASS ${passed}, FAIL ${failed}, N/A ${rows.length - passed - failed}`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`test:deployed: ${err instanceof Error ? err.message : err}`);
    process.exit(2);
  },
);
