// Load test of the local cloud: `npm run bench:load -- [--clients N] [--jobs M] [--backend B] [--store S] [--poll-ms MS]`
//
// Starts the local cloud (`npm start`, auth none, on a free port, state in a temporary directory),
// then N concurrent clients submit M timer jobs (`{"seconds":0}`) in all and poll each until it is
// terminal. Prints the throughput, the p50/p99 latency of submit and of status calls, the errors
// (any non-202 submit, non-200 status, or network error) and the lost jobs (accepted ids that
// never reached SUCCEEDED, or answered anything but 200). Exits non-zero unless both are 0.
// Not part of `npm test`.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startCloud, type CloudHandle } from "../tests/support/localCloud";

interface Options {
  clients: number;
  jobs: number;
  backend: string;
  worker: string;
  store: string;
  /** Wait between two status polls of one job (the API's Retry-After is at least 1 s; a load test polls faster). */
  pollMs: number;
  /** A job not SUCCEEDED this long after its 202 is lost. */
  jobLimitMs: number;
  /** Keep the local cloud's state directory (function logs under lambda/logs/) for a look afterwards. */
  keepState: boolean;
}

const USAGE = "usage: npm run bench:load -- [--clients 50] [--jobs 10000] [--backend lambda|stepfunctions|stream] [--worker lambda|fargate] [--store dynamodb|s3] [--poll-ms 100] [--job-limit-s 300] [--keep-state]";

