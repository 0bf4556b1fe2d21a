/**
 * EventBridge event patterns: validation and matching, as documented in "Amazon EventBridge event
 * patterns" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html).
 *
 * - A pattern is a JSON object. A key whose value is an object matches a nested field; a key whose
 *   value is an array matches a leaf: any element of the array may match (OR), every key must
 *   match (AND). An array in the event matches when any of its elements does.
 * - Leaf conditions: exact values (strings, numbers compared by value, booleans, null);
 *   `{"prefix"}`, `{"suffix"}` (both also with `{"equals-ignore-case": ...}`),
 *   `{"equals-ignore-case"}`, `{"wildcard"}`, `{"anything-but": value | [values] | {"prefix"} |
 *   {"suffix"} | {"equals-ignore-case"} | {"wildcard"}}`, `{"numeric": [op, n, op, n]}`,
 *   `{"exists": true | false}`, `{"cidr": "a.b.c.d/n"}` (IPv4).
 * - `"$or": [pattern, ...]` at any level: the object matches when any of them does.
 * - A field the event lacks matches only `{"exists": false}`.
 */

export class InvalidEventPattern extends Error {
  constructor(message: string) {
    super(`Event pattern is not valid. Reason: ${message}`);
    this.name = "InvalidEventPatternException";
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Condition = Json;

const NUMERIC_OPS = new Set(["<", "<=", "=", ">", ">="]);
const isObject = (v: unknown): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Parses (when given text) and validates a pattern; throws `InvalidEventPattern`. */
export function parsePattern(pattern: string | object): Record<string, Json> {
  let value: unknown = pattern;
  if (typeof pattern === "string") {
    try {
      value = JSON.parse(pattern);
    } catch (e) {
      throw new InvalidEventPattern(`Filter is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (!isObject(value)) throw new InvalidEventPattern("Filter is not an object");
  if (Object.keys(value).length === 0) throw new InvalidEventPattern("Empty objects are not allowed");
  validateObject(value, "");
  return value;
}

function validateObject(pattern: Record<string, Json>, path: string): void {
  for (const [key, value] of Object.entries(pattern)) {
    const at = path ? `${path}.${key}` : key;
    if (key === "$or") {
      if (!Array.isArray(value) || value.length < 2) throw new InvalidEventPattern(`"$or" at ${path || "the top"} needs an array of at least two patterns`);
      for (const alt of value) {
        if (!isObject(alt) || Object.keys(alt).length === 0) throw new InvalidEventPattern(`"$or" at ${path || "the top"} takes non-empty objects`);
        validateObject(alt, path);
      }
    } else if (Array.isArray(value)) {
      if (value.length === 0) throw new InvalidEventPattern(`Empty arrays are not allowed (${at})`);
      for (const c of value) validateCondition(c, at);
    } else if (isObject(value)) {
      if (Object.keys(value).length === 0) throw new InvalidEventPattern(`Empty objects are not allowed (${at})`);
      validateObject(value, at);
    } else {
      throw new InvalidEventPattern(`"${at}" must be an object or an array`);
    }
  }
}

function validateStringMatcher(value: Json, op: string, at: string): void {
  if (typeof value === "string") return;
  if (isObject(value) && Object.keys(value).length === 1 && typeof value["equals-ignore-case"] === "string" && (op === "prefix" || op === "suffix")) return;
  throw new InvalidEventPattern(`${op} match pattern must be a string (${at})`);
}

function validateCondition(c: Condition, at: string): void {
  if (c === null || typeof c === "string" || typeof c === "number" || typeof c === "boolean") return;
  if (Array.isArray(c)) throw new InvalidEventPattern(`Match value must be a string, number, boolean, null or an object (${at})`);
  const keys = Object.keys(c);
  if (keys.length !== 1) throw new InvalidEventPattern(`Only one key allowed in a match expression (${at})`);
  const op = keys[0];
  const v = c[op];
  switch (op) {
    case "prefix":
    case "suffix":
      return validateStringMatcher(v, op, at);
    case "equals-ignore-case":
    case "wildcard":
      if (typeof v !== "string") throw new InvalidEventPattern(`${op} match pattern must be a string (${at})`);
      return;
    case "exists":
      if (typeof v !== "boolean") throw new InvalidEventPattern(`exists match pattern must be either true or false (${at})`);
      return;
    case "cidr":
      if (typeof v !== "string" || !/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.test(v)) throw new InvalidEventPattern(`Malformed CIDR (${at}); the local EventBridge knows IPv4 only`);
      return;
    case "numeric": {
      if (!Array.isArray(v) || (v.length !== 2 && v.length !== 4)) throw new InvalidEventPattern(`Value of numeric must be an array of one or two comparisons (${at})`);
      for (let i = 0; i < v.length; i += 2) {
        if (typeof v[i] !== "string" || !NUMERIC_OPS.has(v[i] as string)) throw new InvalidEventPattern(`Unrecognized numeric range operator: ${JSON.stringify(v[i])} (${at})`);
        if (typeof v[i + 1] !== "number") throw new InvalidEventPattern(`Value of ${v[i]} must be numeric (${at})`);
      }
      return;
    }
    case "anything-but": {
      if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return;
      if (Array.isArray(v)) {
        if (!v.length || !v.every((x) => typeof x === "string" || typeof x === "number")) throw new InvalidEventPattern(`Inside anything-but list, only strings or numbers are allowed (${at})`);
        return;
      }
      const inner = Object.keys(v);
      if (inner.length !== 1 || !["prefix", "suffix", "equals-ignore-case", "wildcard"].includes(inner[0])) {
        throw new InvalidEventPattern(`Value of anything-but must be an array, a single value, or a prefix, suffix, equals-ignore-case or wildcard object (${at})`);
      }
      const iv = v[inner[0]];
      if (typeof iv !== "string" && !(inner[0] === "equals-ignore-case" && Array.isArray(iv) && iv.every((x) => typeof x === "string"))) {
        throw new InvalidEventPattern(`anything-but ${inner[0]} takes a string (${at})`);
      }
      return;
    }
    default:
      throw new InvalidEventPattern(`Unrecognized match type ${op} (${at})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Matching

/** Whether `event` matches `pattern` (JSON text is parsed and validated; an object is taken as valid: see `parsePattern`). */
export function matchesPattern(pattern: object | string, event: unknown): boolean {
  const p = typeof pattern === "string" ? parsePattern(pattern) : (pattern as Record<string, Json>);
  return matchObject(p, event);
}

function matchObject(pattern: Record<string, Json>, value: unknown): boolean {
  for (const [key, sub] of Object.entries(pattern)) {
    if (key === "$or") {
      if (!(sub as Json[]).some((alt) => matchObject(alt as Record<string, Json>, value))) return false;
      continue;
    }
    const field = isObject(value) ? (value as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(sub)) {
      if (!matchLeaf(sub, field)) return false;
    } else {
      // A nested pattern: the field is an object, or an array of which one element matches.
      const candidates = Array.isArray(field) ? field : [field];
      if (!candidates.some((c) => isObject(c) && matchObject(sub as Record<string, Json>, c))) {
        // A nested pattern of only `exists: false` leaves matches an absent object.
        if (!(field === undefined && onlyAbsence(sub as Record<string, Json>))) return false;
      }
    }
  }
  return true;
}

function onlyAbsence(pattern: Record<string, Json>): boolean {
  return Object.entries(pattern).every(([k, v]) =>
    k === "$or" ? false : Array.isArray(v) ? v.some((c) => isObject(c) && c.exists === false) : isObject(v) && onlyAbsence(v),
  );
}

function matchLeaf(conditions: Json[], field: unknown): boolean {
  if (field === undefined) return conditions.some((c) => isObject(c) && c.exists === false);
  const values: unknown[] = Array.isArray(field) ? field : [field];
  return conditions.some((c) => {
    if (isObject(c) && "exists" in c) return c.exists === true && (Array.isArray(field) ? field.length > 0 : !isObject(field));
    return values.some((v) => matchValue(c, v));
  });
}

const lower = (s: string) => s.toLowerCase();

function stringMatch(op: "prefix" | "suffix", spec: Json, v: string): boolean {
  const ignoreCase = isObject(spec);
  const target = ignoreCase ? String((spec as Record<string, Json>)["equals-ignore-case"]) : String(spec);
  const a = ignoreCase ? lower(v) : v;
  const b = ignoreCase ? lower(target) : target;
  return op === "prefix" ? a.startsWith(b) : a.endsWith(b);
}

function wildcardMatch(pattern: string, v: string): boolean {
  const re = new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "s");
  return re.test(v);
}

function equalValue(c: Json, v: unknown): boolean {
  if (typeof c === "number") return typeof v === "number" && v === c;
  return c === v;
}

function ipv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

function matchValue(c: Json, v: unknown): boolean {
  if (!isObject(c)) return equalValue(c, v);
  const [op] = Object.keys(c);
  const spec = c[op];
  switch (op) {
    case "prefix":
    case "suffix":
      return typeof v === "string" && stringMatch(op, spec, v);
    case "equals-ignore-case":
      return typeof v === "string" && lower(v) === lower(String(spec));
    case "wildcard":
      return typeof v === "string" && wildcardMatch(String(spec), v);
    case "numeric": {
      if (typeof v !== "number") return false;
      const ops = spec as Json[];
      for (let i = 0; i < ops.length; i += 2) {
        const n = ops[i + 1] as number;
        const ok = { "<": v < n, "<=": v <= n, "=": v === n, ">": v > n, ">=": v >= n }[ops[i] as string];
        if (!ok) return false;
      }
      return true;
    }
    case "cidr": {
      if (typeof v !== "string") return false;
      const [base, bits] = String(spec).split("/");
      const ip = ipv4(v);
      const net = ipv4(base);
      if (ip === undefined || net === undefined) return false;
      const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
      return ((ip & mask) >>> 0) === ((net & mask) >>> 0);
    }
    case "anything-but": {
      if (Array.isArray(spec)) return !spec.some((x) => equalValue(x, v));
      if (!isObject(spec)) return !equalValue(spec, v);
      const [inner] = Object.keys(spec);
      const iv = spec[inner];
      if (typeof v !== "string") return true; // not a string: it cannot be the excluded text
      switch (inner) {
        case "prefix":
        case "suffix":
          return !stringMatch(inner, iv, v);
        case "equals-ignore-case":
          return !(Array.isArray(iv) ? iv : [iv]).some((x) => lower(String(x)) === lower(v));
        case "wildcard":
          return !wildcardMatch(String(iv), v);
        default:
          return false;
      }
    }
    default:
      return false;
  }
}
