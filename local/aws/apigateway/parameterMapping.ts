/**
 * The values of parameter mapping expressions (an integration's `requestParameters`, an
 * integration response's `responseParameters`): `'static'`, `method.request.*`,
 * `integration.response.*`, `context.*` and `stageVariables.*`, as API Gateway resolves them.
 */
import { evaluateJsonPath } from "./jsonPath";

/** What an expression can read. Absent sources resolve to nothing. */
export interface MappingSources {
  /** The method request (path parameters decoded). */
  method?: { headers: Record<string, string>; query: Record<string, string>; path: Record<string, string>; body?: string };
  /** The backend's answer (integration responses only). */
  integrationResponse?: { headers: Record<string, string>; body: string };
  context?: Record<string, unknown>;
  stageVariables?: Record<string, string>;
}

function lookupCi(map: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  const key = Object.keys(map).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : map[key];
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** `<prefix>.body` (the whole body) or `<prefix>.body.a.b` (the JSONPath `$.a.b` of a JSON body). */
function bodyValue(body: string | undefined, rest: string): string | undefined {
  if (body === undefined) return undefined;
  if (rest === "") return body;
  try {
    return text(evaluateJsonPath(body.trim() === "" ? {} : JSON.parse(body), `$${rest}`));
  } catch {
    return undefined;
  }
}

function walk(root: unknown, path: string): unknown {
  let current: any = root;
  for (const part of path.split(".")) {
    if (current === null || current === undefined || typeof current !== "object") return undefined;
    current = current[part];
  }
  return current;
}

/** The value `expression` maps to, or `undefined` when it names nothing (the target is then left unset). */
export function mappedValue(expression: string, sources: MappingSources): string | undefined {
  const expr = expression.trim();
  const literal = /^'(.*)'$/s.exec(expr);
  if (literal) return literal[1];

  const method = /^method\.request\.(header|multivalueheader|querystring|multivaluequerystring|path)\.(.+)$/.exec(expr);
  if (method) {
    const m = sources.method;
    if (!m) return undefined;
    const [, where, name] = method;
    if (where === "header" || where === "multivalueheader") return lookupCi(m.headers, name);
    if (where === "querystring" || where === "multivaluequerystring") return m.query[name];
    return m.path[name];
  }
  const methodBody = /^method\.request\.body((?:\..+)?)$/.exec(expr);
  if (methodBody) return bodyValue(sources.method?.body, methodBody[1]);

  const response = /^integration\.response\.(header|multivalueheader)\.(.+)$/.exec(expr);
  if (response) return sources.integrationResponse ? lookupCi(sources.integrationResponse.headers, response[2]) : undefined;
  const responseBody = /^integration\.response\.body((?:\..+)?)$/.exec(expr);
  if (responseBody) return bodyValue(sources.integrationResponse?.body, responseBody[1]);

  const context = /^context\.(.+)$/.exec(expr);
  if (context) return text(walk(sources.context, context[1]));
  const stage = /^stageVariables\.(.+)$/.exec(expr);
  if (stage) return sources.stageVariables?.[stage[1]];
  return undefined;
}

/**
 * Applies `mappings` whose target starts with `targetPrefix` (e.g. `method.response.header.`) to
 * `headers`, replacing any header of the same name (case-insensitively).
 */
export function applyHeaderMappings(mappings: Record<string, string> | undefined, targetPrefix: string, sources: MappingSources, headers: Record<string, string>): void {
  for (const [target, expression] of Object.entries(mappings ?? {})) {
    if (!target.startsWith(targetPrefix)) continue;
    const name = target.slice(targetPrefix.length);
    const value = mappedValue(expression, sources);
    if (name === "" || value === undefined) continue;
    setHeader(headers, name, value);
  }
}

/** Sets a header, dropping any other spelling of its name. */
export function setHeader(headers: Record<string, string>, name: string, value: string): void {
  for (const k of Object.keys(headers)) if (k.toLowerCase() === name.toLowerCase()) delete headers[k];
  headers[name] = value;
}
