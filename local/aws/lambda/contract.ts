/**
 * The typed face of the local Lambda service: `LocalLambdaService` (what `startLambdaService`
 * returns) and the records it hands to tests and fault injection (invocation attempts, running
 * invocations, observers, invoke options and results).
 */
import type { EventInvokeConfig, InvokeResult, LambdaService, LocalEventSourceMapping } from "../types";
import type { LocalClock } from "./clock";
import type { EventSourceMappingInfo } from "./eventSourceMappings";
import type { InvocationOutcome } from "./workers";

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
