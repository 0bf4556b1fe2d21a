// `npm run bench:cost -- [--only NAME[,NAME]] [--parallel 5] [--json FILE]`
//
// What a job costs on AWS, counted by the local cloud's meter (local/usage/): each configuration
// (backend × store × worker, and the workflow type) runs in a local cloud of its own, side by side,
// and runs its jobs: 1 s and 60 s awaited by the client's wait() (long polls), the 60 s job also
// by plain polling (longPollSeconds 0), and with the Fargate worker a 120 s job, from which and the
// 60 s job the 20 min row is scaled (every unit grows linearly with the job's length past the first
// minute). Warm-up jobs run first, so that the figures are those of warm functions. Each job's
// units come from `GET /__local/usage`, per job. The seed samples' designs are
// priced beside them (seedDesigns.ts). Prices: local/usage/prices.ts. Auth is `none`: IAM and API
// keys add no charge per request on API Gateway. Not part of `npm test`.
import * as fs from "fs";
import { AsyncApiClient } from "../client/index";
import { addUnits, scaleUnits } from "../local/usage/cost";
import type { Units } from "../local/usage/meter";
import { PRICES_AS_OF, PRICES_REGION, type UnitKey } from "../local/usage/prices";
import type { UsageDocument } from "../local/usage/report";
import { startCloudProcess, type CloudProcess } from "./cloudProcess";
import { costTable, type CostRow } from "./costTable";
import { SEED_DESIGNS, type MeasuredCalls } from "./seedDesigns";
import { option, runMain } from "./support";

interface Configuration {
  name: string;
  config: string[];
  fargate?: boolean;
  /** Express workflows run at most 5 minutes: the stack refuses a longer jobTimeoutSeconds. */
  express?: boolean;
}

const CONFIGURATIONS: Configuration[] = [
  { name: "stepfunctions standard, dynamodb", config: ["backend=stepfunctions", "store=dynamodb"] },
  { name: "stepfunctions express, dynamodb", config: ["backend=stepfunctions", "store=dynamodb", "workflowType=EXPRESS"], express: true },
  { name: "stepfunctions standard, s3", config: ["backend=stepfunctions", "store=s3"] },
  { name: "stepfunctions express, s3", config: ["backend=stepfunctions", "store=s3", "workflowType=EXPRESS"], express: true },
  { name: "lambda, dynamodb", config: ["backend=lambda", "store=dynamodb"] },
  { name: "lambda, s3", config: ["backend=lambda", "store=s3"] },
  { name: "stream, dynamodb", config: ["backend=stream", "store=dynamodb"] },
  { name: "stepfunctions, dynamodb, fargate", config: ["backend=stepfunctions", "store=dynamodb", "worker=fargate"], fargate: true },
  { name: "stepfunctions, s3, fargate", config: ["backend=stepfunctions", "store=s3", "worker=fargate"], fargate: true },
];

interface JobPlan {
  label: string;
  seconds: number;
  longPollSeconds: number;
}

const JOBS: JobPlan[] = [
  { label: "1 s", seconds: 1, longPollSeconds: 20 },
  { label: "60 s", seconds: 60, longPollSeconds: 20 },
  { label: "60 s, plain polling", seconds: 60, longPollSeconds: 0 },
];
const FARGATE_SCALE_FROM: JobPlan = { label: "120 s", seconds: 120, longPollSeconds: 20 };
const TWENTY_MINUTES = 1200;

interface Measured {
  configuration: Configuration;
  jobs: { plan: JobPlan; units: Units }[];
  usage: UsageDocument;
  /** Per source, what the measured jobs used (the warm-up left out). */
  measuredBySource: Record<string, Units>;
}

async function usageOf(cloud: CloudProcess): Promise<UsageDocument> {
  const res = await fetch(`${cloud.origin}/__local/usage`);
  if (res.status !== 200) throw new Error(`GET /__local/usage answered ${res.status}`);
  return (await res.json()) as UsageDocument;
}

