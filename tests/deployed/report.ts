// Runs the checks side by side, each within a deadline, and renders the pass/fail table.
import { NotApplicable, type Check } from "./checks";
import type { Target } from "./target";

export type Result = "PASS" | "FAIL" | "N/A";

export interface Row {
  name: string;
  result: Result;
  seconds: number;
  why: string;
}

// A job's own wait is bounded by jobTimeoutMs; this also bounds a request that never answers.
const DEADLINE_MARGIN_MS = 60_000;

async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no end after ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function runOne(check: Check, t: Target): Promise<Row> {
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  try {
    await within(t.jobTimeoutMs + DEADLINE_MARGIN_MS, check.run(t));
    return { name: check.name, result: "PASS", seconds: seconds(), why: "" };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { name: check.name, result: err instanceof NotApplicable ? "N/A" : "FAIL", seconds: seconds(), why };
  }
}

export const runChecks = (checks: readonly Check[], t: Target): Promise<Row[]> => Promise.all(checks.map((c) => runOne(c, t)));

export function renderTable(rows: readonly Row[]): string {
  const width = Math.max("check".length, ...rows.map((r) => r.name.length));
  const lines = [`${"check".padEnd(width)}  result  seconds  why`];
  for (const r of rows) {
    const why = r.why.replace(/\s+/g, " ").slice(0, 200);
    lines.push(`${r.name.padEnd(width)}  ${r.result.padEnd(6)}  ${r.seconds.toFixed(1).padStart(7)}  ${why}`.trimEnd());
  }
  const count = (result: Result) => rows.filter((r) => r.result === result).length;
  lines.push("", `PASS ${count("PASS")}, FAIL ${count("FAIL")}, N/A ${count("N/A")}`);
  return lines.join("\n");
}
