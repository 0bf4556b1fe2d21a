// `npm test`: mocha over every test file, in parallel worker processes, with a check of its own at
// the end: the run leaves the machine as it found it.
//
// - Every test process gets TMPDIR = a folder of this run's own, and a marker in its environment
//   (ASYNC_API_TEST_RUN). After mocha, anything left in that folder, and any process still alive
//   with the marker (local clouds, Lambda workers, Chromium, whatever a test started and forgot),
//   is a failure that names it. Then both are removed, whatever happened: also on Ctrl-C.
// - It prints the skipped tests with their reasons, the ten slowest tests and files, and ends with
//   "N passed, N failed".
//
// `npm test -- tests/e2e/jobApi.test.ts` runs only the files named; other arguments go to mocha.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { printSummary } = require("./summary") as { printSummary(summary: Summary, print: (line: string) => void, extraFailures?: string[]): void };

interface Summary {
  passed: number;
  failed: number;
  skipped: { title: string; reason: string }[];
  slowest: { title: string; file?: string; ms: number }[];
}

const ROOT = path.resolve(__dirname, "..", "..");
const MOCHA = require.resolve("mocha/bin/mocha.js");
/**
 * Worker processes. Most tests wait on clocks, sockets and child processes rather than compute, so
 * more workers than cores pays; past about 4 on 2 cores, timing-sensitive tests start to suffer.
 */
const JOBS = Number(process.env.ASYNC_API_TEST_JOBS ?? Math.min(4, Math.max(2, os.cpus().length * 2)));
const MARKER = "ASYNC_API_TEST_RUN";

const runId = randomUUID();
const runDir = fs.mkdtempSync(path.join(os.tmpdir(), "async-api-test-run-"));
const testTmp = path.join(runDir, "tmp");
fs.mkdirSync(testTmp);
const files = {
  summary: path.join(runDir, "summary.json"),
  skips: path.join(runDir, "skips.jsonl"),
  timings: path.join(runDir, "timings.jsonl"),
};

/** Pids of live processes whose environment carries this run's marker (every process the tests started). */
function markedProcesses(): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = fs.readFileSync(`/proc/${pid}/environ`, "latin1");
      if (!environ.split("\0").includes(`${MARKER}=${runId}`)) continue;
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
      if (/^\d+ \(.*\) Z /s.test(stat)) continue; // a zombie is already dead: its parent just has not reaped it
      const command = fs.readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").join(" ").trim();
      found.push({ pid, command });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

function killMarked(): void {
  for (const { pid } of markedProcesses()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** ts-node's compile cache (v8-compile-cache-lib): the tooling's, not a test's; it goes with the run's folder. */
const TOOL_CACHES = /^v8-compile-cache-/;

/**
 * What the run left in its TMPDIR, grouped by name pattern (`async-api-e2e-* ×3`) so that a reader
 * can trace each group to the test that makes it.
 */
function leftoverTemp(): string[] {
  const groups = new Map<string, number>();
  for (const name of fs.readdirSync(testTmp)) {
    if (TOOL_CACHES.test(name)) continue;
    const pattern = name.replace(/[-_.][A-Za-z0-9]{6}$/, (m) => `${m[0]}*`);
    groups.set(pattern, (groups.get(pattern) ?? 0) + 1);
  }
  return [...groups].map(([pattern, n]) => (n > 1 ? `${pattern} ×${n}` : pattern));
}

function cleanUp(): void {
  killMarked();
  fs.rmSync(runDir, { recursive: true, force: true });
}

/**
 * The files that take longest (each starts local clouds and waits on jobs), longest first: workers
 * take files in order, so these start at once instead of last.
 */
const SLOW_FIRST = [
  "tests/reliability/faults.test.ts",
  "tests/e2e/failureReplay.",
  "tests/reliability/",
  "tests/e2e/jobApi.",
  "tests/client/localCloud.test.ts",
  "tests/examples/",
  "tests/program/",
  "tests/e2e/",
  "tests/console/",
];

/** Every `*.test.ts` under tests/, slow ones first, then in name order. */
function allTestFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith(".test.ts")) found.push(rel);
    }
  };
  walk("tests");
  const rank = (file: string) => {
    const i = SLOW_FIRST.findIndex((prefix) => file.startsWith(prefix));
    return i === -1 ? SLOW_FIRST.length : i;
  };
  return found.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function mochaArgs(argv: string[]): string[] {
  const namesFiles = argv.some((a) => !a.startsWith("-") && /\.(ts|js)$|\*/.test(a));
  const parallel = process.env.ASYNC_API_TEST_SERIAL === "1" ? [] : ["--parallel", "--jobs", String(JOBS)];
  return [MOCHA, ...parallel, ...argv, ...(namesFiles ? [] : allTestFiles())];
}

