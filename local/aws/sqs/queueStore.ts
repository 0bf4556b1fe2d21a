/**
 * The local SQS's state: its queues and their messages, kept in `<dir>/queues.json` (or in
 * memory), and the queue attributes it knows with their defaults.
 */
import * as fs from "fs";
import * as path from "path";
import type { QueueMessageAttribute } from "../types";

/** A message as stored. */
export interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  attributes: Record<string, QueueMessageAttribute>;
  sentAt: number;
  /** Epoch ms before which the message is not delivered (delay or visibility timeout). */
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  receiptHandle?: string;
}

export interface Queue {
  name: string;
  createdAt: number;
  attributes: Record<string, string>;
  messages: StoredMessage[];
}

export const DEFAULT_ATTRIBUTES: Record<string, string> = {
  VisibilityTimeout: "30",
  MessageRetentionPeriod: "345600",
  MaximumMessageSize: "262144",
  DelaySeconds: "0",
  ReceiveMessageWaitTimeSeconds: "0",
};

/** The attributes CreateQueue and SetQueueAttributes accept. */
export const SETTABLE_ATTRIBUTES = new Set([
  "VisibilityTimeout",
  "MessageRetentionPeriod",
  "MaximumMessageSize",
  "DelaySeconds",
  "ReceiveMessageWaitTimeSeconds",
  "Policy",
  "RedrivePolicy",
  "RedriveAllowPolicy",
  "SqsManagedSseEnabled",
  "KmsMasterKeyId",
  "KmsDataKeyReusePeriodSeconds",
]);

/** The queues by name, loaded from `<dir>/queues.json` when it exists. */
export class QueueStore {
  readonly queues = new Map<string, Queue>();
  private readonly file: string | undefined;
  private saving = false;
  private dirty = false;

  constructor(dir?: string) {
    this.file = dir ? path.join(dir, "queues.json") : undefined;
    if (!this.file) return;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    if (fs.existsSync(this.file)) {
      for (const q of JSON.parse(fs.readFileSync(this.file, "utf8")) as Queue[]) this.queues.set(q.name, q);
    }
  }

  /** Marks the state changed. Writes are batched per turn and atomic (rename): a crash keeps the previous state whole. */
  save(): void {
    if (!this.file) return;
    this.dirty = true;
    if (this.saving) return;
    this.saving = true;
    setImmediate(() => {
      this.saving = false;
      if (!this.dirty) return;
      this.dirty = false;
      this.write(this.file!);
    });
  }

  /** Writes a pending change now (on stop). */
  flush(): void {
    if (!this.file || !this.dirty) return;
    this.dirty = false;
    this.write(this.file);
  }

  private write(file: string): void {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify([...this.queues.values()]));
    fs.renameSync(tmp, file);
  }
}
