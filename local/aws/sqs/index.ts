/**
 * Local SQS: what the program's dead-letter queue needs, persisted under the state dir.
 *
 * Serves the SQS JSON protocol (`POST /`, `X-Amz-Target: AmazonSQS.<Action>`, awsJson1_0), which
 * current AWS SDKs and CLIs speak, and the query protocol (form-encoded `Action=...`, XML
 * answers) that older CLIs such as Debian's aws-cli 2.9 still use, for CreateQueue, GetQueueUrl,
 * ListQueues, SendMessage, ReceiveMessage (visibility timeout, long polling), DeleteMessage,
 * GetQueueAttributes, SetQueueAttributes and PurgeQueue. Queue URLs are
 * `<endpoint>/<account>/<name>`, so an SDK or `aws sqs --endpoint-url` can use them as they are.
 *
 * Resource policies are kept and evaluated for service principals (`allowsServiceSend`): the local
 * EventBridge asks before it dead-letters an event, as AWS does.
 *
 * A queue's `RedrivePolicy` (`{"deadLetterTargetArn", "maxReceiveCount"}`) is honoured as SQS does
 * it: a message already received `maxReceiveCount` times is moved to the dead-letter queue (same
 * message id, body, attributes and original send time) when a receive would hand it out again.
 *
 * The service is also a `QueueSource` for the local Lambda's SQS event source mappings
 * (`receive`, `deleteMessage`, `onMessage`), sharing the API's visibility and redrive rules.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "../types";
import type { QueueMessageAttribute, QueueSource, ReceivedQueueMessage, SqsService } from "../types";
import { close, listen } from "../protocols/listen";
import type { UsageMeter } from "../../usage/meter";
import { meterSqsAction } from "../../usage/sqs";

export interface SqsServiceOptions {
  /** Queues and their messages are kept in `<dir>/queues.json`; absent = in memory. */
  dir?: string;
  /** @default 0 (a free port) */
  port?: number;
  log?: (line: string) => void;
  /** Counts the requests of the HTTP API (./usage.ts). */
  meter?: UsageMeter;
}

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

interface Queue {
  name: string;
  createdAt: number;
  attributes: Record<string, string>;
  messages: StoredMessage[];
}

export interface LocalSqsService extends SqsService, QueueSource {
  /** The messages of a queue (by URL, ARN or name), visible or not, oldest first. */
  messages(queue: string): StoredMessage[];
  /** The queue's `VisibilityTimeout` attribute in seconds (what an event source mapping hides received messages for). */
  visibilityTimeoutSeconds(queueUrlOrArn: string): number;
}

export class SqsError extends Error {
  constructor(
    readonly code: string,
    /** The query protocol's code (`AWS.SimpleQueueService.NonExistentQueue`, ...). */
    readonly queryCode: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = code;
  }
}

const nonExistent = (q: string) => new SqsError("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", `The specified queue does not exist: ${q}`);
const invalid = (message: string) => new SqsError("InvalidParameterValue", "InvalidParameterValue", message);

