/**
 * Process faults (workerCrash, workerHang) on the local Lambda's running invocations: an armed
 * fault takes the next invocations of its function (of its job, with `jobId`, including one
 * already running), and `afterMs` later kills (SIGKILL) or freezes (SIGSTOP) the one process
 * running each, thawing a frozen one (SIGCONT) when its invocation ends.
 */
import type { LocalLambdaService, RunningInvocation } from "../aws/lambda";
import type { Fault, FiredFault } from "./types";

interface ArmedProcessFault {
  kind: "workerCrash" | "workerHang";
  remaining: number;
  afterMs: number;
  jobId?: string;
}

/** Sends `sig` to each of `pids`; answers those it reached (the others are already gone). */
function signal(pids: number[], sig: NodeJS.Signals): number[] {
  const hit: number[] = [];
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
      hit.push(pid);
    } catch {
      // already gone
    }
  }
  return hit;
}

export class ProcessFaults {
  /** Armed process faults, per function name. */
  private readonly armed = new Map<string, ArmedProcessFault[]>();
  /** Invocations whose process was frozen → that pid, thawed when the invocation ends. */
  private readonly frozen = new Map<RunningInvocation, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly stopObserving: () => void;

  constructor(
    private readonly lambda: LocalLambdaService,
    /** Where a fault that fired, or missed its invocation, is listed. */
    private readonly report: { fired: FiredFault[]; missed: FiredFault[] },
    private readonly note: (line: string) => void,
  ) {
    this.stopObserving = lambda.observeInvocations({ started: (i) => this.onInvocationStart(i), ended: (i) => this.onInvocationEnd(i) });
  }

  arm(fault: Extract<Fault, { kind: "workerCrash" | "workerHang" }>): void {
    const entry: ArmedProcessFault = { kind: fault.kind, remaining: fault.count, afterMs: fault.afterMs, jobId: fault.jobId };
    const list = this.armed.get(fault.function) ?? [];
    list.push(entry);
    this.armed.set(fault.function, list);
    // A targeted fault also takes the job's invocations already running (oldest first).
    if (fault.jobId !== undefined) {
      const runningNow = this.lambda
        .runningInvocations(fault.function)
        .filter((i) => !i.ended && i.payload.includes(fault.jobId!))
        .sort((a, b) => a.startedAt - b.startedAt);
      for (const invocation of runningNow) {
        if (!this.take(fault.function, entry)) break;
        this.schedule(entry, invocation);
      }
    }
  }

  /** Disarms every process fault, and calls off those waiting for their `afterMs`. */
  clear(): void {
    this.armed.clear();
    this.clearTimers();
  }

  /** Stops watching invocations, calls off waiting faults and thaws every frozen process. */
  stop(): void {
    this.stopObserving();
    this.clearTimers();
    signal([...this.frozen.values()], "SIGCONT");
    this.frozen.clear();
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Uses one count of an armed process fault; false when it has none left. */
  private take(fn: string, fault: ArmedProcessFault): boolean {
    if (fault.remaining <= 0) return false;
    fault.remaining--;
    if (fault.remaining <= 0) {
      const list = this.armed.get(fn) ?? [];
      const at = list.indexOf(fault);
      if (at >= 0) list.splice(at, 1);
      if (!list.length) this.armed.delete(fn);
    }
    return true;
  }

  private later(ms: number, run: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      run();
    }, ms);
    this.timers.add(t);
  }

  /** `afterMs` from now, kills or freezes the process running `invocation`, if it still runs it. */
  private schedule(fault: ArmedProcessFault, invocation: RunningInvocation): void {
    const fn = invocation.functionName;
    const { requestId, pid } = invocation;
    this.later(fault.afterMs, () => {
      const base = { kind: fault.kind, function: fn, requestId, ...(fault.jobId !== undefined ? { jobId: fault.jobId } : {}), at: new Date().toISOString() };
      if (invocation.ended || pid === undefined) {
        this.report.missed.push({ ...base, pids: [] });
        this.note(`${fault.kind}: invocation ${requestId} of ${fn} ended before the fault fired; spared`);
        return;
      }
      if (fault.kind === "workerCrash") {
        const hit = signal([pid], "SIGKILL");
        this.report.fired.push({ ...base, pids: hit });
        this.note(`workerCrash: killed ${fn} process ${hit.join(", ") || "(already gone)"} (invocation ${requestId})`);
      } else {
        const hit = signal([pid], "SIGSTOP");
        if (hit.length) this.frozen.set(invocation, pid);
        this.report.fired.push({ ...base, pids: hit });
        this.note(`workerHang: froze ${fn} process ${hit.join(", ") || "(already gone)"} (invocation ${requestId})`);
      }
    });
  }

  private onInvocationStart(invocation: RunningInvocation): void {
    const fn = invocation.functionName;
    const fault = this.armed.get(fn)?.find((f) => f.jobId === undefined || invocation.payload.includes(f.jobId));
    if (!fault || !this.take(fn, fault)) return;
    this.schedule(fault, invocation);
  }

  private onInvocationEnd(invocation: RunningInvocation): void {
    const pid = this.frozen.get(invocation);
    if (pid === undefined) return;
    this.frozen.delete(invocation);
    const thawed = signal([pid], "SIGCONT");
    if (thawed.length) this.note(`workerHang: thawed ${invocation.functionName} process ${pid}`);
  }
}
