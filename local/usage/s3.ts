/**
 * What the local S3 counts for the cost meter (local/usage), as Amazon S3 bills it
 * (https://aws.amazon.com/s3/pricing/, "Requests & data retrievals" and "Storage"):
 *
 * - `s3.putRequests`: PUT, COPY, POST and LIST requests (PutObject, CopyObject, UploadPart,
 *   Create/CompleteMultipartUpload, CreateBucket, PutBucket* configuration calls, ListObjects(V2),
 *   ListBuckets, ListMultipartUploads, ListParts).
 * - `s3.getRequests`: GET, HEAD and every other request, except DELETE requests (DeleteObject,
 *   DeleteObjects, AbortMultipartUpload, DeleteBucket*), which are free.
 * - A request is billed when it is answered 2xx, 3xx or 4xx, but not 5xx (so not the fault API's
 *   injected 503 SlowDown / 500 InternalError) nor the 3xx/4xx error codes S3 lists as not billed
 *   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ErrorCodeBilling.html).
 * - `s3.storageGbMonths`: at each object written (PutObject, CopyObject,
 *   CompleteMultipartUpload), its bytes for as long as it will be stored: until the bucket's
 *   lifecycle `Expiration { Days: n }` rule expires it, at the midnight UTC after n days
 *   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecyclemgmt-expire-general-considerations.html).
 *   An object no expiration rule covers is not counted (its storage has no end to charge for).
 *   Overwriting a key ends the old object's storage: what the old object was charged for past now
 *   is subtracted, down to zero (a record rewritten smaller still over-counts a little). An object
 *   deleted before it expires stays charged to its expiry (an over-count). Parts of an upload in
 *   progress are not counted.
 *
 * Jobs: the ids in the object key (`jobIdsInKey`); bucket-level requests, lists included, name none.
 */
import type * as http from "http";
import type { UsageMeter } from "./meter";
import { jobIdsInKey } from "./jobIds";
import { expirationDaysFor, type BucketLifecycles } from "../aws/s3/lifecycle";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const GIB = 1024 ** 3;
/** The S3 pricing page's month: 730 hours. */
const HOURS_PER_MONTH = 730;

export type S3RequestTier = "put" | "get" | "free";

/** `GET /<bucket>?<one of these>` reads a configuration (a GET request); any other `GET /<bucket>` lists. */
const BUCKET_CONFIGURATIONS = ["accelerate", "acl", "analytics", "cors", "encryption", "intelligent-tiering", "inventory", "lifecycle", "location", "logging", "metrics", "notification", "object-lock", "ownershipControls", "policy", "policyStatus", "publicAccessBlock", "replication", "requestPayment", "tagging", "versioning", "website"];

/** The bucket and key a path-style request names (`/<bucket>/<key>`). */
export function s3RequestTarget(url: string): { bucket?: string; key?: string } {
  const { pathname } = new URL(url, "http://local");
  const slash = pathname.indexOf("/", 1);
  const bucket = decodeURIComponent(slash < 0 ? pathname.slice(1) : pathname.slice(1, slash));
  const key = slash < 0 ? "" : decodeURIComponent(pathname.slice(slash + 1));
  return { ...(bucket ? { bucket } : {}), ...(key ? { key } : {}) };
}

/** Which request price a request pays, by its method, path and subresource. */
export function s3RequestTier(method: string, url: string): S3RequestTier {
  const { searchParams } = new URL(url, "http://local");
  const { bucket, key } = s3RequestTarget(url);
  const has = (name: string) => searchParams.has(name);
  switch (method.toUpperCase()) {
    case "DELETE":
      return "free";
    case "POST":
      return has("delete") ? "free" : "put";
    case "PUT":
      return "put";
    case "GET":
      if (!bucket) return "put"; // ListBuckets
      if (!key) return BUCKET_CONFIGURATIONS.some(has) ? "get" : "put"; // ListObjects(V2), ListObjectVersions, ListMultipartUploads are LISTs
      return has("uploadId") ? "put" : "get"; // ListParts is a LIST
    default:
      return "get"; // HEAD, OPTIONS, ...
  }
}

/** 3xx and 4xx error codes S3 does not bill (ErrorCodeBilling.html), those a local S3 can answer. */
const UNBILLED_ERROR_CODES = new Set([
  "PermanentRedirect",
  "PermanentRedirectControlError",
  "TemporaryRedirect",
  "AuthorizationHeaderMalformed",
  "AuthorizationQueryParametersError",
  "ExpiredToken",
  "InvalidArgument",
  "InvalidDigest",
  "InvalidHostHeader",
]);

