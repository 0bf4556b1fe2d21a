/**
 * The poller of one DynamoDB stream event source mapping: reads the stream's (single) shard in
 * order, invokes the function synchronously with `{"Records": [...]}`, and checkpoints past every
 * record that was processed, filtered out or given up on.
 *
 * `parallelizationFactor` (1..10, default 1) splits the shard into that many lanes, as on AWS: a
 * record's lane is a hash of its `Keys` (its item's primary key), so records of one item always
 * go to the same lane, in stream order; each lane processes one batch at a time, and up to N
 * batches run at once. The reader reads ahead (a bounded window of records) and hands each lane its
 * share of every read. The shard's checkpoint only moves past a record once it and every record
 * before it are finished in their lanes, so a persisted checkpoint never skips an unfinished record
 * (after a restart, records that other lanes had already finished come again: at least once).
 * With a factor of 1 there is one lane: the next batch waits for the current one.
 *
 * Error handling follows "Retain discarded records for a DynamoDB event source in Lambda":
 * - a function error (thrown, crashed, timed out, or an invalid partial batch response) retries the
 *   batch after a short backoff, until `maximumRetryAttempts` retries were made (-1 = no limit) or a
 *   record is older than `maximumRecordAgeInSeconds` (-1 = the stream's 24-hour retention);
 * - `bisectBatchOnFunctionError` splits a failed batch in two and processes the halves in order;
 *   as on AWS, splitting does not consume the retry quota (a batch of one is retried normally);
 * - `ReportBatchItemFailures`: the records before the first reported failure are finished, and the
 *   rest is retried as a batch (each such retry counts as one);
 * - when Lambda gives up on records, the on-failure destination (an SQS queue) gets AWS's record
 *   (`requestContext`, `responseContext`, `version`, `timestamp`, `DDBStreamBatchInfo`) and the
 *   shard moves on.
 * - an invoke that cannot happen at all (function missing, payload over 6 MB) is retried without
 *   consuming the retry quota, until the records age out ("Before invocation" on AWS).
 *
 * Retries, bisecting and the on-failure destination work per lane (a lane retrying a batch holds up
 * that lane only, and the checkpoint).
 *
 * Local simplifications: a lane's batch is its share of the next `batchSize` records read,
 * filtered (AWS may fill a batch with further matching records); no batching window or tumbling
 * window; the shard id in `DDBStreamBatchInfo` is synthesized from the stream ARN; the destination
 * record of records aged out before any invocation has no `responseContext`.
 *
 * Cost meter (./usage.ts): each read that returned records counts as one GetRecords call of a
 * Lambda trigger (free on AWS); reads of a stream with nothing new are not counted.
 */
import * as crypto from "crypto";
import type { DynamoDbItem, DynamoDbStreamRecord, DynamoDbStreamSource, QueueSink } from "../types";
import type { CheckpointStore } from "./checkpoints";
import { meterStreamRead } from "../../usage/lambda";
import { errorSummary, Lifecycle, readBatchResponse, SourceSubscription, Waker, type MappingInvokeResult, type PollerHost } from "./pollerSupport";

/** A stream mapping with its defaults applied. */
export interface StreamMappingConfig {
  uuid: string;
  eventSourceArn: string;
  functionName: string;
  batchSize: number;
  startingPosition: "LATEST" | "TRIM_HORIZON";
  filter: (record: unknown) => boolean;
  bisectBatchOnFunctionError: boolean;
  /** -1 = no limit. */
  maximumRetryAttempts: number;
  /** -1 = the stream's retention (24 hours). */
  maximumRecordAgeInSeconds: number;
  onFailureDestination?: string;
  reportBatchItemFailures: boolean;
  /** Concurrent batches (lanes) per shard, 1..10. */
  parallelizationFactor: number;
}

/** DynamoDB Streams keep records for 24 hours: the age limit of `maximumRecordAgeInSeconds: -1`. */
export const STREAM_RETENTION_SECONDS = 86_400;

