/**
 * Java methods templates call on strings, lists and maps (API Gateway runs Apache Velocity on
 * Java objects), as velocityjs custom method handlers. velocityjs alone has none of the String
 * ones (`$s.length()` renders as its own text) and only some of the List/Map ones.
 */
import type { render } from "velocityjs";

type CompileConfig = NonNullable<Parameters<typeof render>[3]>;
type MethodHandler = NonNullable<CompileConfig["customMethodHandlers"]>[number];
type Method<T> = (self: T, ...args: any[]) => unknown;

/** A Java regex as a JS one: a leading `(?i)`/`(?s)`/`(?m)` becomes flags; possessive quantifiers become greedy. */
export function javaRegex(pattern: unknown, flags = ""): RegExp {
  let source = String(pattern);
  const inline = /^\(\?([ism]+)\)/.exec(source);
  if (inline) {
    source = source.slice(inline[0].length);
    flags += inline[1];
  }
  source = source.replace(/(\\.)|([*+?}])\+/g, (m, escaped: string | undefined, quantifier: string | undefined) => escaped ?? quantifier ?? m);
  return new RegExp(source, [...new Set(flags)].join(""));
}

/** A Java replacement string (`$1`, `${name}`, `\` escapes) as a JS replacer. */
function javaReplacement(replacement: unknown): (match: string, ...rest: any[]) => string {
  const rep = String(replacement);
  return (match: string, ...rest: any[]) => {
    const hasNamed = typeof rest[rest.length - 1] === "object";
    const groups: string[] = rest.slice(0, hasNamed ? -3 : -2);
    const named: Record<string, string> = hasNamed ? rest[rest.length - 1] : {};
    let out = "";
    for (let i = 0; i < rep.length; i++) {
      const ch = rep[i];
      if (ch === "\\" && i + 1 < rep.length) out += rep[++i];
      else if (ch === "$" && rep[i + 1] === "{") {
        const end = rep.indexOf("}", i);
        out += named[rep.slice(i + 2, end)] ?? "";
        i = end;
      } else if (ch === "$" && /\d/.test(rep[i + 1] ?? "")) {
        const n = Number(rep[++i]);
        out += n === 0 ? match : (groups[n - 1] ?? "");
      } else out += ch;
    }
    return out;
  };
}

/** `String.split(regex, limit)`: no captured groups in the output; trailing empties dropped when limit is 0. */
function javaSplit(s: string, regex: unknown, limit = 0): string[] {
  const re = javaRegex(regex, "g");
  const parts: string[] = [];
  let last = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    if (m[0] === "") {
      re.lastIndex++;
      if (m.index === 0 || m.index >= s.length) continue;
    }
    if (limit > 0 && parts.length === limit - 1) break;
    parts.push(s.slice(last, m.index));
    last = m.index + m[0].length;
  }
  parts.push(s.slice(last));
  if (limit === 0) while (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  return s === "" ? [""] : parts;
}

const javaEquals = (a: unknown, b: unknown) =>
  a === b || (a !== null && b !== null && typeof a === "object" && typeof b === "object" && JSON.stringify(a) === JSON.stringify(b));

/** Java's StringIndexOutOfBoundsException: Velocity lets it escape, and API Gateway answers 500. */
function outOfBounds(detail: string): never {
  throw new RangeError(`java.lang.StringIndexOutOfBoundsException: ${detail}`);
}

function javaSubstring(s: string, begin: unknown, end?: unknown): string {
  const b = Number(begin);
  const e = end === undefined ? s.length : Number(end);
  if (!Number.isInteger(b) || !Number.isInteger(e) || b < 0 || e > s.length || b > e) outOfBounds(`begin ${String(begin)}, end ${String(e)}, length ${s.length}`);
  return s.slice(b, e);
}

