/**
 * The local SQS's queues and the rules they keep, shared by the HTTP API (./sqs.ts) and the
 * in-process faces (`QueueSink`, `QueueSource`): queue URLs and ARNs, retention, sending,
 * receiving with visibility timeouts and the redrive to a dead-letter queue, deleting by receipt
 * handle, and telling waiters that a message arrived.
 */
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "../types";
import type { QueueMessageAttribute } from "../types";
import { Arrivals } from "./arrivals";
import { invalid, invalidAttributeName, invalidReceiptHandle, missingParameter, nonExistent } from "./errors";
import { dropExpired, newMessage, pickVisible, redriven, redrivePolicyOf } from "./messages";
import { DEFAULT_ATTRIBUTES, QueueStore, SETTABLE_ATTRIBUTES, type Queue, type StoredMessage } from "./queueStore";

/** The queue name in a URL, ARN or name (without requiring the queue to exist). */
export function queueNameOf(ref: string): string {
  if (ref.startsWith("arn:")) return ref.split(":")[5] ?? "";
  if (/^https?:\/\//.test(ref)) return new URL(ref).pathname.split("/").filter(Boolean).pop() ?? "";
  return ref;
}

export class Queues {
  /** Where the HTTP API listens: queue URLs start with it. */
  endpoint = "";
  /** After stop(): long polls end, and the in-process faces neither hand out nor change anything. */
  stopped = false;
  readonly arrivals: Arrivals;
  private readonly store: QueueStore;

  constructor(
    dir: string | undefined,
    readonly note: (line: string) => void,
  ) {
    this.store = new QueueStore(dir);
    this.arrivals = new Arrivals(note);
  }

  /** The queue names, sorted. */
  names(): string[] {
    return [...this.store.queues.keys()].sort();
  }

  urlOf(name: string): string {
    return `${this.endpoint}/${LOCAL_ACCOUNT_ID}/${name}`;
  }

  arnOf(name: string): string {
    return `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${name}`;
  }

  /** A queue by URL (any host), ARN or name. */
  lookup(ref: unknown): Queue {
    if (typeof ref !== "string" || !ref) throw missingParameter("QueueUrl");
    const q = this.store.queues.get(queueNameOf(ref));
    if (!q) throw nonExistent(ref);
    return q;
  }

  /** Drops the messages past the queue's retention period. */
  prune(q: Queue, now = Date.now()): void {
    if (dropExpired(q, now)) this.save();
  }

  /** Creates a queue, or sets the given attributes on the one of that name. */
  create(name: string, attributes: Record<string, string> = {}): { url: string; arn: string } {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw invalid(`Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length: ${name}`);
    checkSettable(attributes);
    const existing = this.store.queues.get(name);
    if (existing) {
      Object.assign(existing.attributes, attributes);
    } else {
      this.store.queues.set(name, { name, createdAt: Date.now(), attributes: { ...DEFAULT_ATTRIBUTES, ...attributes }, messages: [] });
      this.note(`created queue ${name}`);
    }
    this.save();
    return { url: this.urlOf(name), arn: this.arnOf(name) };
  }

  setAttributes(q: Queue, attributes: Record<string, string>): void {
    checkSettable(attributes);
    Object.assign(q.attributes, attributes);
    this.save();
  }

  purge(q: Queue): void {
    q.messages = [];
    this.save();
  }

  send(q: Queue, body: string, attributes: Record<string, QueueMessageAttribute> = {}, delaySeconds?: number): StoredMessage {
    const message = newMessage(q, body, attributes, delaySeconds);
    q.messages.push(message);
    this.save();
    this.arrivals.arrived(q.name);
    return message;
  }

  /**
   * Hands out up to `max` visible messages (oldest first), hiding each for `visibilitySeconds` with
   * a new receipt handle; a message that already reached the redrive policy's `maxReceiveCount` is
   * moved to the dead-letter queue instead. Used by ReceiveMessage and by `QueueSource.receive`.
   */
  take(q: Queue, max: number, visibilitySeconds: number, now = Date.now()): StoredMessage[] {
    this.prune(q, now);
    const redrive = this.redriveOf(q);
    const { taken, moved } = pickVisible(q, max, visibilitySeconds, now, redrive?.maxReceiveCount);
    if (moved.length && redrive) {
      for (const m of moved) {
        redrive.target.messages.push(redriven(m, now));
        this.note(`message ${m.messageId} moved from ${q.name} to its dead-letter queue ${redrive.target.name} after ${m.receiveCount} receive(s)`);
      }
      this.arrivals.arrived(redrive.target.name);
    }
    if (taken.length || moved.length) this.save();
    return taken;
  }

  /** Deletes the message holding this receipt handle (a stale or unknown handle deletes nothing, as on SQS). */
  deleteByReceipt(q: Queue, receiptHandle: unknown): void {
    const i = q.messages.findIndex((m) => m.receiptHandle !== undefined && m.receiptHandle === receiptHandle);
    if (i < 0) {
      if (typeof receiptHandle !== "string" || !receiptHandle) throw invalidReceiptHandle();
      return; // AWS: deleting an already deleted message succeeds
    }
    q.messages.splice(i, 1);
    this.save();
  }

  /** Stops: long polls end, listeners are dropped, the state is written. */
  stop(): void {
    this.stopped = true;
    this.arrivals.wake();
    this.arrivals.clear();
    this.store.flush();
  }

  private save(): void {
    this.store.save();
  }

  /** A queue's redrive policy, when it names a dead-letter queue that exists (and is not itself). */
  private redriveOf(q: Queue): { target: Queue; maxReceiveCount: number } | undefined {
    const policy = redrivePolicyOf(q);
    if (!policy) return undefined;
    const target = this.store.queues.get(policy.deadLetterQueueName);
    if (!target || target === q) return undefined;
    return { target, maxReceiveCount: policy.maxReceiveCount };
  }
}

function checkSettable(attributes: Record<string, string>): void {
  for (const key of Object.keys(attributes)) if (!SETTABLE_ATTRIBUTES.has(key)) throw invalidAttributeName(key);
}
