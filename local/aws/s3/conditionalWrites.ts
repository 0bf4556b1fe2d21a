/**
 * Conditional requests, which s3rver ignores: on writes (PutObject, CopyObject,
 * CompleteMultipartUpload) `If-None-Match: *` → 412 PreconditionFailed if the key exists, and
 * `If-Match: <etag>` → 412 PreconditionFailed if the current ETag differs, 404 NoSuchKey if there
 * is no object (as AWS answers); on GetObject/HeadObject `If-Match` → 412 when the ETag differs.
 * The store wrapper (objectStore.ts) checks them under the key's lock, after s3rver has
 * authenticated the request and found the bucket (the order AWS uses).
 *
 * - https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
 * - https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 */
import type * as http from "http";
import { header } from "./restXml";
import { S3Error, type S3rverStore } from "./s3rver";

/** `"abc"`, `W/"abc"`, `abc` → `abc`. */
export function bareEtag(value: string): string {
  return value.trim().replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
}

export function preconditionFailed(condition: string): Error {
  return new S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", { Condition: condition });
}

/** Whether an `If-Match` header's ETags (or `*`) name the object's (bare) ETag. */
export function ifMatchHolds(ifMatch: string, etag: string): boolean {
  const candidates = ifMatch.split(",").map(bareEtag);
  return candidates.includes("*") || candidates.includes(etag);
}

async function currentEtag(store: S3rverStore, bucket: string, key: string): Promise<string | undefined> {
  try {
    return bareEtag((await store.getMetadata(bucket, key)).etag);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
    throw err;
  }
}

/** Throws the S3 error AWS would answer when the request's write preconditions do not hold. */
export async function checkWritePreconditions(store: S3rverStore, req: http.IncomingMessage, bucket: string, key: string): Promise<void> {
  const ifNoneMatch = header(req, "if-none-match");
  const ifMatch = header(req, "if-match");
  if (ifNoneMatch === undefined && ifMatch === undefined) return;
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== "*") {
    // AWS accepts only `*` on writes.
    throw new S3Error("NotImplemented", "A header you provided implies functionality that is not implemented", { Header: "If-None-Match" });
  }
  const current = await currentEtag(store, bucket, key);
  if (ifNoneMatch !== undefined && current !== undefined) throw preconditionFailed("If-None-Match");
  if (ifMatch !== undefined) {
    if (current === undefined) throw new S3Error("NoSuchKey", "The specified key does not exist.", { Key: key });
    if (!ifMatchHolds(ifMatch, current)) throw preconditionFailed("If-Match");
  }
}
