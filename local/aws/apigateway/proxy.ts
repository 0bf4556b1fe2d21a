/**
 * The Lambda proxy integration (`aws_proxy`) of a REST API: the version 1.0 event API Gateway
 * sends, and how it turns the function's answer into the HTTP response.
 */

/** `$context.identity` / `requestContext.identity` (REST API): fields AWS leaves empty are null. */
export interface ProxyIdentity {
  accessKey: string | null;
  accountId: string | null;
  apiKey: string | null;
  apiKeyId: string | null;
  caller: string | null;
  clientCert: null;
  cognitoAuthenticationProvider: string | null;
  cognitoAuthenticationType: string | null;
  cognitoIdentityId: string | null;
  cognitoIdentityPoolId: string | null;
  principalOrgId: string | null;
  sourceIp: string;
  user: string | null;
  userAgent: string | null;
  userArn: string | null;
}

export interface ProxyRequestContext {
  accountId: string;
  apiId: string;
  domainName: string;
  domainPrefix: string;
  extendedRequestId: string;
  httpMethod: string;
  identity: ProxyIdentity;
  path: string;
  protocol: string;
  requestId: string;
  requestTime: string;
  requestTimeEpoch: number;
  resourceId: string;
  resourcePath: string;
  stage: string;
}

/** The REST API Lambda proxy event (payload format 1.0). */
export interface ProxyEvent {
  resource: string;
  path: string;
  httpMethod: string;
  headers: Record<string, string> | null;
  multiValueHeaders: Record<string, string[]> | null;
  queryStringParameters: Record<string, string> | null;
  multiValueQueryStringParameters: Record<string, string[]> | null;
  pathParameters: Record<string, string> | null;
  stageVariables: Record<string, string> | null;
  requestContext: ProxyRequestContext;
  body: string | null;
  isBase64Encoded: boolean;
}

export function emptyIdentity(sourceIp: string, userAgent: string | null): ProxyIdentity {
  return {
    accessKey: null,
    accountId: null,
    apiKey: null,
    apiKeyId: null,
    caller: null,
    clientCert: null,
    cognitoAuthenticationProvider: null,
    cognitoAuthenticationType: null,
    cognitoIdentityId: null,
    cognitoIdentityPoolId: null,
    principalOrgId: null,
    sourceIp,
    user: null,
    userAgent,
    userArn: null,
  };
}

/** `04/Mar/2020:19:15:17 +0000` */
export function clfTime(epochMs: number): string {
  const d = new Date(epochMs);
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** Whether `contentType` is one of the API's binary media types (`*\/*`, `image/*` wildcards allowed). */
export function isBinaryMediaType(contentType: string | undefined, binaryMediaTypes: string[]): boolean {
  if (!contentType || binaryMediaTypes.length === 0) return false;
  const [type, subtype] = contentType.split(";")[0].trim().toLowerCase().split("/");
  return binaryMediaTypes.some((pattern) => {
    const [pt, ps] = pattern.split(";")[0].trim().split("/");
    return (pt === "*" || pt === type) && (ps === "*" || ps === subtype);
  });
}

/** Header pairs → `headers` (last value wins) and `multiValueHeaders`, keeping the first-seen casing of each name. */
export function headerMaps(pairs: Array<[string, string]>): { headers: Record<string, string>; multiValueHeaders: Record<string, string[]> } {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const names = new Map<string, string>();
  for (const [name, value] of pairs) {
    const lower = name.toLowerCase();
    const key = names.get(lower) ?? name;
    names.set(lower, key);
    headers[key] = value;
    (multiValueHeaders[key] ??= []).push(value);
  }
  return { headers, multiValueHeaders };
}

function decodeComponent(text: string, plusIsSpace: boolean): string {
  try {
    return decodeURIComponent(plusIsSpace ? text.replace(/\+/g, "%20") : text);
  } catch {
    return text;
  }
}

/** The query string, decoded, as `queryStringParameters` (last value wins) and the multi-value map. */
export function queryMaps(rawQuery: string): { query: Record<string, string>; multiValueQuery: Record<string, string[]> } {
  const query: Record<string, string> = {};
  const multiValueQuery: Record<string, string[]> = {};
  for (const pair of rawQuery.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = decodeComponent(eq < 0 ? pair : pair.slice(0, eq), true);
    const value = eq < 0 ? "" : decodeComponent(pair.slice(eq + 1), true);
    query[key] = value;
    (multiValueQuery[key] ??= []).push(value);
  }
  return { query, multiValueQuery };
}

/** Path parameters as the function sees them (percent-decoded). */
export function decodePathParameters(raw: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) out[k] = decodeComponent(v, false);
  return out;
}

const nonEmpty = <T>(map: Record<string, T>): Record<string, T> | null => (Object.keys(map).length > 0 ? map : null);

export interface ProxyEventInput {
  resourcePath: string;
  /** Path below the stage, as sent. */
  path: string;
  httpMethod: string;
  headers: Array<[string, string]>;
  rawQuery: string;
  pathParameters: Record<string, string>;
  stageVariables?: Record<string, string>;
  body: Buffer;
  binaryMediaTypes: string[];
  requestContext: ProxyRequestContext;
}

