import { createHmac, randomBytes, timingSafeEqual } from "crypto";

/*
 * Standard Webhooks (https://www.standardwebhooks.com, "Signature scheme"): the signed content is
 * `<webhook-id>.<webhook-timestamp>.<body>`, its HMAC-SHA256 keyed with the base64-decoded part of
 * the secret after `whsec_`, sent as `webhook-signature: v1,<base64>`.
 */

export const SECRET_PREFIX = "whsec_";

/** The headers of one delivery. */
export interface WebhookHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/** A new secret: `whsec_` and the base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString("base64")}`;
}

/** The key bytes of a `whsec_<base64>` secret; throws for anything else. */
export function secretKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error("a webhook secret starts with whsec_");
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), "base64");
  if (key.length < 24 || key.length > 64) throw new Error("a webhook secret holds 24 to 64 bytes");
  return key;
}

/** `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`. */
export function webhookSignature(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac("sha256", secretKey(secret)).update(`${id}.${timestampSeconds}.${body}`, "utf8").digest("base64");
  return `v1,${mac}`;
}

/** The three headers of a delivery of `body`, signed at `timestampSeconds`. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): WebhookHeaders {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": webhookSignature(secret, id, timestampSeconds, body),
  };
}

/** Whether one of the space-separated `v1,` signatures of a header is `expected` (constant time). */
export function hasSignature(header: string, expected: string): boolean {
  const want = Buffer.from(expected, "utf8");
  return header.split(" ").some((candidate) => {
    const got = Buffer.from(candidate, "utf8");
    return got.length === want.length && timingSafeEqual(got, want);
  });
}