/** Whether the bucket owner pays for a request answered `status` (with S3 error `code`). */
export function isBilledS3Response(status: number, code?: string): boolean {
  return status < 500 && !(code !== undefined && UNBILLED_ERROR_CODES.has(code));
}

/** When S3 expires an object created at `createdMs` under an `Expiration { Days: days }` rule: the next midnight UTC after `days` days. */
export function expiresAt(createdMs: number, days: number): number {
  return (Math.floor((createdMs + days * DAY_MS) / DAY_MS) + 1) * DAY_MS;
}

/** `bytes` stored for `ms`, in GB-months (GiB × hours / 730). */
export function storageGbMonths(bytes: number, ms: number): number {
  return (bytes / GIB) * (ms / HOUR_MS / HOURS_PER_MONTH);
}

export interface StoredObject {
  bytes: number;
  createdMs: number;
}

/**
 * The GB-months to charge for `written` (created now, expired after `days`), less what the object
 * it replaces was charged for past now, never below zero.
 */
export function storageToCharge(written: StoredObject, days: number, replaced?: StoredObject): number {
  const charged = storageGbMonths(written.bytes, expiresAt(written.createdMs, days) - written.createdMs);
  const unused = replaced ? storageGbMonths(replaced.bytes, Math.max(0, expiresAt(replaced.createdMs, days) - written.createdMs)) : 0;
  return Math.max(0, charged - unused);
}

/** Counts the request once it is answered (`s3.putRequests` / `s3.getRequests`), if S3 bills it. */
export function meterS3Request(meter: UsageMeter, req: http.IncomingMessage, res: http.ServerResponse): void {
  const tier = s3RequestTier(req.method ?? "GET", req.url ?? "/");
  if (tier === "free") return;
  const { bucket, key } = s3RequestTarget(req.url ?? "/");
  // The object's key names the jobs; a copy to a key that names none is for the source's.
  const copySource = req.headers["x-amz-copy-source"];
  const jobIds = jobIdsInKey(key).length || typeof copySource !== "string" ? jobIdsInKey(key) : jobIdsInKey(decodeURIComponent(copySource));
  let code: string | undefined;
  // The S3 error code, read from the error body (s3rver's and ours).
  const end = res.end.bind(res) as (...args: unknown[]) => http.ServerResponse;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (res.statusCode >= 300 && (typeof chunk === "string" || Buffer.isBuffer(chunk))) code = /<Code>([^<]+)<\/Code>/.exec(String(chunk))?.[1];
    return end(chunk, ...rest);
  }) as typeof res.end;
  res.once("close", () => {
    if (!res.headersSent || !isBilledS3Response(res.statusCode, code)) return;
    meter.count(tier === "put" ? "s3.putRequests" : "s3.getRequests", 1, { jobIds, source: bucket ? `s3:${bucket}` : "s3" });
  });
}

/**
 * Counts `s3.storageGbMonths` for the objects written. `write` runs under the key's lock; it is
 * measured only when an expiration rule covers the key (the object it replaces is read first).
 */
export class S3StorageMeter {
  private readonly uncovered = new Set<string>();

  constructor(
    private readonly meter: UsageMeter | undefined,
    private readonly lifecycles: BucketLifecycles,
    private readonly objectAt: (bucket: string, key: string) => Promise<StoredObject | undefined>,
    private readonly log: (line: string) => void,
  ) {}

  async write<T>(bucket: string, key: string, write: () => Promise<T>, bytesOf: (result: T) => number): Promise<T> {
    if (!this.meter) return write();
    const days = expirationDaysFor(await this.lifecycles.get(bucket), key);
    if (days === undefined) {
      if (!this.uncovered.has(bucket)) {
        this.uncovered.add(bucket);
        this.log(`s3: no lifecycle expiration rule covers ${bucket}/${key}: the storage of such objects is not counted`);
      }
      return write();
    }
    const replaced = await this.objectAt(bucket, key);
    const result = await write();
    const gbMonths = storageToCharge({ bytes: bytesOf(result), createdMs: Date.now() }, days, replaced);
    this.meter.count("s3.storageGbMonths", gbMonths, { jobIds: jobIdsInKey(key), source: `s3:${bucket}` });
    return result;
  }
}
