import { S3Client } from "@aws-sdk/client-s3";
import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import { s3ClientConfig, stsClient } from "./clients";
import { config, required } from "./config";
import { ENV, RESULT_URL_TTL_SECONDS } from "./env";

/*
 * A presigned URL "expires when the credentials you used to create it expire", whatever its own
 * expiry ("Download and upload objects with presigned URLs", Amazon S3 User Guide). A function's
 * own credentials are temporary, and Lambda says nothing of how long they have left, so a
 * `resultUrl` signed with them could die long before its 15 minutes. The status function signs
 * with a session of the result-reader role instead, whose lifetime it chose, and takes a new one
 * before the current one has less than a URL's lifetime (plus a minute) left.
 */

/** The session the URLs are signed with: one hour, the most that role chaining allows ("Methods to assume a role", IAM User Guide). */
export const READER_SESSION_SECONDS = 3600;

/** A session with less than this left is replaced before signing. */
export const MIN_SESSION_LEFT_MS = (RESULT_URL_TTL_SECONDS + 60) * 1000;

interface ReaderSession {
  client: S3Client;
  expiresAt: number;
}

let current: ReaderSession | undefined;

/** An S3 client that signs as the result-reader role, with at least `MIN_SESSION_LEFT_MS` of its session left. */
export async function resultReaderClient(now: () => number = Date.now): Promise<S3Client> {
  if (current && current.expiresAt - now() >= MIN_SESSION_LEFT_MS) return current.client;
  const roleArn = required(config().resultReaderRoleArn, ENV.RESULT_READER_ROLE_ARN);
  const out = await stsClient().send(
    new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "result-url", DurationSeconds: READER_SESSION_SECONDS }),
  );
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) throw new Error("AssumeRole answered without credentials");
  const expiresAt = c.Expiration.getTime();
  if (expiresAt - now() < MIN_SESSION_LEFT_MS) {
    throw new Error(`the result-reader session lasts until ${c.Expiration.toISOString()}, less than a resultUrl's ${RESULT_URL_TTL_SECONDS} s`);
  }
  current?.client.destroy();
  current = {
    expiresAt,
    client: new S3Client({
      ...s3ClientConfig(),
      credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration },
    }),
  };
  return current.client;
}

/** Forgets the session (tests). */
export function resetResultReader(): void {
  current?.client.destroy();
  current = undefined;
}