function parseArgs(argv: string[]): Options {
  const o: Options = { clients: 50, jobs: 10_000, backend: "lambda", worker: "lambda", store: "dynamodb", pollMs: 100, jobLimitMs: 300_000, keepState: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes("=") ? [argv[i].slice(0, argv[i].indexOf("=")), argv[i].slice(argv[i].indexOf("=") + 1)] : [argv[i], undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    const int = (min: number) => {
      const v = value();
      if (!/^\d+$/.test(v) || Number(v) < min) throw new Error(`${flag} takes an integer >= ${min}, got '${v}'\n${USAGE}`);
      return Number(v);
    };
    switch (flag) {
      case "--clients":
        o.clients = int(1);
        break;
      case "--jobs":
        o.jobs = int(1);
        break;
      case "--backend":
        o.backend = value();
        break;
      case "--store":
        o.store = value();
        break;
      case "--worker":
        o.worker = value();
        break;
      case "--poll-ms":
        o.pollMs = int(0);
        break;
      case "--job-limit-s":
        o.jobLimitMs = int(1) * 1000;
        break;
      case "--keep-state":
        o.keepState = true;
        break;
      case "--help":
      case "-h":
        console.log(USAGE);
        process.exit(0);
      // eslint-disable-next-line no-fallthrough
      default:
        throw new Error(`unknown option '${argv[i]}'\n${USAGE}`);
    }
  }
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

interface Stats {
  submitMs: number[];
  statusMs: number[];
  errors: Map<string, number>;
  accepted: number;
  succeeded: number;
  lost: { jobId: string; why: string }[];
}

function countError(stats: Stats, what: string): void {
  stats.errors.set(what, (stats.errors.get(what) ?? 0) + 1);
}

async function timed(url: string, init: RequestInit): Promise<{ status: number; body: any; ms: number } | { error: string; ms: number }> {
  const t0 = performance.now();
  try {
    const res = await fetch(url, init);
    const text = await res.text();
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, body, ms: performance.now() - t0 };
  } catch (e) {
    return { error: (e as Error).cause ? String((e as Error).cause) : String(e), ms: performance.now() - t0 };
  }
}

/** One client: takes the next job number until all are taken; submits it and polls it to the end. */
async function client(apiUrl: string, o: Options, next: () => number | undefined, stats: Stats): Promise<void> {
  for (let n = next(); n !== undefined; n = next()) {
    const submit = await timed(`${apiUrl}/jobs`, { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"seconds":0}' });
    stats.submitMs.push(submit.ms);
    if ("error" in submit) {
      countError(stats, `submit: ${submit.error}`);
      continue;
    }
    if (submit.status !== 202 || typeof submit.body?.jobId !== "string") {
      countError(stats, `submit: ${submit.status} ${submit.body?.error?.code ?? ""}`.trim());
      continue;
    }
    stats.accepted++;
    const jobId: string = submit.body.jobId;
    const started = Date.now();
    let lastSeen = "unread";
    for (;;) {
      const read = await timed(`${apiUrl}/jobs/${jobId}`, { method: "GET" });
      if (!("error" in read) && read.status === 200) lastSeen = String(read.body?.status);
      stats.statusMs.push(read.ms);
      if ("error" in read) {
        countError(stats, `status: ${read.error}`);
      } else if (read.status !== 200) {
        countError(stats, `status: ${read.status} ${read.body?.error?.code ?? ""}`.trim());
        // The job itself answered (404 and the like): it is lost. A 5xx is the API failing: read again.
        if (read.status < 500) {
          stats.lost.push({ jobId, why: `answered ${read.status}` });
          break;
        }
      } else if (read.body.status === "SUCCEEDED") {
        stats.succeeded++;
        break;
      } else if (!["PENDING", "RUNNING"].includes(read.body.status)) {
        stats.lost.push({ jobId, why: `ended ${read.body.status}${read.body.error ? ` (${read.body.error.code})` : ""}` });
        break;
      }
      if (Date.now() - started > o.jobLimitMs) {
        stats.lost.push({ jobId, why: `still ${lastSeen} after ${o.jobLimitMs / 1000} s` });
        break;
      }
      await sleep(o.pollMs);
    }
  }
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "async-api-bench-"));
  console.log(`bench:load: ${o.jobs} jobs by ${o.clients} clients on backend ${o.backend}, store ${o.store}, worker ${o.worker} (auth none, poll every ${o.pollMs} ms); ${os.cpus().length} CPUs`);
  const bootStarted = Date.now();
  let cloud: CloudHandle | undefined;
  try {
    cloud = await startCloud([`backend=${o.backend}`, `store=${o.store}`, `worker=${o.worker}`, "auth=none"], { stateDir, timeoutMs: 180_000 });
    console.log(`local cloud ready in ${((Date.now() - bootStarted) / 1000).toFixed(1)} s at ${cloud.apiUrl}`);

    const stats: Stats = { submitMs: [], statusMs: [], errors: new Map(), accepted: 0, succeeded: 0, lost: [] };
    let issued = 0;
    const next = () => (issued < o.jobs ? issued++ : undefined);
    const t0 = Date.now();
    const progress = setInterval(() => {
      const s = (Date.now() - t0) / 1000;
      process.stderr.write(`  ${s.toFixed(0)} s: ${stats.accepted} accepted, ${stats.succeeded} succeeded (${(stats.succeeded / s).toFixed(1)} jobs/s), ${[...stats.errors.values()].reduce((a, b) => a + b, 0)} errors\n`);
    }, 10_000);
    await Promise.all(Array.from({ length: o.clients }, () => client(cloud!.apiUrl, o, next, stats)));
    clearInterval(progress);
    const seconds = (Date.now() - t0) / 1000;

    const submit = [...stats.submitMs].sort((a, b) => a - b);
    const status = [...stats.statusMs].sort((a, b) => a - b);
    const errors = [...stats.errors.values()].reduce((a, b) => a + b, 0);
    const ms = (v: number) => `${v.toFixed(1)} ms`;
    console.log("");
    console.log(`jobs:        ${o.jobs} submitted, ${stats.accepted} accepted, ${stats.succeeded} SUCCEEDED in ${seconds.toFixed(1)} s`);
    console.log(`throughput:  ${(stats.succeeded / seconds).toFixed(1)} jobs/s (submit to SUCCEEDED); ${((submit.length + status.length) / seconds).toFixed(1)} requests/s`);
    console.log(`submit:      p50 ${ms(percentile(submit, 50))}, p99 ${ms(percentile(submit, 99))}, max ${ms(submit[submit.length - 1] ?? NaN)} (${submit.length} calls)`);
    console.log(`status:      p50 ${ms(percentile(status, 50))}, p99 ${ms(percentile(status, 99))}, max ${ms(status[status.length - 1] ?? NaN)} (${status.length} calls, ${(status.length / Math.max(1, stats.accepted)).toFixed(1)} per job)`);
    console.log(`errors:      ${errors}${errors ? `: ${[...stats.errors].map(([k, v]) => `${v} x ${k}`).join("; ")}` : ""}`);
    console.log(`lost jobs:   ${stats.lost.length}${stats.lost.length ? `: ${stats.lost.slice(0, 10).map((l) => `${l.jobId} ${l.why}`).join("; ")}${stats.lost.length > 10 ? "; ..." : ""}` : ""}`);
    return errors === 0 && stats.lost.length === 0 && stats.succeeded === o.jobs ? 0 : 1;
  } finally {
    if (cloud) {
      const code = await cloud.stop();
      if (code !== 0) console.log(`the local cloud exited ${code}:\n${cloud.output().slice(-2000)}`);
    }
    if (o.keepState) console.log(`state kept in ${stateDir}`);
    else fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`bench:load failed: ${e instanceof Error ? e.message : e}`);
    process.exit(2);
  },
);
