import { expiryAfter, isTerminal, iso, mayWrite } from "../status";
import type { JobRecord, JobStatus } from "../types";
import { ConflictError } from "./types";
import type { JobStore } from "./types";

/** The fields a writer changes; `status` is required, the rest is merged into the record (`updatedAt` defaults to now). */
export type JobPatch = Partial<Omit<JobRecord, "pk" | "kind" | "jobId" | "version" | "owner" | "createdAt">> & { status: JobStatus };

/**
 * Given the stored record (re-read on every attempt), the change to make, or `undefined` to make
 * none. Must be a pure function of its arguments: it runs again after a conflict.
 */
export type Mutation = (current: JobRecord, now: number) => JobPatch | undefined;

export interface TransitionOptions {
  now?: () => number;
  /** A terminal write sets `expiresAt` to now + this, unless the patch sets it. */
  resultTtlSeconds?: number;
  /** Attempts before giving up on conflicts (default 5). */
  attempts?: number;
}

export type TransitionOutcome =
  | { applied: true; record: JobRecord; previous: JobRecord }
  /** `missing`: no (unexpired) record; `skipped`: the mutation made no change; `refused`: the status rules said no. */
  | { applied: false; reason: "missing" | "skipped" | "refused"; current?: JobRecord };

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Read → status-rule check → conditional replace, again on a conflict. The one way any handler
 * changes a job, which is what makes "the first terminal state wins" and "late results are
 * discarded" hold everywhere. Errors other than conflicts are thrown.
 */
export async function applyTransition(store: JobStore, jobId: string, mutate: Mutation, options: TransitionOptions = {}): Promise<TransitionOutcome> {
  const now = options.now ?? Date.now;
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const current = await store.getJob(jobId);
    if (!current) return { applied: false, reason: "missing" };
    const at = now();
    const patch = mutate(current, at);
    if (!patch) return { applied: false, reason: "skipped", current };
    if (!mayWrite(current, patch.status, at)) return { applied: false, reason: "refused", current };
    const next: JobRecord = { ...current, updatedAt: iso(at), ...patch };
    if (isTerminal(next.status) && patch.expiresAt === undefined && options.resultTtlSeconds !== undefined) {
      next.expiresAt = expiryAfter(at, options.resultTtlSeconds);
    }
    // Fields that belong to one status only never leak into another.
    if (next.status !== "SUCCEEDED") {
      delete next.result;
      delete next.resultRef;
      delete next.resultSize;
    }
    if (next.status !== "FAILED" && next.status !== "TIMED_OUT") delete next.error;
    try {
      const record = await store.replaceJob(next, current.version);
      return { applied: true, record, previous: current };
    } catch (err) {
      if (!(err instanceof ConflictError) || attempt >= attempts) throw err;
      await pause(Math.random() * 10 * attempt);
    }
  }
}

/** `applyTransition`, answering the new record, or `undefined` when nothing was written. */
export async function transition(store: JobStore, jobId: string, mutate: Mutation, options: TransitionOptions = {}): Promise<JobRecord | undefined> {
  const outcome = await applyTransition(store, jobId, mutate, options);
  return outcome.applied ? outcome.record : undefined;
}
