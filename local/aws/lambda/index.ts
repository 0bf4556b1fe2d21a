import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "../types";
import type { DynamoDbStreamSource, EventInvokeConfig, EventsSink, InvokeResult, LambdaService, LocalEventSourceMapping, LocalFunctionConfig, QueueSink } from "../types";
import { LocalClock } from "./clock";
import { EventSourceMappings, type EventSourceMappingInfo } from "./eventSourceMappings";
import { MappingError } from "./pollerSupport";
import { initStartRecord, platformLine, reportRecord, startRecord, type PlatformRecord } from "./platformLog";
import type { EventSourceQueue } from "./queuePoller";
import { RUNNER_SOURCE } from "./runner";
import { billedDurationMs, meterInvocation, type MeteredInvocation } from "../../usage/lambda";
import type { UsageMeter } from "../../usage/meter";
import { Worker, type FunctionRuntime, type InvocationOutcome, type WorkerHost } from "./workers";
import { close, listen } from "../protocols/listen";

/** Lambda's limits on a request payload. */
export const MAX_SYNC_PAYLOAD_BYTES = 6291456;
export const MAX_ASYNC_PAYLOAD_BYTES = 1048576;

/** The defaults of an async invocation without an event invoke config (as on AWS). */
export const DEFAULT_EVENT_INVOKE_CONFIG: EventInvokeConfig = { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 21600 };

export type { EventSourceMappingInfo } from "./eventSourceMappings";
export { LocalClock, MAX_CLOCK_OFFSET_MS } from "./clock";
export type { EventSourceQueue } from "./queuePoller";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

export interface LambdaServiceOptions {
  /** Bundles go to `<stateDir>/functions/<name>/index.js`, logs to `<stateDir>/logs/<name>.log`. */
  stateDir: string;
  /** Port of the Invoke API on 127.0.0.1 (0 or absent: a free one). */
  port?: number;
  /** The SDK environment (`sdkEnvironment(...)`), read each time a worker starts. */
  environment: () => Record<string, string>;
  /** Every line a function logs, prefixed `[<function>] `, and the service's own notes. */
  log?: (line: string) => void;
  /** Waits before the 1st, 2nd, ... retry of a failed async invocation (AWS: 1 min, 2 min). @default [1000, 2000] */
  retryDelaysMs?: number[];
  /** An idle worker process is stopped after this long. @default 300000 */
  idleTimeoutMs?: number;
  /** Most concurrent worker processes of one function; more invocations wait for one. @default 32 */
  maxConcurrency?: number;
  /** Time a worker has to load its bundle. @default 10000 (Lambda's init limit) */
  initTimeoutMs?: number;
  /** Limit each worker's V8 heap to the function's memorySize (`--max-old-space-size`). @default true */
  enforceMemory?: boolean;
  /** Where the bundles' externals (`@aws-sdk/*`) resolve from (NODE_PATH). @default [<repo>/node_modules] */
  nodePath?: string[];
  /** Start one worker per function as soon as it is created, so its first invocation is warm. @default false */
  prewarm?: boolean;
  /**
   * Lambda's limit on a function's timeout. Lower it to try, in seconds, what a job longer than
   * Lambda's 15 minutes does (`npm start -- --lambda-max-timeout 5`): every function's timeout is
   * capped at it. @default 900
   */
  maxTimeoutSeconds?: number;
  /** Fault injection: the probability (0..1) that an async invocation is delivered twice (with a new request id). @default 0 */
  duplicateDeliveries?: number;
  /** Called after every invocation attempt (tests and tracing). */
  onInvocation?: (record: InvocationRecord) => void;
  /**
   * The services behind on-failure destinations that are not functions (read at delivery time,
   * so they may start after this one): an EventBridge bus gets an event whose `detail` is the
   * destination record, an SQS queue a message whose body is the record.
   */
  destinations?: { events?: () => EventsSink | undefined; sqs?: () => QueueSink | undefined };
  /** The DynamoDB streams that stream event source mappings read (read lazily: it may start after this service). */
  streams?: () => DynamoDbStreamSource | undefined;
  /**
   * The SQS that SQS event source mappings read, and where stream mappings send their on-failure
   * records (falls back to `destinations.sqs`). Read lazily.
   */
  queues?: () => EventSourceQueue | undefined;
  /**
   * Waits before the 1st, 2nd, ... retry of a failed event source mapping batch; the last one
   * repeats (AWS backs off from about a second; locally short). @default [100, 200, 300, 500]
   */
  mappingRetryDelaysMs?: number[];
  /** How often an event source mapping looks at its source when no append/send woke it up. @default 1000 */
  mappingPollIntervalMs?: number;
  /** Most batches one SQS event source mapping processes at once. @default 5 */
  maxConcurrentQueueBatches?: number;
  /**
   * The test clock whose offset every function process adds to the real time (`Date.now()`,
   * `new Date()`; timers stay real). Moving it reaches warm processes at once. @default a clock at offset 0
   */
  clock?: LocalClock;
  /** The cost meter: invocations, GB-seconds, log bytes, and the event source mappings' reads (./usage.ts). */
  meter?: UsageMeter;
}