type Condition = "RetryAttemptsExhausted" | "RecordAgeExceeded";

/** A run of consecutive records being worked on, with what its records went through so far. */
interface Work {
  records: DynamoDbStreamRecord[];
  /** Retries consumed (bisecting consumes none). */
  retries: number;
  /** Invocations that included these records. */
  invokes: number;
  last?: MappingInvokeResult;
}

type Attempt =
  | { kind: "stopped" }
  | { kind: "notInvoked"; error: Error }
  | { kind: "success"; result: MappingInvokeResult }
  | { kind: "partial"; result: MappingInvokeResult; firstFailed: number }
  | { kind: "error"; result: MappingInvokeResult; reason: string };

const seq = (r: DynamoDbStreamRecord) => r.dynamodb.SequenceNumber;

/**
 * The lane (0..factor-1) of a record with these `Keys`: a hash of the key attributes (sorted by
 * name), so one item's records always share a lane.
 */
export function partitionLane(keys: DynamoDbItem, factor: number): number {
  if (factor <= 1) return 0;
  const canonical = JSON.stringify(
    Object.keys(keys)
      .sort()
      .map((k) => [k, keys[k]]),
  );
  return crypto.createHash("sha256").update(canonical).digest().readUInt32BE(0) % factor;
}

/** A record read from the shard that the checkpoint has not passed yet. */
interface WindowEntry {
  seq: string;
  done: boolean;
}

/** One lane: its batches in order, one processed at a time. */
interface Lane {
  queue: DynamoDbStreamRecord[][];
  busy: boolean;
}

