/**
 * SigV4 verification for the local gateway's IAM auth: any access key id signs with the secret
 * `test` (the LocalStack convention), and the access key id is the caller's identity.
 *
 * The request is re-signed with `@smithy/signature-v4` using the client's own date and signed
 * headers (`applyChecksum: false`), once with the SDKs' double-encoded canonical path and once
 * with the path as sent, and then over the path and query exactly as sent (curl 7.88 neither
 * double-encodes the path nor sorts the query); any match is accepted.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";

/** The secret every local access key id signs with. */
export const LOCAL_SECRET_ACCESS_KEY = "test";
/** How far `X-Amz-Date` may be from the gateway's clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export interface SignedRequest {
  method: string;
  /** The path as sent (percent-encoded), without the query string. */
  rawPath: string;
  /** The raw query string, without `?` ('' for none). */
  rawQuery: string;
  /** Header name/value pairs as received (Node's `rawHeaders`, paired). */
  headers: Array<[string, string]>;
  body: Buffer;
}

export type SigV4Result =
  | { ok: true; accessKeyId: string; sessionToken?: string }
  | {
      ok: false;
      /** `missing`: no SigV4 at all (MISSING_AUTHENTICATION_TOKEN); `incomplete`/`invalid`/`expired`: a bad one. */
      reason: "missing" | "incomplete" | "invalid" | "expired";
      /** AWS's message. */
      message: string;
      errorType: string;
    };

type Bytes = string | ArrayBuffer | ArrayBufferView;
const bytesOf = (data: Bytes): Buffer | string =>
  typeof data === "string" ? data : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);

/**
 * SHA-256 / HMAC-SHA-256 on node:crypto, in the shape `@smithy/signature-v4` takes
 * (`@aws-crypto/sha256-js` gives the same digests, but hashes a 10 MB body in ~100 ms of blocked event loop).
 */
export class NodeSha256 {
  private hash;
  constructor(private readonly secret?: Bytes) {
    this.hash = this.fresh();
  }
  private fresh() {
    return this.secret === undefined ? createHash("sha256") : createHmac("sha256", bytesOf(this.secret));
  }
  update(data: Bytes): void {
    this.hash.update(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

const incomplete = (message: string): SigV4Result => ({ ok: false, reason: "incomplete", message, errorType: "IncompleteSignatureException" });
const invalid = (message: string): SigV4Result => ({ ok: false, reason: "invalid", message, errorType: "InvalidSignatureException" });
const MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/** `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` */
function parseAuthorization(value: string): { credential: string; signedHeaders: string; signature: string } | string {
  const m = /^\s*(\S+)\s+(.*)$/s.exec(value);
  if (!m || m[1] !== "AWS4-HMAC-SHA256") {
    return `Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${value}`;
  }
  const fields: Record<string, string> = {};
  for (const part of m[2].split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) return `Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): '${createHash("sha256").update(value).digest("base64")}'.`;
    fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  const missing = ["Credential", "Signature", "SignedHeaders"].filter((k) => !fields[k]);
  if (missing.length > 0) return missing.map((k) => `Authorization header requires '${k}' parameter.`).join(" ") + ` Authorization=${value}`;
  return { credential: fields.Credential, signedHeaders: fields.SignedHeaders, signature: fields.Signature };
}

/** `20240102T030405Z` → epoch ms (NaN if malformed). */
function parseAmzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

function amzDate(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, "%20"));
  } catch {
    return text;
  }
}