const DEFAULT_ATTRIBUTES: Record<string, string> = {
  VisibilityTimeout: "30",
  MessageRetentionPeriod: "345600",
  MaximumMessageSize: "262144",
  DelaySeconds: "0",
  ReceiveMessageWaitTimeSeconds: "0",
};
const SETTABLE = new Set([
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

const md5 = (data: Buffer | string) => crypto.createHash("md5").update(data).digest("hex");

/** SQS's MD5 of message attributes (the SDKs and CLIs check it). */
export function md5OfMessageAttributes(attributes: Record<string, QueueMessageAttribute>): string | undefined {
  const names = Object.keys(attributes).sort();
  if (!names.length) return undefined;
  const parts: Buffer[] = [];
  const lengthPrefixed = (b: Buffer) => {
    const n = Buffer.alloc(4);
    n.writeUInt32BE(b.length);
    parts.push(n, b);
  };
  for (const name of names) {
    const a = attributes[name];
    lengthPrefixed(Buffer.from(name, "utf8"));
    lengthPrefixed(Buffer.from(a.DataType, "utf8"));
    parts.push(Buffer.from([1])); // string (and number) transport
    lengthPrefixed(Buffer.from(a.StringValue ?? "", "utf8"));
  }
  return md5(Buffer.concat(parts));
}

function wildcard(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
  return re.test(value);
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/**
 * Whether a resource policy lets a service principal perform `action` on `resourceArn` for a
 * request whose `aws:SourceArn` is `sourceArn` (an explicit Deny wins). Conditions it does not know
 * make a statement not apply.
 */
export function policyAllowsService(policyText: string | undefined, service: string, action: string, resourceArn: string, sourceArn: string): boolean {
  if (!policyText) return false;
  let policy: { Statement?: unknown };
  try {
    policy = JSON.parse(policyText);
  } catch {
    return false;
  }
  const context: Record<string, string> = { "aws:sourcearn": sourceArn, "aws:sourceaccount": LOCAL_ACCOUNT_ID };
  const applies = (s: Record<string, any>): boolean => {
    const principal = s.Principal;
    const principalOk = principal === "*" || (principal && (list(principal.Service).includes(service) || list(principal.AWS).includes("*")));
    if (!principalOk) return false;
    if (!list(s.Action).some((a) => typeof a === "string" && wildcard(a.toLowerCase(), action.toLowerCase()))) return false;
    if (!list(s.Resource).some((r) => typeof r === "string" && wildcard(r, resourceArn))) return false;
    for (const [operator, entries] of Object.entries<Record<string, unknown>>(s.Condition ?? {})) {
      for (const [key, expected] of Object.entries(entries)) {
        const actual = context[key.toLowerCase()];
        if (actual === undefined) return false;
        const values = list(expected).map(String);
        if (operator === "ArnEquals" || operator === "StringEquals") {
          if (!values.includes(actual)) return false;
        } else if (operator === "ArnLike" || operator === "StringLike") {
          if (!values.some((v) => wildcard(v, actual))) return false;
        } else return false;
      }
    }
    return true;
  };
  const statements = list(policy.Statement) as Record<string, any>[];
  if (statements.some((s) => s.Effect === "Deny" && applies(s))) return false;
  return statements.some((s) => s.Effect === "Allow" && applies(s));
}

function xmlEscape(text: string): string {
  return text.replace(/[&<>"'\r]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;", "\r": "&#xD;" })[c]!);
}

/** Renders a value as query-protocol XML elements. */
function toXml(value: unknown, name: string): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.map((v) => toXml(v, name)).join("");
  if (typeof value === "object") {
    return `<${name}>${Object.entries(value as Record<string, unknown>).map(([k, v]) => toXml(v, k)).join("")}</${name}>`;
  }
  return `<${name}>${xmlEscape(String(value))}</${name}>`;
}

/** `Prefix.1.Name=...&Prefix.1.Value=...` → entries (the query protocol's lists and maps). */
function queryList(params: URLSearchParams, prefix: string): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  for (const [key, value] of params) {
    const m = new RegExp(`^${prefix.replace(/\./g, "\\.")}\\.(\\d+)(?:\\.(.+))?$`).exec(key);
    if (!m) continue;
    const i = Number(m[1]) - 1;
    out[i] ??= new Map();
    out[i].set(m[2] ?? "", value);
  }
  return out.filter(Boolean);
}

