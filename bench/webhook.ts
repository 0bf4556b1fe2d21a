// `npm run bench:webhook -- [--seconds 60] [--backend lambda|stepfunctions|stream] [--store dynamodb|s3]`
//
// What a webhook saves, measured on the local cloud: three jobs (the timer, `--seconds` long),
// submitted at once and awaited three ways: the client's `wait()` polling by Retry-After
// (`longPollSeconds: 0`), `wait()` long-polling (`?wait=20`), and a `Callback-Url` to a receiver
// here, with no read at all. For each it prints the API requests the caller made, the HTTP
// requests the stack made to it (the deliveries), and how late the caller learnt of the job's end.
// Not part of `npm test`.
import "../local/aws/stepfunctions/polyfill";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { AsyncApiClient, verifyWebhook } from "../client/index";
import { startLocalCloud } from "../local/cloud/localCloud";
import { option, runMain } from "./support";

const ROOT = path.resolve(__dirname, "..");


interface Row {
  how: string;
  requests: number;
  deliveries: number;
  lateMs: number;
}

async function main(): Promise<void> {
  const seconds = Number(option("seconds", "60"));
  const backend = option("backend", "lambda");
  const store = option("store", "dynamodb");
  if (!(seconds >= 1 && seconds <= 600)) throw new Error("--seconds takes 1 to 600");
  process.env.AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING = "1";
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "async-api-webhook-"));
  const cloud = await startLocalCloud({
    projectDir: ROOT,
    stack: "dev",
    config: [`backend=${backend}`, `store=${store}`, "auth=none", `jobTimeoutSeconds=${Math.min(900, seconds + 60)}`],
    port: 0,
    stateDir,
  });
  const secret = String(cloud.outputs.webhookSecret);
  let delivered: (at: number, updatedAt: string) => void = () => undefined;
  let deliveries = 0;
  const receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      deliveries++;
      const event = verifyWebhook(secret, req.headers, body);
      res.writeHead(204).end();
      delivered(Date.now(), event.data.updatedAt);
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  const callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  try {
    const apiUrl = String(cloud.outputs.apiUrl);
    const poll = async (longPollSeconds: number): Promise<Row> => {
      let requests = 0;
      const client = new AsyncApiClient<{ seconds: number }, { message: string }>({ apiUrl, auth: { type: "none" }, longPollSeconds, fetch: (input, init) => (requests++, fetch(input, init)) });
      const { jobId } = await client.submit({ seconds });
      const job = await client.wait(jobId, { timeoutMs: (seconds + 120) * 1000 });
      if (job.status !== "SUCCEEDED") throw new Error(`job ${jobId} ended ${job.status}`);
      return { how: longPollSeconds === 0 ? "polls by Retry-After" : `long polls (GET ?wait=${longPollSeconds})`, requests, deliveries: 0, lateMs: Date.now() - Date.parse(job.updatedAt) };
    };
    const hook = async (): Promise<Row> => {
      const arrived = new Promise<{ at: number; updatedAt: string }>((resolve) => (delivered = (at, updatedAt) => resolve({ at, updatedAt })));
      const res = await fetch(`${apiUrl}/jobs`, { method: "POST", headers: { "Content-Type": "application/json", "Callback-Url": callbackUrl }, body: JSON.stringify({ seconds }) });
      if (res.status !== 202) throw new Error(`POST answered ${res.status}`);
      const { at, updatedAt } = await arrived;
      return { how: "waits for the webhook (Callback-Url)", requests: 1, deliveries, lateMs: at - Date.parse(updatedAt) };
    };
    console.log(`Three ${seconds}-second timer jobs on backend ${backend}, store ${store}, awaited three ways at once…`);
    const rows = await Promise.all([poll(0), poll(20), hook()]);
    console.log("");
    console.log("| how the caller waits | API requests | requests the stack made to the caller | learnt of the end after it by |");
    console.log("|---|---|---|---|");
    for (const r of rows) console.log(`| ${r.how} | ${r.requests} | ${r.deliveries} | ${(r.lateMs / 1000).toFixed(2)} s |`);
  } finally {
    receiver.closeAllConnections();
    receiver.close();
    await cloud.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

runMain(main);
