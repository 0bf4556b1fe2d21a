import type { JobContext, JobDefinition } from "../jobs/types";
import { jobErrorInfo } from "../shared/errors";
import type { ErrorInfo } from "../shared/types";

/** Time a worker keeps for itself after the job's signal fires (recording the outcome). */
export const SAFETY_MARGIN_MS = 3000;

export type RunOutcome = { kind: "succeeded"; value: unknown } | { kind: "failed"; error: ErrorInfo } | { kind: "timedOut" };

class JobTimeout extends Error {
  constructor() {
    super("The job ran out of time");
    this.name = "JobTimeout";
  }
}

/**
 * Runs a job with an AbortSignal that fires after `budgetMs`. The outcome does not wait for a
 * job that ignores its signal: at `budgetMs` it is TIMED_OUT whatever the job still does.
 * A thrown error is an outcome (the job's own failure), never rethrown.
 */
export async function runJob(
  job: JobDefinition,
  jobId: string,
  inputText: string,
  budgetMs: number,
  progress: JobContext["progress"] = () => undefined,
): Promise<RunOutcome> {
  if (!(budgetMs > 0)) return { kind: "timedOut" };
  let input: unknown;
  try {
    // The stream backend stores the body as it came: a UTF-8 byte order mark is not part of the JSON.
    input = JSON.parse(inputText.replace(/^\uFEFF/, ""));
  } catch {
    return { kind: "failed", error: { code: "InvalidInput", message: "The job's stored input is not valid JSON." } };
  }
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const reason = new JobTimeout();
      controller.abort(reason);
      reject(reason);
    }, budgetMs);
  });
  try {
    const value = await Promise.race([Promise.resolve().then(() => job.run(input, { jobId, signal: controller.signal, progress })), timedOut]);
    return { kind: "succeeded", value };
  } catch (err) {
    if (controller.signal.aborted) return { kind: "timedOut" };
    return { kind: "failed", error: jobErrorInfo(err) };
  } finally {
    clearTimeout(timer);
    timedOut.catch(() => undefined);
  }
}

/**
 * The job's time: the configured timeout (counted from `startedAt` when given, so a retried
 * delivery gets only what is left of it), what the invocation has left minus a margin, and the
 * deadline.
 */
export function budgetMs(jobTimeoutSeconds: number, remainingMs: number | undefined, deadline: string | undefined, now: number, startedAt?: string): number {
  let budget = jobTimeoutSeconds * 1000;
  const startedMs = startedAt ? Date.parse(startedAt) : NaN;
  if (Number.isFinite(startedMs)) budget = Math.min(budget, startedMs + jobTimeoutSeconds * 1000 - now);
  if (remainingMs !== undefined && Number.isFinite(remainingMs)) budget = Math.min(budget, remainingMs - SAFETY_MARGIN_MS);
  const deadlineMs = deadline ? Date.parse(deadline) : NaN;
  if (Number.isFinite(deadlineMs)) budget = Math.min(budget, deadlineMs - now);
  return budget;
}
