// Webhooks as the stack sends them when a job ends (CONTRACT.md section 4, "Push on completion"),
// signed per Standard Webhooks (https://www.standardwebhooks.com): `verifyWebhook` for the
// application that receives them, `signWebhook` for its tests. Node's crypto only, no dependency.
import { createHmac, timingSafeEqual } from "crypto";
import { JOB_STATUSES, type Job } from "./types";

/** The `type` of each webhook: one per way a job ends. */
export const WEBHOOK_EVENT_TYPES = ["job.succeeded", "job.failed", "job.cancelled", "job.timed_out"] as const;
/** One of `WEBHOOK_EVENT_TYPES`. */
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The body of a webhook: what happened, when, and the job as `GET /jobs/{jobId}` shows it. */
export interface WebhookEvent<TResult = unknown> {
  type: WebhookEventType;
  /** ISO 8601. */
  timestamp: string;
  data: Job<TResult>;
}

/**
 * The three headers that sign a delivery (the same `webhook-id` on every retry of it). A type, not
 * an interface, so that `signWebhook`'s result passes as `HeadersLike` as it is.
 */
export type WebhookHeaders = {
  "webhook-id": string;
  /** Integer Unix seconds. */
  "webhook-timestamp": string;
  /** Space-separated `v1,<base64 HMAC-SHA256>` signatures. */
  "webhook-signature": string;
};

/**
 * Headers as Node's `req.headers` (`IncomingHttpHeaders`), a plain object, or WHATWG `Headers`
 * (fetch's `Request`), or anything with the same `get`.
 */
export type HeadersLike = Record<string, string | string[] | undefined> | Pick<Headers, "get">;

/** Why a delivery failed verification. */
export type WebhookVerificationReason = "MissingHeaders" | "BadTimestamp" | "TimestampTooOld" | "TimestampTooNew" | "BadSignature" | "BadSecret" | "BadBody";

/** A delivery that is not what the stack signed: answer it with a 4xx and do not act on it. */
export class WebhookVerificationError extends Error {
  /** A stable code for the failure, to branch on. */
  readonly reason: WebhookVerificationReason;

  constructor(reason: WebhookVerificationReason, message: string) {
    super(message);
    this.name = "WebhookVerificationError";
    this.reason = reason;
  }
}

/** How `verifyWebhook` checks the time. */
export interface VerifyWebhookOptions {
  /** How far the signed time may be from now, either way, in seconds (default 300: the spec's 5 minutes). */
  toleranceSeconds?: number;
  /** The current time in milliseconds (default `Date.now`). */
  now?: () => number;
}

/** The spec's recommended replay window. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

const SECRET_PREFIX = "whsec_";
const SIGNATURE_VERSION = "v1,";
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const INTEGER = /^\d+$/;

/**
 * The HMAC key of a secret: the base64-decoded part after `whsec_`. As the spec's reference
 * libraries do, a bare base64 secret without the prefix is accepted too. Strict base64: Node's
 * decoder skips characters it does not know, which would turn a mistyped secret into a wrong key
 * instead of an error.
 */
function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (encoded === "" || !BASE64.test(encoded)) {
    throw new WebhookVerificationError("BadSecret", "the webhook secret is not whsec_<base64> (the stack's webhookSecret output)");
  }
  return Buffer.from(encoded, "base64");
}

/** Whether `secret` is a webhook secret `verifyWebhook` takes: `whsec_<base64>` (or bare base64). */
export function isWebhookSecret(secret: string): boolean {
  try {
    secretKey(secret);
    return true;
  } catch {
    return false;
  }
}

/** `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, over the body's bytes as received. */
function signature(key: Buffer, id: string, timestamp: string, body: string | Buffer): string {
  const mac = createHmac("sha256", key).update(`${id}.${timestamp}.`, "utf8").update(body).digest("base64");
  return `${SIGNATURE_VERSION}${mac}`;
}

/**
 * The three headers that sign `body` as the stack does: for an application's tests, or to replay
 * a delivery. `secret` is `whsec_<base64>`; `timestampSeconds` an integer Unix time.
 */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string | Buffer): WebhookHeaders {
  if (!Number.isSafeInteger(timestampSeconds)) throw new RangeError(`timestampSeconds must be an integer, got ${timestampSeconds}`);
  const timestamp = String(timestampSeconds);
  return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature(secretKey(secret), id, timestamp, body) };
}

/**
 * A header's value, its name in any case. Repeated lines (an array) are joined with ", ", as Node
 * and `Headers` join them.
 */
