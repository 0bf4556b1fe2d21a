/**
 * What SQS does with one queue's messages, without the service around it: a new message checked
 * against the queue's limits, which visible messages a receive hands out (visibility timeout,
 * receipt handles, the redrive policy's `maxReceiveCount`), a received message as ReceiveMessage
 * answers it, and a queue's attributes as GetQueueAttributes does.
 * - https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
 * - https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
 */
import * as crypto from "crypto";
import type { QueueMessageAttribute } from "../types";
import { invalid, missingParameter } from "./errors";
import { md5, md5OfMessageAttributes } from "./md5";
import { DEFAULT_ATTRIBUTES, type Queue, type StoredMessage } from "./queueStore";

/** A new message for `q`, checked against its maximum size (not yet stored). */
export function newMessage(q: Queue, body: string, attributes: Record<string, QueueMessageAttribute>, delaySeconds: number | undefined): StoredMessage {
  if (typeof body !== "string" || body.length === 0) throw missingParameter("MessageBody");
  const max = Number(q.attributes.MaximumMessageSize ?? DEFAULT_ATTRIBUTES.MaximumMessageSize);
  if (Buffer.byteLength(body) > max) throw invalid(`One or more parameters are invalid. Reason: Message must be shorter than ${max} bytes.`);
  for (const [name, a] of Object.entries(attributes)) {
    if (!a || typeof a.DataType !== "string" || !/^(String|Number)(\..+)?$/.test(a.DataType)) throw invalid(`The message attribute '${name}' has an invalid message attribute type (only String and Number are supported locally).`);
  }
  const now = Date.now();
  const delay = delaySeconds ?? Number(q.attributes.DelaySeconds ?? 0);
  return { messageId: crypto.randomUUID(), body, md5OfBody: md5(body), attributes, sentAt: now, visibleAt: now + delay * 1000, receiveCount: 0 };
}

/** Drops the messages past the queue's retention period; whether any was. */
export function dropExpired(q: Queue, now: number): boolean {
  const retention = Number(q.attributes.MessageRetentionPeriod ?? DEFAULT_ATTRIBUTES.MessageRetentionPeriod) * 1000;
  const before = q.messages.length;
  q.messages = q.messages.filter((m) => now - m.sentAt < retention);
  return q.messages.length !== before;
}

/** A queue's redrive policy (`{"deadLetterTargetArn", "maxReceiveCount"}`), when it is one that can apply. */
export function redrivePolicyOf(q: Queue): { deadLetterQueueName: string; maxReceiveCount: number } | undefined {
  const text = q.attributes.RedrivePolicy;
  if (!text) return undefined;
  let policy: { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
  try {
    policy = JSON.parse(text);
  } catch {
    return undefined;
  }
  const maxReceiveCount = Number(policy.maxReceiveCount);
  if (typeof policy.deadLetterTargetArn !== "string" || !Number.isFinite(maxReceiveCount) || maxReceiveCount < 1) return undefined;
  return { deadLetterQueueName: policy.deadLetterTargetArn.split(":")[5] ?? "", maxReceiveCount };
}

/**
 * Picks up to `max` visible messages of `q` (oldest first) and hides each for `visibilitySeconds`
 * with a new receipt handle; a message already received `maxReceiveCount` times is set aside
 * (`moved`) for the dead-letter queue instead, and removed from `q`.
 */
export function pickVisible(q: Queue, max: number, visibilitySeconds: number, now: number, maxReceiveCount: number | undefined): { taken: StoredMessage[]; moved: StoredMessage[] } {
  const taken: StoredMessage[] = [];
  const moved: StoredMessage[] = [];
  for (const m of q.messages) {
    if (taken.length >= max) break;
    if (m.visibleAt > now) continue;
    if (maxReceiveCount !== undefined && m.receiveCount >= maxReceiveCount) {
      moved.push(m);
      continue;
    }
    m.receiveCount++;
    m.firstReceivedAt ??= now;
    m.visibleAt = now + visibilitySeconds * 1000;
    m.receiptHandle = Buffer.from(`${m.messageId}:${crypto.randomBytes(12).toString("hex")}`).toString("base64url");
    taken.push(m);
  }
  if (moved.length) {
    const ids = new Set(moved.map((m) => m.messageId));
    q.messages = q.messages.filter((m) => !ids.has(m.messageId));
  }
  return { taken, moved };
}

/** A message as it arrives on a dead-letter queue: same id, body, attributes and send time, never received. */
export const redriven = (m: StoredMessage, now: number): StoredMessage => ({ ...m, visibleAt: now, receiveCount: 0, firstReceivedAt: undefined, receiptHandle: undefined });

/** SQS's system attributes of a received message. */
export function systemAttributes(m: StoredMessage): Record<string, string> {
  return {
    SenderId: "AIDALOCAL",
    SentTimestamp: String(m.sentAt),
    ApproximateReceiveCount: String(m.receiveCount),
    ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt),
  };
}

/** A received message as ReceiveMessage answers it, with the system and message attributes asked for (`All`, names, `prefix.*`). */
export function receivedMessage(m: StoredMessage, wanted: string[], wantedAttributes: string[]): Record<string, unknown> {
  const system = systemAttributes(m);
  const attributes = wanted.includes("All") ? system : Object.fromEntries(Object.entries(system).filter(([k]) => wanted.includes(k)));
  const messageAttributes = wantedAttributes.some((n) => n === "All" || n === ".*")
    ? m.attributes
    : Object.fromEntries(Object.entries(m.attributes).filter(([k]) => wantedAttributes.some((n) => n === k || (n.endsWith(".*") && k.startsWith(n.slice(0, -1))))));
  const md5Attributes = md5OfMessageAttributes(messageAttributes);
  return {
    MessageId: m.messageId,
    ReceiptHandle: m.receiptHandle,
    MD5OfBody: m.md5OfBody,
    Body: m.body,
    ...(Object.keys(attributes).length ? { Attributes: attributes } : {}),
    ...(md5Attributes ? { MessageAttributes: messageAttributes, MD5OfMessageAttributes: md5Attributes } : {}),
  };
}

/** A queue's attributes (`names`, or `All`), with the computed ones: ARN, message counts, timestamps. */
export function queueAttributes(q: Queue, queueArn: string, names: string[], now: number): Record<string, string> {
  const all: Record<string, string> = {
    ...q.attributes,
    QueueArn: queueArn,
    ApproximateNumberOfMessages: String(q.messages.filter((m) => m.visibleAt <= now).length),
    ApproximateNumberOfMessagesNotVisible: String(q.messages.filter((m) => m.visibleAt > now && m.receiveCount > 0).length),
    ApproximateNumberOfMessagesDelayed: String(q.messages.filter((m) => m.visibleAt > now && m.receiveCount === 0).length),
    CreatedTimestamp: String(Math.floor(q.createdAt / 1000)),
    LastModifiedTimestamp: String(Math.floor(q.createdAt / 1000)),
  };
  if (names.includes("All")) return all;
  return Object.fromEntries(Object.entries(all).filter(([k]) => names.includes(k)));
}
