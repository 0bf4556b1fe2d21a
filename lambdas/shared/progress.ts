import type { ProgressReport } from "../jobs/types";
import { logger } from "./logger";
import { iso } from "./status";
import { ConflictError } from "./store/types";
import type { JobStore } from "./store/types";
import type { JobProgress } from "./types";

/*
 * A job's progress reports (CONTRACT.md, "Progress"): the latest one is written to the job's
 * record, at most once a second, only while the job is RUNNING (a report after it ended is
 * dropped), and a report that cannot be written is logged: reporting never fails the job.
 */

/** Writes reach the store at most this often. */
export const PROGRESS_INTERVAL_MS = 1000;
export const MAX_PROGRESS_MESSAGE = 256;

/** The report as the record keeps it, or undefined for one with nothing usable in it. */
export function progressOf(report: unknown, at: number): JobProgress | undefined {
  if (typeof report !== "object" || report === null) return undefined;
  const { percent, message } = report as ProgressReport;
  const out: JobProgress = { updatedAt: iso(at) };
  if (typeof percent === "number" && Number.isFinite(percent)) out.percent = Math.min(100, Math.max(0, Math.round(percent * 10) / 10));
  if (typeof message === "string" && message.length > 0) out.message = message.slice(0, MAX_PROGRESS_MESSAGE);
  return out.percent === undefined && out.message === undefined ? undefined : out;
}

/** Writes one report onto the record, if the job is still RUNNING: re-read on a conflict. */
export async function recordProgress(store: JobStore, jobId: string, progress: JobProgress): Promise<boolean> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const current = await store.getJob(jobId);
    if (!current || current.status !== "RUNNING") return false;
    try {
      await store.replaceJob({ ...current, progress }, current.version);
      return true;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
  }
  return false;
}

export interface ProgressReporter {
  /** `context.progress`: never throws, never waits. */
  report(report: ProgressReport): void;
  /** Writes what is still pending, now (before the outcome is recorded). Never throws. */
  flush(): Promise<void>;
}

export function createProgressReporter(args: { store: JobStore; jobId: string; now?: () => number; intervalMs?: number }): ProgressReporter {
  const now = args.now ?? Date.now;
  const interval = args.intervalMs ?? PROGRESS_INTERVAL_MS;
  let pending: JobProgress | undefined;
  let lastWrite = -Infinity;
  let writing: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const write = (): Promise<void> => {
    const progress = pending;
    pending = undefined;
    if (!progress) return Promise.resolve();
    lastWrite = now();
    writing = recordProgress(args.store, args.jobId, progress)
      .then((written) => {
        if (!written) closed = true; // the job is no longer RUNNING: later reports are dropped
      })
      .catch((err: unknown) => logger.warn("A progress report was not recorded", { jobId: args.jobId, error: (err as Error)?.name }))
      .finally(() => {
        writing = undefined;
        if (pending && !closed) schedule();
      });
    return writing;
  };

  function schedule(): void {
    if (timer || writing || closed) return;
    const wait = Math.max(0, lastWrite + interval - now());
    timer = setTimeout(() => {
      timer = undefined;
      void write();
    }, wait);
    timer.unref?.();
  }

  return {
    report(report) {
      if (closed) return;
      const progress = progressOf(report, now());
      if (!progress) {
        logger.warn("A progress report without a percent or message was ignored", { jobId: args.jobId });
        return;
      }
      pending = progress;
      schedule();
    },
    async flush() {
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      if (writing) await writing;
      if (pending && !closed) await write();
    },
  };
}
