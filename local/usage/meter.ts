/**
 * The local cloud's cost meter: each local service counts the billable units it serves (AWS's own
 * units: requests, GB-seconds, request units, state transitions…), per job where the call names
 * one (jobIds.ts). Prices are not here: prices.ts holds them, cost.ts applies them.
 *
 * Units are keys `<service>.<unit>`, the keys of the price table (UNIT_PRICES in prices.ts).
 */
import type { UnitKey } from "./prices";

/** Units by key; a key absent is zero. */
export type Units = Partial<Record<UnitKey, number>>;

export interface UsageReport {
  /** When counting started (the cloud's start or the last reset). */
  since: string;
  at: string;
  /** Every unit counted. */
  totals: Units;
  /** Per job id: the units of the calls that named it (a call naming several is split evenly). */
  jobs: Record<string, Units>;
  /** The units of calls that named no job (pollers, the list, a bad request). */
  notPerJob: Units;
  /** Per source (`lambda:<function>`, `dynamodb:<table>`, `apigateway:<METHOD resource>`…). */
  bySource: Record<string, Units>;
}

export interface CountOptions {
  /** The jobs the call was for; several share the units evenly. */
  jobIds?: readonly string[];
  /** What counted it, for the report's `bySource`. */
  source?: string;
}

/** How many jobs the report keeps apart (the oldest are dropped first; totals keep everything). */
const MAX_JOBS = 20_000;

export class UsageMeter {
  private since = new Date();
  private totals: Units = {};
  private notPerJob: Units = {};
  private jobs = new Map<string, Units>();
  private bySource = new Map<string, Units>();

  /** Counts `amount` of `unit` (nothing for a zero, negative or non-finite amount). */
  count(unit: UnitKey, amount: number, options: CountOptions = {}): void {
    if (!(amount > 0) || !Number.isFinite(amount)) return;
    add(this.totals, unit, amount);
    if (options.source) add(entry(this.bySource, options.source), unit, amount);
    const ids = options.jobIds ?? [];
    if (ids.length === 0) {
      add(this.notPerJob, unit, amount);
      return;
    }
    for (const id of ids) {
      let units = this.jobs.get(id);
      if (!units) {
        units = {};
        this.jobs.set(id, units);
        if (this.jobs.size > MAX_JOBS) this.jobs.delete(this.jobs.keys().next().value as string);
      }
      add(units, unit, amount / ids.length);
    }
  }

  /** The units of one job so far. */
  job(jobId: string): Units {
    return { ...(this.jobs.get(jobId) ?? {}) };
  }

  report(): UsageReport {
    return {
      since: this.since.toISOString(),
      at: new Date().toISOString(),
      totals: { ...this.totals },
      jobs: Object.fromEntries([...this.jobs].map(([id, u]) => [id, { ...u }])),
      notPerJob: { ...this.notPerJob },
      bySource: Object.fromEntries([...this.bySource].map(([s, u]) => [s, { ...u }])),
    };
  }

  reset(): void {
    this.since = new Date();
    this.totals = {};
    this.notPerJob = {};
    this.jobs.clear();
    this.bySource.clear();
  }
}

function add(units: Units, unit: UnitKey, amount: number): void {
  units[unit] = (units[unit] ?? 0) + amount;
}

function entry(map: Map<string, Units>, key: string): Units {
  let units = map.get(key);
  if (!units) {
    units = {};
    map.set(key, units);
  }
  return units;
}
