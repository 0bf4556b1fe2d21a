/**
 * The usage report the local cloud serves at `GET /__local/usage` and prints at exit with
 * `npm start -- --usage`: the counted units (meter.ts) with their cost (cost.ts, prices.ts).
 */
import { costOf, type Cost } from "./cost";
import type { Units, UsageMeter } from "./meter";
import { PRICES_AS_OF, PRICES_REGION, UNIT_PRICES, type UnitKey } from "./prices";

export interface PricedUnits {
  units: Units;
  usd: number;
}

export interface UsageDocument {
  since: string;
  at: string;
  prices: { region: string; asOf: string };
  /** Everything counted, with its cost and line items (most expensive first). */
  totals: PricedUnits & { items: Cost["items"] };
  /** Per job id. */
  jobs: Record<string, PricedUnits>;
  /** What no job was named for (the list, pollers, bad requests). */
  notPerJob: PricedUnits;
  bySource: Record<string, PricedUnits>;
}

const priced = (units: Units): PricedUnits => ({ units, usd: costOf(units).usd });

export function usageDocument(meter: UsageMeter): UsageDocument {
  const r = meter.report();
  const total = costOf(r.totals);
  return {
    since: r.since,
    at: r.at,
    prices: { region: PRICES_REGION, asOf: PRICES_AS_OF },
    totals: { units: r.totals, usd: total.usd, items: total.items },
    jobs: Object.fromEntries(Object.entries(r.jobs).map(([id, u]) => [id, priced(u)])),
    notPerJob: priced(r.notPerJob),
    bySource: Object.fromEntries(Object.entries(r.bySource).map(([s, u]) => [s, priced(u)])),
  };
}

const number = (n: number) => (Number.isInteger(n) ? String(n) : n < 1 ? n.toPrecision(3) : n.toFixed(3));
export const dollars = (usd: number) => (usd === 0 ? "$0" : usd < 0.01 ? `$${usd.toPrecision(3)}` : `$${usd.toFixed(2)}`);

/** The report as text: one line per unit counted, then the total and the number of jobs. */
export function formatUsage(doc: UsageDocument): string {
  const keys = Object.keys(doc.totals.units) as UnitKey[];
  const rows = keys.map((k) => [k, number(doc.totals.units[k] ?? 0), UNIT_PRICES[k].unit, dollars((doc.totals.units[k] ?? 0) * UNIT_PRICES[k].usd)]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(0, ...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => `  ${r[0].padEnd(widths[0])}  ${r[1].padStart(widths[1])}  ${r[2].padEnd(widths[2])}  ${r[3].padStart(widths[3])}`);
  const jobs = Object.keys(doc.jobs).length;
  return [
    `Usage from ${doc.since} to ${doc.at} (${doc.prices.region} list prices, ${doc.prices.asOf}):`,
    ...(lines.length ? lines : ["  nothing billable was served"]),
    `  total ${dollars(doc.totals.usd)} for ${jobs} job${jobs === 1 ? "" : "s"}${jobs ? ` (${dollars(doc.totals.usd / jobs)} a job, ${dollars((doc.totals.usd / jobs) * 1e6)} per million)` : ""}`,
  ].join("\n");
}