// JS has most of these too, with other edge cases (substring swaps and clamps its indexes, where
// Java throws), so every one a template may call is defined here.
const STRING: Record<string, Method<string>> = {
  length: (s) => s.length,
  substring: (s, begin, end) => javaSubstring(s, begin, end),
  charAt: (s, i) => {
    const n = Number(i);
    if (!Number.isInteger(n) || n < 0 || n >= s.length) outOfBounds(`index ${String(i)}, length ${s.length}`);
    return s[n];
  },
  indexOf: (s, x, from) => s.indexOf(String(x), from === undefined ? 0 : Math.max(0, Number(from))),
  lastIndexOf: (s, x, from) => (from === undefined ? s.lastIndexOf(String(x)) : Number(from) < 0 ? -1 : s.lastIndexOf(String(x), Number(from))),
  startsWith: (s, prefix, offset) => {
    const p = String(prefix);
    const o = offset === undefined ? 0 : Number(offset);
    return o >= 0 && o <= s.length - p.length && s.startsWith(p, o);
  },
  endsWith: (s, suffix) => s.endsWith(String(suffix)),
  toLowerCase: (s) => s.toLowerCase(),
  toUpperCase: (s) => s.toUpperCase(),
  concat: (s, x) => s + String(x),
  isEmpty: (s) => s.length === 0,
  contains: (s, x) => s.includes(String(x)),
  equals: (s, x) => s === x,
  equalsIgnoreCase: (s, x) => typeof x === "string" && s.toLowerCase() === x.toLowerCase(),
  compareTo: (s, x) => (s < String(x) ? -1 : s > String(x) ? 1 : 0),
  matches: (s, re) => {
    const r = javaRegex(re);
    return new RegExp(`^(?:${r.source})$`, r.flags).test(s);
  },
  replace: (s, target, replacement) => s.split(String(target)).join(String(replacement)),
  replaceAll: (s, re, rep) => s.replace(javaRegex(re, "g"), javaReplacement(rep)),
  replaceFirst: (s, re, rep) => s.replace(javaRegex(re), javaReplacement(rep)),
  split: (s, re, limit) => javaSplit(s, re, limit === undefined ? 0 : Number(limit)),
  // Java's trim strips every char <= U+0020, and only those.
  trim: (s) => s.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, ""),
  toString: (s: string) => s,
};

const LIST: Record<string, Method<unknown[]>> = {
  contains: (l, x) => l.some((v) => javaEquals(v, x)),
  isEmpty: (l) => l.length === 0,
  indexOf: (l, x) => l.findIndex((v) => javaEquals(v, x)),
  get: (l, i) => l[Number(i)],
};

type Map = Record<string, unknown>;
const own = (m: Map, k: unknown) => Object.prototype.hasOwnProperty.call(m, String(k));

const MAP: Record<string, Method<Map>> = {
  containsKey: (m, k) => own(m, k),
  containsValue: (m, v) => Object.values(m).some((x) => javaEquals(x, v)),
  isEmpty: (m) => Object.keys(m).length === 0,
  values: (m) => Object.values(m),
  get: (m, k) => (own(m, k) ? m[String(k)] : undefined),
  // Java's put returns the previous value (null, printed as the reference's text, when there was none).
  put: (m, k, v) => {
    const previous = own(m, k) ? m[String(k)] : undefined;
    m[String(k)] = v;
    return previous;
  },
};

const isMap = (v: unknown): v is Map => v !== null && typeof v === "object" && !Array.isArray(v);

function handler<T>(uid: string, methods: Record<string, Method<T>>, is: (v: unknown) => v is T): MethodHandler {
  return {
    uid,
    // Never shadow an object's own function (the $input/$util shims are maps of functions).
    match: ({ property, context }) =>
      is(context) &&
      Object.prototype.hasOwnProperty.call(methods, property) &&
      !(Object.prototype.hasOwnProperty.call(context, property) && typeof (context as any)[property] === "function"),
    resolve: ({ property, context, params }) => methods[property](context as T, ...params),
  };
}

/** The handlers to pass as velocityjs's `customMethodHandlers`. */
export const javaMethodHandlers: MethodHandler[] = [
  {
    uid: "java: String",
    match: ({ property, context }) => typeof context === "string" && Object.prototype.hasOwnProperty.call(STRING, property),
    resolve: ({ property, context, params }) => STRING[property](context, ...params),
  },
  handler("java: List", LIST, Array.isArray),
  handler("java: Map", MAP, isMap),
];