/** The `detail-type` of the event Lambda puts on an EventBridge bus destination for a failed async invocation. */
export const FAILURE_DESTINATION_DETAIL_TYPE = "Lambda Function Invocation Result - Failure";

const EVENT_BUS_ARN = /^arn:aws[a-z-]*:events:[^:]*:\d{12}:event-bus\/.+$/;
const QUEUE_ARN = /^arn:aws[a-z-]*:sqs:[^:]*:\d{12}:[^:]+$/;

/** One finished invocation attempt. */
export interface InvocationRecord {
  functionName: string;
  requestId: string;
  invocationType: "RequestResponse" | "Event";
  /** 1 for the first attempt of an async event, 2 and 3 for its retries; 1 for synchronous calls. */
  attempt: number;
  status: InvocationOutcome["status"];
  functionError?: "Unhandled";
  /** The response payload (JSON text). */
  payload: string;
  durationMs: number;
  /** Set on a cold start. */
  initDurationMs?: number;
  /** pid of the worker process that ran it. */
  pid?: number;
}

/** An invocation attempt running on a worker process (what fault injection targets). */
export interface RunningInvocation {
  functionName: string;
  requestId: string;
  invocationType: "RequestResponse" | "Event";
  attempt: number;
  /** The event (JSON text) the handler got. */
  payload: string;
  /** The worker process running it (it runs nothing else meanwhile). */
  pid?: number;
  /** Epoch ms. */
  startedAt: number;
  /** Set once the attempt is over (its process may then run other invocations). */
  ended: boolean;
}

/** Sees every invocation attempt start on its worker process and end. */
export interface InvocationObserver {
  started?(invocation: RunningInvocation): void;
  ended?(invocation: RunningInvocation, outcome: InvocationOutcome): void;
}

export interface DeliverTwiceOptions {
  /** The second delivery reuses the first one's request id (default: a new id, as a client-side duplicate has). */
  sameRequestId?: boolean;
  /** Milliseconds between the two deliveries. @default 0 */
  delayMs?: number;
}

export interface InvokeOptions {
  /** Lambda's `ClientContext` (decoded JSON), given to the handler as `context.clientContext`. */
  clientContext?: unknown;
  /** Request id to use (async retries and duplicates keep theirs). */
  requestId?: string;
}

export interface DetailedInvokeResult extends InvokeResult {
  requestId: string;
  /** For synchronous invokes: the lines the function logged (what `LogType: Tail` returns). */
  logs?: string[];
}

export interface LocalLambdaService extends LambdaService {
  /** Fault injection: the next async invocation of this function is delivered twice. */
  deliverTwice(functionNameOrArn: string, options?: DeliverTwiceOptions): void;
  /** Resolves once no async invocation is queued, running or waiting for a retry (destinations included). */
  idle(): Promise<void>;
  /** `invoke` with the request id and the function's logs. */
  invokeDetailed(functionNameOrArn: string, payload: string, type: "RequestResponse" | "Event", options?: InvokeOptions): Promise<DetailedInvokeResult>;
  /** The live worker processes of a function (pids), for tests and diagnostics. */
  workerPids(functionNameOrArn: string): number[];
  /** The invocation attempts running now (of one function, or of all), each with the pid of its worker process (live objects: `ended` turns true when one ends). */
  runningInvocations(functionNameOrArn?: string): RunningInvocation[];
  /** Calls the observer as invocation attempts start (just before the event goes to the process) and end; returns a function that unsubscribes. */
  observeInvocations(observer: InvocationObserver): () => void;
  /** The test clock of the function processes (local/aws/lambda/clock.ts). */
  readonly clock: LocalClock;
  /** The event invoke config in force for a function (defaults when none was put). */
  eventInvokeConfig(functionNameOrArn: string): EventInvokeConfig;
  /**
   * Creates an event source mapping (a DynamoDB stream or an SQS queue feeding the function) and
   * starts polling; a known UUID replaces that mapping. Throws `LambdaApiError` as
   * CreateEventSourceMapping would (unknown function, invalid parameters, conflict).
   */
  createEventSourceMapping(mapping: LocalEventSourceMapping): void;
  /** Stops and removes a mapping (and its stream checkpoint). */
  deleteEventSourceMapping(uuid: string): Promise<void>;
  /** A mapping's state, for tests and diagnostics. */
  getEventSourceMapping(uuid: string): EventSourceMappingInfo | undefined;
  listEventSourceMappings(): EventSourceMappingInfo[];
}

/** An error of the Lambda API (thrown by `invoke`, answered by the HTTP API). */
export class LambdaApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = code;
  }
}

interface FunctionState extends FunctionRuntime {
  log?: fs.WriteStream;
  /** Armed by `deliverTwice`. */
  duplicateNext: DeliverTwiceOptions[];
}

interface QueuedEvent {
  functionName: string;
  payload: string;
  requestId: string;
  receivedAt: number;
  attempts: number;
  last?: InvocationOutcome;
}

