/**
 * Lambda event source mappings of the local Lambda service: validates each mapping as
 * CreateEventSourceMapping does (for what the local cloud supports: DynamoDB streams and SQS
 * queues), applies AWS's defaults, and runs one poller per mapping.
 *
 * The sources are lazy getters because the local services start in some order: a poller whose
 * source is not there yet waits for it.
 */
import type { DynamoDbStreamSource, LocalEventSourceMapping, QueueSink } from "../types";
import { CheckpointStore } from "./checkpoints";
import { compileFilters, MappingError, type PollerHost } from "./pollerSupport";
import { QueuePoller, type EventSourceQueue } from "./queuePoller";
import { StreamPoller } from "./streamPoller";

/**
 * AWS, "Using event filtering with a DynamoDB event source": "DynamoDB event source mappings only
 * support filtering on the `dynamodb` key". A pattern on any other key of the record (`eventName`,
 * `userIdentity`…) is refused here rather than silently matched.
 */
function streamFilters(patterns: string[] | undefined): (record: unknown) => boolean {
  const filter = compileFilters(patterns);
  for (const text of patterns ?? []) {
    const other = Object.keys(JSON.parse(text) as object).filter((key) => key !== "dynamodb");
    if (other.length > 0) {
      throw new MappingError("InvalidParameterValueException", `Invalid filter pattern definition: DynamoDB event source mappings only support filtering on the dynamodb key, not ${other.join(", ")}`);
    }
  }
  return filter;
}

const STREAM_ARN = /^arn:aws[a-z-]*:dynamodb:[^:]*:\d{12}:table\/[^/]+\/stream\/.+$/;
const QUEUE_ARN = /^arn:aws[a-z-]*:sqs:[^:]*:\d{12}:[^:/]+$/;

/** A mapping as GetEventSourceMapping would describe it (the local subset). */
export interface EventSourceMappingInfo {
  uuid: string;
  eventSourceArn: string;
  functionArn: string;
  kind: "dynamodb" | "sqs";
  state: "Enabled" | "Disabled";
  /** Lambda's `LastProcessingResult`: `No records processed`, `OK`, `PROBLEM: Function call failed`. */
  lastProcessingResult: string;
  /** Streams: the last finished record's sequence number (null = none yet; undefined = the stream was not seen yet). */
  checkpoint?: string | null;
  /** Streams: concurrent batches per shard. */
  parallelizationFactor?: number;
  /** SQS: batches being processed now. */
  inFlightBatches?: number;
}

export interface EventSourceMappingsOptions {
  /** Stream checkpoints are kept here. */
  checkpointDir: string;
  host: PollerHost;
  /** The function's name when it exists (`ref` may be a name or an ARN), else undefined. */
  resolveFunction(ref: string): string | undefined;
  streams?: () => DynamoDbStreamSource | undefined;
  queues?: () => EventSourceQueue | undefined;
  /** Where stream mappings' on-failure records go (SQS queues). */
  destinations: () => QueueSink | undefined;
  maxConcurrentQueueBatches: number;
}

interface Entry {
  mapping: LocalEventSourceMapping;
  functionName: string;
  kind: "dynamodb" | "sqs";
  poller?: StreamPoller | QueuePoller;
  /** Settles once the previous poller of an updated mapping has stopped and this one started. */
  started: Promise<void>;
}

const invalid = (message: string) => new MappingError("InvalidParameterValueException", message);

function integer(value: number | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) throw invalid(`${name} must be an integer between ${min} and ${max}: ${value}`);
  return value;
}

export class EventSourceMappings {
  private readonly entries = new Map<string, Entry>();
  private readonly checkpoints: CheckpointStore;
  private stopped = false;

  constructor(private readonly options: EventSourceMappingsOptions) {
    this.checkpoints = new CheckpointStore(options.checkpointDir);
  }

  /**
   * Creates (or, for a known UUID, replaces) a mapping and starts its poller. Throws `MappingError`
   * for what CreateEventSourceMapping would reject.
   */
  create(mapping: LocalEventSourceMapping): void {
    if (this.stopped) throw new MappingError("ServiceException", "The Lambda service is stopped");
    if (!mapping.uuid) throw invalid("The mapping needs a UUID");
    const functionName = this.options.resolveFunction(mapping.functionName);
    if (!functionName) throw new MappingError("ResourceNotFoundException", `Function not found: ${mapping.functionName}`);
    const kind = STREAM_ARN.test(mapping.eventSourceArn) ? "dynamodb" : QUEUE_ARN.test(mapping.eventSourceArn) ? "sqs" : undefined;
    if (!kind) throw invalid(`Unsupported event source for the local Lambda (a DynamoDB stream or an SQS queue ARN is needed): ${mapping.eventSourceArn}`);
    for (const [uuid, other] of this.entries) {
      if (uuid !== mapping.uuid && other.functionName === functionName && other.mapping.eventSourceArn === mapping.eventSourceArn) {
        throw new MappingError(
          "ResourceConflictException",
          `An event source mapping with event source ("${mapping.eventSourceArn}") and function ("${functionName}") already exists. Please update or delete the existing mapping with UUID ${uuid}`,
        );
      }
    }
    const poller = kind === "dynamodb" ? this.streamPoller(mapping, functionName) : this.queuePoller(mapping, functionName);
    const enabled = mapping.enabled ?? true;
    const previous = this.entries.get(mapping.uuid);
    const entry: Entry = { mapping: { ...mapping }, functionName, kind, poller: enabled ? poller : undefined, started: Promise.resolve() };
    this.entries.set(mapping.uuid, entry);
    const start = () => {
      if (!this.stopped && this.entries.get(mapping.uuid) === entry) entry.poller?.start();
    };
    if (previous?.poller) entry.started = previous.poller.stop().then(start);
    else start();
    this.options.host.note(`event source mapping ${mapping.uuid}: ${mapping.eventSourceArn} -> ${functionName}${enabled ? "" : " (disabled)"}`);
  }

