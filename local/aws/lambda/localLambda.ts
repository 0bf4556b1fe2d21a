/**
 * `LocalLambda`, the local Lambda service: each Lambda operation it serves is a method of its own
 * (CreateFunction, PutFunctionEventInvokeConfig, Invoke sync and async, the event source mapping
 * operations), plus the test and fault-injection hooks of `LocalLambdaService`. It wires the
 * function registry, the worker pool, the invocation attempts, the async invocation queue and the
 * event source mappings together; the HTTP API (./http.ts) calls it.
 */
import * as crypto from "crypto";
import type * as http from "http";
import * as path from "path";
import type { EventInvokeConfig, InvokeResult, LocalEventSourceMapping, LocalFunctionConfig } from "../types";
import { close } from "../protocols/listen";
import { AsyncInvocationQueue } from "./asyncQueue";
import { InvocationAttempts } from "./attempts";
import { LocalClock } from "./clock";
import type { DeliverTwiceOptions, DetailedInvokeResult, InvocationObserver, InvokeOptions, LocalLambdaService, RunningInvocation } from "./contract";
import { LambdaApiError, serviceStopped } from "./errors";
import { EventSourceMappings, type EventSourceMappingInfo } from "./eventSourceMappings";
import { functionArnOf, parseFunctionRef } from "./functionRef";
import { FunctionRegistry, type FunctionState } from "./functions";
import type { LambdaHttpBackend } from "./http";
import type { LambdaServiceOptions } from "./options";
import { checkPayload } from "./payloadLimits";
import { MappingError } from "./pollerSupport";
import { WorkerPool } from "./workerPool";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

const apiError = (e: unknown) => (e instanceof MappingError ? new LambdaApiError(e.code, e.message, e.statusCode) : e);

export class LocalLambda implements LocalLambdaService, LambdaHttpBackend {
  /** Set once the HTTP API listens. */
  endpoint = "";
  readonly clock: LocalClock;
  private readonly registry: FunctionRegistry;
  private readonly pool: WorkerPool;
  private readonly attempts: InvocationAttempts;
  private readonly queue: AsyncInvocationQueue;
  private readonly mappings: EventSourceMappings;
  private stopped = false;
  private server?: http.Server;
  private unsubscribeClock?: () => void;

  constructor(private readonly options: LambdaServiceOptions) {
    const stateDir = path.resolve(options.stateDir);
    const isStopped = () => this.stopped;
    const note = (line: string) => this.note(line);
    this.clock = options.clock ?? new LocalClock();
    this.registry = new FunctionRegistry(stateDir, options.log);
    this.pool = new WorkerPool(this.registry, {
      runtimeDir: path.join(stateDir, "runtime"),
      nodePath: (options.nodePath ?? [path.join(REPO_ROOT, "node_modules")]).join(path.delimiter),
      sdkEnvironment: () => options.environment(),
      maxConcurrency: Math.max(1, options.maxConcurrency ?? 32),
      idleTimeoutMs: options.idleTimeoutMs ?? 300_000,
      initTimeoutMs: options.initTimeoutMs ?? 10_000,
      enforceMemory: options.enforceMemory ?? true,
      clockOffsetMs: () => this.clock.offsetMs,
      isStopped,
    });
    this.attempts = new InvocationAttempts(this.pool, this.registry, options, note);
    const retryDelaysMs = options.retryDelaysMs?.length ? options.retryDelaysMs : [1000, 2000];
    this.queue = new AsyncInvocationQueue(this.registry, this.attempts, { retryDelaysMs, services: options, note, isStopped });
    this.mappings = this.eventSourceMappings(stateDir);
  }

  /** A note of the service's own in its log. */
  note(line: string): void {
    this.options.log?.(`[lambda] ${line}`);
  }

  /** The HTTP API listens at `endpoint` (stopped with the service); the test clock now reaches the processes. */
  serving(server: http.Server, endpoint: string): void {
    this.server = server;
    this.endpoint = endpoint;
    // The test clock moved: warm processes take the new offset at once (new ones get it at start).
    this.unsubscribeClock = this.clock.onChange((offsetMs) => {
      this.pool.setClockOffset(offsetMs);
      this.note(`test clock: function processes now run ${offsetMs} ms ahead of the real time`);
    });
    this.note(`Lambda API on ${endpoint}`);
  }

