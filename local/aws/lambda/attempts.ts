/**
 * One invocation attempt of the local Lambda: takes a worker process, writes Lambda's platform
 * lines (INIT_START, START, REPORT) to the function's log, meters the attempt, runs the event on
 * the process, and tells the observers (fault injection) and `onInvocation` about it. It also
 * keeps the attempts running now, each with the pid of its process.
 */
import { billedDurationMs, meterInvocation, type MeteredInvocation } from "../../usage/lambda";
import type { UsageMeter } from "../../usage/meter";
import type { InvocationObserver, InvocationRecord, RunningInvocation } from "./contract";
import type { FunctionRegistry, FunctionState } from "./functions";
import { initStartRecord, reportRecord, startRecord } from "./platformLog";
import type { WorkerPool } from "./workerPool";
import type { InvocationOutcome } from "./workers";

/** What one attempt runs. */
export interface Attempt {
  requestId: string;
  /** The event (JSON text). */
  payload: string;
  /** The ARN the caller named (qualified when it gave a qualifier). */
  invokedArn: string;
  invocationType: "RequestResponse" | "Event";
  /** 1 for the first attempt, 2 and 3 for the retries of an async event. */
  attempt: number;
  clientContext?: unknown;
}

export type AttemptOutcome = InvocationOutcome & { pid?: number };

/** Read at each attempt (the service's options object). */
export interface AttemptSettings {
  meter?: UsageMeter;
  onInvocation?: (record: InvocationRecord) => void;
}

export class InvocationAttempts {
  private readonly running = new Set<RunningInvocation>();
  private readonly observers = new Set<InvocationObserver>();

  constructor(
    private readonly pool: WorkerPool,
    private readonly functions: FunctionRegistry,
    private readonly settings: AttemptSettings,
    private readonly note: (line: string) => void,
  ) {}

  /**
   * Runs one attempt on a worker of `fn`. `beforeRun`, asked once a worker is there, may call the
   * attempt off (answering undefined): an async event that got too old while it waited.
   */
  async run(fn: FunctionState, attempt: Attempt, beforeRun?: () => boolean): Promise<AttemptOutcome | undefined> {
    const worker = await this.pool.acquire(fn);
    if (beforeRun && !beforeRun()) {
      this.pool.release(worker);
      return undefined;
    }
    const { requestId, payload, invocationType } = attempt;
    const metered = meterInvocation(this.settings.meter, fn.config, payload);
    worker.logTo(metered?.logged);
    if (worker.coldStart) this.functions.platform(fn, initStartRecord(fn.config, worker.logStreamName), metered, new Date(worker.spawnedAt));
    this.functions.platform(fn, startRecord(fn.config, requestId), metered);
    const invocation: RunningInvocation = { functionName: fn.config.name, requestId, invocationType, attempt: attempt.attempt, payload, pid: worker.pid, startedAt: Date.now(), ended: false };
    this.running.add(invocation);
    this.notify((o) => o.started?.(invocation));
    let outcome: InvocationOutcome | undefined;
    try {
      outcome = await worker.invoke(requestId, payload, attempt.invokedArn, attempt.clientContext);
    } finally {
      invocation.ended = true;
      this.running.delete(invocation);
      if (outcome) {
        const done = outcome;
        this.notify((o) => o.ended?.(invocation, done));
      }
      this.pool.release(worker);
    }
    this.report(fn, attempt, outcome, metered, worker.pid);
    return { ...outcome, pid: worker.pid };
  }

  /** The attempts running now (of one function, or of all). */
  runningNow(functionName?: string): RunningInvocation[] {
    return [...this.running].filter((i) => functionName === undefined || i.functionName === functionName);
  }

  observe(observer: InvocationObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  private notify(call: (o: InvocationObserver) => void): void {
    for (const o of [...this.observers]) {
      try {
        call(o);
      } catch (e) {
        this.note(`an invocation observer failed: ${(e as Error).message}`);
      }
    }
  }

  /** The attempt's REPORT line (and timeout line), its metering, and its `onInvocation` record. */
  private report(fn: FunctionState, attempt: Attempt, outcome: InvocationOutcome, metered: MeteredInvocation | undefined, pid: number | undefined): void {
    const { requestId } = attempt;
    const metrics: Record<string, number> = {
      durationMs: outcome.durationMs,
      billedDurationMs: billedDurationMs(outcome.durationMs, outcome.initDurationMs),
      memorySizeMB: fn.config.memorySize,
      maxMemoryUsedMB: outcome.maxRssMB ?? 0,
    };
    if (outcome.initDurationMs !== undefined) metrics.initDurationMs = outcome.initDurationMs;
    const status = outcome.status === "crash" ? "failure" : outcome.status;
    if (outcome.status === "timeout") {
      this.functions.platform(fn, JSON.stringify({ timestamp: new Date().toISOString(), level: "ERROR", requestId, message: JSON.parse(outcome.payload).errorMessage }), metered);
    }
    this.functions.platform(fn, reportRecord(requestId, metrics, status), metered);
    metered?.ran(outcome.durationMs, outcome.initDurationMs, outcome.payload);
    this.settings.onInvocation?.({
      functionName: fn.config.name,
      requestId,
      invocationType: attempt.invocationType,
      attempt: attempt.attempt,
      status: outcome.status,
      functionError: outcome.functionError,
      payload: outcome.payload,
      durationMs: outcome.durationMs,
      initDurationMs: outcome.initDurationMs,
      pid,
    });
  }
}
