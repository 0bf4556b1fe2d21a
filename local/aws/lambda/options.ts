/**
 * The options of `startLambdaService`: where the local Lambda keeps its files, the limits and
 * delays it runs functions with, the services behind destinations and event source mappings, and
 * the test hooks (clock, fault injection, invocation records, cost meter).
 */
import type { DynamoDbStreamSource, EventsSink, QueueSink } from "../types";
import type { UsageMeter } from "../../usage/meter";
import type { LocalClock } from "./clock";
import type { InvocationRecord } from "./contract";
import type { EventSourceQueue } from "./queuePoller";

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
