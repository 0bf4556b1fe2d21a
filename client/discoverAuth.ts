// How the CLI learns an API's auth from the API itself: GET {apiUrl}/openapi.json (served open on
// every auth mode) and read the security its job routes declare.

/** The auth modes of the contract (CONTRACT.md section 1). */
export type AuthKind = "iam" | "apiKey" | "none";

/** Why the auth could not be learnt from the API; the message says what to do instead. */
export class AuthDiscoveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuthDiscoveryError";
  }
}

/** Where an API serves its public OpenAPI document. */
export function openapiUrl(apiUrl: string): string {
  return `${apiUrl.replace(/\/+$/, "")}/openapi.json`;
}

type Json = Record<string, unknown>;

const OPERATION_KEYS = ["get", "put", "post", "delete", "patch", "head"];

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A job route: `/jobs` and everything under it. */
function isJobPath(path: string): boolean {
  return path === "/jobs" || path.startsWith("/jobs/");
}

/**
 * The auth one security scheme stands for, or undefined for a scheme this client cannot use.
 * The served document has no `x-amazon-apigateway-*` keys, so there SigV4 is recognised by the
 * header it is sent in (`Authorization`); the gateway's own copy names it `awsSigv4`.
 */
function kindOfScheme(scheme: unknown): Exclude<AuthKind, "none"> | undefined {
  if (!isObject(scheme)) return undefined;
  const authType = scheme["x-amazon-apigateway-authtype"];
  if (typeof authType === "string" && authType.toLowerCase() === "awssigv4") return "iam";
  // Any other authtype, or an authorizer, is a Lambda or Cognito authorizer this client cannot satisfy.
  if (authType !== undefined || scheme["x-amazon-apigateway-authorizer"] !== undefined) return undefined;
  if (scheme.type !== "apiKey" || scheme.in !== "header" || typeof scheme.name !== "string") return undefined;
  const header = scheme.name.toLowerCase();
  if (header === "x-api-key") return "apiKey";
  if (header === "authorization") return "iam";
  return undefined;
}

/** The auth one operation needs, from its `security` (or the document's). */
function kindOfOperation(doc: Json, schemes: Json, where: string, operation: Json): AuthKind {
  const security = operation.security ?? doc.security;
  if (security === undefined) return "none";
  if (!Array.isArray(security)) throw new AuthDiscoveryError(`${where}: 'security' is not a list`);
  // Alternatives: an empty requirement ({}) or no requirement at all lets anyone in.
  if (security.length === 0 || security.some((r) => isObject(r) && Object.keys(r).length === 0)) return "none";
  const kinds = new Set<AuthKind>();
  for (const requirement of security) {
    if (!isObject(requirement)) throw new AuthDiscoveryError(`${where}: a security requirement is not an object`);
    for (const name of Object.keys(requirement)) {
      const kind = kindOfScheme(schemes[name]);
      if (!kind) throw new AuthDiscoveryError(`${where}: security scheme '${name}' is neither SigV4 nor an x-api-key header`);
      kinds.add(kind);
    }
  }
  if (kinds.size !== 1) throw new AuthDiscoveryError(`${where}: declares more than one kind of auth (${[...kinds].join(", ")})`);
  return [...kinds][0];
}

/**
 * The auth an OpenAPI document (3.x, or Swagger 2.0's `securityDefinitions`) declares for its
 * job routes: `none` when they carry no security requirement, `apiKey` for an `x-api-key` header
 * key, `iam` for SigV4. Throws AuthDiscoveryError when the document is not of that shape, names a
 * scheme this client cannot use, or its job routes disagree.
 */
export function authKindOf(doc: unknown): AuthKind {
  if (!isObject(doc) || !isObject(doc.paths)) throw new AuthDiscoveryError("it is not an OpenAPI document (no 'paths')");
  const components = isObject(doc.components) ? doc.components : {};
  const schemes = isObject(components.securitySchemes) ? components.securitySchemes : isObject(doc.securityDefinitions) ? doc.securityDefinitions : {};
  const kinds = new Map<AuthKind, string>();
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!isJobPath(path) || !isObject(item)) continue;
    for (const method of OPERATION_KEYS) {
      const operation = item[method];
      if (!isObject(operation)) continue;
      const where = `${method.toUpperCase()} ${path}`;
      kinds.set(kindOfOperation(doc, schemes, where, operation), where);
    }
  }
  if (kinds.size === 0) throw new AuthDiscoveryError("it has no /jobs routes: it is not this API's document");
  if (kinds.size > 1) {
    const found = [...kinds].map(([kind, where]) => `${where}: ${kind}`).join("; ");
    throw new AuthDiscoveryError(`its job routes need different auth (${found})`);
  }
  return [...kinds.keys()][0];
}

export interface DiscoverOptions {
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default 10000 */
  timeoutMs?: number;
}

function networkReason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError") return "no answer in time";
  const cause = e?.cause?.code ?? e?.cause?.message;
  return cause ? `${e.message ?? "fetch failed"} (${cause})` : (e?.message ?? String(err));
}

/** Why a status is not the document, in words a user can act on. */
function statusReason(status: number): string {
  if (status === 403) {
    // API Gateway answers 403 (MISSING_AUTHENTICATION_TOKEN) for a path the API does not have,
    // as well as for missing credentials: a 403 does not tell which auth the job routes need.
    return "it answered HTTP 403: this API does not serve its document openly (or the URL is not the stage's base URL)";
  }
  return `it answered HTTP ${status}`;
}

/** GETs the API's openapi.json (no credentials) and returns the auth its job routes declare. */
export async function discoverAuth(apiUrl: string, options: DiscoverOptions = {}): Promise<AuthKind> {
  const url = openapiUrl(apiUrl);
  const fail = (why: string) => new AuthDiscoveryError(`cannot tell which auth the API uses from ${url}: ${why}. Pass --auth iam|apiKey|none`);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  let res: Response;
  let text: string;
  try {
    res = await fetchImpl(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
    text = await res.text();
  } catch (err) {
    throw fail(networkReason(err));
  }
  if (res.status !== 200) throw fail(statusReason(res.status));
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw fail("it is not JSON");
  }
  try {
    return authKindOf(doc);
  } catch (err) {
    if (err instanceof AuthDiscoveryError) throw fail(err.message);
    throw err;
  }
}
