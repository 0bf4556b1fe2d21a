/**
 * One function's worker processes: each a forked Node.js process running the function's bundle
 * through ./runner.ts, one invocation at a time (as a Lambda execution environment runs one), with
 * the response payload limit, timeouts and crashes reported as Lambda reports them.
 */
import { fork, type ChildProcess } from "child_process";
import { performance } from "perf_hooks";
import type { LocalFunctionConfig, InvokeResult } from "../types";

/** Lambda's limit on a synchronous response payload (the error message quotes this number). */
export const MAX_RESPONSE_BYTES = 6291556;

/** What the service needs to run one function's workers. */
export interface FunctionRuntime {
  config: LocalFunctionConfig;
  /** Directory holding `index.js` (LAMBDA_TASK_ROOT). */
  taskRoot: string;
  /** Bumped on every createFunction: workers of an older generation are retired. */
  generation: number;
  workers: Set<Worker>;
  /** Callers waiting for a worker (the function is at its concurrency limit). */
  waiters: { resolve: (w: Worker) => void; reject: (e: Error) => void }[];
}

export interface WorkerHost {
  runnerPath: string;
  /** The worker's full environment. */
  environment(fn: FunctionRuntime): Record<string, string>;
  /** One line of the worker's stdout/stderr, or a platform line of the service's own. */
  line(fn: FunctionRuntime, line: string): void;
  /** A worker process is gone (exited, killed). */
  exited(worker: Worker): void;
  initTimeoutMs: number;
  enforceMemory: boolean;
  /** The test clock's offset (ms) the function's processes add to the real time (local/aws/lambda/clock.ts). */
  clockOffsetMs(): number;
}

/** The environment variable that hands a new worker the test clock's offset (the runner removes it). */
export const CLOCK_OFFSET_ENV = "_LOCAL_CLOCK_OFFSET_MS";

export interface InvocationOutcome extends InvokeResult {
  /** `success`, `error` (handler error), `timeout`, `crash`. */
  status: "success" | "error" | "timeout" | "crash";
  /** The handler's run (from the event handed to the process to its result), without the wait for a cold process's INIT. */
  durationMs: number;
  initDurationMs?: number;
  maxRssMB?: number;
  /** The lines the function logged during this invocation (the last 200). */
  logs?: string[];
}

interface Current {
  requestId: string;
  settle: (o: Omit<InvocationOutcome, "durationMs">) => void;
  logTail: string[];
}

const SIGNAL_WORDS: Record<string, string> = {
  SIGKILL: "killed",
  SIGTERM: "terminated",
  SIGABRT: "aborted",
  SIGSEGV: "segmentation fault",
  SIGINT: "interrupt",
  SIGBUS: "bus error",
  SIGFPE: "floating point exception",
  SIGILL: "illegal instruction",
  SIGHUP: "hangup",
};

function errorResult(status: InvocationOutcome["status"], errorType: string, errorMessage: string): Omit<InvocationOutcome, "durationMs"> {
  return { status, statusCode: 200, functionError: "Unhandled", payload: JSON.stringify({ errorType, errorMessage }) };
}

/** Lambda's timeout message: `<date> <requestId> Task timed out after 3.00 seconds`. */
export function timeoutResult(requestId: string, seconds: number): Omit<InvocationOutcome, "durationMs"> {
  return errorResult("timeout", "Sandbox.Timedout", `${new Date().toISOString()} ${requestId} Task timed out after ${seconds.toFixed(2)} seconds`);
}

/** One warm process of one function: runs one invocation at a time. */
export class Worker {
  readonly proc: ChildProcess;
  readonly generation: number;
  busy = true;
  dead = false;
  lastUsed = Date.now();
  readonly spawnedAt = Date.now();
  /** The process's log stream (`AWS_LAMBDA_LOG_STREAM_NAME`): the `instanceId` of its platform records. */
  readonly logStreamName: string;
  /** Init duration when the worker reported ready; reported once, on its first invocation. */
  initDurationMs?: number;
  private initReported = false;
  private initError?: string;
  private readonly ready: Promise<void>;
  private current?: Current;
  private stderrTail = "";
  private buffers: Record<"stdout" | "stderr", string> = { stdout: "", stderr: "" };
  private exitWaiters: (() => void)[] = [];
  /** Where the bytes of the lines the process prints are counted (the cost meter), see `logTo`. */
  private logSink?: (bytes: number) => void;
  /** Bytes printed before any invocation had a sink (the bundle's load): they go to the first one. */
  private unclaimedLogBytes = 0;

