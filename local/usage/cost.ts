/** Dollars from counted units (meter.ts) and the price table (prices.ts). */
import type { Units } from "./meter";
import { UNIT_PRICES, UNIT_KEYS, type UnitKey } from "./prices";

export interface LineItem {
  unit: UnitKey;
  amount: number;
  usd: number;
}

export interface Cost {
  usd: number;
  /** Most expensive first; units with a zero price or amount are left out. */
  items: LineItem[];
}

export function costOf(units: Units): Cost {
  const items = UNIT_KEYS.map((unit) => ({ unit, amount: units[unit] ?? 0, usd: (units[unit] ?? 0) * UNIT_PRICES[unit].usd }))
    .filter((i) => i.usd > 0)
    .sort((a, b) => b.usd - a.usd);
  return { usd: items.reduce((sum, i) => sum + i.usd, 0), items };
}

/** Units × n (a million jobs, or a duration scale). */
export function scaleUnits(units: Units, n: number): Units {
  return Object.fromEntries(Object.entries(units).map(([k, v]) => [k, (v as number) * n])) as Units;
}

/** a + b, unit by unit. */
export function addUnits(a: Units, b: Units): Units {
  const out: Units = { ...a };
  for (const [k, v] of Object.entries(b) as [UnitKey, number][]) out[k] = (out[k] ?? 0) + v;
  return out;
}
