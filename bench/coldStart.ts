// `npm run bench:coldstart -- [--runs 20]`
//
// How fast each Lambda handler starts: its bundle, built as the stack builds it, loaded in a fresh
// Node.js process as the Lambda runtime loads a handler (`require` of the file, then one
// invocation). Two ways: the AWS SDK bundled (what the stack deploys), and the SDK left out and
// resolved from node_modules (through NODE_PATH, as the runtime resolves its own SDK from
// /var/runtime/node_modules). For each it prints the bundle size (gzip), and the median over
// `--runs` processes of the init (the `require`) and of the first invocation, with an event the
// handler answers without calling AWS (a malformed request, an empty batch). Not part of npm test.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { HANDLERS, handlerSpec, submitSpec, workerSpec, type HandlerName } from "../components/handlers";
import { bundleHandler, type HandlerSpec } from "../components/lambda/bundle";
import { timerJob } from "../lambdas/jobs/timer";
import { option, runMain } from "./support";

const ROOT = path.resolve(__dirname, "..");
const SDK = ["@aws-sdk/*", "@smithy/*", "@aws-crypto/*"];
const job = { name: timerJob.name, module: path.join(ROOT, "lambdas", "jobs", "timer.ts"), exportName: "timerJob", schema: timerJob.schema };


function spec(name: HandlerName): HandlerSpec {
  if (name === "submit") return submitSpec(job);
  if (name === "asyncWorker" || name === "stepFunctionsWorker" || name === "streamWorker" || name === "containerWorker") return workerSpec(name, job);
  return handlerSpec(name);
}

/** An event each handler answers without AWS. */
const api = (extra: object) => ({ httpMethod: "GET", headers: {}, requestContext: { identity: { userArn: "arn:aws:iam::123456789012:user/bench" } }, ...extra });
const EVENTS: Partial<Record<HandlerName, unknown>> = {
  submit: api({ httpMethod: "POST", headers: { "Content-Type": "application/json" }, body: '{"seconds":1,"colour":"red"}' }),
  list: api({ queryStringParameters: { limit: "0" }, multiValueQueryStringParameters: { limit: ["0"] } }),
  status: api({ pathParameters: { jobId: "not-a-job" } }),
  cancel: api({ httpMethod: "DELETE", pathParameters: { jobId: "not-a-job" } }),
  streamWorker: { Records: [] },
  streamFailures: { Records: [] },
  tablePublisher: { Records: [] },
  bucketPublisher: { Records: [] },
  webhookDelivery: { Records: [] },
};

/** One fresh process: require the bundle, invoke it once; its timings in ms. */
const PROBE = `
const t0 = process.hrtime.bigint();
const m = require(process.env.BUNDLE);
const t1 = process.hrtime.bigint();
const event = process.env.EVENT ? JSON.parse(process.env.EVENT) : undefined;
Promise.resolve(event === undefined ? undefined : m.handler(event, { awsRequestId: "bench", getRemainingTimeInMillis: () => 10000 }))
  .then(() => console.log(JSON.stringify({ init: Number(t1 - t0) / 1e6, invoke: event === undefined ? null : Number(process.hrtime.bigint() - t1) / 1e6 })))
  .catch((e) => console.log(JSON.stringify({ init: Number(t1 - t0) / 1e6, invoke: null, error: String(e && e.message) })));
`;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function measure(file: string, event: unknown, runs: number, nodePath?: string): { init: number; invoke?: number } {
  const inits: number[] = [];
  const invokes: number[] = [];
  const env = {
    PATH: process.env.PATH,
    BUNDLE: file,
    ...(event !== undefined ? { EVENT: JSON.stringify(event) } : {}),
    ...(nodePath ? { NODE_PATH: nodePath } : {}),
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "AKIDBENCH",
    AWS_SECRET_ACCESS_KEY: "bench",
    AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: "1",
    ASYNC_API_STORE: "dynamodb",
    ASYNC_API_JOBS_TABLE: "bench-jobs",
    ASYNC_API_JOBS_BUCKET: "bench-bucket",
    ASYNC_API_RESULTS_BUCKET: "bench-bucket",
    ASYNC_API_BACKEND: "lambda",
    ASYNC_API_AUTH: "iam",
    ASYNC_API_WORKER_FUNCTION_NAME: "bench-worker",
    ASYNC_API_JOB_EVENTS_BUS: "bench-bus",
    POWERTOOLS_LOG_LEVEL: "SILENT",
  };
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ["-e", PROBE], { env, encoding: "utf8" }).trim().split("\n").pop()!;
    const r = JSON.parse(out) as { init: number; invoke: number | null };
    inits.push(r.init);
    if (r.invoke !== null) invokes.push(r.invoke);
  }
  return { init: median(inits), ...(invokes.length ? { invoke: median(invokes) } : {}) };
}

function main(): void {
  const runs = Number(option("runs", "20"));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "async-api-coldstart-"));
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const ms = (n?: number) => (n === undefined ? "—" : `${n.toFixed(1)} ms`);
  try {
    console.log(`Each handler's bundle loaded in ${runs} fresh Node.js ${process.version} processes (median):\n`);
    console.log("| handler | gzip, SDK bundled | init | first invoke | gzip, SDK from the runtime | init | first invoke |");
    console.log("|---|---|---|---|---|---|---|");
    for (const name of Object.keys(HANDLERS) as HandlerName[]) {
      const bundled = bundleHandler(spec(name));
      const bare = bundleHandler(spec(name), { external: SDK });
      const a = path.join(dir, `${name}.js`);
      const b = path.join(dir, `${name}.bare.js`);
      fs.writeFileSync(a, bundled);
      fs.writeFileSync(b, bare);
      const event = EVENTS[name];
      const withSdk = measure(a, event, runs);
      const withoutSdk = measure(b, event, runs, path.join(ROOT, "node_modules"));
      const gz = (code: string) => zlib.gzipSync(code, { level: 9 }).length;
      console.log(`| ${name} | ${kib(gz(bundled))} | ${ms(withSdk.init)} | ${ms(withSdk.invoke)} | ${kib(gz(bare))} | ${ms(withoutSdk.init)} | ${ms(withoutSdk.invoke)} |`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