/** A query-protocol request as the JSON protocol's body. */
function queryToJson(params: URLSearchParams): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const key of ["QueueName", "QueueUrl", "MessageBody", "ReceiptHandle", "QueueNamePrefix"]) if (params.has(key)) body[key] = params.get(key);
  for (const key of ["MaxNumberOfMessages", "VisibilityTimeout", "WaitTimeSeconds", "DelaySeconds"]) if (params.has(key)) body[key] = Number(params.get(key));
  const attributes = queryList(params, "Attribute");
  if (attributes.length) body.Attributes = Object.fromEntries(attributes.map((a) => [a.get("Name"), a.get("Value")]));
  const names = queryList(params, "AttributeName").map((a) => a.get(""));
  if (names.length) body.AttributeNames = names;
  const messageAttributeNames = queryList(params, "MessageAttributeName").map((a) => a.get(""));
  if (messageAttributeNames.length) body.MessageAttributeNames = messageAttributeNames;
  const messageAttributes = queryList(params, "MessageAttribute");
  if (messageAttributes.length) {
    body.MessageAttributes = Object.fromEntries(messageAttributes.map((a) => [a.get("Name"), { DataType: a.get("Value.DataType"), StringValue: a.get("Value.StringValue") }]));
  }
  return body;
}

/** The query protocol's XML shape of an action's JSON answer. */
function jsonToQueryResult(action: string, result: Record<string, any>): string {
  switch (action) {
    case "ListQueues":
      return toXml(result.QueueUrls ?? [], "QueueUrl");
    case "GetQueueAttributes":
      return Object.entries<string>(result.Attributes ?? {}).map(([Name, Value]) => toXml({ Name, Value }, "Attribute")).join("");
    case "ReceiveMessage":
      return (result.Messages ?? [])
        .map((m: Record<string, any>) =>
          toXml(
            {
              MessageId: m.MessageId,
              ReceiptHandle: m.ReceiptHandle,
              MD5OfBody: m.MD5OfBody,
              Body: m.Body,
              ...(m.MD5OfMessageAttributes ? { MD5OfMessageAttributes: m.MD5OfMessageAttributes } : {}),
              Attribute: Object.entries<string>(m.Attributes ?? {}).map(([Name, Value]) => ({ Name, Value })),
              MessageAttribute: Object.entries<QueueMessageAttribute>(m.MessageAttributes ?? {}).map(([Name, v]) => ({ Name, Value: { StringValue: v.StringValue, DataType: v.DataType } })),
            },
            "Message",
          ),
        )
        .join("");
    default:
      return Object.entries(result).map(([k, v]) => toXml(v, k)).join("");
  }
}