/** The query as `@smithy/signature-v4` takes it (decoded; repeated keys as arrays). */
function queryOf(rawQuery: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  if (!rawQuery) return query;
  for (const pair of rawQuery.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? "" : decode(pair.slice(eq + 1));
    const prior = query[key];
    query[key] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  return query;
}

/**
 * The signature over the request exactly as sent (path and query string unchanged, unsorted):
 * what curl 7.88 signs, which neither normalises the query nor double-encodes the path.
 */
function signatureAsSent(input: {
  method: string;
  rawPath: string;
  rawQuery: string;
  headers: Record<string, string>;
  signedHeaders: string[];
  payloadHash: string;
  amzDate: string;
  scope: string;
  secret: string;
  day: string;
  region: string;
  service: string;
}): string {
  const names = [...input.signedHeaders].sort();
  const canonical = [
    input.method,
    input.rawPath,
    input.rawQuery,
    ...names.map((n) => `${n}:${input.headers[n]}`),
    "",
    names.join(";"),
    input.payloadHash,
  ].join("\n");
  const stringToSign = ["AWS4-HMAC-SHA256", input.amzDate, input.scope, createHash("sha256").update(canonical).digest("hex")].join("\n");
  let key: Buffer = createHmac("sha256", `AWS4${input.secret}`).update(input.day).digest();
  for (const part of [input.region, input.service, "aws4_request"]) key = createHmac("sha256", key).update(part).digest();
  return createHmac("sha256", key).update(stringToSign).digest("hex");
}

const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Verifies a SigV4-signed request for `service` in `region`. Query-string (presigned) SigV4 is
 * not supported: such a request counts as unsigned.
 */
export async function verifySigV4(req: SignedRequest, options: { region: string; service: string; now?: number }): Promise<SigV4Result> {
  const header = (name: string) => req.headers.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);
  const authorization = header("authorization");
  if (authorization.length === 0) {
    return { ok: false, reason: "missing", message: "Missing Authentication Token", errorType: "MissingAuthenticationTokenException" };
  }
  const parsed = parseAuthorization(authorization[authorization.length - 1]);
  if (typeof parsed === "string") return incomplete(parsed);

  const amz = header("x-amz-date")[0];
  if (amz === undefined) {
    return incomplete(`Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${authorization[0]}`);
  }
  const signedAt = parseAmzDate(amz.trim());
  if (Number.isNaN(signedAt)) return incomplete(`Date must be in ISO-8601 'basic format'. Got '${amz}'. See http://en.wikipedia.org/wiki/ISO_8601`);

  // Credential=<key>/<yyyymmdd>/<region>/<service>/aws4_request
  const scope = parsed.credential.split("/");
  if (scope.length !== 5 || scope[4] !== "aws4_request" || !scope[0]) {
    return incomplete(`Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${parsed.credential}'`);
  }
  const [accessKeyId, day, region, service] = scope;
  if (day !== amz.slice(0, 8)) return invalid(`Credential should be scoped to a valid date. Date in Credential scope does not match the 'X-Amz-Date' header: ${day} != ${amz.slice(0, 8)}.`);
  if (region !== options.region) return invalid(`Credential should be scoped to a valid region, not '${region}'. `);
  if (service !== options.service) return invalid(`Credential should be scoped to correct service: '${options.service}'. `);

  const now = options.now ?? Date.now();
  if (signedAt < now - MAX_CLOCK_SKEW_MS) {
    return {
      ok: false,
      reason: "expired",
      errorType: "InvalidSignatureException",
      message: `Signature expired: ${amz} is now earlier than ${amzDate(now - MAX_CLOCK_SKEW_MS)} (${amzDate(now)} - ${MAX_CLOCK_SKEW_MS / 60000} min.)`,
    };
  }
  if (signedAt > now + MAX_CLOCK_SKEW_MS) {
    return {
      ok: false,
      reason: "expired",
      errorType: "InvalidSignatureException",
      message: `Signature not yet current: ${amz} is still later than ${amzDate(now + MAX_CLOCK_SKEW_MS)} (${amzDate(now)} + ${MAX_CLOCK_SKEW_MS / 60000} min.)`,
    };
  }

  const signedHeaders = parsed.signedHeaders.split(";").map((h) => h.trim().toLowerCase()).filter(Boolean);
  if (!signedHeaders.includes("host")) return incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");

  // A payload hash the client sent must be the body's (API Gateway always checks the payload).
  const bodyHash = createHash("sha256").update(req.body).digest("hex");
  const claimedHash = header("x-amz-content-sha256")[0];
  if (claimedHash !== undefined && claimedHash.trim() !== bodyHash) return invalid(MISMATCH);

  // Only the signed headers, each one's values joined with ',' as the canonical form wants.
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const values = header(name);
    if (values.length === 0) return invalid(MISMATCH);
    headers[name] = values.map((v) => v.trim().replace(/\s+/g, " ")).join(",");
  }
  const credentials = { accessKeyId, secretAccessKey: LOCAL_SECRET_ACCESS_KEY };
  const sessionToken = header("x-amz-security-token")[0];
  const request = {
    method: req.method.toUpperCase(),
    protocol: "http:",
    hostname: headers.host ?? "localhost",
    path: req.rawPath,
    query: queryOf(req.rawQuery),
    headers,
    body: req.body.length > 0 ? new Uint8Array(req.body.buffer, req.body.byteOffset, req.body.length) : undefined,
  };
  for (const uriEscapePath of [true, false]) {
    const signer = new SignatureV4({ service, region, credentials, sha256: NodeSha256, uriEscapePath, applyChecksum: false });
    const signed = await signer.sign(request, { signingDate: new Date(signedAt), signableHeaders: new Set(signedHeaders) });
    const got = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization ?? ""))?.[1] ?? "";
    if (sameText(got, parsed.signature)) return { ok: true, accessKeyId, ...(sessionToken !== undefined ? { sessionToken } : {}) };
  }
  const asSent = signatureAsSent({
    method: request.method,
    rawPath: req.rawPath,
    rawQuery: req.rawQuery,
    headers,
    signedHeaders,
    payloadHash: bodyHash,
    amzDate: amz.trim(),
    scope: parsed.credential.slice(accessKeyId.length + 1),
    secret: LOCAL_SECRET_ACCESS_KEY,
    day,
    region,
    service,
  });
  if (sameText(asSent, parsed.signature)) return { ok: true, accessKeyId, ...(sessionToken !== undefined ? { sessionToken } : {}) };
  return invalid(MISMATCH);
}