function header(headers: HeadersLike, name: string): string | undefined {
  // Duck-typed, not `instanceof Headers`: frameworks and fetch polyfills bring their own class.
  if (typeof headers.get === "function") return (headers as Pick<Headers, "get">).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** The three signing headers; throws `MissingHeaders` naming those absent or empty. */
function signingHeaders(headers: HeadersLike): WebhookHeaders {
  const names = ["webhook-id", "webhook-timestamp", "webhook-signature"] as const;
  const values = names.map((name) => header(headers, name)?.trim());
  const missing = names.filter((_, i) => !values[i]);
  if (missing.length > 0) throw new WebhookVerificationError("MissingHeaders", `missing header${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`);
  const [id, timestamp, sig] = values as string[];
  return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": sig };
}

/** Throws unless `timestamp` is integer seconds within `toleranceSeconds` of now (the replay window). */
function checkTimestamp(timestamp: string, toleranceSeconds: number, nowMs: number): void {
  if (!INTEGER.test(timestamp) || !Number.isSafeInteger(Number(timestamp))) {
    throw new WebhookVerificationError("BadTimestamp", `webhook-timestamp is not integer Unix seconds: '${timestamp.slice(0, 40)}'`);
  }
  const skew = Math.floor(nowMs / 1000) - Number(timestamp);
  if (skew > toleranceSeconds) throw new WebhookVerificationError("TimestampTooOld", `webhook-timestamp is ${skew} s old, more than ${toleranceSeconds} s`);
  if (-skew > toleranceSeconds) throw new WebhookVerificationError("TimestampTooNew", `webhook-timestamp is ${-skew} s in the future, more than ${toleranceSeconds} s`);
}

/**
 * Whether one of the space-separated signatures is `expected`, compared in constant time. Other
 * versions (`v1a,...`) never equal a `v1,` signature. A trailing comma is dropped: base64 has none,
 * and Node and `Headers` put one between repeated header lines.
 */
function hasSignature(header: string, expected: string): boolean {
  const want = Buffer.from(expected, "utf8");
  return header
    .split(/\s+/)
    .map((candidate) => candidate.replace(/,$/, ""))
    .filter((candidate) => candidate.startsWith(SIGNATURE_VERSION))
    .some((candidate) => {
      const got = Buffer.from(candidate, "utf8");
      return got.length === want.length && timingSafeEqual(got, want);
    });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The body as a `WebhookEvent`; throws `BadBody` for anything else. */
function parseEvent<TResult>(body: string | Buffer): WebhookEvent<TResult> {
  let event: unknown;
  try {
    event = JSON.parse(typeof body === "string" ? body : body.toString("utf8"));
  } catch (err) {
    throw new WebhookVerificationError("BadBody", `the body is not JSON (${(err as Error).message})`);
  }
  const problem = !isObject(event)
    ? "is not a JSON object"
    : !(WEBHOOK_EVENT_TYPES as readonly unknown[]).includes(event.type)
      ? `has type ${JSON.stringify(event.type)}, not one of ${WEBHOOK_EVENT_TYPES.join(", ")}`
      : typeof event.timestamp !== "string"
        ? "has no timestamp"
        : !isObject(event.data) || typeof event.data.jobId !== "string" || !(JOB_STATUSES as readonly unknown[]).includes(event.data.status)
          ? "has no job as data (jobId, status)"
          : undefined;
  if (problem) throw new WebhookVerificationError("BadBody", `the body ${problem}`);
  return event as unknown as WebhookEvent<TResult>;
}

/**
 * Verifies a webhook delivery and returns its event. `body` must be the raw request body, exactly
 * as received (not a re-serialized parse of it); `headers` may be Node's `req.headers`, a plain
 * object (any case) or WHATWG `Headers`. `secret` is the stack's `webhookSecret` output,
 * `whsec_<base64>` (bare base64 works too).
 *
 * Throws a `WebhookVerificationError` (see its `reason`) when a header is missing, the timestamp is
 * not integer seconds or is outside `toleranceSeconds` of now (a replay), no `v1` signature matches,
 * the secret is malformed, or the signed body is not a job event. Deliver at least once means the
 * same `webhook-id` may arrive again: deduplicate on it.
 */
export function verifyWebhook<TResult = unknown>(secret: string, headers: HeadersLike, body: string | Buffer, options: VerifyWebhookOptions = {}): WebhookEvent<TResult> {
  const key = secretKey(secret);
  const signed = signingHeaders(headers);
  checkTimestamp(signed["webhook-timestamp"], options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS, (options.now ?? Date.now)());
  const expected = signature(key, signed["webhook-id"], signed["webhook-timestamp"], body);
  if (!hasSignature(signed["webhook-signature"], expected)) {
    throw new WebhookVerificationError("BadSignature", "no webhook-signature matches: a wrong secret, or the body or headers changed on the way");
  }
  return parseEvent<TResult>(body);
}