function slowestFiles(): { file: string; ms: number }[] {
  if (!fs.existsSync(files.timings)) return [];
  const byFile = new Map<string, number>();
  for (const line of fs.readFileSync(files.timings, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const { file, ms } = JSON.parse(line) as { file: string; ms: number };
    byFile.set(file, (byFile.get(file) ?? 0) + ms);
  }
  return [...byFile].map(([file, ms]) => ({ file, ms })).sort((a, b) => b.ms - a.ms).slice(0, 10);
}

/**
 * The type check (`tsc --noEmit`), side by side with the tests: the tests spend much of their time
 * waiting on clocks and child processes, which leaves a core to it. Its errors fail the run.
 */
function typeCheck(argv: string[]): Promise<string | undefined> {
  if (process.env.ASYNC_API_TEST_TYPECHECK === "0" || argv.some((a) => !a.startsWith("-"))) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const tsc = spawn(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.json", "--noEmit"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    tsc.stdout!.on("data", (d) => (out += d));
    tsc.stderr!.on("data", (d) => (out += d));
    tsc.once("exit", (code) => resolve(code === 0 ? undefined : out.trim() || `tsc exited with ${code}`));
  });
}

async function main(): Promise<number> {
  const started = Date.now();
  const typeErrors = typeCheck(process.argv.slice(2));
  const child: ChildProcess = spawn(process.execPath, mochaArgs(process.argv.slice(2)), {
    cwd: ROOT,
    stdio: "inherit",
    env: {
      ...process.env,
      TMPDIR: testTmp,
      [MARKER]: runId,
      ASYNC_API_TEST_SUMMARY: files.summary,
      ASYNC_API_TEST_SKIPS: files.skips,
      ASYNC_API_TEST_TIMINGS: files.timings,
    },
  });

  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    // The terminal's Ctrl-C reaches mocha too; give it a moment to stop, then make sure.
    interrupted = signal;
    child.kill(signal);
    setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const code = await new Promise<number>((resolve) => child.once("exit", (c, s) => resolve(c ?? (s ? 1 : 0))));
  if (interrupted) {
    cleanUp();
    process.stdout.write(`\nInterrupted (${interrupted}): stopped every process the tests started and removed ${runDir}.\n`);
    return 130;
  }

  // Processes get a moment to exit after mocha (a SIGTERM'd cloud closing its files).
  let processes = markedProcesses();
  for (let i = 0; i < 30 && processes.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    processes = markedProcesses();
  }
  const temp = leftoverTemp();
  const own: string[] = [];
  const typeCheckFailed = await typeErrors;
  if (typeCheckFailed) own.push(`the type check (tsc --noEmit) failed:\n${typeCheckFailed}`);
  if (temp.length > 0) own.push(`the tests left temporary files behind in their TMPDIR (each test removes what it creates): ${temp.join(", ")}`);
  if (processes.length > 0) own.push(`the tests left ${processes.length} process${processes.length === 1 ? "" : "es"} running (each test stops what it starts): ${processes.map((p) => `${p.pid} ${p.command.slice(0, 160)}`).join("; ")}`);

  let summary: Summary | undefined;
  try {
    summary = JSON.parse(fs.readFileSync(files.summary, "utf8")) as Summary;
  } catch {
    own.push(`mocha exited with ${code} before writing its summary`);
  }
  const print = (line: string) => process.stdout.write(`${line}\n`);
  const filesByTime = slowestFiles();
  if (filesByTime.length > 0) {
    print("\nThe ten slowest files (time in their tests and hooks):");
    for (const f of filesByTime) print(`  ${`${(f.ms / 1000).toFixed(1)} s`.padStart(7)}  ${f.file}`);
  }
  print(`\nWall time: ${((Date.now() - started) / 1000).toFixed(0)} s with ${process.env.ASYNC_API_TEST_SERIAL === "1" ? "1 process" : `${JOBS} worker processes`}.`);
  cleanUp();
  printSummary(summary ?? { passed: 0, failed: 0, skipped: [], slowest: [] }, print, own);
  return code !== 0 || own.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    cleanUp();
    process.stderr.write(`${(err as Error)?.stack ?? err}\n`);
    process.exit(1);
  },
);
