/**
 * Local SQS: what the program's dead-letter queue needs, persisted under the state dir.
 *
 * Operations served over HTTP (./sqs.ts, one method each): CreateQueue, GetQueueUrl, ListQueues,
 * SendMessage, ReceiveMessage (visibility timeout, long polling), DeleteMessage,
 * GetQueueAttributes, SetQueueAttributes and PurgeQueue. Any other answers
 * `UnsupportedOperation` (JSON protocol) or `InvalidAction` (query protocol), never silently.
 * Documentation followed:
 * - https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_Operations.html
 *   (each operation's page, e.g. …/API_ReceiveMessage.html, …/API_SendMessage.html)
 * - https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html
 * - https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-making-api-requests-json.html
 *   (the JSON protocol, and how it differs from the query protocol)
 * - https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
 *
 * Serves the SQS JSON protocol (`POST /`, `X-Amz-Target: AmazonSQS.<Action>`, awsJson1_0), which
 * current AWS SDKs and CLIs speak, and the query protocol (form-encoded `Action=...`, XML
 * answers) that older CLIs such as Debian's aws-cli 2.9 still use (./http.ts). Queue URLs are
 * `<endpoint>/<account>/<name>`, so an SDK or `aws sqs --endpoint-url` can use them as they are.
 *
 * Resource policies are kept and evaluated for service principals (`allowsServiceSend`,
 * ./policy.ts): the local EventBridge asks before it dead-letters an event, as AWS does.
 *
 * A queue's `RedrivePolicy` (`{"deadLetterTargetArn", "maxReceiveCount"}`) is honoured as SQS does
 * it: a message already received `maxReceiveCount` times is moved to the dead-letter queue (same
 * message id, body, attributes and original send time) when a receive would hand it out again.
 *
 * The service is also a `QueueSource` for the local Lambda's SQS event source mappings
 * (`receive`, `deleteMessage`, `onMessage`), sharing the API's visibility and redrive rules
 * (./queues.ts).
 */
import * as http from "http";
import type { QueueSource, ReceivedQueueMessage, SqsService } from "../types";
import { close, listen } from "../protocols/listen";
import type { UsageMeter } from "../../usage/meter";
import { unavailable } from "./errors";
import { systemAttributes } from "./messages";
import { policyAllowsService } from "./policy";
import { DEFAULT_ATTRIBUTES, type StoredMessage } from "./queueStore";
import { Queues, queueNameOf } from "./queues";
import { sqsRequestListener } from "./http";
import { Sqs } from "./sqs";

export { SqsError } from "./errors";
export { md5OfMessageAttributes } from "./md5";
export { policyAllowsService } from "./policy";
export type { StoredMessage } from "./queueStore";
export { Sqs } from "./sqs";

export interface SqsServiceOptions {
  /** Queues and their messages are kept in `<dir>/queues.json`; absent = in memory. */
  dir?: string;
  /** @default 0 (a free port) */
  port?: number;
  log?: (line: string) => void;
  /** Counts the requests of the HTTP API (../../usage/sqs.ts). */
  meter?: UsageMeter;
}

export interface LocalSqsService extends SqsService, QueueSource {
  /** The messages of a queue (by URL, ARN or name), visible or not, oldest first. */
  messages(queue: string): StoredMessage[];
  /** The queue's `VisibilityTimeout` attribute in seconds (what an event source mapping hides received messages for). */
  visibilityTimeoutSeconds(queueUrlOrArn: string): number;
}

/** A message as the local Lambda's queue poller receives it. */
const asReceived = (m: StoredMessage): ReceivedQueueMessage => ({
  messageId: m.messageId,
  receiptHandle: m.receiptHandle!,
  body: m.body,
  attributes: systemAttributes(m),
  messageAttributes: { ...m.attributes },
  md5OfBody: m.md5OfBody,
});

/** The in-process face over the queues (what the monitor, EventBridge and Lambda use), and stop. */
function localService(queues: Queues, server: http.Server): LocalSqsService {
  return {
    endpoint: queues.endpoint,
    createQueue: (name, attributes) => queues.create(name, attributes),
    setQueuePolicy(ref, policy) {
      queues.setAttributes(queues.lookup(ref), { Policy: policy });
    },
    allowsServiceSend(ref, service, sourceArn) {
      const q = queues.lookup(ref);
      return policyAllowsService(q.attributes.Policy, service, "sqs:SendMessage", queues.arnOf(q.name), sourceArn);
    },
    async sendMessage(ref, body, attributes) {
      if (queues.stopped) throw unavailable();
      return { messageId: queues.send(queues.lookup(ref), body, attributes ?? {}).messageId };
    },
    messages(ref) {
      const q = queues.lookup(ref);
      queues.prune(q);
      return q.messages.map((m) => ({ ...m }));
    },
    visibilityTimeoutSeconds(ref) {
      const value = Number(queues.lookup(ref).attributes.VisibilityTimeout ?? DEFAULT_ATTRIBUTES.VisibilityTimeout);
      return Number.isFinite(value) && value >= 0 ? value : Number(DEFAULT_ATTRIBUTES.VisibilityTimeout);
    },
    // QueueSource: after stop() these neither hand out nor change anything (the state is flushed).
    receive(ref, max, visibilityTimeoutSeconds) {
      if (queues.stopped) return [];
      return queues.take(queues.lookup(ref), Math.max(1, Math.floor(max)), Math.max(0, visibilityTimeoutSeconds)).map(asReceived);
    },
    deleteMessage(ref, receiptHandle) {
      if (queues.stopped) return;
      queues.deleteByReceipt(queues.lookup(ref), receiptHandle);
    },
    onMessage: (ref, listener) => queues.arrivals.subscribe(queueNameOf(ref), listener),
    async stop() {
      if (queues.stopped) return;
      queues.stop();
      await close(server);
    },
  };
}

export async function startSqsService(options: SqsServiceOptions = {}): Promise<LocalSqsService> {
  const queues = new Queues(options.dir, (line) => options.log?.(`[sqs] ${line}`));
  const server = http.createServer(sqsRequestListener(new Sqs(queues), options.meter));
  queues.endpoint = (await listen(server, options.port ?? 0)).endpoint;
  queues.note(`SQS API on ${queues.endpoint}`);
  return localService(queues, server);
}
