import { createHash } from "crypto";
import type { ListPosition } from "./types";

/*
 * The per-owner indexes `GET /jobs` reads (CONTRACT.md, "GET /jobs"): a page costs a read of one
 * owner's newest jobs, never a scan of the store.
 */

/**
 * DynamoDB: the global secondary index of the jobs table on `owner` (partition) + `createdAt`
 * (sort). Sparse: only job items have an `owner` (idempotency and stream error items do not).
 */
export const OWNER_INDEX = {
  name: "byOwner",
  hashKey: "owner",
  rangeKey: "createdAt",
  /**
   * What `view` needs besides the keys (`pk`, `owner`, `createdAt` are always projected), so a
   * page never reads the jobs' inputs or results: INCLUDE, not ALL.
   */
  nonKeyAttributes: ["kind", "jobId", "status", "updatedAt", "deadline", "expiresAt", "progress", "error"],
} as const;

/** The jobs table's attributes and its owner index, in `aws.dynamodb.Table`'s terms (components/resultStore.ts, and the local tables the tests make). */
export function jobsTableKeys() {
  return {
    hashKey: "pk",
    attributes: [
      { name: "pk", type: "S" },
      { name: OWNER_INDEX.hashKey, type: "S" },
      { name: OWNER_INDEX.rangeKey, type: "S" },
    ],
    globalSecondaryIndexes: [
      {
        name: OWNER_INDEX.name,
        hashKey: OWNER_INDEX.hashKey,
        rangeKey: OWNER_INDEX.rangeKey,
        projectionType: "INCLUDE",
        nonKeyAttributes: [...OWNER_INDEX.nonKeyAttributes],
      },
    ],
  };
}

/** S3: the prefix of the index objects of all owners. */
export const S3_INDEX_PREFIX = "index/";

/** The largest epoch millisecond an index key can hold (year 2286): keys hold 13 digits. */
const MAX_MS = 9_999_999_999_999;

/** `index/<sha256 of owner, hex>/`: one owner's prefix (owners are ARNs or key ids, with `/` and `:`). */
export function s3OwnerPrefix(owner: string): string {
  return `${S3_INDEX_PREFIX}${createHash("sha256").update(owner, "utf8").digest("hex")}/`;
}

/**
 * `index/<owner hash>/<13 digits: MAX_MS - createdAt ms>_<jobId>`: S3 lists keys in ascending
 * order, so the newest job comes first; jobs created in the same millisecond by job id.
 */
export function s3IndexKey(owner: string, position: ListPosition): string {
  const ms = Date.parse(position.createdAt);
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_MS) throw new Error(`createdAt ${position.createdAt} cannot be indexed`);
  return `${s3OwnerPrefix(owner)}${String(MAX_MS - ms).padStart(13, "0")}_${position.jobId}`;
}

/** The position an index key stands for, or undefined for a key that is not one. */
export function s3IndexPosition(key: string): ListPosition | undefined {
  const m = /\/(\d{13})_([^/]+)$/.exec(key);
  if (!m) return undefined;
  return { createdAt: new Date(MAX_MS - Number(m[1])).toISOString(), jobId: m[2] };
}