  mustLookup(ref: string): FunctionState {
    return this.registry.mustLookup(ref);
  }

  listFunctions(): FunctionState[] {
    return [...this.registry.values()];
  }

  /** CreateFunction (and, for a known name, UpdateFunctionCode + UpdateFunctionConfiguration). */
  async createFunction(config: LocalFunctionConfig): Promise<void> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(config.name)) throw new LambdaApiError("InvalidParameterValueException", `Invalid function name: ${config.name}`, 400);
    const taskRoot = await this.registry.writeBundle(config);
    const limit = this.options.maxTimeoutSeconds ?? 900;
    if (config.timeoutSeconds > limit) {
      this.note(`function ${config.name}: timeout ${config.timeoutSeconds} s capped at the Lambda limit of this local cloud, ${limit} s`);
      config = { ...config, timeoutSeconds: limit };
    }
    const existing = this.registry.get(config.name);
    if (existing) return this.updateFunction(existing, config, taskRoot);
    const state: FunctionState = { config: { ...config }, taskRoot, generation: 1, workers: new Set(), waiters: [], duplicateNext: [] };
    this.registry.add(state);
    if (this.options.prewarm) this.pool.prewarm(state);
    this.note(`created function ${config.name} (${config.timeoutSeconds} s, ${config.memorySize} MB)`);
  }

  /** PutFunctionEventInvokeConfig. */
  putEventInvokeConfig(functionName: string, config: EventInvokeConfig): void {
    this.registry.putEventConfig(parseFunctionRef(functionName).name, config);
  }

  /** The event invoke config in force for a function (defaults when none was put). */
  eventInvokeConfig(functionNameOrArn: string): EventInvokeConfig {
    return this.registry.eventConfig(parseFunctionRef(functionNameOrArn).name);
  }

  /** Invoke. */
  async invoke(functionNameOrArn: string, payload: string, type: "RequestResponse" | "Event"): Promise<InvokeResult> {
    const { requestId: _requestId, logs: _logs, ...result } = await this.invokeDetailed(functionNameOrArn, payload, type);
    return result;
  }

  /** Invoke, answering the request id and (synchronous) the function's logs too. */
  async invokeDetailed(ref: string, payload: string, type: "RequestResponse" | "Event", invokeOptions: InvokeOptions = {}): Promise<DetailedInvokeResult> {
    if (this.stopped) throw serviceStopped();
    const fn = this.registry.mustLookup(ref);
    checkPayload(payload, type);
    const requestId = invokeOptions.requestId ?? crypto.randomUUID();
    if (type === "Event") return this.invokeAsync(fn, payload, requestId);
    const { qualifier } = parseFunctionRef(ref);
    const invokedArn = qualifier ? `${fn.config.arn}:${qualifier}` : fn.config.arn;
    const attempt = { requestId, payload, invokedArn, invocationType: "RequestResponse" as const, attempt: 1, clientContext: invokeOptions.clientContext };
    const outcome = await this.attempts.run(fn, attempt);
    if (!outcome) throw new LambdaApiError("ServiceException", "The invocation was not run", 500);
    return {
      statusCode: outcome.statusCode,
      ...(outcome.functionError ? { functionError: outcome.functionError } : {}),
      payload: outcome.payload,
      requestId,
      logs: outcome.logs,
    };
  }

  /** Fault injection: the next async invocation of this function is delivered twice. */
  deliverTwice(functionNameOrArn: string, deliverOptions: DeliverTwiceOptions = {}): void {
    this.registry.mustLookup(functionNameOrArn).duplicateNext.push({ ...deliverOptions });
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  workerPids(functionNameOrArn: string): number[] {
    const fn = this.registry.lookup(functionNameOrArn);
    return fn ? this.pool.pids(fn) : [];
  }

  runningInvocations(functionNameOrArn?: string): RunningInvocation[] {
    return this.attempts.runningNow(functionNameOrArn === undefined ? undefined : parseFunctionRef(functionNameOrArn).name);
  }

  observeInvocations(observer: InvocationObserver): () => void {
    return this.attempts.observe(observer);
  }

  /** CreateEventSourceMapping (a known UUID: UpdateEventSourceMapping). */
  createEventSourceMapping(mapping: LocalEventSourceMapping): void {
    if (this.stopped) throw serviceStopped();
    try {
      this.mappings.create(mapping);
    } catch (e) {
      throw apiError(e);
    }
  }

  /** DeleteEventSourceMapping. */
  async deleteEventSourceMapping(uuid: string): Promise<void> {
    await this.mappings.delete(uuid).catch((e: unknown) => {
      throw apiError(e);
    });
  }

  /** GetEventSourceMapping. */
  getEventSourceMapping(uuid: string): EventSourceMappingInfo | undefined {
    return this.mappings.get(uuid);
  }

  /** ListEventSourceMappings. */
  listEventSourceMappings(): EventSourceMappingInfo[] {
    return this.mappings.list();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribeClock?.();
    // Pollers leave their loops at once (they do not wait for invocations in flight).
    const mappingsStopped = this.mappings.stop();
    this.queue.wakeSleepers();
    await this.pool.stop();
    await mappingsStopped;
    if (this.server) await close(this.server);
    await this.registry.closeLogs();
    // Let queued async work observe `stopped` and unwind before reporting idle.
    await new Promise((r) => setImmediate(r));
    this.queue.releaseIdleWaiters();
  }

  private updateFunction(existing: FunctionState, config: LocalFunctionConfig, taskRoot: string): void {
    existing.config = { ...config };
    existing.taskRoot = taskRoot;
    existing.generation++;
    this.pool.retireIdle(existing);
    if (this.options.prewarm) this.pool.prewarm(existing);
    this.note(`updated function ${config.name}`);
  }

  /** An async invocation is queued (twice when a duplicate delivery is armed or drawn) and answered 202 at once. */
  private invokeAsync(fn: FunctionState, payload: string, requestId: string): DetailedInvokeResult {
    this.queue.enqueue(fn, payload, requestId);
    const armed = fn.duplicateNext.shift();
    const chance = this.options.duplicateDeliveries;
    const random: DeliverTwiceOptions | undefined = chance && Math.random() < chance ? {} : undefined;
    const dup = armed ?? random;
    if (dup) {
      const dupId = dup.sameRequestId ? requestId : crypto.randomUUID();
      this.note(`fault injection: delivering async invocation ${requestId} of ${fn.config.name} twice (second as ${dupId})`);
      this.queue.enqueue(fn, payload, dupId, dup.delayMs ?? 0);
    }
    return { statusCode: 202, payload: "", requestId };
  }

  /** The event source mappings (./eventSourceMappings.ts), invoking functions synchronously. */
  private eventSourceMappings(stateDir: string): EventSourceMappings {
    const { options } = this;
    const mappingRetryDelays = options.mappingRetryDelaysMs?.length ? options.mappingRetryDelaysMs : [100, 200, 300, 500];
    return new EventSourceMappings({
      checkpointDir: path.join(stateDir, "event-source-mappings"),
      host: {
        invoke: (name, payload) => this.invokeDetailed(name, payload, "RequestResponse"),
        functionArn: (name) => this.registry.get(name)?.config.arn ?? functionArnOf(name),
        note: (line) => this.note(line),
        retryDelayMs: (retry) => mappingRetryDelays[Math.min(Math.max(retry, 1), mappingRetryDelays.length) - 1],
        pollIntervalMs: Math.max(10, options.mappingPollIntervalMs ?? 1000),
        meter: options.meter,
      },
      resolveFunction: (ref) => this.registry.lookup(ref)?.config.name,
      streams: options.streams,
      queues: options.queues,
      destinations: () => options.queues?.() ?? options.destinations?.sqs?.(),
      maxConcurrentQueueBatches: Math.max(1, options.maxConcurrentQueueBatches ?? 5),
    });
  }
}