/** `name`, `name:qualifier`, `123456789012:function:name[:q]` or `arn:aws:lambda:region:acct:function:name[:q]`. */
export function parseFunctionRef(ref: string): { name: string; qualifier?: string } {
  const parts = ref.split(":");
  let rest: string[];
  if (parts[0] === "arn" && parts.length >= 7 && parts[5] === "function") rest = parts.slice(6);
  else if (parts.length >= 3 && parts[1] === "function") rest = parts.slice(2);
  else rest = parts;
  return { name: rest[0], qualifier: rest[1] || undefined };
}

function functionArnOf(name: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${name}`;
}

/**
 * Starts the local Lambda service: runs each function's bundle in warm Node.js worker processes
 * (one invocation at a time per process), enforces timeouts, runs async invocations through a
 * queue with Lambda's retries, maximum event age and on-failure destination, runs event source
 * mappings (DynamoDB streams and SQS queues polled into synchronous invocations, see
 * ./eventSourceMappings.ts), and serves Lambda's Invoke API on a loopback port.
 */
export async function startLambdaService(options: LambdaServiceOptions): Promise<LocalLambdaService> {
  const stateDir = path.resolve(options.stateDir);
  const runtimeDir = path.join(stateDir, "runtime");
  const logsDir = path.join(stateDir, "logs");
  fs.mkdirSync(runtimeDir, { recursive: true });
  fs.mkdirSync(logsDir, { recursive: true });
  fs.mkdirSync(path.join(stateDir, "functions"), { recursive: true });
  const runnerPath = path.join(runtimeDir, "runner.js");
  fs.writeFileSync(runnerPath, RUNNER_SOURCE);

  const retryDelays = options.retryDelaysMs?.length ? options.retryDelaysMs : [1000, 2000];
  const idleTimeoutMs = options.idleTimeoutMs ?? 300_000;
  const maxConcurrency = Math.max(1, options.maxConcurrency ?? 32);
  const nodePath = (options.nodePath ?? [path.join(REPO_ROOT, "node_modules")]).join(path.delimiter);
  const functions = new Map<string, FunctionState>();
  const eventConfigs = new Map<string, EventInvokeConfig>();
  const timers = new Set<NodeJS.Timeout>();
  const sleepers = new Set<() => void>();
  let pendingEvents = 0;
  const idleWaiters: (() => void)[] = [];
  let stopped = false;
  let logsClosed = false;

  const note = (line: string) => options.log?.(`[lambda] ${line}`);
  const clock = options.clock ?? new LocalClock();
  const running = new Set<RunningInvocation>();
  const observers = new Set<InvocationObserver>();

  function notify(call: (o: InvocationObserver) => void): void {
    for (const o of [...observers]) {
      try {
        call(o);
      } catch (e) {
        note(`an invocation observer failed: ${(e as Error).message}`);
      }
    }
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        timers.delete(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timers.add(timer);
      sleepers.add(done);
    });
  }

  function lookup(ref: string): FunctionState | undefined {
    return functions.get(parseFunctionRef(ref).name);
  }

  function mustLookup(ref: string): FunctionState {
    const fn = lookup(ref);
    if (!fn) {
      const { name } = parseFunctionRef(ref);
      throw new LambdaApiError("ResourceNotFoundException", `Function not found: ${ref.startsWith("arn:") ? ref : functionArnOf(name)}`, 404);
    }
    return fn;
  }

  function writeLine(fn: FunctionRuntime, line: string): void {
    const state = fn as FunctionState;
    options.log?.(`[${fn.config.name}] ${line}`);
    if (logsClosed) return;
    if (!state.log) state.log = fs.createWriteStream(path.join(logsDir, `${fn.config.name}.log`), { flags: "a" });
    state.log.write(line + "\n");
  }

  /** Writes a line of Lambda's own to the function's log, counted for the invocation it is about. */
  function platform(fn: FunctionRuntime, entry: PlatformRecord | string, metered: MeteredInvocation | undefined, time?: Date): void {
    const line = typeof entry === "string" ? entry : platformLine(entry, time);
    writeLine(fn, line);
    metered?.logged(Buffer.byteLength(line));
  }

  const host: WorkerHost = {
    runnerPath,
    initTimeoutMs: options.initTimeoutMs ?? 10_000,
    enforceMemory: options.enforceMemory ?? true,
    environment(fn) {
      const c = fn.config;
      const env: Record<string, string | undefined> = {
        // Keep the developer's ~/.aws files out of the functions (they could name other endpoints or credentials).
        AWS_CONFIG_FILE: path.join(runtimeDir, "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE: path.join(runtimeDir, "aws-credentials"),
        ...c.environment,
        ...options.environment(),
        PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
        LANG: "en_US.UTF-8",
        TZ: ":UTC",
        NODE_PATH: nodePath,
        LAMBDA_TASK_ROOT: fn.taskRoot,
        LAMBDA_RUNTIME_DIR: runtimeDir,
        _HANDLER: c.handler,
        AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
        AWS_LAMBDA_FUNCTION_NAME: c.name,
        // The SDK puts "app/<id>" in the User-Agent of every call ("sdkUaAppId"): the local
        // services tell the callers apart by it (store faults aimed at one function).
        AWS_SDK_UA_APP_ID: c.name.slice(0, 50),
        AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(c.memorySize),
        AWS_LAMBDA_FUNCTION_TIMEOUT: String(c.timeoutSeconds),
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${c.name}`,
        AWS_LAMBDA_LOG_STREAM_NAME: `${new Date().toISOString().slice(0, 10).replace(/-/g, "/")}/[$LATEST]${crypto.randomBytes(16).toString("hex")}`,
        AWS_LAMBDA_LOG_FORMAT: "JSON",
        AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
        AWS_NODEJS_CONNECTION_REUSE_ENABLED: "1",
      };
      const clean: Record<string, string> = {};
      for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== null) clean[k] = String(v);
      return clean;
    },
    line: writeLine,
    clockOffsetMs: () => clock.offsetMs,
    exited(worker) {
      const fn = worker.fn as FunctionState;
      fn.workers.delete(worker);
      if (!stopped) pump(fn);
    },
  };

  // --- workers -------------------------------------------------------------------------------
  function liveWorkers(fn: FunctionState): number {
    let n = 0;
    for (const w of fn.workers) if (!w.dead) n++;
    return n;
  }

  function idleWorker(fn: FunctionState): Worker | undefined {
    let best: Worker | undefined;
    for (const w of fn.workers) {
      if (w.busy || w.dead || w.generation !== fn.generation) continue;
      if (!best || w.lastUsed > best.lastUsed) best = w;
    }
    return best;
  }

  function spawn(fn: FunctionState): Worker {
    const w = new Worker(fn, host);
    fn.workers.add(w);
    return w;
  }

  /** Starts an idle worker that loads the bundle now, so the next invocation finds it warm. */
  function prewarm(fn: FunctionState): void {
    if (stopped || idleWorker(fn) || liveWorkers(fn) >= maxConcurrency) return;
    const w = spawn(fn);
    w.busy = false;
    w.lastUsed = Date.now();
  }

  function acquire(fn: FunctionState): Promise<Worker> {
    if (stopped) return Promise.reject(new LambdaApiError("ServiceException", "The Lambda service is stopped", 500));
    const idle = idleWorker(fn);
    if (idle) {
      idle.busy = true;
      return Promise.resolve(idle);
    }
    if (liveWorkers(fn) < maxConcurrency) return Promise.resolve(spawn(fn));
    return new Promise((resolve, reject) => fn.waiters.push({ resolve, reject }));
  }

  function release(worker: Worker): void {
    const fn = worker.fn as FunctionState;
    worker.busy = false;
    worker.lastUsed = Date.now();
    if (worker.dead || worker.generation !== fn.generation || stopped) worker.kill();
    if (!stopped) pump(fn);
  }

  /** Hands free or new workers to waiting callers. */
  function pump(fn: FunctionState): void {
    while (fn.waiters.length) {
      let w = idleWorker(fn);
      if (w) w.busy = true;
      else if (liveWorkers(fn) < maxConcurrency) w = spawn(fn);
      else return;
      fn.waiters.shift()!.resolve(w);
    }
  }

  const reaper = setInterval(
    () => {
      const now = Date.now();
      for (const fn of functions.values()) {
        for (const w of fn.workers) if (!w.busy && !w.dead && now - w.lastUsed >= idleTimeoutMs) w.kill();
      }
    },
    Math.max(50, Math.min(30_000, Math.floor(idleTimeoutMs / 2))),
  );
  reaper.unref();

  // --- one attempt ---------------------------------------------------------------------------
  async function runOnce(
    fn: FunctionState,
    requestId: string,
    payload: string,
    invokedArn: string,
    invocationType: "RequestResponse" | "Event",
    attempt: number,
    clientContext: unknown,
    beforeRun?: () => boolean,
  ): Promise<(InvocationOutcome & { pid?: number }) | undefined> {
    const worker = await acquire(fn);
    if (beforeRun && !beforeRun()) {
      release(worker);
      return undefined;
    }
    const metered = meterInvocation(options.meter, fn.config, payload);
    worker.logTo(metered?.logged);
    if (worker.coldStart) platform(fn, initStartRecord(fn.config, worker.logStreamName), metered, new Date(worker.spawnedAt));
    platform(fn, startRecord(fn.config, requestId), metered);
    const invocation: RunningInvocation = { functionName: fn.config.name, requestId, invocationType, attempt, payload, pid: worker.pid, startedAt: Date.now(), ended: false };
    running.add(invocation);
    notify((o) => o.started?.(invocation));
    let outcome: InvocationOutcome | undefined;
    try {
      outcome = await worker.invoke(requestId, payload, invokedArn, clientContext);
    } finally {
      invocation.ended = true;
      running.delete(invocation);
      if (outcome) {
        const done = outcome;
        notify((o) => o.ended?.(invocation, done));
      }
      release(worker);
    }
    const metrics: Record<string, number> = {
      durationMs: outcome.durationMs,
      billedDurationMs: billedDurationMs(outcome.durationMs, outcome.initDurationMs),
      memorySizeMB: fn.config.memorySize,
      maxMemoryUsedMB: outcome.maxRssMB ?? 0,
    };
    if (outcome.initDurationMs !== undefined) metrics.initDurationMs = outcome.initDurationMs;
    const status = outcome.status === "crash" ? "failure" : outcome.status;
    if (outcome.status === "timeout") {
      platform(fn, JSON.stringify({ timestamp: new Date().toISOString(), level: "ERROR", requestId, message: JSON.parse(outcome.payload).errorMessage }), metered);
    }
    platform(fn, reportRecord(requestId, metrics, status), metered);
    metered?.ran(outcome.durationMs, outcome.initDurationMs, outcome.payload);
    options.onInvocation?.({
      functionName: fn.config.name,
      requestId,
      invocationType,
      attempt,
      status: outcome.status,
      functionError: outcome.functionError,
      payload: outcome.payload,
      durationMs: outcome.durationMs,
      initDurationMs: outcome.initDurationMs,
      pid: worker.pid,
    });
    return { ...outcome, pid: worker.pid };
  }

  // --- async invocations ---------------------------------------------------------------------
  function eventConfigOf(name: string): EventInvokeConfig {
    return eventConfigs.get(name) ?? DEFAULT_EVENT_INVOKE_CONFIG;
  }

  function settleIdle(): void {
    if (pendingEvents === 0) for (const w of idleWaiters.splice(0)) w();
  }

  function enqueue(fn: FunctionState, payload: string, requestId: string, delayMs = 0): void {
    const ev: QueuedEvent = { functionName: fn.config.name, payload, requestId, receivedAt: Date.now(), attempts: 0 };
    pendingEvents++;
    void (async () => {
      try {
        if (delayMs > 0) await sleep(delayMs);
        await processEvent(ev);
      } catch (e) {
        if (!stopped) note(`async invocation ${ev.requestId} of ${ev.functionName} failed inside the service: ${(e as Error).message}`);
      } finally {
        pendingEvents--;
        settleIdle();
      }
    })();
  }

  async function processEvent(ev: QueuedEvent): Promise<void> {
    for (;;) {
      if (stopped) return;
      const fn = functions.get(ev.functionName);
      if (!fn) {
        note(`async invocation ${ev.requestId} dropped: function ${ev.functionName} no longer exists`);
        return;
      }
      const cfg = eventConfigOf(fn.config.name);
      const tooOld = () => Date.now() - ev.receivedAt > cfg.maximumEventAgeInSeconds * 1000;
      if (tooOld()) return fail(fn, ev, "EventAgeExceeded");
      const outcome = await runOnce(fn, ev.requestId, ev.payload, fn.config.arn, "Event", ev.attempts + 1, undefined, () => !tooOld() && !stopped);
      if (stopped) return;
      if (!outcome) {
        if (tooOld()) return fail(fn, ev, "EventAgeExceeded");
        return;
      }
      ev.attempts++;
      ev.last = outcome;
      if (!outcome.functionError) return;
      if (ev.attempts > cfg.maximumRetryAttempts) return fail(fn, ev, "RetriesExhausted");
      const delay = retryDelays[Math.min(ev.attempts - 1, retryDelays.length - 1)];
      note(`async invocation ${ev.requestId} of ${fn.config.name} failed (attempt ${ev.attempts}); retrying in ${delay} ms`);
      await sleep(delay);
    }
  }

  async function fail(fn: FunctionState, ev: QueuedEvent, condition: "RetriesExhausted" | "EventAgeExceeded"): Promise<void> {
    const cfg = eventConfigOf(fn.config.name);
    const destination = cfg.onFailureDestination;
    note(`async invocation ${ev.requestId} of ${fn.config.name} discarded (${condition}, ${ev.attempts} attempt(s))${destination ? `; sent to ${destination}` : ""}`);
    if (!destination) return;
    let requestPayload: unknown;
    try {
      requestPayload = JSON.parse(ev.payload === "" ? "{}" : ev.payload);
    } catch {
      requestPayload = ev.payload;
    }
    let responsePayload: unknown = null;
    if (ev.last) {
      try {
        responsePayload = JSON.parse(ev.last.payload);
      } catch {
        responsePayload = ev.last.payload;
      }
    }
    const record = {
      version: "1.0",
      timestamp: new Date().toISOString(),
      requestContext: { requestId: ev.requestId, functionArn: `${fn.config.arn}:$LATEST`, condition, approximateInvokeCount: ev.attempts },
      requestPayload,
      ...(ev.last
        ? {
            responseContext: { statusCode: ev.last.statusCode, executedVersion: "$LATEST", ...(ev.last.functionError ? { functionError: ev.last.functionError } : {}) },
            responsePayload,
          }
        : {}),
    };
    if (EVENT_BUS_ARN.test(destination) || QUEUE_ARN.test(destination)) {
      // As on AWS, a record that cannot be delivered is lost (Lambda counts DestinationDeliveryFailures).
      const bus = EVENT_BUS_ARN.test(destination);
      const sink = bus ? options.destinations?.events?.() : options.destinations?.sqs?.();
      if (!sink) {
        note(`destination ${destination}: no local ${bus ? "EventBridge" : "SQS"}; record dropped: ${JSON.stringify(record)}`);
        return;
      }
      try {
        if (bus) {
          await (sink as EventsSink).publish(destination, {
            source: "lambda",
            detailType: FAILURE_DESTINATION_DETAIL_TYPE,
            detail: record,
            resources: [destination, `${fn.config.arn}:$LATEST`],
          });
        } else {
          await (sink as QueueSink).sendMessage(destination, JSON.stringify(record));
        }
      } catch (e) {
        note(`destination ${destination} could not take the record (${(e as Error).message}); record dropped: ${JSON.stringify(record)}`);
      }
      return;
    }
    const target = parseFunctionRef(destination);
    if (destination.startsWith("arn:") && !destination.startsWith("arn:aws:lambda:")) {
      note(`destination ${destination} is not a Lambda function, an EventBridge bus or an SQS queue; record dropped: ${JSON.stringify(record)}`);
      return;
    }
    const dest = functions.get(target.name);
    if (!dest) {
      note(`destination function ${destination} not found; record dropped: ${JSON.stringify(record)}`);
      return;
    }
    enqueue(dest, JSON.stringify(record), crypto.randomUUID());
  }

  // --- invoke --------------------------------------------------------------------------------
  function checkPayload(payload: string, type: "RequestResponse" | "Event" | "DryRun"): void {
    const size = Buffer.byteLength(payload);
    const limit = type === "Event" ? MAX_ASYNC_PAYLOAD_BYTES : MAX_SYNC_PAYLOAD_BYTES;
    if (size > limit) {
      throw type === "Event"
        ? new LambdaApiError("RequestTooLargeException", `Request must be smaller than ${limit} bytes for the InvokeAsync operation`, 413)
        : new LambdaApiError("RequestTooLargeException", `Request must be smaller than ${limit} bytes for the InvokeFunction operation`, 413);
    }
    if (payload.trim() === "") return;
    try {
      JSON.parse(payload);
    } catch (e) {
      throw new LambdaApiError("InvalidRequestContentException", `Could not parse request body into json: ${(e as Error).message}`, 400);
    }
  }

  async function invokeDetailed(
    ref: string,
    payload: string,
    type: "RequestResponse" | "Event",
    invokeOptions: InvokeOptions = {},
  ): Promise<DetailedInvokeResult> {
    if (stopped) throw new LambdaApiError("ServiceException", "The Lambda service is stopped", 500);
    const fn = mustLookup(ref);
    checkPayload(payload, type);
    const requestId = invokeOptions.requestId ?? crypto.randomUUID();
    const { qualifier } = parseFunctionRef(ref);
    if (type === "Event") {
      enqueue(fn, payload, requestId);
      const armed = fn.duplicateNext.shift();
      const random: DeliverTwiceOptions | undefined = options.duplicateDeliveries && Math.random() < options.duplicateDeliveries ? {} : undefined;
      const dup = armed ?? random;
      if (dup) {
        const dupId = dup.sameRequestId ? requestId : crypto.randomUUID();
        note(`fault injection: delivering async invocation ${requestId} of ${fn.config.name} twice (second as ${dupId})`);
        enqueue(fn, payload, dupId, dup.delayMs ?? 0);
      }
      return { statusCode: 202, payload: "", requestId };
    }
    const invokedArn = qualifier ? `${fn.config.arn}:${qualifier}` : fn.config.arn;
    const outcome = await runOnce(fn, requestId, payload, invokedArn, "RequestResponse", 1, invokeOptions.clientContext);
    if (!outcome) throw new LambdaApiError("ServiceException", "The invocation was not run", 500);
    return {
      statusCode: outcome.statusCode,
      ...(outcome.functionError ? { functionError: outcome.functionError } : {}),
      payload: outcome.payload,
      requestId,
      logs: outcome.logs,
    };
  }

  // --- event source mappings -----------------------------------------------------------------
  const mappingRetryDelays = options.mappingRetryDelaysMs?.length ? options.mappingRetryDelaysMs : [100, 200, 300, 500];
  const mappings = new EventSourceMappings({
    checkpointDir: path.join(stateDir, "event-source-mappings"),
    host: {
      invoke: (name, payload) => invokeDetailed(name, payload, "RequestResponse"),
      functionArn: (name) => functions.get(name)?.config.arn ?? functionArnOf(name),
      note,
      retryDelayMs: (retry) => mappingRetryDelays[Math.min(Math.max(retry, 1), mappingRetryDelays.length) - 1],
      pollIntervalMs: Math.max(10, options.mappingPollIntervalMs ?? 1000),
      meter: options.meter,
    },
    resolveFunction: (ref) => lookup(ref)?.config.name,
    streams: options.streams,
    queues: options.queues,
    destinations: () => options.queues?.() ?? options.destinations?.sqs?.(),
    maxConcurrentQueueBatches: Math.max(1, options.maxConcurrentQueueBatches ?? 5),
  });
  const apiError = (e: unknown) => (e instanceof MappingError ? new LambdaApiError(e.code, e.message, e.statusCode) : e);

  // --- HTTP API ------------------------------------------------------------------------------
  function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), "x-amzn-RequestId": crypto.randomUUID(), ...headers });
    res.end(text);
  }

  function sendError(res: http.ServerResponse, e: unknown): void {
    if (e instanceof LambdaApiError) {
      sendJson(res, e.statusCode, { Type: e.statusCode >= 500 ? "Service" : "User", Message: e.message, message: e.message }, { "x-amzn-ErrorType": e.code });
    } else {
      note(`internal error: ${(e as Error)?.stack ?? String(e)}`);
      sendJson(res, 500, { Type: "Service", Message: "Internal error", message: "Internal error" }, { "x-amzn-ErrorType": "ServiceException" });
    }
  }

  function functionConfiguration(fn: FunctionState): Record<string, unknown> {
    const c = fn.config;
    return {
      FunctionName: c.name,
      FunctionArn: c.arn,
      Runtime: "nodejs22.x",
      Handler: c.handler,
      Timeout: c.timeoutSeconds,
      MemorySize: c.memorySize,
      Version: "$LATEST",
      State: "Active",
      PackageType: "Zip",
      Environment: { Variables: c.environment },
      LoggingConfig: { LogFormat: "JSON", LogGroup: `/aws/lambda/${c.name}` },
    };
  }

  async function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) throw new LambdaApiError("RequestTooLargeException", `Request must be smaller than ${MAX_SYNC_PAYLOAD_BYTES} bytes for the InvokeFunction operation`, 413);
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString("utf8");
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const segments = url.pathname.split("/").filter(Boolean).map((s) => decodeURIComponent(s));
    // POST /2015-03-31/functions/{name}/invocations
    if (req.method === "POST" && segments.length === 4 && segments[0] === "2015-03-31" && segments[1] === "functions" && segments[3] === "invocations") {
      const type = (req.headers["x-amz-invocation-type"] as string | undefined) ?? "RequestResponse";
      if (type !== "RequestResponse" && type !== "Event" && type !== "DryRun") {
        throw new LambdaApiError("InvalidParameterValueException", `1 validation error detected: Value '${type}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`, 400);
      }
      const qualifier = url.searchParams.get("Qualifier");
      const ref = qualifier && !parseFunctionRef(segments[2]).qualifier ? `${segments[2]}:${qualifier}` : segments[2];
      mustLookup(ref);
      const body = await readBody(req, MAX_SYNC_PAYLOAD_BYTES);
      if (type === "DryRun") {
        checkPayload(body, "DryRun");
        res.writeHead(204, { "x-amzn-RequestId": crypto.randomUUID() });
        res.end();
        return;
      }
      let clientContext: unknown;
      const cc = req.headers["x-amz-client-context"] as string | undefined;
      if (cc) {
        try {
          clientContext = JSON.parse(Buffer.from(cc, "base64").toString("utf8"));
        } catch {
          throw new LambdaApiError("InvalidParameterValueException", "Client context must be a valid Base64-encoded JSON object.", 400);
        }
      }
      const result = await invokeDetailed(ref, body, type, { clientContext });
      if (type === "Event") {
        res.writeHead(202, { "x-amzn-RequestId": result.requestId, "Content-Length": 0 });
        res.end();
        return;
      }
      const headers: Record<string, string> = {
        "Content-Type": "application/json",
        "Content-Length": String(Buffer.byteLength(result.payload)),
        "x-amzn-RequestId": result.requestId,
        "X-Amz-Executed-Version": "$LATEST",
      };
      if (result.functionError) headers["X-Amz-Function-Error"] = result.functionError;
      if (String(req.headers["x-amz-log-type"] ?? "").toLowerCase() === "tail") {
        const text = (result.logs ?? []).join("\n") + "\n";
        headers["X-Amz-Log-Result"] = Buffer.from(Buffer.from(text).subarray(-4096)).toString("base64");
      }
      res.writeHead(result.statusCode, headers);
      res.end(result.payload);
      return;
    }
    // GET /2015-03-31/functions/  (ListFunctions)
    if (req.method === "GET" && segments.length === 2 && segments[0] === "2015-03-31" && segments[1] === "functions") {
      sendJson(res, 200, { Functions: [...functions.values()].map(functionConfiguration) });
      return;
    }
    // GET /2015-03-31/functions/{name}  (GetFunction)
    if (req.method === "GET" && segments.length === 3 && segments[0] === "2015-03-31" && segments[1] === "functions") {
      const fn = mustLookup(segments[2]);
      sendJson(res, 200, { Configuration: functionConfiguration(fn), Code: { RepositoryType: "S3", Location: `file://${fn.taskRoot}` } });
      return;
    }
    sendJson(res, 404, { Type: "User", Message: `Unknown operation ${req.method} ${url.pathname}` }, { "x-amzn-ErrorType": "UnknownOperationException" });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) sendError(res, e);
      else res.destroy();
    });
  });
  const { endpoint } = await listen(server, options.port ?? 0);

  // The test clock moved: warm processes take the new offset at once (new ones get it at start).
  const unsubscribeClock = clock.onChange((offsetMs) => {
    for (const fn of functions.values()) for (const w of fn.workers) w.setClockOffset(offsetMs);
    note(`test clock: function processes now run ${offsetMs} ms ahead of the real time`);
  });

  // --- the service ---------------------------------------------------------------------------
  const service: LocalLambdaService = {
    endpoint,

    async createFunction(config: LocalFunctionConfig): Promise<void> {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(config.name)) throw new LambdaApiError("InvalidParameterValueException", `Invalid function name: ${config.name}`, 400);
      const taskRoot = path.join(stateDir, "functions", config.name);
      await fs.promises.mkdir(taskRoot, { recursive: true });
      const handlerModule = config.handler.slice(0, Math.max(0, config.handler.lastIndexOf("."))) || "index";
      const file = path.join(taskRoot, /\.(c?js|mjs)$/.test(handlerModule) ? handlerModule : `${handlerModule}.js`);
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
      await fs.promises.writeFile(file, config.code);
      const limit = options.maxTimeoutSeconds ?? 900;
      if (config.timeoutSeconds > limit) {
        note(`function ${config.name}: timeout ${config.timeoutSeconds} s capped at the Lambda limit of this local cloud, ${limit} s`);
        config = { ...config, timeoutSeconds: limit };
      }
      const existing = functions.get(config.name);
      if (existing) {
        existing.config = { ...config };
        existing.taskRoot = taskRoot;
        existing.generation++;
        for (const w of existing.workers) if (!w.busy) w.kill();
        if (options.prewarm) prewarm(existing);
        note(`updated function ${config.name}`);
        return;
      }
      const state: FunctionState = { config: { ...config }, taskRoot, generation: 1, workers: new Set(), waiters: [], duplicateNext: [] };
      functions.set(config.name, state);
      if (options.prewarm) prewarm(state);
      note(`created function ${config.name} (${config.timeoutSeconds} s, ${config.memorySize} MB)`);
    },

    putEventInvokeConfig(functionName: string, config: EventInvokeConfig): void {
      eventConfigs.set(parseFunctionRef(functionName).name, { ...config });
    },

    async invoke(functionNameOrArn: string, payload: string, type: "RequestResponse" | "Event"): Promise<InvokeResult> {
      const { requestId: _requestId, logs: _logs, ...result } = await invokeDetailed(functionNameOrArn, payload, type);
      return result;
    },

    invokeDetailed,

    deliverTwice(functionNameOrArn: string, deliverOptions: DeliverTwiceOptions = {}): void {
      mustLookup(functionNameOrArn).duplicateNext.push({ ...deliverOptions });
    },

    idle(): Promise<void> {
      if (pendingEvents === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },

    workerPids(functionNameOrArn: string): number[] {
      const fn = lookup(functionNameOrArn);
      if (!fn) return [];
      return [...fn.workers].filter((w) => !w.dead && w.pid !== undefined).map((w) => w.pid!);
    },

    runningInvocations(functionNameOrArn?: string): RunningInvocation[] {
      const name = functionNameOrArn === undefined ? undefined : parseFunctionRef(functionNameOrArn).name;
      return [...running].filter((i) => name === undefined || i.functionName === name);
    },

    observeInvocations(observer: InvocationObserver): () => void {
      observers.add(observer);
      return () => observers.delete(observer);
    },

    clock,

    eventInvokeConfig(functionNameOrArn: string): EventInvokeConfig {
      return eventConfigOf(parseFunctionRef(functionNameOrArn).name);
    },

    createEventSourceMapping(mapping: LocalEventSourceMapping): void {
      if (stopped) throw new LambdaApiError("ServiceException", "The Lambda service is stopped", 500);
      try {
        mappings.create(mapping);
      } catch (e) {
        throw apiError(e);
      }
    },

    async deleteEventSourceMapping(uuid: string): Promise<void> {
      await mappings.delete(uuid).catch((e: unknown) => {
        throw apiError(e);
      });
    },

    getEventSourceMapping(uuid: string): EventSourceMappingInfo | undefined {
      return mappings.get(uuid);
    },

    listEventSourceMappings(): EventSourceMappingInfo[] {
      return mappings.list();
    },

    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      clearInterval(reaper);
      unsubscribeClock();
      // Pollers leave their loops at once (they do not wait for invocations in flight).
      const mappingsStopped = mappings.stop();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const wake of [...sleepers]) wake();
      const exits: Promise<void>[] = [];
      for (const fn of functions.values()) {
        for (const waiter of fn.waiters.splice(0)) waiter.reject(new LambdaApiError("ServiceException", "The Lambda service is stopped", 500));
        for (const w of fn.workers) exits.push(w.stop());
      }
      await Promise.all(exits);
      await mappingsStopped;
      await close(server);
      logsClosed = true;
      await Promise.all(
        [...functions.values()].map(
          (fn) =>
            new Promise<void>((resolve) => {
              if (!fn.log) return resolve();
              fn.log.end(() => resolve());
              fn.log = undefined;
            }),
        ),
      );
      // Let queued async work observe `stopped` and unwind before reporting idle.
      await new Promise((r) => setImmediate(r));
      idleWaiters.splice(0).forEach((w) => w());
    },
  };
  note(`Lambda API on ${endpoint}`);
  return service;
}
