/**
 * The SQS API operations, one method each: a request's JSON input (the JSON protocol's body, or
 * the query protocol's parameters as ./queryShapes.ts reads them) in, the JSON protocol's answer
 * out. The protocols themselves are ./http.ts's.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_Operations.html
 */
import { invalid } from "./errors";
import { md5OfMessageAttributes } from "./md5";
import { queueAttributes, receivedMessage } from "./messages";
import type { Queues } from "./queues";

type Input = Record<string, any>;
type Output = Record<string, unknown>;

/** The operations the HTTP API serves; any other answers UnsupportedOperation (JSON) or InvalidAction (query). */
export const SQS_OPERATIONS = [
  "CreateQueue",
  "GetQueueUrl",
  "ListQueues",
  "SendMessage",
  "ReceiveMessage",
  "DeleteMessage",
  "GetQueueAttributes",
  "SetQueueAttributes",
  "PurgeQueue",
] as const;
export type SqsOperation = (typeof SQS_OPERATIONS)[number];

/** A long poll looks again at least this often (a send on any queue wakes it sooner). */
const POLL_MS = 200;

export class Sqs {
  constructor(private readonly queues: Queues) {}

  /** https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html */
  CreateQueue(input: Input): Output {
    return { QueueUrl: this.queues.create(input.QueueName, input.Attributes ?? {}).url };
  }

  /** https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueUrl.html */
  GetQueueUrl(input: Input): Output {
    return { QueueUrl: this.queues.urlOf(this.queues.lookup(input.QueueName).name) };
  }

  /** https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListQueues.html */
  ListQueues(input: Input): Output {
    return { QueueUrls: this.queues.names().filter((n) => !input.QueueNamePrefix || n.startsWith(input.QueueNamePrefix)).map((n) => this.queues.urlOf(n)) };
  }

  /** https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html */
  SendMessage(input: Input): Output {
    const m = this.queues.send(this.queues.lookup(input.QueueUrl), input.MessageBody, input.MessageAttributes ?? {}, input.DelaySeconds);
    const md5Attributes = md5OfMessageAttributes(m.attributes);
    return { MessageId: m.messageId, MD5OfMessageBody: m.md5OfBody, ...(md5Attributes ? { MD5OfMessageAttributes: md5Attributes } : {}) };
  }

  /**
   * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html:
   * waits up to `WaitTimeSeconds` (the queue's `ReceiveMessageWaitTimeSeconds`, at most 20) for a
   * message, ending early when the service stops.
   */
  async ReceiveMessage(input: Input): Promise<Output> {
    const q = this.queues.lookup(input.QueueUrl);
    const max = input.MaxNumberOfMessages ?? 1;
    if (!Number.isInteger(max) || max < 1 || max > 10) throw invalid("Value for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.");
    const visibility = input.VisibilityTimeout ?? Number(q.attributes.VisibilityTimeout);
    const waitSeconds = Math.min(20, input.WaitTimeSeconds ?? Number(q.attributes.ReceiveMessageWaitTimeSeconds ?? 0));
    const until = Date.now() + waitSeconds * 1000;
    for (;;) {
      const now = Date.now();
      const ready = this.queues.take(q, max, visibility, now);
      if (ready.length || now >= until || this.queues.stopped) {
        const wanted = [...(input.MessageSystemAttributeNames ?? []), ...(input.AttributeNames ?? [])] as string[];
        const messages = ready.map((m) => receivedMessage(m, wanted, (input.MessageAttributeNames ?? []) as string[]));
        return messages.length ? { Messages: messages } : {};
      }
      await this.queues.arrivals.wait(Math.min(until - now, POLL_MS));
    }
  }

  /** https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html */
  DeleteMessage(input: Input): Output {
    this.queues.deleteByReceipt(this.queues.lookup(input.QueueUrl), input.ReceiptHandle);
    return {};
  }

  /** https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html */
  GetQueueAttributes(input: Input): Output {
    const q = this.queues.lookup(input.QueueUrl);
    this.queues.prune(q);
    return { Attributes: queueAttributes(q, this.queues.arnOf(q.name), input.AttributeNames === undefined ? ["All"] : input.AttributeNames, Date.now()) };
  }

  /** https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html */
  SetQueueAttributes(input: Input): Output {
    this.queues.setAttributes(this.queues.lookup(input.QueueUrl), input.Attributes ?? {});
    return {};
  }

  /** https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_PurgeQueue.html */
  PurgeQueue(input: Input): Output {
    this.queues.purge(this.queues.lookup(input.QueueUrl));
    return {};
  }
}
