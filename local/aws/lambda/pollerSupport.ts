/**
 * What the event source mapping pollers share: a stop signal with stop-aware sleeps, a wake-up
 * latch, Lambda event filtering and the partial batch response (`ReportBatchItemFailures`).
 */
import type { UsageMeter } from "../../usage/meter";
import { InvalidEventPattern, matchesPattern, parsePattern } from "../eventbridge/pattern";

/**
 * A poller's wake-up subscription to its source (a queue's messages, a stream's appends): renewed
 * when the source changes (the service restarted), ended when the poller stops.
 */
export class SourceSubscription<S> {
  private current?: { source: S; unsubscribe: () => void };

  /** Subscribes to `source` with `subscribe` (which answers the unsubscribe), unless it is already followed. */
  follow(source: S, subscribe: (source: S) => () => void): void {
    if (this.current?.source === source) return;
    this.current?.unsubscribe();
    this.current = { source, unsubscribe: subscribe(source) };
  }

  end(): void {
    this.current?.unsubscribe();
    this.current = undefined;
  }
}

/** A poller's life: `sleep` and `race` return early once `stop()` was called. */
export class Lifecycle {
  stopped = false;
  private readonly stopWaiters = new Set<() => void>();

  /** Calls `listener` on stop; returns a function that unsubscribes. */
  onStop(listener: () => void): () => void {
    this.stopWaiters.add(listener);
    return () => this.stopWaiters.delete(listener);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const w of [...this.stopWaiters]) w();
  }

  /** Waits `ms` (or less, when stopped meanwhile); never leaves a timer behind. */
  sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.stopWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.stopWaiters.add(done);
    });
  }

  /**
   * `promise`'s value, or undefined as soon as the poller is stopped: a poller never waits for an
   * invocation that is still running when the service stops (the service kills its worker).
   */
  race<T>(promise: Promise<T>): Promise<T | undefined> {
    if (this.stopped) {
      promise.catch(() => undefined);
      return Promise.resolve(undefined);
    }
    return new Promise<T | undefined>((resolve, reject) => {
      const onStop = () => resolve(undefined);
      this.stopWaiters.add(onStop);
      promise.then(
        (v) => {
          this.stopWaiters.delete(onStop);
          resolve(v);
        },
        (e) => {
          this.stopWaiters.delete(onStop);
          if (this.stopped) resolve(undefined);
          else reject(e);
        },
      );
    });
  }
}

/**
 * A wake-up latch for one waiting loop: `wake()` ends the current `wait` early, and a wake that
 * comes while nobody waits is kept, so the next `wait` returns at once (no lost notifications).
 */
export class Waker {
  private pending = false;
  private current?: () => void;

  constructor(private readonly life: Lifecycle) {}

  wake(): void {
    if (this.current) this.current();
    else this.pending = true;
  }

  wait(ms: number): Promise<void> {
    if (this.pending || this.life.stopped) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        offStop();
        if (this.current === finish) this.current = undefined;
        resolve();
      };
      const timer = setTimeout(finish, Math.max(0, ms));
      const offStop = this.life.onStop(finish);
      this.current = finish;
    });
  }
}

/** A Lambda API error about a mapping (the service turns it into its `LambdaApiError`). */
export class MappingError extends Error {
  constructor(
    readonly code: "InvalidParameterValueException" | "ResourceNotFoundException" | "ResourceConflictException" | "ServiceException",
    message: string,
    readonly statusCode: number = code === "ResourceNotFoundException" ? 404 : code === "ResourceConflictException" ? 409 : code === "ServiceException" ? 500 : 400,
  ) {
    super(message);
    this.name = code;
  }
}

/**
 * Lambda event filtering: each pattern (EventBridge pattern syntax) is matched against the whole
 * record as the function would get it. No patterns = every record passes; otherwise a record passes
 * when any pattern matches. Patterns are validated here, when the mapping is created.
 */
export function compileFilters(patterns: string[] | undefined): (record: unknown) => boolean {
  if (!patterns?.length) return () => true;
  const parsed = patterns.map((text) => {
    try {
      return parsePattern(text);
    } catch (e) {
      const reason = e instanceof InvalidEventPattern ? e.message : String(e);
      throw new MappingError("InvalidParameterValueException", `Invalid filter pattern definition: ${reason}`);
    }
  });
  return (record) => parsed.some((p) => matchesPattern(p, record));
}

/** How a function's answer settles a batch under `ReportBatchItemFailures`. */
export type BatchResponse = { kind: "success" } | { kind: "partial"; failedIndexes: number[] } | { kind: "invalid"; reason: string };

/**
 * Reads `{"batchItemFailures":[{"itemIdentifier": ...}]}` as Lambda does: a null or empty answer,
 * an answer without `batchItemFailures`, or an empty/null list is a complete success; invalid JSON,
 * a null/empty/unknown identifier or an entry without `itemIdentifier` fails the whole batch.
 * `identifiers` are the batch's item ids in order (sequence numbers or message ids).
 */
export function readBatchResponse(payload: string, identifiers: string[]): BatchResponse {
  if (payload.trim() === "") return { kind: "success" };
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return { kind: "invalid", reason: "the response is not valid JSON" };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { kind: "success" };
  const failures = (value as Record<string, unknown>).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: "success" };
  if (!Array.isArray(failures)) return { kind: "invalid", reason: "batchItemFailures is not a list" };
  if (failures.length === 0) return { kind: "success" };
  const index = new Map(identifiers.map((id, i) => [id, i]));
  const failed = new Set<number>();
  for (const f of failures) {
    const id = f && typeof f === "object" ? (f as Record<string, unknown>).itemIdentifier : undefined;
    if (typeof id !== "string" || id === "" || !index.has(id)) return { kind: "invalid", reason: `unknown itemIdentifier ${JSON.stringify(id ?? null)}` };
    failed.add(index.get(id)!);
  }
  return { kind: "partial", failedIndexes: [...failed].sort((a, b) => a - b) };
}

/** A synchronous invocation's result, as the pollers need it. */
export interface MappingInvokeResult {
  requestId: string;
  statusCode: number;
  functionError?: "Unhandled";
  payload: string;
}

/** What a poller needs of the Lambda service. */
export interface PollerHost {
  /** Invokes synchronously (`RequestResponse`); rejects when the function cannot be invoked at all (missing, payload too large, service stopped). */
  invoke(functionName: string, payload: string): Promise<MappingInvokeResult>;
  /** The function's unqualified ARN. */
  functionArn(functionName: string): string;
  note(line: string): void;
  /** The wait before the `retry`-th retry of a failed batch (1-based). */
  retryDelayMs(retry: number): number;
  /** How often a poller looks at its source when nothing woke it up. */
  pollIntervalMs: number;
  /** The cost meter: the pollers count their reads and deletes (./usage.ts). */
  meter?: UsageMeter;
}

/** `errorType: errorMessage` of a function error payload, for the service log. */
export function errorSummary(payload: string): string {
  try {
    const e = JSON.parse(payload) as { errorType?: string; errorMessage?: string };
    return [e.errorType, e.errorMessage].filter(Boolean).join(": ") || "function error";
  } catch {
    return "function error";
  }
}
