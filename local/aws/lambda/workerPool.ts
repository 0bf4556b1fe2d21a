/**
 * The worker processes of the local Lambda's functions: hands each invocation a warm idle process
 * of its function (or starts one, up to the concurrency limit, else queues the caller), retires
 * processes of an older code generation, stops processes idle for too long, and prewarms.
 */
import * as fs from "fs";
import * as path from "path";
import { serviceStopped } from "./errors";
import type { FunctionRegistry, FunctionState } from "./functions";
import { RUNNER_SOURCE } from "./runner";
import { workerEnvironment, type WorkerEnvironmentSettings } from "./environment";
import { Worker, type WorkerHost } from "./workers";

export interface WorkerPoolSettings extends WorkerEnvironmentSettings {
  maxConcurrency: number;
  idleTimeoutMs: number;
  initTimeoutMs: number;
  enforceMemory: boolean;
  /** The test clock's offset (ms) new processes start with. */
  clockOffsetMs: () => number;
  /** True once the service stopped: no new processes, none handed out. */
  isStopped: () => boolean;
}

export class WorkerPool {
  private readonly host: WorkerHost;
  private readonly reaper: NodeJS.Timeout;

  constructor(
    private readonly functions: FunctionRegistry,
    private readonly settings: WorkerPoolSettings,
  ) {
    fs.mkdirSync(settings.runtimeDir, { recursive: true });
    const runnerPath = path.join(settings.runtimeDir, "runner.js");
    fs.writeFileSync(runnerPath, RUNNER_SOURCE);
    this.host = {
      runnerPath,
      initTimeoutMs: settings.initTimeoutMs,
      enforceMemory: settings.enforceMemory,
      environment: (fn) => workerEnvironment(fn, settings),
      line: (fn, line) => functions.writeLine(fn, line),
      clockOffsetMs: settings.clockOffsetMs,
      exited: (worker) => {
        const fn = worker.fn as FunctionState;
        fn.workers.delete(worker);
        if (!settings.isStopped()) this.pump(fn);
      },
    };
    const idleTimeoutMs = settings.idleTimeoutMs;
    this.reaper = setInterval(() => this.reap(), Math.max(50, Math.min(30_000, Math.floor(idleTimeoutMs / 2))));
    this.reaper.unref();
  }

  /** Starts an idle worker that loads the bundle now, so the next invocation finds it warm. */
  prewarm(fn: FunctionState): void {
    if (this.settings.isStopped() || this.idleWorker(fn) || this.liveWorkers(fn) >= this.settings.maxConcurrency) return;
    const w = this.spawn(fn);
    w.busy = false;
    w.lastUsed = Date.now();
  }

  /** A worker of `fn` for one invocation: an idle one, a new one, or the next one freed. */
  acquire(fn: FunctionState): Promise<Worker> {
    if (this.settings.isStopped()) return Promise.reject(serviceStopped());
    const idle = this.idleWorker(fn);
    if (idle) {
      idle.busy = true;
      return Promise.resolve(idle);
    }
    if (this.liveWorkers(fn) < this.settings.maxConcurrency) return Promise.resolve(this.spawn(fn));
    return new Promise((resolve, reject) => fn.waiters.push({ resolve, reject }));
  }

  release(worker: Worker): void {
    const fn = worker.fn as FunctionState;
    const stopped = this.settings.isStopped();
    worker.busy = false;
    worker.lastUsed = Date.now();
    if (worker.dead || worker.generation !== fn.generation || stopped) worker.kill();
    if (!stopped) this.pump(fn);
  }

  /** The function's code changed: its idle workers go now, busy ones when they finish. */
  retireIdle(fn: FunctionState): void {
    for (const w of fn.workers) if (!w.busy) w.kill();
  }

  /** The pids of the function's live worker processes. */
  pids(fn: FunctionState): number[] {
    return [...fn.workers].filter((w) => !w.dead && w.pid !== undefined).map((w) => w.pid!);
  }

  /** The test clock moved: warm processes take the new offset at once (new ones get it at start). */
  setClockOffset(offsetMs: number): void {
    for (const fn of this.functions.values()) for (const w of fn.workers) w.setClockOffset(offsetMs);
  }

  /** Stops reaping; callers still waiting for a worker get `ServiceException`; resolves once every worker stopped. */
  async stop(): Promise<void> {
    clearInterval(this.reaper);
    const exits: Promise<void>[] = [];
    for (const fn of this.functions.values()) {
      for (const waiter of fn.waiters.splice(0)) waiter.reject(serviceStopped());
      for (const w of fn.workers) exits.push(w.stop());
    }
    await Promise.all(exits);
  }

  private liveWorkers(fn: FunctionState): number {
    let n = 0;
    for (const w of fn.workers) if (!w.dead) n++;
    return n;
  }

  private idleWorker(fn: FunctionState): Worker | undefined {
    let best: Worker | undefined;
    for (const w of fn.workers) {
      if (w.busy || w.dead || w.generation !== fn.generation) continue;
      if (!best || w.lastUsed > best.lastUsed) best = w;
    }
    return best;
  }

  private spawn(fn: FunctionState): Worker {
    const w = new Worker(fn, this.host);
    fn.workers.add(w);
    return w;
  }

  /** Hands free or new workers to waiting callers. */
  private pump(fn: FunctionState): void {
    while (fn.waiters.length) {
      let w = this.idleWorker(fn);
      if (w) w.busy = true;
      else if (this.liveWorkers(fn) < this.settings.maxConcurrency) w = this.spawn(fn);
      else return;
      fn.waiters.shift()!.resolve(w);
    }
  }

  private reap(): void {
    const now = Date.now();
    for (const fn of this.functions.values()) {
      for (const w of fn.workers) if (!w.busy && !w.dead && now - w.lastUsed >= this.settings.idleTimeoutMs) w.kill();
    }
  }
}
