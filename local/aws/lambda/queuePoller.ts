/**
 * The poller of one SQS event source mapping: receives up to `batchSize` messages (hidden for the
 * queue's own visibility timeout), invokes the function synchronously with Lambda's SQS event, and
 * deletes the messages when it succeeds. On a function error the messages are left alone: they
 * reappear after the visibility timeout and are received again (and the queue's redrive policy,
 * if any, eventually moves them to its dead-letter queue), as on AWS.
 *
 * - Filters (`filterPatterns`) are matched against the SQS record; a JSON body is matched as
 *   parsed JSON. As on AWS, a message that matches no pattern is deleted without an invocation.
 * - `ReportBatchItemFailures`: the messages whose `messageId` is reported stay on the queue, the
 *   others are deleted; an invalid answer fails the whole batch.
 * - Up to `maxConcurrentBatches` batches run at once (AWS starts with five pollers and scales up).
 * - The poller wakes on `onMessage` and otherwise looks every `pollIntervalMs` (messages that
 *   become visible again after a timeout are found by that look).
 *
 * Local simplifications: no batching window, no maximum concurrency setting, no backing off of
 * the pollers after errors; FIFO queues are not supported by the local SQS.
 *
 * Cost meter (./usage.ts): the receives that returned messages and the deletes are counted as the
 * SQS requests the mapping makes on AWS (ReceiveMessage, DeleteMessageBatch). Empty receives are
 * not: this poller looks every `pollIntervalMs` and on every send, where AWS's pollers long-poll
 * for 20 seconds, so the local count of empty receives says nothing about AWS's (and an idle
 * queue's polling belongs to no job anyway).
 */
import type { QueueSink, QueueSource, ReceivedQueueMessage } from "../types";
import { LOCAL_REGION } from "../types";
import { meterQueueDelete, meterQueueReceive } from "../../usage/lambda";
import { errorSummary, Lifecycle, readBatchResponse, SourceSubscription, Waker, type MappingInvokeResult, type PollerHost } from "./pollerSupport";

/** What an SQS mapping reads from: the local SQS (whose visibility timeout it honours when it can tell). */
export interface EventSourceQueue extends QueueSource, QueueSink {
  /** The queue's `VisibilityTimeout` (seconds); absent = SQS's default, 30. */
  visibilityTimeoutSeconds?(queueUrlOrArn: string): number;
}

/** An SQS mapping with its defaults applied. */
export interface QueueMappingConfig {
  uuid: string;
  eventSourceArn: string;
  functionName: string;
  batchSize: number;
  filter: (record: unknown) => boolean;
  reportBatchItemFailures: boolean;
  maxConcurrentBatches: number;
}

/** A message as Lambda puts it in `event.Records[]`. */
export interface SqsEventRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: Record<string, string>;
  messageAttributes: Record<string, { stringValue?: string; stringListValues: string[]; binaryListValues: string[]; dataType: string }>;
  md5OfBody: string;
  eventSource: "aws:sqs";
  eventSourceARN: string;
  awsRegion: string;
}

export function sqsEventRecord(m: ReceivedQueueMessage, queueArn: string): SqsEventRecord {
  return {
    messageId: m.messageId,
    receiptHandle: m.receiptHandle,
    body: m.body,
    attributes: { ...m.attributes },
    messageAttributes: Object.fromEntries(
      Object.entries(m.messageAttributes).map(([name, a]) => [
        name,
        { ...(a.StringValue !== undefined ? { stringValue: a.StringValue } : {}), stringListValues: [], binaryListValues: [], dataType: a.DataType },
      ]),
    ),
    md5OfBody: m.md5OfBody,
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: LOCAL_REGION,
  };
}

/** What filters see: the record, with a JSON body parsed (Lambda's rule for SQS bodies). */
function filterView(record: SqsEventRecord): unknown {
  try {
    const body = JSON.parse(record.body);
    if (body !== null && typeof body === "object") return { ...record, body };
  } catch {
    // a plain-text body is matched as the string it is
  }
  return record;
}

const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30;

export class QueuePoller {
  private readonly life = new Lifecycle();
  private readonly waker = new Waker(this.life);
  private readonly inFlight = new Set<Promise<void>>();
  private readonly subscription = new SourceSubscription<EventSourceQueue>();
  private loop?: Promise<void>;
  private lastError?: string;
  lastProcessingResult = "No records processed";

  constructor(
    readonly config: QueueMappingConfig,
    private readonly host: PollerHost,
    private readonly queues: () => EventSourceQueue | undefined,
  ) {}