  /** Stops the mapping's poller and forgets it (and its stream checkpoint, as a deleted mapping's position is gone on AWS). */
  async delete(uuid: string): Promise<void> {
    const entry = this.entries.get(uuid);
    if (!entry) throw new MappingError("ResourceNotFoundException", `The resource you requested does not exist. (Event source mapping ${uuid})`);
    this.entries.delete(uuid);
    await entry.started;
    await entry.poller?.stop();
    if (entry.kind === "dynamodb") this.checkpoints.remove(entry.functionName, entry.mapping.eventSourceArn);
  }

  get(uuid: string): EventSourceMappingInfo | undefined {
    const entry = this.entries.get(uuid);
    if (!entry) return undefined;
    const p = entry.poller;
    return {
      uuid,
      eventSourceArn: entry.mapping.eventSourceArn,
      functionArn: this.options.host.functionArn(entry.functionName),
      kind: entry.kind,
      state: p ? "Enabled" : "Disabled",
      lastProcessingResult: p?.lastProcessingResult ?? "No records processed",
      ...(p instanceof StreamPoller ? { checkpoint: p.checkpoint, parallelizationFactor: p.config.parallelizationFactor } : {}),
      ...(p instanceof QueuePoller ? { inFlightBatches: p.inFlightBatches } : {}),
    };
  }

  list(): EventSourceMappingInfo[] {
    return [...this.entries.keys()].map((uuid) => this.get(uuid)!);
  }

  /** Stops every poller: each leaves its loop at once (no invocation is waited for, no timer is left). */
  stop(): Promise<void> {
    this.stopped = true;
    const stops = [...this.entries.values()].map((e) => e.poller?.stop());
    return Promise.all(stops).then(() => undefined);
  }

  private streamPoller(m: LocalEventSourceMapping, functionName: string): StreamPoller {
    if (m.startingPosition !== "LATEST" && m.startingPosition !== "TRIM_HORIZON") {
      throw invalid(`StartingPosition must be LATEST or TRIM_HORIZON for a DynamoDB stream (got ${m.startingPosition ?? "none"})`);
    }
    const maximumRecordAgeInSeconds = integer(m.maximumRecordAgeInSeconds, "MaximumRecordAgeInSeconds", -1, 604_800, -1);
    if (maximumRecordAgeInSeconds !== -1 && maximumRecordAgeInSeconds < 60) throw invalid(`MaximumRecordAgeInSeconds must be -1 or between 60 and 604800: ${maximumRecordAgeInSeconds}`);
    if (m.onFailureDestination !== undefined && !QUEUE_ARN.test(m.onFailureDestination)) {
      throw invalid(`The local Lambda sends on-failure records of stream mappings to SQS queues only: ${m.onFailureDestination}`);
    }
    return new StreamPoller(
      {
        uuid: m.uuid,
        eventSourceArn: m.eventSourceArn,
        functionName,
        batchSize: integer(m.batchSize, "BatchSize", 1, 10_000, 100),
        startingPosition: m.startingPosition,
        filter: streamFilters(m.filterPatterns),
        bisectBatchOnFunctionError: m.bisectBatchOnFunctionError ?? false,
        maximumRetryAttempts: integer(m.maximumRetryAttempts, "MaximumRetryAttempts", -1, 10_000, -1),
        maximumRecordAgeInSeconds,
        onFailureDestination: m.onFailureDestination,
        reportBatchItemFailures: this.reportsItemFailures(m),
        parallelizationFactor: integer(m.parallelizationFactor, "ParallelizationFactor", 1, 10, 1),
      },
      { host: this.options.host, streams: this.options.streams ?? (() => undefined), destinations: this.options.destinations, checkpoints: this.checkpoints },
    );
  }

  private queuePoller(m: LocalEventSourceMapping, functionName: string): QueuePoller {
    const streamOnly: [keyof LocalEventSourceMapping, string][] = [
      ["startingPosition", "StartingPosition"],
      ["bisectBatchOnFunctionError", "BisectBatchOnFunctionError"],
      ["maximumRetryAttempts", "MaximumRetryAttempts"],
      ["maximumRecordAgeInSeconds", "MaximumRecordAgeInSeconds"],
      ["onFailureDestination", "DestinationConfig"],
      ["parallelizationFactor", "ParallelizationFactor"],
    ];
    for (const [key, name] of streamOnly) if (m[key] !== undefined && m[key] !== null) throw invalid(`Unsupported ${name} parameter for an SQS event source mapping`);
    return new QueuePoller(
      {
        uuid: m.uuid,
        eventSourceArn: m.eventSourceArn,
        functionName,
        // AWS ("Creating and configuring an Amazon SQS event source mapping") takes more than 10
        // only with MaximumBatchingWindowInSeconds, which the local cloud does not model: refused.
        batchSize: integer(m.batchSize, "BatchSize", 1, 10, 10),
        filter: compileFilters(m.filterPatterns),
        reportBatchItemFailures: this.reportsItemFailures(m),
        maxConcurrentBatches: this.options.maxConcurrentQueueBatches,
      },
      this.options.host,
      this.options.queues ?? (() => undefined),
    );
  }

  private reportsItemFailures(m: LocalEventSourceMapping): boolean {
    for (const t of m.functionResponseTypes ?? []) if (t !== "ReportBatchItemFailures") throw invalid(`Unsupported FunctionResponseType: ${t}`);
    return (m.functionResponseTypes ?? []).includes("ReportBatchItemFailures");
  }
}
