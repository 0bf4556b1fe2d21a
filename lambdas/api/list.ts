import { apiHandler, callerOf } from "../shared/api";
import type { ApiHandler } from "../shared/api";
import { config } from "../shared/config";
import { errorResponse, json } from "../shared/http";
import { jobSummary } from "../shared/jobBody";
import { view } from "../shared/status";
import { storeFromEnv, type ListPosition } from "../shared/store";
import { encodeCursor, listQueryOf } from "./listQuery";

export interface ListOptions {
  /** Epoch milliseconds (tests pass a fake clock). */
  now?: () => number;
}

/**
 * Reads of the index one request makes at most. A status filter that matches few of many jobs
 * would otherwise read the caller's whole index in one request: after this many reads the page
 * ends short, with a `nextCursor` from where the reading stopped.
 */
export const MAX_INDEX_READS_PER_PAGE = 5;

/**
 * GET /jobs: the caller's jobs, newest first (CONTRACT.md, "GET {apiUrl}/jobs"), read from the
 * store's per-owner index (lambdas/shared/store/listIndex.ts) through `view`, so a job reads the
 * same here as in GET /jobs/{id}: expired ones are absent, overdue ones TIMED_OUT. The status
 * filter applies to what `view` shows. One more job than the limit is read, so the last page has
 * no `nextCursor`.
 */
export function createListHandler(options: ListOptions = {}): ApiHandler {
  const now = options.now ?? Date.now;

  return apiHandler("list", async (event) => {
    const cfg = config();
    const caller = callerOf(event, cfg);
    if (caller === undefined) return errorResponse(403, "Forbidden", "The request has no caller identity.");
    const parsed = listQueryOf(event, caller);
    if (!parsed.query) return errorResponse(400, "ValidationError", parsed.invalid!);
    const { statuses, limit } = parsed.query;

    const store = storeFromEnv({ now });
    const found: { job: Record<string, unknown>; position: ListPosition }[] = [];
    let after = parsed.query.after;
    let more = true;
    for (let reads = 0; more && found.length <= limit && reads < MAX_INDEX_READS_PER_PAGE; reads++) {
      const page = await store.listJobs(caller, { limit: limit + 1 - found.length, after });
      for (const record of page.jobs) {
        const seen = view(record, now(), cfg.resultTtlSeconds);
        if (!seen || (statuses && !statuses.includes(seen.status))) continue;
        found.push({ job: jobSummary(seen), position: { createdAt: record.createdAt, jobId: record.jobId } });
        if (found.length > limit) break;
      }
      more = page.next !== undefined;
      after = page.next;
    }

    // Over the limit: the extra job shows there is more, from the last job shown on. Cut short by
    // MAX_INDEX_READS_PER_PAGE: from where the reading stopped.
    const shown = found.slice(0, limit);
    let next: ListPosition | undefined;
    if (found.length > limit) next = shown[shown.length - 1].position;
    else if (more) next = after;
    const body: Record<string, unknown> = { jobs: shown.map((f) => f.job) };
    if (next) body.nextCursor = encodeCursor(next, caller, statuses);
    return json(200, body, { "Cache-Control": "no-store" });
  });
}
