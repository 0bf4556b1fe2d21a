/**
 * What the local SQS counts for the cost meter (local/usage), as Amazon SQS bills it
 * (https://aws.amazon.com/sqs/pricing/): "Every Amazon SQS action counts as a request", empty
 * receives included; "a single request can have from 1 to 10 messages, up to a maximum total
 * payload of 256 KB. Each 64 KB chunk of a payload is billed as 1 request".
 *
 * `sqs.requests` counts each action served over the HTTP API (either protocol), failed ones too
 * (the pricing page makes no exception for errors). The payload of a request is the messages it
 * carries: those sent (SendMessage) or received (ReceiveMessage), each its body plus its message
 * attributes' names, types and values (what counts towards a message's size, "Amazon SQS message
 * attributes", Amazon SQS Developer Guide). Sends the local cloud makes in process (EventBridge's
 * SQS targets and dead-letter queues, Lambda's destinations) are counted by their sender, and the
 * local Lambda's queue poller counts its own receives and deletes.
 *
 * Jobs: the `jobId`s in the message bodies (`jobIdsInJson`, which reads escaped JSON too).
 */
import type { UsageMeter } from "./meter";
import { jobIdsInJson } from "./jobIds";
import type { QueueMessageAttribute } from "../aws/types";

const CHUNK_BYTES = 64 * 1024;

/** Requests billed for one action carrying `payloadBytes`: one per 64 KB chunk, at least one. */
export function sqsRequestsFor(payloadBytes: number): number {
  return Math.max(1, Math.ceil(payloadBytes / CHUNK_BYTES));
}

/** A message's size as SQS counts it: the body and each attribute's name, data type and value (UTF-8 bytes). */
export function messagePayloadBytes(body: string | undefined, attributes: Record<string, QueueMessageAttribute> = {}): number {
  const bytes = (text: unknown) => (typeof text === "string" ? Buffer.byteLength(text) : 0);
  return bytes(body) + Object.entries(attributes).reduce((n, [name, a]) => n + bytes(name) + bytes(a?.DataType) + bytes(a?.StringValue), 0);
}

/** The queue name in a queue URL, ARN or name. */
export function queueNameOf(ref: unknown): string | undefined {
  if (typeof ref !== "string" || !ref) return undefined;
  if (ref.startsWith("arn:")) return ref.split(":")[5] || undefined;
  if (/^https?:\/\//.test(ref)) return new URL(ref).pathname.split("/").filter(Boolean).pop();
  return ref;
}

interface Message {
  body?: string;
  attributes?: Record<string, QueueMessageAttribute>;
}

/** The messages an action carries: sent (in the request) or received (in the result). */
function messagesOf(action: string, request: Record<string, any>, result: Record<string, any> | undefined): Message[] {
  switch (action) {
    case "SendMessage":
      return [{ body: request.MessageBody, attributes: request.MessageAttributes }];
    case "SendMessageBatch":
      return ((request.Entries ?? []) as Record<string, any>[]).map((e) => ({ body: e.MessageBody, attributes: e.MessageAttributes }));
    case "ReceiveMessage":
      return ((result?.Messages ?? []) as Record<string, any>[]).map((m) => ({ body: m.Body, attributes: m.MessageAttributes }));
    default:
      return [];
  }
}

/** Counts one SQS API action (`result` absent when it failed). */
export function meterSqsAction(meter: UsageMeter, action: string, request: Record<string, any>, result: Record<string, any> | undefined): void {
  const messages = messagesOf(action, request, result);
  const payload = messages.reduce((n, m) => n + messagePayloadBytes(m.body, m.attributes), 0);
  const queue = queueNameOf(request.QueueUrl ?? request.QueueName);
  const jobIds = [...new Set(messages.flatMap((m) => jobIdsInJson(m.body)))];
  meter.count("sqs.requests", sqsRequestsFor(payload), { jobIds, source: queue ? `sqs:${queue}` : "sqs" });
}

/** Counts a SendMessage the local cloud makes in process (an EventBridge target or dead-letter queue). */
export function meterSqsSend(meter: UsageMeter, queueUrlOrArn: string, body: string, attributes?: Record<string, QueueMessageAttribute>): void {
  meterSqsAction(meter, "SendMessage", { QueueUrl: queueUrlOrArn, MessageBody: body, MessageAttributes: attributes }, {});
}
