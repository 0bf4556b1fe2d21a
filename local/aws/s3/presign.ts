/**
 * Presigned URLs and temporary credentials: a request signed with a local STS session
 * (`X-Amz-Security-Token`, in the query of a presigned URL or as a header) whose credentials have
 * expired is refused with `400 ExpiredToken`: a presigned URL "expires when the credentials you
 * used to create it expire", whatever its `X-Amz-Expires` ("Download and upload objects with
 * presigned URLs", https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html).
 * s3rver itself does not verify signatures, but it does enforce `X-Amz-Expires`.
 */
import type * as http from "http";
import { sessionTokenExpiry } from "../sts/sessionToken";
import { header, xmlError } from "./restXml";

/** Whether the request is signed with a local STS session that has expired. */
function sessionExpired(req: http.IncomingMessage, now = Date.now()): boolean {
  const query = new URL(req.url ?? "/", "http://local").searchParams;
  const token = query.get("X-Amz-Security-Token") ?? header(req, "x-amz-security-token");
  const expiry = token === undefined || token === null ? undefined : sessionTokenExpiry(token);
  return expiry !== undefined && expiry <= now;
}

/** Answers `400 ExpiredToken` and returns true for a request whose session has expired; returns false for any other. */
export function refuseExpiredSession(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if (!sessionExpired(req)) return false;
  xmlError(res, 400, "ExpiredToken", "The provided token has expired.");
  return true;
}
