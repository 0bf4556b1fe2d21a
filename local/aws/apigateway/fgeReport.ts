/**
 * The messages API Gateway puts in `$context.error.validationErrorString` when a body fails its
 * model. API Gateway validates with Francis Galiegue's json-schema-validator (Java, draft-04),
 * so this walks a schema the way that library does and words each failure as its message bundle
 * does (`object has missing required properties (["seconds"])`, …).
 *
 * The walk matters as much as the words: at each instance node the keywords run in alphabetical
 * order (only those that apply to the node's type), and children are visited — object members in
 * sorted order, array elements in order — only while the whole report is still clean. So a
 * missing property at the top hides every error below it, but sibling members still report their
 * own keywords. `allOf`/`anyOf`/`oneOf`/`not` validate their branches on the side and report one
 * message of their own.
 *
 * Not covered: `format` (the gateway validates no formats, see bodyValidation.ts), and the
 * textual form of decimals (Java keeps `1.50`, JSON.parse gives 1.5).
 */

type Schema = Record<string, any>;
type NodeType = "array" | "boolean" | "integer" | "null" | "number" | "object" | "string";

/** fge's NodeType enum order, which is the order an EnumSet of types prints in. */
const TYPE_ORDER: NodeType[] = ["array", "boolean", "integer", "null", "number", "object", "string"];

const isObject = (v: unknown): v is Record<string, any> => v !== null && typeof v === "object" && !Array.isArray(v);
const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

function nodeType(v: unknown): NodeType {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "string") return "string";
  return "object";
}

/** Jackson's `toString` of a node, which is what the messages print for JSON arguments. */
const json = (v: unknown) => JSON.stringify(v);
const num = (v: number) => String(v);

function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEquals(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => own(b, k) && jsonEquals(a[k], b[k]));
  }
  return false;
}

function regexFinds(pattern: unknown, s: string): boolean | undefined {
  try {
    return new RegExp(String(pattern)).test(s);
  } catch {
    return undefined;
  }
}

/** Whether `value` is a multiple of `divisor`, exactly for decimals (fge uses BigDecimal). */
function isMultiple(value: number, divisor: number): boolean {
  const decimals = (n: number) => {
    const m = /(?:\.(\d+))?(?:e([+-]\d+))?$/i.exec(String(n));
    return Math.max(0, (m?.[1]?.length ?? 0) - Number(m?.[2] ?? 0));
  };
  const scale = Math.max(decimals(value), decimals(divisor));
  if (scale > 15) return Number.isInteger(value / divisor);
  const f = 10 ** scale;
  const a = Math.round(value * f);
  const b = Math.round(divisor * f);
  return b !== 0 && a % b === 0;
}

interface Walk {
  root: Schema;
  depth: number;
}

