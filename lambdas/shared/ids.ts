import { randomUUID } from "node:crypto";

/**
 * A lowercase UUID: the only shape a job id ever has. The Lambda backends issue v4 UUIDs; backend
 * `stream` uses API Gateway's request id (the only per-request value a direct integration has),
 * whose version AWS does not document, so any UUID version is accepted.
 */
export const JOB_ID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";
const JOB_ID = new RegExp(JOB_ID_PATTERN);

/** A new job id: a v4 UUID (122 random bits), URL-safe, 36 characters. */
export function newJobId(): string {
  return randomUUID();
}

/**
 * True only for a lowercase UUID. Everything else (path traversal, ARN fragments, unicode,
 * huge strings, uppercase) is a job that does not exist, and is answered without touching AWS.
 */
export function isJobId(value: unknown): value is string {
  return typeof value === "string" && value.length === 36 && JOB_ID.test(value);
}
