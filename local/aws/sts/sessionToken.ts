/**
 * Session tokens of the local STS. AWS's tokens are opaque; the local ones carry their own
 * expiry, so the local S3 can refuse a request signed with an expired session (as Amazon S3
 * does: a presigned URL "expires when the credentials you used to create it expire", "Download
 * and upload objects with presigned URLs") without sharing state with the STS emulator, and
 * across restarts.
 */
import * as crypto from "crypto";

const PREFIX = "LocalSts";

/** A new session token that expires at `expiresAt` (epoch ms). */
export function issueSessionToken(expiresAt: number): string {
  return `${PREFIX}.${Math.floor(expiresAt / 1000)}.${crypto.randomBytes(12).toString("hex")}`;
}

/** When a local session token expires (epoch ms), or undefined for any other token. */
export function sessionTokenExpiry(token: string): number | undefined {
  const match = /^LocalSts\.(\d+)\.[0-9a-f]+$/.exec(token);
  return match ? Number(match[1]) * 1000 : undefined;
}