  constructor(
    readonly fn: FunctionRuntime,
    private readonly host: WorkerHost,
  ) {
    this.generation = fn.generation;
    const execArgv = host.enforceMemory ? [`--max-old-space-size=${Math.max(16, fn.config.memorySize)}`] : [];
    const env = host.environment(fn);
    this.logStreamName = env.AWS_LAMBDA_LOG_STREAM_NAME ?? "";
    this.proc = fork(host.runnerPath, [], {
      cwd: fn.taskRoot,
      env: { ...env, [CLOCK_OFFSET_ENV]: String(host.clockOffsetMs()) },
      execArgv,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "json",
    });
    for (const stream of ["stdout", "stderr"] as const) {
      this.proc[stream]!.setEncoding("utf8");
      this.proc[stream]!.on("data", (chunk: string) => this.onData(stream, chunk));
    }
    this.ready = new Promise<void>((resolve) => {
      let settled = false;
      const initTimer = setTimeout(() => {
        if (settled) return;
        settled = true;
        this.initError = "timeout";
        this.kill();
        resolve();
      }, host.initTimeoutMs);
      this.proc.on("message", (msg: { type?: string; initDurationMs?: number; error?: unknown }) => {
        if (msg?.type === "ready" && !settled) {
          settled = true;
          clearTimeout(initTimer);
          this.initDurationMs = msg.initDurationMs;
          resolve();
        } else if (msg?.type === "result") {
          this.onResult(msg as never);
        }
      });
      this.proc.on("exit", (code, signal) => {
        clearTimeout(initTimer);
        if (!settled) {
          settled = true;
          resolve();
        }
        this.onExit(code, signal);
      });
      this.proc.on("error", (err) => {
        this.host.line(this.fn, `worker process error: ${err.message}`);
      });
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** The next invocation is the process's first (its INIT phase is reported with it). */
  get coldStart(): boolean {
    return !this.initReported;
  }

  /**
   * Counts the bytes of the lines the process prints from now on with `sink` (the invocation
   * starting on it: lines printed after its result still go there, until the next one takes over).
   */
  logTo(sink: ((bytes: number) => void) | undefined): void {
    this.logSink = sink;
    if (sink && this.unclaimedLogBytes > 0) sink(this.unclaimedLogBytes);
    if (sink) this.unclaimedLogBytes = 0;
  }

  /** Runs one invocation on this worker (which the caller has marked busy). */
  async invoke(requestId: string, payload: string, invokedFunctionArn: string, clientContext?: unknown): Promise<InvocationOutcome> {
    const timeoutMs = this.fn.config.timeoutSeconds * 1000;
    await this.ready;
    const begun = Date.now();
    const runStart = performance.now();
    const initDurationMs = this.initReported ? undefined : this.initDurationMs;
    this.initReported = true;
    const logs: string[] = [];
    const outcome = await new Promise<Omit<InvocationOutcome, "durationMs">>((resolve) => {
      if (this.dead) {
        resolve(
          this.initError === "timeout"
            ? timeoutResult(requestId, this.fn.config.timeoutSeconds)
            : this.exitResult(requestId, this.proc.exitCode, this.proc.signalCode),
        );
        return;
      }
      const timer = setTimeout(() => {
        if (this.current?.requestId !== requestId) return;
        this.current = undefined;
        this.kill();
        resolve(timeoutResult(requestId, this.fn.config.timeoutSeconds));
      }, timeoutMs);
      this.current = {
        requestId,
        logTail: logs,
        settle: (o) => {
          clearTimeout(timer);
          resolve(o);
        },
      };
      try {
        // A failed send means the process is gone: its exit settles this invocation as Runtime.ExitError.
        this.proc.send(
          { type: "invoke", requestId, payload, deadlineMs: begun + timeoutMs, invokedFunctionArn, clientContext, clockOffsetMs: this.host.clockOffsetMs() },
          () => undefined,
        );
      } catch {
        this.kill();
      }
    });
    return { ...outcome, durationMs: Math.round((performance.now() - runStart) * 1000) / 1000, initDurationMs, logs };
  }

  private onResult(msg: { requestId: string; ok: boolean; payload: string; maxRssMB?: number; fatal?: boolean }): void {
    const current = this.current;
    if (!current || current.requestId !== msg.requestId) return;
    this.current = undefined;
    if (msg.fatal) this.retire();
    if (msg.ok) {
      if (Buffer.byteLength(msg.payload) > MAX_RESPONSE_BYTES) {
        current.settle({
          ...errorResult(
            "error",
            "Function.ResponseSizeTooLarge",
            `Response payload size (${Buffer.byteLength(msg.payload)} bytes) exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
          ),
          maxRssMB: msg.maxRssMB,
        });
      } else {
        current.settle({ status: "success", statusCode: 200, payload: msg.payload, maxRssMB: msg.maxRssMB });
      }
    } else {
      current.settle({ status: "error", statusCode: 200, functionError: "Unhandled", payload: msg.payload, maxRssMB: msg.maxRssMB });
    }
  }

  private exitResult(requestId: string, code: number | null, signal: NodeJS.Signals | null): Omit<InvocationOutcome, "durationMs"> {
    let why: string;
    if (/heap out of memory|Allocation failed/i.test(this.stderrTail)) why = "signal: killed"; // Lambda's words for out of memory
    else if (signal) why = `signal: ${SIGNAL_WORDS[signal] ?? signal}`;
    else why = `exit status ${code ?? 0}`;
    return errorResult("crash", "Runtime.ExitError", `RequestId: ${requestId} Error: Runtime exited with error: ${why}`);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.flush();
    this.dead = true;
    const current = this.current;
    this.current = undefined;
    if (current) current.settle(this.exitResult(current.requestId, code, signal));
    for (const w of this.exitWaiters.splice(0)) w();
    this.host.exited(this);
  }

  /** Tells the process that the test clock moved (it applies the offset at once, even mid-invocation). */
  setClockOffset(offsetMs: number): void {
    if (this.dead || !this.proc.connected) return;
    try {
      this.proc.send({ type: "clock", offsetMs }, () => undefined);
    } catch {
      // The process is gone; a new one gets the offset when it starts.
    }
  }

  /** Marks the worker as not reusable (its process exits on its own, or is killed). */
  retire(): void {
    this.dead = true;
  }

  kill(): void {
    this.dead = true;
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
  }

  /** Kills the process and resolves once it has exited. */
  stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.exitWaiters.push(resolve);
      this.kill();
    });
  }

  private onData(stream: "stdout" | "stderr", chunk: string): void {
    if (stream === "stderr") this.stderrTail = (this.stderrTail + chunk).slice(-4096);
    const text = this.buffers[stream] + chunk;
    const lines = text.split("\n");
    this.buffers[stream] = lines.pop() ?? "";
    for (const line of lines) this.emit(line);
  }

  private flush(): void {
    for (const stream of ["stdout", "stderr"] as const) {
      if (this.buffers[stream]) this.emit(this.buffers[stream]);
      this.buffers[stream] = "";
    }
  }

  private emit(line: string): void {
    const l = line.replace(/\r$/, "");
    if (this.logSink) this.logSink(Buffer.byteLength(l));
    else this.unclaimedLogBytes += Buffer.byteLength(l);
    if (this.current) {
      this.current.logTail.push(l);
      if (this.current.logTail.length > 200) this.current.logTail.shift();
    }
    this.host.line(this.fn, l);
  }
}
