/**
 * The JSONPath subset API Gateway templates use: `$`, `.name`, `['name']` / `["name"]`, `[n]`
 * (negative from the end), `[*]` / `.*`, and `..name` (recursive descent). A definite path gives one
 * value (`undefined` when absent); a path with `*` or `..` gives the array of matches.
 */

type Segment = { kind: "child"; key: string | number } | { kind: "wildcard" } | { kind: "descend"; key: string };

function parsePath(path: string): Segment[] {
  const p = path.trim();
  if (!p.startsWith("$")) throw new Error(`JSONPath must start with $: ${JSON.stringify(path)}`);
  const segments: Segment[] = [];
  let i = 1;
  const name = () => {
    const start = i;
    while (i < p.length && p[i] !== "." && p[i] !== "[") i++;
    if (i === start) throw new Error(`JSONPath: empty name at ${start} in ${JSON.stringify(path)}`);
    return p.slice(start, i);
  };
  while (i < p.length) {
    if (p.startsWith("..", i)) {
      i += 2;
      segments.push({ kind: "descend", key: name() });
    } else if (p[i] === ".") {
      i++;
      if (p[i] === "*") {
        i++;
        segments.push({ kind: "wildcard" });
      } else segments.push({ kind: "child", key: name() });
    } else if (p[i] === "[") {
      const close = findClose(p, i, path);
      const inner = p.slice(i + 1, close).trim();
      i = close + 1;
      if (inner === "*") segments.push({ kind: "wildcard" });
      else if (/^-?\d+$/.test(inner)) segments.push({ kind: "child", key: Number(inner) });
      else if (/^'.*'$|^".*"$/s.test(inner)) segments.push({ kind: "child", key: unquote(inner) });
      else throw new Error(`JSONPath: unsupported selector [${inner}] in ${JSON.stringify(path)}`);
    } else throw new Error(`JSONPath: unexpected ${JSON.stringify(p[i])} at ${i} in ${JSON.stringify(path)}`);
  }
  return segments;
}

function findClose(p: string, open: number, path: string): number {
  const quote = p[open + 1] === "'" || p[open + 1] === '"' ? p[open + 1] : undefined;
  for (let j = open + (quote ? 2 : 1); j < p.length; j++) {
    if (quote && p[j] === "\\") j++;
    else if (quote ? p[j] === quote && p[j + 1] === "]" : p[j] === "]") return quote ? j + 1 : j;
  }
  throw new Error(`JSONPath: unclosed [ in ${JSON.stringify(path)}`);
}

function unquote(quoted: string): string {
  return quoted.slice(1, -1).replace(/\\(.)/gs, "$1");
}

const own = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

function child(value: unknown, key: string | number): unknown[] {
  if (Array.isArray(value) && typeof key === "number") {
    const index = key < 0 ? value.length + key : key;
    return index >= 0 && index < value.length ? [value[index]] : [];
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value) && own(value, String(key))) {
    return [(value as Record<string, unknown>)[String(key)]];
  }
  return [];
}

function children(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === "object") return Object.values(value);
  return [];
}

function descend(value: unknown, key: string, out: unknown[]): void {
  out.push(...child(value, key));
  for (const c of children(value)) descend(c, key, out);
}

/** Evaluates `path` on `root` (see the module comment). Throws for a path it cannot parse. */
export function evaluateJsonPath(root: unknown, path: string): unknown {
  const segments = parsePath(path);
  let current: unknown[] = [root];
  for (const segment of segments) {
    const next: unknown[] = [];
    for (const value of current) {
      if (segment.kind === "child") next.push(...child(value, segment.key));
      else if (segment.kind === "wildcard") next.push(...children(value));
      else descend(value, segment.key, next);
    }
    current = next;
  }
  const definite = segments.every((s) => s.kind === "child");
  return definite ? current[0] : current;
}
