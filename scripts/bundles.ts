// Prints each Lambda handler's bundle size, raw and gzipped, as the program builds them.
//   npm run bundles            a table
//   npm run bundles -- --json  one JSON object
import * as path from "path";
import * as zlib from "zlib";
import { HANDLERS, handlerSpec, submitSpec, workerSpec, type HandlerName } from "../components/handlers";
import { bundleHandler, type HandlerSpec } from "../components/lambda/bundle";
import { timerJob } from "../lambdas/jobs/timer";

const job = { name: timerJob.name, module: path.resolve(__dirname, "..", "lambdas", "jobs", "timer.ts"), exportName: "timerJob", schema: timerJob.schema };

function spec(name: HandlerName): HandlerSpec {
  if (name === "submit") return submitSpec(job);
  if (name === "asyncWorker" || name === "stepFunctionsWorker") return workerSpec(name, job);
  return handlerSpec(name);
}

const rows = (Object.keys(HANDLERS) as HandlerName[]).map((name) => {
  const started = process.hrtime.bigint();
  const code = bundleHandler(spec(name));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { handler: name, rawBytes: Buffer.byteLength(code), gzipBytes: zlib.gzipSync(code, { level: 9 }).length, buildMs: Math.round(ms) };
});

if (process.argv.includes("--json")) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`.padStart(10);
  console.log(`${"handler".padEnd(22)}${"raw".padStart(10)}${"gzipped".padStart(10)}${"build".padStart(9)}`);
  for (const r of rows) console.log(`${r.handler.padEnd(22)}${kib(r.rawBytes)}${kib(r.gzipBytes)}${`${r.buildMs} ms`.padStart(9)}`);
  console.log("(each bundle holds the AWS SDK v3 it uses, at the version package-lock.json names: see components/lambda/bundle.ts)");
}
