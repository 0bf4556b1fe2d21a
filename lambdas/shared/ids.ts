import { randomUUID } from "node:crypto";

/** Lowercase v4 UUID: the only shape a job id ever has. */
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A new job id: a v4 UUID (122 random bits), URL-safe, 36 characters. */
export function newJobId(): string {
  return randomUUID();
}

/**
 * True only for a lowercase v4 UUID. Everything else (path traversal, ARN fragments, unicode,
 * huge strings, uppercase) is a job that does not exist, and is answered without touching AWS.
 */
export function isJobId(value: unknown): value is string {
  return typeof value === "string" && value.length === 36 && JOB_ID.test(value);
}
