// Backoff, jitter, Retry-After and cancellable sleeps: pure helpers, unit-tested on their own.

export interface BackoffOptions {
  /** The delay ceiling of the first retry. */
  baseMs: number;
  /** No delay is ever longer. */
  maxMs: number;
}

/**
 * Exponential backoff with "equal jitter": the ceiling doubles with each attempt (`baseMs * 2^attempt`,
 * at most `maxMs`) and the delay is uniform in `[ceiling / 2, ceiling]`, so callers spread out
 * without ever retrying at once. `attempt` is 0 for the first retry.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (ceiling / 2) * clamp01(random()));
}

/** The bounds `backoffDelay` stays within for an attempt. */
export function backoffBounds(attempt: number, options: BackoffOptions): { min: number; max: number } {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt));
  return { min: Math.round(ceiling / 2), max: Math.round(ceiling) };
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

/**
 * `Retry-After` in milliseconds: delay-seconds (`"3"`) or an HTTP date; `undefined` when absent or
 * unreadable. A date in the past is 0.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isFinite(at) && /[a-z]/i.test(text) ? Math.max(0, at - now) : undefined;
}

/** A sleep that rejects with the signal's reason when the signal fires. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const sleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
