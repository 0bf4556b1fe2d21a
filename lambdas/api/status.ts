import { apiHandler, callerOf, owns } from "../shared/api";
import type { ApiHandler } from "../shared/api";
import { config } from "../shared/config";
import { errorResponse, json, notFound, pathJobId } from "../shared/http";
import { isJobId } from "../shared/ids";
import { readResult } from "../shared/results";
import { retryAfterSeconds, view } from "../shared/status";
import { storeFromEnv } from "../shared/store";

export interface StatusOptions {
  /** Epoch milliseconds (tests pass a fake clock). */
  now?: () => number;
}

/**
 * GET /jobs/{jobId}: the job as the store has it, through `view` (never Step Functions). A
 * malformed, unknown, expired or (auth `iam`, `apiKey`) someone else's id all get the same 404.
 */
export function createStatusHandler(options: StatusOptions = {}): ApiHandler {
  const now = options.now ?? Date.now;

  return apiHandler("status", async (event) => {
    const jobId = pathJobId(event);
    if (!isJobId(jobId)) return notFound();
    const cfg = config();
    const caller = callerOf(event, cfg);
    if (caller === undefined) return errorResponse(403, "Forbidden", "The request has no caller identity.");

    const record = await storeFromEnv({ now }).getJob(jobId);
    const at = now();
    const seen = view(record, at, cfg.resultTtlSeconds);
    if (!record || !seen || !owns(cfg, caller, record.owner)) return notFound();

    const body: Record<string, unknown> = {
      jobId: seen.jobId,
      status: seen.status,
      createdAt: seen.createdAt,
      updatedAt: seen.updatedAt,
    };
    if (seen.status === "SUCCEEDED") Object.assign(body, await readResult(seen, now));
    if (seen.error) body.error = seen.error;

    const headers: Record<string, string> = { "Cache-Control": "no-store" };
    if (seen.status === "PENDING" || seen.status === "RUNNING") headers["Retry-After"] = String(retryAfterSeconds(record, at));
    return json(200, body, headers);
  });
}
