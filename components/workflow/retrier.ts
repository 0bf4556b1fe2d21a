/** A state's `Retry` entry from a retry policy (jittered, as every retry of the definition is). */
import type { AslRetrier } from "./asl";
import type { WorkerRetry } from "./types";

export const retrier = (errors: readonly string[], r: Readonly<WorkerRetry>): AslRetrier => ({
  ErrorEquals: [...errors],
  IntervalSeconds: r.intervalSeconds,
  MaxAttempts: r.maxAttempts,
  BackoffRate: r.backoffRate,
  JitterStrategy: "FULL",
});
