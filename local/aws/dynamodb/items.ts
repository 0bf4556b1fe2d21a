/** Item helpers shared by the write path, transactions and streams. */
import type { DynamoDbItem } from "../types";

/** The key attributes of `item` (in key-schema order), or `undefined` when one is missing. */
export function keyOf(item: DynamoDbItem | undefined, keyNames: string[]): DynamoDbItem | undefined {
  if (!item) return undefined;
  const key: DynamoDbItem = {};
  for (const name of keyNames) {
    if (!item[name]) return undefined;
    key[name] = item[name];
  }
  return key;
}

/** Whether `key` has exactly the key attributes (AWS rejects both missing and extra ones). */
export function isExactKey(key: unknown, keyNames: string[]): key is DynamoDbItem {
  if (!key || typeof key !== "object" || Array.isArray(key)) return false;
  const names = Object.keys(key);
  return names.length === keyNames.length && keyNames.every((n) => names.includes(n));
}

/** JSON with sorted object keys and sorted set members: equal text ⇔ equal DynamoDB values. */
export function canonical(value: unknown): string {
  return JSON.stringify(normalise(value));
}

function normalise(value: unknown, parentKey?: string): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => normalise(v));
    // String, number and binary sets are unordered; lists are not.
    return parentKey === "SS" || parentKey === "NS" || parentKey === "BS" ? items.map((v) => JSON.stringify(v)).sort() : items;
  }
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = normalise((value as Record<string, unknown>)[k], k);
    return out;
  }
  return value;
}

export function sameItem(a: DynamoDbItem | undefined, b: DynamoDbItem | undefined): boolean {
  if (!a || !b) return a === b;
  return canonical(a) === canonical(b);
}

/**
 * An item's size as DynamoDB counts it (AWS, "DynamoDB item sizes and formats",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
 * attribute names and strings in UTF-8 bytes, a number 1 byte per two significant digits (leading
 * and trailing zeroes trimmed) plus 1, binary its raw bytes, null and Boolean 1 byte, a list or
 * map 3 bytes plus 1 per element plus its elements.
 */
export function itemSize(item: DynamoDbItem | undefined): number {
  if (!item) return 0;
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

function valueSize(value: Record<string, unknown>): number {
  const [type, v] = Object.entries(value)[0] ?? ["NULL", true];
  switch (type) {
    case "S":
      return Buffer.byteLength(String(v));
    case "N":
      return Math.ceil(significantDigits(String(v)) / 2) + 1;
    case "B":
      return Buffer.from(String(v), "base64").length;
    case "SS":
    case "NS":
    case "BS":
      return (v as string[]).reduce((n, m) => n + valueSize({ [type.slice(0, 1)]: m }), 0);
    case "L":
      return 3 + (v as Record<string, unknown>[]).reduce((n, m) => n + 1 + valueSize(m), 0);
    case "M":
      return 3 + itemSize(v as DynamoDbItem) + Object.keys(v as object).length;
    default:
      return 1;
  }
}

/** The significant digits of a DynamoDB number (`"-0012.500e3"` → 3: `125`). */
function significantDigits(n: string): number {
  return n.replace(/^[+-]/, "").replace(/e.*$/i, "").replace(".", "").replace(/^0+|0+$/g, "").length;
}