export function buildProxyEvent(input: ProxyEventInput): ProxyEvent {
  const { headers, multiValueHeaders } = headerMaps(input.headers);
  const { query, multiValueQuery } = queryMaps(input.rawQuery);
  const contentType = input.headers.find(([k]) => k.toLowerCase() === "content-type")?.[1];
  const binary = isBinaryMediaType(contentType, input.binaryMediaTypes);
  return {
    resource: input.resourcePath,
    path: input.path,
    httpMethod: input.httpMethod,
    headers: nonEmpty(headers),
    multiValueHeaders: nonEmpty(multiValueHeaders),
    queryStringParameters: nonEmpty(query),
    multiValueQueryStringParameters: nonEmpty(multiValueQuery),
    pathParameters: nonEmpty(decodePathParameters(input.pathParameters)),
    stageVariables: nonEmpty(input.stageVariables ?? {}),
    requestContext: input.requestContext,
    body: input.body.length === 0 ? null : binary ? input.body.toString("base64") : input.body.toString("utf8"),
    isBase64Encoded: input.body.length > 0 && binary,
  };
}

/** What the function answered, ready to send. */
export interface ProxyResponse {
  status: number;
  /** Header name → values. */
  headers: Array<[string, string]>;
  body: Buffer;
}

// API Gateway keeps these integration response headers under `x-amzn-Remapped-<name>`.
const REMAPPED = new Set(["authorization", "connection", "content-length", "date", "server", "www-authenticate", "x-amzn-requestid", "x-amzn-trace-id"]);
const DROPPED = new Set(["transfer-encoding", "keep-alive", "upgrade", "te", "trailer", "proxy-connection"]);
const ALLOWED_KEYS = new Set(["statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"]);

function headerValue(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new Error(`a header value is a ${typeof value}`);
}

/**
 * Parses the function's payload into the HTTP response, or throws (with the reason) for what AWS
 * calls a malformed Lambda proxy response: not a JSON object, a key other than statusCode,
 * headers, multiValueHeaders, body and isBase64Encoded, a status that is not an integer, a body
 * that is not a string, a header value that is not a scalar.
 */
export function parseProxyResponse(payload: string, options: { accept?: string; binaryMediaTypes: string[] }): ProxyResponse {
  let result: any;
  try {
    result = JSON.parse(payload);
  } catch {
    throw new Error("the payload is not JSON");
  }
  if (result === null || typeof result !== "object" || Array.isArray(result)) throw new Error("the payload is not a JSON object");
  const extra = Object.keys(result).filter((k) => !ALLOWED_KEYS.has(k));
  if (extra.length > 0) throw new Error(`unexpected keys ${extra.join(", ")}`);

  let status = 200;
  if (result.statusCode !== undefined && result.statusCode !== null) {
    status = typeof result.statusCode === "string" && /^\d+$/.test(result.statusCode) ? Number(result.statusCode) : result.statusCode;
    if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 599) throw new Error(`statusCode ${JSON.stringify(result.statusCode)} is not an HTTP status`);
  }
  if (result.body !== undefined && result.body !== null && typeof result.body !== "string") throw new Error("body is not a string");
  if (result.headers !== undefined && result.headers !== null && (typeof result.headers !== "object" || Array.isArray(result.headers))) throw new Error("headers is not an object");
  if (result.multiValueHeaders !== undefined && result.multiValueHeaders !== null && (typeof result.multiValueHeaders !== "object" || Array.isArray(result.multiValueHeaders))) {
    throw new Error("multiValueHeaders is not an object");
  }

  // Both maps merge; a name in multiValueHeaders takes its values from there only.
  const merged = new Map<string, { name: string; values: string[] }>();
  for (const [name, values] of Object.entries<unknown>(result.multiValueHeaders ?? {})) {
    if (!Array.isArray(values)) throw new Error(`multiValueHeaders.${name} is not a list`);
    const list = values.map(headerValue).filter((v): v is string => v !== undefined);
    merged.set(name.toLowerCase(), { name, values: list });
  }
  for (const [name, value] of Object.entries<unknown>(result.headers ?? {})) {
    const v = headerValue(value);
    if (v === undefined) continue;
    const entry = merged.get(name.toLowerCase());
    if (entry) {
      if (!entry.values.includes(v)) entry.values.push(v);
    } else merged.set(name.toLowerCase(), { name, values: [v] });
  }

  const headers: Array<[string, string]> = [];
  for (const [lower, { name, values }] of merged) {
    if (DROPPED.has(lower)) continue;
    const out = REMAPPED.has(lower) ? `x-amzn-Remapped-${name}` : name;
    for (const v of values) headers.push([out, v]);
  }
  const contentType = headers.find(([k]) => k.toLowerCase() === "content-type")?.[1];
  if (contentType === undefined) headers.push(["Content-Type", "application/json"]);

  const text: string = result.body ?? "";
  // A base64 body is decoded only when the API has binary media types matching the client's
  // Accept (or, failing that, the response's Content-Type); otherwise the text goes out as is.
  const decode =
    result.isBase64Encoded === true &&
    ((options.accept ?? "").split(",").some((a) => isBinaryMediaType(a, options.binaryMediaTypes)) || isBinaryMediaType(contentType, options.binaryMediaTypes));
  return { status, headers, body: decode ? Buffer.from(text, "base64") : Buffer.from(text, "utf8") };
}
