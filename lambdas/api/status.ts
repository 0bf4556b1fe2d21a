import { apiHandler, callerOf, owns } from "../shared/api";
import type { ApiHandler } from "../shared/api";
import { config } from "../shared/config";
import { errorResponse, json, notFound, pathJobId } from "../shared/http";
import { isJobId } from "../shared/ids";
import { jobBody } from "../shared/jobBody";
import { isTerminal, retryAfterSeconds, view } from "../shared/status";
import { nextPause, waitSecondsOf } from "./longPoll";
import { storeFromEnv } from "../shared/store";

export interface StatusOptions {
  /** Epoch milliseconds (tests pass a fake clock). */
  now?: () => number;
  /** Waits between reads of a long poll (tests move their clock instead). @default a real timer */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * GET /jobs/{jobId}: the job as the store has it, through `view` (never Step Functions). A
 * malformed, unknown, expired or (auth `iam`, `apiKey`) someone else's id all get the same 404.
 */
export function createStatusHandler(options: StatusOptions = {}): ApiHandler {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  return apiHandler("status", async (event) => {
    const jobId = pathJobId(event);
    if (!isJobId(jobId)) return notFound();
    const cfg = config();
    const caller = callerOf(event, cfg);
    if (caller === undefined) return errorResponse(403, "Forbidden", "The request has no caller identity.");

    const wait = waitSecondsOf(event);
    if (wait.invalid) return errorResponse(400, "ValidationError", wait.invalid);

    const store = storeFromEnv({ now });
    let record = await store.getJob(jobId);
    let at = now();
    let seen = view(record, at, cfg.resultTtlSeconds);
    if (!record || !seen || !owns(cfg, caller, record.owner)) return notFound();
    if (wait.seconds !== undefined) {
      // Long poll: until the job is terminal or its status or progress changes, or the wait is over.
      const arrived = seen.status;
      const arrivedProgress = JSON.stringify(seen.progress ?? null);
      const until = at + wait.seconds * 1000;
      let pause: number | undefined;
      while (!isTerminal(seen.status) && seen.status === arrived && JSON.stringify(seen.progress ?? null) === arrivedProgress) {
        pause = nextPause(pause);
        const left = until - now();
        if (left <= 0) break;
        await sleep(Math.min(pause, left));
        const next = await store.getJob(jobId);
        const nextSeen = view(next, now(), cfg.resultTtlSeconds);
        if (!next || !nextSeen) break; // expired meanwhile: answer what was seen
        record = next;
        seen = nextSeen;
      }
      at = now();
      seen = view(record, at, cfg.resultTtlSeconds) ?? seen;
    }

    const body = await jobBody(seen, now);

    const headers: Record<string, string> = { "Cache-Control": "no-store" };
    if (seen.status === "PENDING" || seen.status === "RUNNING") headers["Retry-After"] = String(retryAfterSeconds(record, at));
    return json(200, body, headers);
  });
}