/** Waits until no job's units change for `quietMs` (the events pipeline ends after the job). */
async function settledUsage(cloud: CloudProcess, jobIds: string[], quietMs = 4000, limitMs = 60_000): Promise<UsageDocument> {
  const started = Date.now();
  let last = "";
  let since = Date.now();
  for (;;) {
    const usage = await usageOf(cloud);
    const now = JSON.stringify(jobIds.map((id) => usage.jobs[id]?.units));
    if (now !== last) [last, since] = [now, Date.now()];
    else if (Date.now() - since >= quietMs || Date.now() - started > limitMs) return usage;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function runJob(cloud: CloudProcess, plan: JobPlan): Promise<string> {
  const client = new AsyncApiClient<{ seconds: number }, unknown>({ apiUrl: cloud.apiUrl, auth: { type: "none" }, longPollSeconds: plan.longPollSeconds });
  const { jobId } = await client.submit({ seconds: plan.seconds });
  const job = await client.wait(jobId, { timeoutMs: (plan.seconds + 180) * 1000 });
  if (job.status !== "SUCCEEDED") throw new Error(`a ${plan.label} job ended ${job.status}`);
  return jobId;
}

async function measure(configuration: Configuration): Promise<Measured> {
  const plans = configuration.fargate ? [...JOBS, FARGATE_SCALE_FROM] : JOBS;
  const timeout = configuration.fargate ? 1500 : configuration.express ? 240 : 900;
  const cloud = await startCloudProcess([...configuration.config, "auth=none", `jobTimeoutSeconds=${timeout}`]);
  try {
    // Warm first, as a busy stack is: as many 1 s jobs at once, awaited the same ways, so that each
    // function has as many warm instances as the measured jobs use. Cold starts (their INIT is
    // billed) are left out of the figures.
    const warmIds = await Promise.all(plans.map((plan) => runJob(cloud, { ...plan, label: "warm-up", seconds: 1 })));
    const warm = await settledUsage(cloud, warmIds);
    const ids = await Promise.all(plans.map((plan) => runJob(cloud, plan)));
    const usage = await settledUsage(cloud, ids);
    const jobs = plans.map((plan, i) => ({ plan, units: usage.jobs[ids[i]]?.units ?? {} }));
    const measuredBySource = Object.fromEntries(Object.entries(usage.bySource).map(([source, { units }]) => [source, addUnits(units, scaleUnits(warm.bySource[source]?.units ?? {}, -1))]));
    console.error(`  measured: ${configuration.name}`);
    return { configuration, jobs, usage, measuredBySource };
  } finally {
    await cloud.stop();
  }
}

/** At most `parallel` at once, in order. */
async function inBatches<T, R>(items: T[], parallel: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(parallel, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await run(items[i]);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** The 20 min job from the 60 s and 120 s ones: units(1200) = u60 + (u120 − u60) × (1200 − 60) / 60. */
function twentyMinutes(u60: Units, u120: Units): Units {
  const slope = addUnits(u120, scaleUnits(u60, -1));
  const grown = scaleUnits(slope, (TWENTY_MINUTES - 60) / 60);
  return Object.fromEntries(Object.entries(addUnits(u60, grown)).map(([k, v]) => [k, Math.max(0, v as number)])) as Units;
}

function rowsOf(m: Measured): CostRow[] {
  const rows: CostRow[] = m.jobs.filter((j) => j.plan !== FARGATE_SCALE_FROM).map((j) => ({ configuration: m.configuration.name, job: j.plan.label, units: j.units }));
  if (m.configuration.fargate) {
    const u60 = m.jobs.find((j) => j.plan === JOBS[1])!.units;
    const u120 = m.jobs.find((j) => j.plan === FARGATE_SCALE_FROM)!.units;
    rows.push({ configuration: m.configuration.name, job: "20 min", how: "scaled from 60 s and 120 s", units: twentyMinutes(u60, u120) });
  }
  return rows;
}

/** Per-call figures for the seed designs, from this project's own functions in a measured run. */
function measuredCalls(all: Measured[]): MeasuredCalls | undefined {
  let apiGbS = 0;
  let apiCalls = 0;
  let logBytes = 0;
  let invocations = 0;
  for (const m of all) {
    for (const [source, units] of Object.entries(m.measuredBySource)) {
      if (!source.startsWith("lambda:")) continue;
      const calls = units["lambda.requests"] ?? 0;
      invocations += calls;
      logBytes += units["logs.ingestedBytes"] ?? 0;
      // The submit function: a status function's figure here includes long polls, which the seeds do not make.
      if (/submit/.test(source)) {
        apiCalls += calls;
        apiGbS += (units["lambda.gbSecondsArm64"] ?? 0) + (units["lambda.gbSecondsX86"] ?? 0);
      }
    }
  }
  // backend stream alone has no submit function: nothing to take the seeds' figures from.
  if (apiCalls === 0 || invocations === 0) return undefined;
  return { apiInvocationGbSeconds: apiGbS / apiCalls, logBytesPerInvocation: logBytes / invocations, workerMemoryGb: 0.5 };
}

async function main(): Promise<void> {
  const only = option("only", "");
  const parallel = Number(option("parallel", "5"));
  const jsonFile = option("json", "");
  const chosen = only ? CONFIGURATIONS.filter((c) => only.split(",").some((o) => c.name.includes(o.trim()))) : CONFIGURATIONS;
  if (chosen.length === 0) throw new Error(`--only ${only} matches none of: ${CONFIGURATIONS.map((c) => c.name).join("; ")}`);
  const began = Date.now();
  console.error(`bench:cost: ${chosen.length} configurations, ${parallel} at a time; the longest job is ${chosen.some((c) => c.fargate) ? 120 : 60} s…`);
  const outcomes = await inBatches(chosen, parallel, (c) => measure(c).catch((e: unknown) => ({ failed: c.name, error: e instanceof Error ? e.message : String(e) })));
  const failures = outcomes.filter((o): o is { failed: string; error: string } => "failed" in o);
  const measured = outcomes.filter((o): o is Measured => !("failed" in o));
  if (measured.length === 0) throw new Error(failures.map((f) => `${f.failed}: ${f.error}`).join("\n"));
  const rows = measured.flatMap(rowsOf);
  const calls = measuredCalls(measured);
  if (calls) for (const design of SEED_DESIGNS) for (const seconds of [1, 60]) rows.push({ configuration: design.name, job: `${seconds} s`, how: "modelled", units: design.units(seconds, calls) });

  console.log(`\nWhat one job costs, per ${PRICES_REGION} list prices (${PRICES_AS_OF}); units per job, measured on the local cloud:\n`);
  console.log(costTable(rows));
  console.log(`\nNot per job (pollers, the list; counted over the whole run of each configuration):`);
  for (const m of measured) console.log(`  ${m.configuration.name}: ${describe(m.usage.notPerJob.units)}`);
  if (calls) console.log(`\nSeed designs use, per call: ${calls.apiInvocationGbSeconds.toFixed(4)} GB-s an API invocation, ${Math.round(calls.logBytesPerInvocation)} log bytes an invocation, a ${calls.workerMemoryGb * 1024} MB worker.`);
  else console.log("\nNo seed designs: no configuration measured has a submit function to take their per-call figures from.");
  console.log(`Took ${Math.round((Date.now() - began) / 1000)} s.`);
  for (const f of failures) console.error(`FAILED: ${f.failed}: ${f.error}`);
  if (failures.length) process.exitCode = 1;
  if (jsonFile) fs.writeFileSync(jsonFile, JSON.stringify({ rows, notPerJob: Object.fromEntries(measured.map((m) => [m.configuration.name, m.usage.notPerJob.units])) }, null, 2));
}

function describe(units: Units): string {
  const parts = (Object.entries(units) as [UnitKey, number][]).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(3)}`);
  return parts.length ? parts.join(", ") : "nothing";
}

runMain(main);