function resolve(schema: unknown, walk: Walk): Schema | undefined {
  let current = schema;
  for (let i = 0; i < 32 && isObject(current) && typeof current.$ref === "string"; i++) {
    const ref: string = current.$ref;
    if (!ref.startsWith("#")) return undefined;
    let target: any = walk.root;
    for (const part of ref.slice(1).split("/").filter((p) => p !== "")) {
      target = isObject(target) || Array.isArray(target) ? (target as any)[decodeURIComponent(part).replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
    }
    current = target;
  }
  return isObject(current) ? current : undefined;
}

type Keyword = (schema: Schema, value: any, report: string[], walk: Walk) => void;

const ARRAY: NodeType[] = ["array"];
const OBJECT: NodeType[] = ["object"];
const STRING: NodeType[] = ["string"];
const NUMERIC: NodeType[] = ["integer", "number"];

function branches(list: unknown, value: unknown, walk: Walk): { n: number; matched: number } {
  const schemas = Array.isArray(list) ? list : [];
  let matched = 0;
  for (const s of schemas) if (validates(s, value, walk)) matched++;
  return { n: schemas.length, matched };
}

/** Each keyword's check, and the instance types it applies to (undefined: all). */
const KEYWORDS: Record<string, { types?: NodeType[]; check: Keyword }> = {
  additionalItems: {
    types: ARRAY,
    check: (s, v: unknown[], r) => {
      if (Array.isArray(s.items) && s.additionalItems === false && v.length > s.items.length) {
        r.push(`schema only allows ${s.items.length} elements in array but instance has ${v.length} elements`);
      }
    },
  },
  additionalProperties: {
    types: OBJECT,
    check: (s, v: Record<string, unknown>, r) => {
      if (s.additionalProperties !== false) return;
      const properties = isObject(s.properties) ? s.properties : {};
      const patterns = isObject(s.patternProperties) ? Object.keys(s.patternProperties) : [];
      const extra = Object.keys(v).filter((k) => !own(properties, k) && !patterns.some((p) => regexFinds(p, k)));
      if (extra.length > 0) r.push(`object instance has properties which are not allowed by the schema: ${json(extra.sort())}`);
    },
  },
  allOf: {
    check: (s, v, r, w) => {
      const { n, matched } = branches(s.allOf, v, w);
      if (matched !== n) r.push(`instance failed to match all required schemas (matched only ${matched} out of ${n})`);
    },
  },
  anyOf: {
    check: (s, v, r, w) => {
      const { n, matched } = branches(s.anyOf, v, w);
      if (matched === 0) r.push(`instance failed to match at least one required schema among ${n}`);
    },
  },
  dependencies: {
    types: OBJECT,
    check: (s, v: Record<string, unknown>, r, w) => {
      if (!isObject(s.dependencies)) return;
      const deps = Object.entries(s.dependencies).filter(([prop]) => own(v, prop));
      for (const [prop, dep] of deps) {
        if (!Array.isArray(dep)) continue;
        const missing = dep.filter((d) => !own(v, String(d)));
        if (missing.length > 0) r.push(`property "${prop}" of object has missing property dependencies (schema requires ${json(dep)}; missing: ${json(missing)})`);
      }
      for (const [, dep] of deps) if (isObject(dep)) walkNode(dep, v, r, w);
    },
  },
  enum: {
    check: (s, v, r) => {
      if (Array.isArray(s.enum) && !s.enum.some((e: unknown) => jsonEquals(e, v))) r.push(`instance value (${json(v)}) not found in enum (possible values: ${json(s.enum)})`);
    },
  },
  maxItems: {
    types: ARRAY,
    check: (s, v: unknown[], r) => {
      if (typeof s.maxItems === "number" && v.length > s.maxItems) r.push(`array is too long: must have at most ${s.maxItems} elements but instance has ${v.length} elements`);
    },
  },
  maxLength: {
    types: STRING,
    check: (s, v: string, r) => {
      const length = [...v].length;
      if (typeof s.maxLength === "number" && length > s.maxLength) r.push(`string "${v}" is too long (length: ${length}, maximum allowed: ${s.maxLength})`);
    },
  },
  maxProperties: {
    types: OBJECT,
    check: (s, v: object, r) => {
      const n = Object.keys(v).length;
      if (typeof s.maxProperties === "number" && n > s.maxProperties) r.push(`object has too many properties (found ${n} but schema requires at most ${s.maxProperties})`);
    },
  },
  maximum: {
    types: NUMERIC,
    check: (s, v: number, r) => {
      if (typeof s.maximum !== "number") return;
      if (v > s.maximum) r.push(`numeric instance is greater than the required maximum (maximum: ${num(s.maximum)}, found: ${num(v)})`);
      else if (v === s.maximum && s.exclusiveMaximum === true) r.push(`numeric instance is not strictly lower than the required maximum ${num(s.maximum)}`);
    },
  },
  minItems: {
    types: ARRAY,
    check: (s, v: unknown[], r) => {
      if (typeof s.minItems === "number" && v.length < s.minItems) r.push(`array is too short: must have at least ${s.minItems} elements but instance has ${v.length} elements`);
    },
  },
  minLength: {
    types: STRING,
    check: (s, v: string, r) => {
      const length = [...v].length;
      if (typeof s.minLength === "number" && length < s.minLength) r.push(`string "${v}" is too short (length: ${length}, required minimum: ${s.minLength})`);
    },
  },
  minProperties: {
    types: OBJECT,
    check: (s, v: object, r) => {
      const n = Object.keys(v).length;
      if (typeof s.minProperties === "number" && n < s.minProperties) r.push(`object has too few properties (found ${n} but schema requires at least ${s.minProperties})`);
    },
  },
  minimum: {
    types: NUMERIC,
    check: (s, v: number, r) => {
      if (typeof s.minimum !== "number") return;
      if (v < s.minimum) r.push(`numeric instance is lower than the required minimum (minimum: ${num(s.minimum)}, found: ${num(v)})`);
      else if (v === s.minimum && s.exclusiveMinimum === true) r.push(`numeric instance is not strictly greater than the required minimum ${num(s.minimum)}`);
    },
  },
  multipleOf: {
    types: NUMERIC,
    check: (s, v: number, r) => {
      if (typeof s.multipleOf === "number" && s.multipleOf > 0 && !isMultiple(v, s.multipleOf)) r.push(`remainder of division is not zero (${num(v)} / ${num(s.multipleOf)})`);
    },
  },
  not: {
    check: (s, v, r, w) => {
      if (isObject(s.not) && validates(s.not, v, w)) r.push("instance matched a schema which it should not have");
    },
  },
  oneOf: {
    check: (s, v, r, w) => {
      const { n, matched } = branches(s.oneOf, v, w);
      if (matched !== 1) r.push(`instance failed to match exactly one schema (matched ${matched} out of ${n})`);
    },
  },
  pattern: {
    types: STRING,
    check: (s, v: string, r) => {
      if (typeof s.pattern === "string" && regexFinds(s.pattern, v) === false) r.push(`ECMA 262 regex "${s.pattern}" does not match input string "${v}"`);
    },
  },
  required: {
    types: OBJECT,
    check: (s, v: Record<string, unknown>, r) => {
      if (!Array.isArray(s.required)) return;
      const missing = [...new Set(s.required.map(String))].filter((k) => !own(v, k));
      if (missing.length > 0) r.push(`object has missing required properties (${json(missing)})`);
    },
  },
  type: {
    check: (s, v, r) => {
      const listed: unknown[] = Array.isArray(s.type) ? s.type : s.type === undefined ? [] : [s.type];
      if (listed.length === 0) return;
      const allowed = new Set(listed.map(String));
      // fge's draft-04 digester: "number" allows integers, and says so.
      if (allowed.has("number")) allowed.add("integer");
      const found = nodeType(v);
      if (!allowed.has(found)) r.push(`instance type (${found}) does not match any allowed primitive type (allowed: ${json(TYPE_ORDER.filter((t) => allowed.has(t)))})`);
    },
  },
  uniqueItems: {
    types: ARRAY,
    check: (s, v: unknown[], r) => {
      if (s.uniqueItems === true && v.some((x, i) => v.findIndex((y) => jsonEquals(x, y)) !== i)) r.push("array must not contain duplicate elements");
    },
  },
};
const KEYWORD_ORDER = Object.keys(KEYWORDS).sort();

function validates(schema: unknown, value: unknown, walk: Walk): boolean {
  const side: string[] = [];
  walkNode(schema, value, side, walk);
  return side.length === 0;
}

function walkNode(rawSchema: unknown, value: any, report: string[], walk: Walk): void {
  if (walk.depth > 200) return;
  const schema = resolve(rawSchema, walk);
  if (!schema) return;
  const inner: Walk = { ...walk, depth: walk.depth + 1 };
  const type = nodeType(value);
  for (const keyword of KEYWORD_ORDER) {
    if (!own(schema, keyword)) continue;
    const { types, check } = KEYWORDS[keyword];
    if (types && !types.includes(type)) continue;
    check(schema, value, report, inner);
  }
  // The report is shared: once anything failed, no container is descended into any more.
  if (report.length > 0) return;
  if (type === "array") {
    const items = schema.items;
    (value as unknown[]).forEach((element, i) => {
      const child = Array.isArray(items) ? (i < items.length ? items[i] : isObject(schema.additionalItems) ? schema.additionalItems : undefined) : items;
      if (isObject(child)) walkNode(child, element, report, inner);
    });
  } else if (type === "object") {
    const properties = isObject(schema.properties) ? schema.properties : {};
    const patterns = isObject(schema.patternProperties) ? Object.entries(schema.patternProperties) : [];
    for (const field of Object.keys(value).sort()) {
      const schemas: unknown[] = [];
      if (own(properties, field)) schemas.push(properties[field]);
      for (const [pattern, s] of patterns) if (regexFinds(pattern, field)) schemas.push(s);
      if (schemas.length === 0 && isObject(schema.additionalProperties)) schemas.push(schema.additionalProperties);
      for (const s of schemas) walkNode(s, value[field], report, inner);
    }
  }
}

/**
 * The fge messages for `value` against `schema` (refs resolved against `root`), in the order
 * fge reports them; empty when it finds nothing wrong.
 */
export function fgeMessages(schema: unknown, value: unknown, root: Record<string, unknown>): string[] {
  const report: string[] = [];
  walkNode(schema, value, report, { root, depth: 0 });
  return report;
}
