// `npm run bench:longpoll -- [--seconds 60] [--backend lambda|stepfunctions|stream] [--store dynamodb|s3]`
//
// What a long poll saves, measured on the local cloud: the same job (the timer, `--seconds` long)
// awaited by the client's `wait()` twice, side by side: once polling by Retry-After
// (`longPollSeconds: 0`), once with `GET /jobs/{id}?wait=20` (the default). For each it prints the
// API requests the client made, the store reads made for that job (every GetItem of its record:
// the status function's and the worker's), and how late the client saw the job's end. Store
// reads are counted on the local DynamoDB, so `--store` must be dynamodb. Not part of `npm test`.
import "../local/aws/stepfunctions/polyfill";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AsyncApiClient } from "../client/index";
import { startLocalCloud } from "../local/cloud/localCloud";
import type { LocalDynamoDbService } from "../local/aws/dynamodb";
import { readBody } from "../local/aws/dynamodb/protocol";
import { option, runMain } from "./support";

const ROOT = path.resolve(__dirname, "..");


async function main(): Promise<void> {
  const seconds = Number(option("seconds", "60"));
  const backend = option("backend", "lambda");
  if (!(seconds >= 1 && seconds <= 600)) throw new Error("--seconds takes 1 to 600");
  process.env.AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING = "1";
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "async-api-longpoll-"));
  const cloud = await startLocalCloud({
    projectDir: ROOT,
    stack: "dev",
    config: [`backend=${backend}`, "store=dynamodb", "auth=none", `jobTimeoutSeconds=${Math.min(900, seconds + 60)}`],
    port: 0,
    stateDir,
  });
  try {
    const reads = new Map<string, number>();
    (cloud.services.dynamodb as LocalDynamoDbService).use(async (call, next) => {
      if (call.operation !== "GetItem") return next();
      const body = await readBody(call.req);
      const pk = (JSON.parse(body.toString("utf8")) as { Key?: { pk?: { S?: string } } }).Key?.pk?.S;
      if (pk) reads.set(pk, (reads.get(pk) ?? 0) + 1);
      next(body);
    });
    const apiUrl = String(cloud.outputs.apiUrl);
    const run = async (longPollSeconds: number) => {
      let requests = 0;
      const client = new AsyncApiClient<{ seconds: number }, { message: string }>({
        apiUrl,
        auth: { type: "none" },
        longPollSeconds,
        fetch: (input, init) => (requests++, fetch(input, init)),
      });
      const started = Date.now();
      const { jobId } = await client.submit({ seconds });
      const job = await client.wait(jobId, { timeoutMs: (seconds + 120) * 1000 });
      const seen = Date.now();
      return { longPollSeconds, jobId, status: job.status, requests, reads: () => reads.get(jobId) ?? 0, lateMs: seen - Date.parse(job.updatedAt), tookMs: seen - started };
    };
    console.log(`A ${seconds}-second timer job on backend ${backend}, store dynamodb, awaited two ways at once…`);
    const results = await Promise.all([run(0), run(20)]);
    console.log("");
    console.log("| how the client waits | API requests | store reads of the job | saw the end after it by |");
    console.log("|---|---|---|---|");
    for (const r of results) {
      const how = r.longPollSeconds === 0 ? "polls by Retry-After" : `GET ?wait=${r.longPollSeconds}`;
      console.log(`| ${how} | ${r.requests} | ${r.reads()} | ${(r.lateMs / 1000).toFixed(2)} s |`);
      if (r.status !== "SUCCEEDED") throw new Error(`job ${r.jobId} ended ${r.status}`);
    }
  } finally {
    await cloud.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

runMain(main);
