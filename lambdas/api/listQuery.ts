import { createHash } from "crypto";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { isJobId } from "../shared/ids";
import type { ListPosition } from "../shared/store";
import { JOB_STATUSES, type JobStatus } from "../shared/types";

/*
 * The query of `GET /jobs` (CONTRACT.md, "GET {apiUrl}/jobs"): `status`, `limit`, `cursor`. Every
 * bad value is a 400 ValidationError naming its parameter, and never echoes what was sent.
 */

export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;
/** A cursor is about 120 characters; anything much longer is not one (and is not decoded). */
const MAX_CURSOR_CHARS = 512;

export interface ListQuery {
  /** Undefined: every status. */
  statuses?: JobStatus[];
  limit: number;
  after?: ListPosition;
}

/** The query of `event`, or the message of its 400. `owner` binds the cursor. */
export function listQueryOf(event: APIGatewayProxyEvent, owner: string): { query?: ListQuery; invalid?: string } {
  const status = single(event, "status");
  const limit = single(event, "limit");
  const cursor = single(event, "cursor");
  for (const [name, value] of [["status", status], ["limit", limit], ["cursor", cursor]] as const) {
    if (value === null) return { invalid: `${name} may be given once.` };
  }

  let statuses: JobStatus[] | undefined;
  if (status !== undefined) {
    const parts = status!.split(",");
    const unknown = parts.find((part) => !(JOB_STATUSES as readonly string[]).includes(part));
    if (unknown !== undefined) return { invalid: `status must be one of ${JOB_STATUSES.join(", ")}, or a comma-separated list of them.` };
    statuses = [...new Set(parts as JobStatus[])].sort();
  }

  let pageSize = DEFAULT_LIST_LIMIT;
  if (limit !== undefined) {
    if (!/^\d{1,3}$/.test(limit!) || Number(limit) < 1 || Number(limit) > MAX_LIST_LIMIT) return { invalid: `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}.` };
    pageSize = Number(limit);
  }

  let after: ListPosition | undefined;
  if (cursor !== undefined) {
    after = decodeCursor(cursor!, binding(owner, statuses));
    if (!after) return { invalid: "cursor is not a nextCursor of this list (made for this caller and this status filter)." };
  }
  return { query: { statuses, limit: pageSize, ...(after ? { after } : {}) } };
}

/** The `nextCursor` that goes on after `position`, for this owner and filter. */
export function encodeCursor(position: ListPosition, owner: string, statuses: JobStatus[] | undefined): string {
  const body = { b: binding(owner, statuses), c: position.createdAt, j: position.jobId };
  return Buffer.from(JSON.stringify(body), "utf8").toString("base64url");
}

/**
 * What a cursor names, checked against the owner and filter it must be bound to. The binding keeps
 * a cursor from being reused by another caller or with another filter; a forged one gains nothing,
 * since a list only ever reads the caller's own index.
 */
function decodeCursor(cursor: string, expected: string): ListPosition | undefined {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
  const { b, c, j, ...rest } = body as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || b !== expected) return undefined;
  if (typeof c !== "string" || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(c) || !Number.isFinite(Date.parse(c)) || !isJobId(j)) return undefined;
  return { createdAt: c, jobId: j };
}

/** sha256 of the owner and the filter: what a cursor is good for, without saying who the owner is. */
function binding(owner: string, statuses: JobStatus[] | undefined): string {
  return createHash("sha256").update(`${owner}\n${statuses ? statuses.join(",") : "*"}`, "utf8").digest("base64url").slice(0, 22);
}

/** A query parameter given at most once: its value, undefined when absent, null when repeated. */
function single(event: APIGatewayProxyEvent, name: string): string | undefined | null {
  const values = event.multiValueQueryStringParameters?.[name] ?? (event.queryStringParameters?.[name] !== undefined ? [event.queryStringParameters[name]!] : undefined);
  if (values === undefined) return undefined;
  return values.length === 1 && values[0] !== undefined ? values[0] : null;
}