  get inFlightBatches(): number {
    return this.inFlight.size;
  }

  start(): void {
    this.loop = this.run().catch((e) => this.host.note(`SQS mapping ${this.config.uuid} stopped on an internal error: ${(e as Error)?.stack ?? e}`));
  }

  /** Stops polling; running invocations are not waited for (their messages reappear after the visibility timeout). */
  async stop(): Promise<void> {
    this.life.stop();
    this.subscription.end();
    await this.loop;
    await Promise.all([...this.inFlight]);
  }

  private async run(): Promise<void> {
    const c = this.config;
    while (!this.life.stopped) {
      const source = this.queues();
      if (!source) {
        await this.waker.wait(this.host.pollIntervalMs);
        continue;
      }
      this.subscription.follow(source, (queue) => queue.onMessage(c.eventSourceArn, () => this.waker.wake()));
      if (this.inFlight.size >= c.maxConcurrentBatches) {
        await this.waker.wait(this.host.pollIntervalMs);
        continue;
      }
      let messages: ReceivedQueueMessage[];
      try {
        const visibility = source.visibilityTimeoutSeconds?.(c.eventSourceArn) ?? DEFAULT_VISIBILITY_TIMEOUT_SECONDS;
        messages = source.receive(c.eventSourceArn, c.batchSize, visibility);
        this.lastError = undefined;
      } catch (e) {
        const message = (e as Error).message;
        if (message !== this.lastError) this.host.note(`SQS mapping ${c.uuid}: receiving from ${c.eventSourceArn} failed: ${message}`);
        this.lastError = message;
        await this.waker.wait(this.host.pollIntervalMs);
        continue;
      }
      if (!messages.length) {
        await this.waker.wait(this.host.pollIntervalMs);
        continue;
      }
      meterQueueReceive(this.host.meter, c.eventSourceArn, messages);
      const records = messages.map((m) => sqsEventRecord(m, c.eventSourceArn));
      const kept = records.filter((r) => c.filter(filterView(r)));
      this.deleteAll(source, records.filter((r) => !kept.includes(r)));
      if (!kept.length) continue;
      const batch = this.runBatch(source, kept).finally(() => {
        this.inFlight.delete(batch);
        this.waker.wake();
      });
      this.inFlight.add(batch);
    }
  }

  /** Deletes the messages of these records (DeleteMessageBatch calls on AWS). */
  private deleteAll(source: EventSourceQueue, records: SqsEventRecord[]): void {
    const deleted = records.filter((record) => {
      try {
        source.deleteMessage(this.config.eventSourceArn, record.receiptHandle);
        return true;
      } catch (e) {
        this.host.note(`SQS mapping ${this.config.uuid}: deleting message ${record.messageId} failed: ${(e as Error).message}`);
        return false;
      }
    });
    meterQueueDelete(this.host.meter, this.config.eventSourceArn, deleted);
  }

  private async runBatch(source: EventSourceQueue, records: SqsEventRecord[]): Promise<void> {
    const c = this.config;
    let result: MappingInvokeResult | undefined;
    try {
      result = await this.life.race(this.host.invoke(c.functionName, JSON.stringify({ Records: records })));
    } catch (e) {
      this.lastProcessingResult = "PROBLEM: Function call failed";
      this.host.note(`SQS mapping ${c.uuid}: could not invoke ${c.functionName} (${(e as Error).message}); ${records.length} message(s) return after the visibility timeout`);
      return;
    }
    if (!result || this.life.stopped) return;
    if (result.functionError) {
      this.lastProcessingResult = "PROBLEM: Function call failed";
      this.host.note(`SQS mapping ${c.uuid}: ${c.functionName} failed (${errorSummary(result.payload)}); ${records.length} message(s) return after the visibility timeout`);
      return;
    }
    let done = records;
    if (c.reportBatchItemFailures) {
      const response = readBatchResponse(result.payload, records.map((r) => r.messageId));
      if (response.kind === "invalid") {
        this.lastProcessingResult = "PROBLEM: Function call failed";
        this.host.note(`SQS mapping ${c.uuid}: invalid partial batch response from ${c.functionName} (${response.reason}); the whole batch returns after the visibility timeout`);
        return;
      }
      if (response.kind === "partial") {
        const failed = new Set(response.failedIndexes);
        done = records.filter((_, i) => !failed.has(i));
        this.host.note(`SQS mapping ${c.uuid}: ${failed.size} of ${records.length} message(s) reported failed; they return after the visibility timeout`);
      }
    }
    this.lastProcessingResult = "OK";
    this.deleteAll(source, done);
  }
}