export async function startSqsService(options: SqsServiceOptions = {}): Promise<LocalSqsService> {
  const note = (line: string) => options.log?.(`[sqs] ${line}`);
  const file = options.dir ? path.join(options.dir, "queues.json") : undefined;
  const queues = new Map<string, Queue>();
  if (file) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (fs.existsSync(file)) {
      for (const q of JSON.parse(fs.readFileSync(file, "utf8")) as Queue[]) queues.set(q.name, q);
    }
  }
  let saving = false;
  let dirty = false;
  const save = () => {
    if (!file) return;
    dirty = true;
    if (saving) return;
    saving = true;
    // Writes are batched per turn and atomic (rename): a crash keeps the previous state whole.
    setImmediate(() => {
      saving = false;
      if (!dirty) return;
      dirty = false;
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify([...queues.values()]));
      fs.renameSync(tmp, file);
    });
  };
  const flush = () => {
    if (!file || !dirty) return;
    dirty = false;
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify([...queues.values()]));
    fs.renameSync(tmp, file);
  };

  let endpoint = "";
  const urlOf = (name: string) => `${endpoint}/${LOCAL_ACCOUNT_ID}/${name}`;
  const arnOf = (name: string) => `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${name}`;

  /** A queue by URL (any host), ARN or name. */
  function lookup(ref: unknown): Queue {
    if (typeof ref !== "string" || !ref) throw new SqsError("MissingParameter", "MissingParameter", "The request must contain the parameter QueueUrl.");
    const q = queues.get(nameOf(ref));
    if (!q) throw nonExistent(ref);
    return q;
  }

  function prune(q: Queue, now = Date.now()): void {
    const retention = Number(q.attributes.MessageRetentionPeriod ?? DEFAULT_ATTRIBUTES.MessageRetentionPeriod) * 1000;
    const before = q.messages.length;
    q.messages = q.messages.filter((m) => now - m.sentAt < retention);
    if (q.messages.length !== before) save();
  }

  function createQueue(name: string, attributes: Record<string, string> = {}): { url: string; arn: string } {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw invalid(`Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length: ${name}`);
    for (const key of Object.keys(attributes)) if (!SETTABLE.has(key)) throw new SqsError("InvalidAttributeName", "InvalidAttributeName", `Unknown Attribute ${key}.`);
    const existing = queues.get(name);
    if (existing) {
      Object.assign(existing.attributes, attributes);
    } else {
      queues.set(name, { name, createdAt: Date.now(), attributes: { ...DEFAULT_ATTRIBUTES, ...attributes }, messages: [] });
      note(`created queue ${name}`);
    }
    save();
    return { url: urlOf(name), arn: arnOf(name) };
  }

  function sendMessage(q: Queue, body: string, attributes: Record<string, QueueMessageAttribute> = {}, delaySeconds?: number): StoredMessage {
    if (typeof body !== "string" || body.length === 0) throw new SqsError("MissingParameter", "MissingParameter", "The request must contain the parameter MessageBody.");
    const max = Number(q.attributes.MaximumMessageSize ?? DEFAULT_ATTRIBUTES.MaximumMessageSize);
    if (Buffer.byteLength(body) > max) throw invalid(`One or more parameters are invalid. Reason: Message must be shorter than ${max} bytes.`);
    for (const [name, a] of Object.entries(attributes)) {
      if (!a || typeof a.DataType !== "string" || !/^(String|Number)(\..+)?$/.test(a.DataType)) throw invalid(`The message attribute '${name}' has an invalid message attribute type (only String and Number are supported locally).`);
    }
    const now = Date.now();
    const delay = delaySeconds ?? Number(q.attributes.DelaySeconds ?? 0);
    const message: StoredMessage = { messageId: crypto.randomUUID(), body, md5OfBody: md5(body), attributes, sentAt: now, visibleAt: now + delay * 1000, receiveCount: 0 };
    q.messages.push(message);
    save();
    notify(q);
    return message;
  }

  // Long polls wait for a send (or their time).
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  /** `onMessage` listeners by queue name (a queue may be subscribed to before it is created). */
  const listeners = new Map<string, Set<() => void>>();
  /** A message arrived on `q` (sent, or moved there by a redrive): wakes long polls and listeners. */
  function notify(q: Queue): void {
    wake();
    for (const listener of [...(listeners.get(q.name) ?? [])]) {
      try {
        listener();
      } catch (e) {
        note(`an onMessage listener of ${q.name} failed: ${(e as Error).message}`);
      }
    }
  }
  /** The queue name in a URL, ARN or name (without requiring the queue to exist). */
  function nameOf(ref: string): string {
    if (ref.startsWith("arn:")) return ref.split(":")[5] ?? "";
    if (/^https?:\/\//.test(ref)) return new URL(ref).pathname.split("/").filter(Boolean).pop() ?? "";
    return ref;
  }

  /** A queue's redrive policy, when it names a dead-letter queue that exists (and is not itself). */
  function redriveOf(q: Queue): { target: Queue; maxReceiveCount: number } | undefined {
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
    const target = queues.get(policy.deadLetterTargetArn.split(":")[5] ?? "");
    if (!target || target === q) return undefined;
    return { target, maxReceiveCount };
  }

  /**
   * Hands out up to `max` visible messages (oldest first), hiding each for `visibilitySeconds` with
   * a new receipt handle; a message that already reached the redrive policy's `maxReceiveCount` is
   * moved to the dead-letter queue instead. Used by ReceiveMessage and by `QueueSource.receive`.
   */
  function take(q: Queue, max: number, visibilitySeconds: number, now = Date.now()): StoredMessage[] {
    prune(q, now);
    const redrive = redriveOf(q);
    const taken: StoredMessage[] = [];
    const moved: StoredMessage[] = [];
    for (const m of q.messages) {
      if (taken.length >= max) break;
      if (m.visibleAt > now) continue;
      if (redrive && m.receiveCount >= redrive.maxReceiveCount) {
        moved.push(m);
        continue;
      }
      m.receiveCount++;
      m.firstReceivedAt ??= now;
      m.visibleAt = now + visibilitySeconds * 1000;
      m.receiptHandle = Buffer.from(`${m.messageId}:${crypto.randomBytes(12).toString("hex")}`).toString("base64url");
      taken.push(m);
    }
    if (moved.length && redrive) {
      const ids = new Set(moved.map((m) => m.messageId));
      q.messages = q.messages.filter((m) => !ids.has(m.messageId));
      for (const m of moved) {
        redrive.target.messages.push({ ...m, visibleAt: now, receiveCount: 0, firstReceivedAt: undefined, receiptHandle: undefined });
        note(`message ${m.messageId} moved from ${q.name} to its dead-letter queue ${redrive.target.name} after ${m.receiveCount} receive(s)`);
      }
      notify(redrive.target);
    }
    if (taken.length || moved.length) save();
    return taken;
  }

  /** SQS's system attributes of a received message. */
  function systemAttributes(m: StoredMessage): Record<string, string> {
    return {
      SenderId: "AIDALOCAL",
      SentTimestamp: String(m.sentAt),
      ApproximateReceiveCount: String(m.receiveCount),
      ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt),
    };
  }

  async function receive(q: Queue, body: Record<string, any>): Promise<Record<string, unknown>> {
    const max = body.MaxNumberOfMessages ?? 1;
    if (!Number.isInteger(max) || max < 1 || max > 10) throw invalid("Value for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.");
    const visibility = body.VisibilityTimeout ?? Number(q.attributes.VisibilityTimeout);
    const waitSeconds = Math.min(20, body.WaitTimeSeconds ?? Number(q.attributes.ReceiveMessageWaitTimeSeconds ?? 0));
    const until = Date.now() + waitSeconds * 1000;
    for (;;) {
      const now = Date.now();
      const ready = take(q, max, visibility, now);
      if (ready.length || now >= until || stopped) {
        const wanted = [...(body.MessageSystemAttributeNames ?? []), ...(body.AttributeNames ?? [])] as string[];
        const wantedAttributes = (body.MessageAttributeNames ?? []) as string[];
        const messages = ready.map((m) => {
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
        });
        return messages.length ? { Messages: messages } : {};
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(until - now, 200));
        waiters.add(done);
      });
    }
  }

  /** Deletes the message holding this receipt handle (a stale or unknown handle deletes nothing, as on SQS). */
  function deleteByReceipt(q: Queue, receiptHandle: unknown): void {
    const i = q.messages.findIndex((m) => m.receiptHandle !== undefined && m.receiptHandle === receiptHandle);
    if (i < 0) {
      if (typeof receiptHandle !== "string" || !receiptHandle) throw new SqsError("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", "The input receipt handle is invalid.");
      return; // AWS: deleting an already deleted message succeeds
    }
    q.messages.splice(i, 1);
    save();
  }

  function queueAttributes(q: Queue, names: string[] = ["All"]): Record<string, string> {
    prune(q);
    const now = Date.now();
    const all: Record<string, string> = {
      ...q.attributes,
      QueueArn: arnOf(q.name),
      ApproximateNumberOfMessages: String(q.messages.filter((m) => m.visibleAt <= now).length),
      ApproximateNumberOfMessagesNotVisible: String(q.messages.filter((m) => m.visibleAt > now && m.receiveCount > 0).length),
      ApproximateNumberOfMessagesDelayed: String(q.messages.filter((m) => m.visibleAt > now && m.receiveCount === 0).length),
      CreatedTimestamp: String(Math.floor(q.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(q.createdAt / 1000)),
    };
    if (names.includes("All")) return all;
    return Object.fromEntries(Object.entries(all).filter(([k]) => names.includes(k)));
  }

  const actions: Record<string, (body: Record<string, any>) => unknown> = {
    CreateQueue: (b) => ({ QueueUrl: createQueue(b.QueueName, b.Attributes ?? {}).url }),
    GetQueueUrl: (b) => ({ QueueUrl: urlOf(lookup(b.QueueName).name) }),
    ListQueues: (b) => ({ QueueUrls: [...queues.keys()].filter((n) => !b.QueueNamePrefix || n.startsWith(b.QueueNamePrefix)).sort().map(urlOf) }),
    SendMessage: (b) => {
      const m = sendMessage(lookup(b.QueueUrl), b.MessageBody, b.MessageAttributes ?? {}, b.DelaySeconds);
      const md5Attributes = md5OfMessageAttributes(m.attributes);
      return { MessageId: m.messageId, MD5OfMessageBody: m.md5OfBody, ...(md5Attributes ? { MD5OfMessageAttributes: md5Attributes } : {}) };
    },
    ReceiveMessage: (b) => receive(lookup(b.QueueUrl), b),
    DeleteMessage: (b) => {
      deleteByReceipt(lookup(b.QueueUrl), b.ReceiptHandle);
      return {};
    },
    GetQueueAttributes: (b) => ({ Attributes: queueAttributes(lookup(b.QueueUrl), b.AttributeNames) }),
    SetQueueAttributes: (b) => {
      const q = lookup(b.QueueUrl);
      for (const key of Object.keys(b.Attributes ?? {})) if (!SETTABLE.has(key)) throw new SqsError("InvalidAttributeName", "InvalidAttributeName", `Unknown Attribute ${key}.`);
      Object.assign(q.attributes, b.Attributes ?? {});
      save();
      return {};
    },
    PurgeQueue: (b) => {
      lookup(b.QueueUrl).messages = [];
      save();
      return {};
    },
  };

  /** Runs an action of the HTTP API, counting it for the meter whether it succeeds or fails. */
  async function runAction(action: string, body: Record<string, any>): Promise<Record<string, unknown>> {
    let result: Record<string, unknown> | undefined;
    try {
      result = (await actions[action](body)) as Record<string, unknown>;
      return result;
    } finally {
      if (options.meter) meterSqsAction(options.meter, action, body, result);
    }
  }

  let stopped = false;

  async function readBody(req: http.IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const requestId = crypto.randomUUID();
    const target = req.headers["x-amz-target"];
    const text = await readBody(req);
    const json = typeof target === "string";
    if (json) {
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        const out = JSON.stringify(body);
        res.writeHead(status, { "Content-Type": "application/x-amz-json-1.0", "Content-Length": String(Buffer.byteLength(out)), "x-amzn-RequestId": requestId, ...headers });
        res.end(out);
      };
      try {
        const m = /^AmazonSQS\.(\w+)$/.exec(target as string);
        if (!m || !Object.hasOwn(actions, m[1])) throw new SqsError("UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", `${target} is not supported by the local SQS`);
        let body: Record<string, any>;
        try {
          body = text.trim() ? JSON.parse(text) : {};
        } catch {
          throw new SqsError("InvalidParameterValue", "InvalidParameterValue", "The request body is not JSON");
        }
        send(200, await runAction(m[1], body));
      } catch (e) {
        const err = e instanceof SqsError ? e : new SqsError("InternalError", "InternalError", (e as Error).message, 500);
        send(err.statusCode, { __type: `com.amazonaws.sqs#${err.code}`, message: err.message }, { "x-amzn-query-error": `${err.queryCode};${err.statusCode >= 500 ? "Receiver" : "Sender"}` });
      }
      return;
    }
    // The query protocol.
    const params = new URLSearchParams(req.method === "GET" ? new URL(req.url ?? "/", "http://x").search : text);
    const action = params.get("Action") ?? "";
    const send = (status: number, xml: string) => {
      res.writeHead(status, { "Content-Type": "text/xml", "Content-Length": String(Buffer.byteLength(xml)), "x-amzn-RequestId": requestId });
      res.end(xml);
    };
    try {
      if (!Object.hasOwn(actions, action)) throw new SqsError("InvalidAction", "InvalidAction", `The action ${action} is not valid for this endpoint.`);
      const body = queryToJson(params);
      // A query request may address the queue by the URL it is posted to.
      if (!body.QueueUrl && /^\/\d{12}\/[^/]+$/.test(new URL(req.url ?? "/", "http://x").pathname)) body.QueueUrl = `http://x${new URL(req.url ?? "/", "http://x").pathname}`;
      const result = await runAction(action, body);
      send(
        200,
        `<?xml version="1.0"?><${action}Response xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><${action}Result>${jsonToQueryResult(action, result)}</${action}Result>` +
          `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
      );
    } catch (e) {
      const err = e instanceof SqsError ? e : new SqsError("InternalError", "InternalError", (e as Error).message, 500);
      send(
        err.statusCode,
        `<?xml version="1.0"?><ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>${err.statusCode >= 500 ? "Receiver" : "Sender"}</Type>` +
          `<Code>${xmlEscape(err.queryCode)}</Code><Message>${xmlEscape(err.message)}</Message><Detail/></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  endpoint = (await listen(server, options.port ?? 0)).endpoint;
  note(`SQS API on ${endpoint}`);

  return {
    endpoint,
    createQueue,
    setQueuePolicy(ref, policy) {
      lookup(ref).attributes.Policy = policy;
      save();
    },
    allowsServiceSend(ref, service, sourceArn) {
      const q = lookup(ref);
      return policyAllowsService(q.attributes.Policy, service, "sqs:SendMessage", arnOf(q.name), sourceArn);
    },
    async sendMessage(ref, body, attributes) {
      if (stopped) throw new SqsError("ServiceUnavailable", "ServiceUnavailable", "The local SQS is stopped", 503);
      return { messageId: sendMessage(lookup(ref), body, attributes ?? {}).messageId };
    },
    messages(ref) {
      const q = lookup(ref);
      prune(q);
      return q.messages.map((m) => ({ ...m }));
    },
    visibilityTimeoutSeconds(ref) {
      const value = Number(lookup(ref).attributes.VisibilityTimeout ?? DEFAULT_ATTRIBUTES.VisibilityTimeout);
      return Number.isFinite(value) && value >= 0 ? value : Number(DEFAULT_ATTRIBUTES.VisibilityTimeout);
    },
    // QueueSource: after stop() these neither hand out nor change anything (the state is flushed).
    receive(ref, max, visibilityTimeoutSeconds): ReceivedQueueMessage[] {
      if (stopped) return [];
      return take(lookup(ref), Math.max(1, Math.floor(max)), Math.max(0, visibilityTimeoutSeconds)).map((m) => ({
        messageId: m.messageId,
        receiptHandle: m.receiptHandle!,
        body: m.body,
        attributes: systemAttributes(m),
        messageAttributes: { ...m.attributes },
        md5OfBody: m.md5OfBody,
      }));
    },
    deleteMessage(ref, receiptHandle) {
      if (stopped) return;
      deleteByReceipt(lookup(ref), receiptHandle);
    },
    onMessage(ref, listener) {
      const name = nameOf(ref);
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      const entry = () => listener();
      set.add(entry);
      return () => {
        set!.delete(entry);
        if (!set!.size && listeners.get(name) === set) listeners.delete(name);
      };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      wake();
      listeners.clear();
      flush();
      await close(server);
    },
  };
}