/** `2019-11-14T00:13:19Z` (what DDBStreamBatchInfo shows) from epoch seconds. */
function arrival(epochSeconds: number): string {
  return new Date(Math.floor(epochSeconds) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The shard id a single-shard local stream reports (the shape of DynamoDB's `shardId-<20 digits>-<8 hex>`). */
export function localShardId(streamArn: string): string {
  return `shardId-00000000000000000001-${crypto.createHash("sha256").update(streamArn).digest("hex").slice(0, 8)}`;
}

export interface StreamPollerDeps {
  host: PollerHost;
  streams: () => DynamoDbStreamSource | undefined;
  /** Where the on-failure record of a discarded batch goes (an SQS queue by ARN). */
  destinations: () => QueueSink | undefined;
  checkpoints: CheckpointStore;
}

export class StreamPoller {
  private readonly life = new Lifecycle();
  private readonly waker = new Waker(this.life);
  /** The checkpoint: every record up to this sequence number is finished; undefined = from the trim horizon. */
  private position: string | undefined;
  /** The last record read (handed to a lane or filtered out); the reader goes on after it. */
  private readPosition: string | undefined;
  private positioned = false;
  private readonly subscription = new SourceSubscription<DynamoDbStreamSource>();
  private loop?: Promise<void>;
  /** Records read and not yet passed by the checkpoint, in stream order. */
  private readonly window: WindowEntry[] = [];
  private readonly windowBySeq = new Map<string, WindowEntry>();
  /** The reader pauses while this many records wait for the checkpoint. */
  private readonly windowLimit: number;
  private readonly lanes: Lane[];
  private readonly inFlight = new Set<Promise<void>>();
  lastProcessingResult = "No records processed";

  constructor(
    readonly config: StreamMappingConfig,
    private readonly deps: StreamPollerDeps,
  ) {
    const factor = Math.max(1, Math.floor(config.parallelizationFactor || 1));
    this.lanes = Array.from({ length: factor }, () => ({ queue: [], busy: false }));
    this.windowLimit = Math.max(1000, 2 * config.batchSize * factor);
  }

  /** The checkpoint (last finished sequence number; null = none yet; undefined = not positioned). */
  get checkpoint(): string | null | undefined {
    return this.positioned ? (this.position ?? null) : undefined;
  }

  /**
   * Fixes the starting position now when the stream is there (so `LATEST` means "when the mapping
   * was created"), then polls in the background.
   */
  start(): void {
    const source = this.deps.streams();
    if (source && source.viewType(this.config.eventSourceArn) !== undefined) this.ensurePosition(source);
    this.loop = this.run().catch((e) => this.deps.host.note(`stream mapping ${this.config.uuid} stopped on an internal error: ${(e as Error)?.stack ?? e}`));
  }

  /** Stops polling; resolves once the reader and every lane have left (an invocation in flight is not waited for). */
  async stop(): Promise<void> {
    this.life.stop();
    this.subscription.end();
    await this.loop;
    await Promise.all([...this.inFlight]);
  }

  private ensurePosition(source: DynamoDbStreamSource): void {
    if (this.positioned) return;
    const { functionName, eventSourceArn, startingPosition } = this.config;
    const saved = this.deps.checkpoints.load(functionName, eventSourceArn);
    if (saved) {
      this.position = saved.after ?? undefined;
    } else {
      this.position = startingPosition === "LATEST" ? source.latestSequenceNumber(eventSourceArn) : undefined;
      // Persist the starting point at once: a restart must not re-evaluate LATEST and skip what came in between.
      this.deps.checkpoints.save(functionName, eventSourceArn, this.position);
    }
    this.readPosition = this.position;
    this.positioned = true;
  }

  private commit(sequenceNumber: string): void {
    if (this.life.stopped) return;
    this.position = sequenceNumber;
    this.deps.checkpoints.save(this.config.functionName, this.config.eventSourceArn, sequenceNumber);
  }

  private subscribe(source: DynamoDbStreamSource): void {
    this.subscription.follow(source, (stream) => stream.onAppend(this.config.eventSourceArn, () => this.waker.wake()));
  }

  private async run(): Promise<void> {
    const { host } = this.deps;
    const arn = this.config.eventSourceArn;
    while (!this.life.stopped) {
      const source = this.deps.streams();
      if (!source || source.viewType(arn) === undefined) {
        await this.waker.wait(host.pollIntervalMs);
        continue;
      }
      this.subscribe(source);
      this.ensurePosition(source);
      if (this.window.length >= this.windowLimit) {
        // Read far enough ahead: wait for lanes to finish (they wake the reader).
        await this.waker.wait(host.pollIntervalMs);
        continue;
      }
      let records: DynamoDbStreamRecord[];
      try {
        records = source.readRecords(arn, this.readPosition, this.config.batchSize);
      } catch (e) {
        host.note(`stream mapping ${this.config.uuid}: reading ${arn} failed: ${(e as Error).message}`);
        await this.waker.wait(host.pollIntervalMs);
        continue;
      }
      if (!records.length) {
        await this.waker.wait(host.pollIntervalMs);
        continue;
      }
      meterStreamRead(host.meter, arn, records);
      this.readPosition = seq(records[records.length - 1]);
      const shares = new Map<number, DynamoDbStreamRecord[]>();
      for (const record of records) {
        const entry: WindowEntry = { seq: seq(record), done: false };
        this.window.push(entry);
        this.windowBySeq.set(entry.seq, entry);
        // Records the filters drop are finished as they are read.
        if (!this.config.filter(record)) {
          entry.done = true;
          continue;
        }
        const lane = partitionLane(record.dynamodb.Keys ?? {}, this.lanes.length);
        const share = shares.get(lane) ?? [];
        share.push(record);
        shares.set(lane, share);
      }
      for (const [lane, batch] of shares) this.dispatch(this.lanes[lane], batch);
      this.advance();
    }
  }

  /** Queues a batch on its lane and starts the lane when it is idle. */
  private dispatch(lane: Lane, batch: DynamoDbStreamRecord[]): void {
    lane.queue.push(batch);
    this.pump(lane);
  }

  /** Processes the lane's next batch unless it is busy; continues with the one after when done. */
  private pump(lane: Lane): void {
    if (lane.busy || this.life.stopped || !lane.queue.length) return;
    lane.busy = true;
    const run: Promise<void> = this.process(lane.queue[0]).then(
      (finished) => {
        this.inFlight.delete(run);
        lane.busy = false;
        if (!finished) return;
        lane.queue.shift();
        this.pump(lane);
      },
      (e: unknown) => {
        // The lane's records stay unfinished: the checkpoint will not pass them.
        this.inFlight.delete(run);
        this.deps.host.note(`stream mapping ${this.config.uuid}: a lane stopped on an internal error: ${(e as Error)?.stack ?? e}`);
      },
    );
    this.inFlight.add(run);
  }

  /** Marks records finished in their lane, and moves the checkpoint past every finished record at the head of the window. */
  private finish(records: DynamoDbStreamRecord[]): void {
    if (this.life.stopped) return;
    for (const r of records) {
      const entry = this.windowBySeq.get(seq(r));
      if (entry) entry.done = true;
    }
    this.advance();
  }

  private advance(): void {
    const wasFull = this.window.length >= this.windowLimit;
    let passed: string | undefined;
    let n = 0;
    while (n < this.window.length && this.window[n].done) {
      passed = this.window[n].seq;
      this.windowBySeq.delete(passed);
      n++;
    }
    if (passed === undefined) return;
    this.window.splice(0, n);
    this.commit(passed);
    if (wasFull) this.waker.wake();
  }

  /** Processes one batch of a lane to the end (success or given up); false when stopped meanwhile. */
  private async process(batch: DynamoDbStreamRecord[]): Promise<boolean> {
    const { host } = this.deps;
    const c = this.config;
    const pending: Work[] = [{ records: batch, retries: 0, invokes: 0 }];
    let beforeInvocationFailures = 0;
    while (pending.length) {
      if (this.life.stopped) return false;
      const work = pending[0];
      const expired = this.expiredPrefix(work.records);
      if (expired > 0) {
        await this.giveUp(work, work.records.slice(0, expired), "RecordAgeExceeded");
        if (this.life.stopped) return false;
        this.finish(work.records.slice(0, expired));
        work.records = work.records.slice(expired);
        if (!work.records.length) {
          pending.shift();
          continue;
        }
      }
      const attempt = await this.invoke(work.records);
      if (attempt.kind === "stopped") return false;
      if (attempt.kind === "notInvoked") {
        beforeInvocationFailures++;
        this.lastProcessingResult = "PROBLEM: Function call failed";
        host.note(`stream mapping ${c.uuid}: could not invoke ${c.functionName} (${attempt.error.message}); retrying`);
        await this.life.sleep(Math.max(host.retryDelayMs(beforeInvocationFailures), host.pollIntervalMs));
        continue;
      }
      beforeInvocationFailures = 0;
      work.invokes++;
      work.last = attempt.result;
      if (attempt.kind === "success") {
        this.lastProcessingResult = "OK";
        this.finish(work.records);
        pending.shift();
        continue;
      }
      this.lastProcessingResult = "PROBLEM: Function call failed";
      if (attempt.kind === "partial") {
        if (attempt.firstFailed > 0) this.finish(work.records.slice(0, attempt.firstFailed));
        work.records = work.records.slice(attempt.firstFailed);
      } else if (c.bisectBatchOnFunctionError && work.records.length > 1) {
        const half = Math.ceil(work.records.length / 2);
        host.note(`stream mapping ${c.uuid}: ${c.functionName} failed on ${work.records.length} records (${attempt.reason}); bisecting`);
        pending.splice(0, 1, { ...work, records: work.records.slice(0, half) }, { ...work, records: work.records.slice(half) });
        continue;
      }
      if (c.maximumRetryAttempts !== -1 && work.retries >= c.maximumRetryAttempts) {
        await this.giveUp(work, work.records, "RetryAttemptsExhausted");
        if (this.life.stopped) return false;
        this.finish(work.records);
        pending.shift();
        continue;
      }
      work.retries++;
      const reason = attempt.kind === "partial" ? `${work.records.length} record(s) reported failed` : attempt.reason;
      const delay = host.retryDelayMs(work.retries);
      host.note(`stream mapping ${c.uuid}: ${c.functionName} failed (${reason}); retry ${work.retries} in ${delay} ms`);
      await this.life.sleep(delay);
    }
    return true;
  }

  /** How many records at the head of the batch are older than the mapping's maximum record age. */
  private expiredPrefix(records: DynamoDbStreamRecord[]): number {
    const maxAge = this.config.maximumRecordAgeInSeconds === -1 ? STREAM_RETENTION_SECONDS : this.config.maximumRecordAgeInSeconds;
    const now = Date.now();
    let n = 0;
    while (n < records.length && now - records[n].dynamodb.ApproximateCreationDateTime * 1000 > maxAge * 1000) n++;
    return n;
  }

  private async invoke(records: DynamoDbStreamRecord[]): Promise<Attempt> {
    let result: MappingInvokeResult | undefined;
    try {
      result = await this.life.race(this.deps.host.invoke(this.config.functionName, JSON.stringify({ Records: records })));
    } catch (e) {
      return { kind: "notInvoked", error: e as Error };
    }
    if (!result || this.life.stopped) return { kind: "stopped" };
    if (result.functionError) return { kind: "error", result, reason: errorSummary(result.payload) };
    if (!this.config.reportBatchItemFailures) return { kind: "success", result };
    const response = readBatchResponse(result.payload, records.map(seq));
    if (response.kind === "success") return { kind: "success", result };
    if (response.kind === "invalid") return { kind: "error", result, reason: `invalid partial batch response: ${response.reason}` };
    return { kind: "partial", result, firstFailed: response.failedIndexes[0] };
  }

  /** Lambda gives up on `records`: logs it and sends the on-failure record to the destination. */
  private async giveUp(work: Work, records: DynamoDbStreamRecord[], condition: Condition): Promise<void> {
    const { host } = this.deps;
    const c = this.config;
    const first = records[0];
    const last = records[records.length - 1];
    const record = {
      requestContext: {
        requestId: work.last?.requestId ?? crypto.randomUUID(),
        functionArn: host.functionArn(c.functionName),
        condition,
        approximateInvokeCount: work.invokes,
      },
      ...(work.last
        ? { responseContext: { statusCode: work.last.statusCode, executedVersion: "$LATEST", ...(work.last.functionError ? { functionError: work.last.functionError } : {}) } }
        : {}),
      version: "1.0",
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId: this.deps.streams()?.shardId(c.eventSourceArn) ?? localShardId(c.eventSourceArn),
        startSequenceNumber: seq(first),
        endSequenceNumber: seq(last),
        approximateArrivalOfFirstRecord: arrival(first.dynamodb.ApproximateCreationDateTime),
        approximateArrivalOfLastRecord: arrival(last.dynamodb.ApproximateCreationDateTime),
        batchSize: records.length,
        streamArn: c.eventSourceArn,
      },
    };
    const destination = c.onFailureDestination;
    host.note(
      `stream mapping ${c.uuid}: discarded ${records.length} record(s) ${seq(first)}..${seq(last)} of ${c.eventSourceArn} (${condition}, ${work.invokes} invocation(s))` +
        (destination ? `; sent to ${destination}` : ""),
    );
    if (!destination) return;
    const sink = this.deps.destinations();
    if (!sink) {
      host.note(`destination ${destination}: no local SQS; record dropped: ${JSON.stringify(record)}`);
      return;
    }
    try {
      await sink.sendMessage(destination, JSON.stringify(record));
    } catch (e) {
      // As on AWS, a record that cannot be delivered to the destination is lost.
      host.note(`destination ${destination} could not take the record (${(e as Error).message}); record dropped: ${JSON.stringify(record)}`);
    }
  }
}
