/**
 * The DynamoDB JSON protocol (awsJson1_0) as the local service answers it: replies built in
 * memory (so a handler can inspect dynalite's answer before the client sees it), errors in AWS's
 * shape, and request-body helpers.
 */
import * as http from "http";

/** A complete HTTP answer, not yet sent. */
export interface Reply {
  status: number;
  headers: Record<string, string | number>;
  body: string;
}

/** `X-Amz-Target`'s prefix of DynamoDB operations (the Streams API has its own, streamsApi.ts). */
export const DYNAMODB_TARGET_PREFIX = "DynamoDB_20120810.";

/** `__type` prefix of DynamoDB (and DynamoDB Streams) service errors. */
export const ERROR_PREFIX = "com.amazonaws.dynamodb.v20120810#";

function requestId(): string {
  return Math.random().toString(36).slice(2).padEnd(12, "0").toUpperCase();
}

export function jsonReply(status: number, body: unknown): Reply {
  const text = JSON.stringify(body);
  return {
    status,
    headers: { "Content-Type": "application/x-amz-json-1.0", "Content-Length": Buffer.byteLength(text), "x-amzn-RequestId": requestId() },
    body: text,
  };
}

/** An error as DynamoDB sends it; validation errors come from the Coral validator, as on AWS. */
export function errorReply(status: number, type: string, message: string, extra: Record<string, unknown> = {}): Reply {
  const prefix = type === "ValidationException" ? "com.amazon.coral.validate#" : type === "SerializationException" ? "com.amazon.coral.service#" : ERROR_PREFIX;
  return jsonReply(status, { __type: prefix + type, message, ...extra });
}

export function validationError(message: string): Reply {
  return errorReply(400, "ValidationException", message);
}

export function sendReply(res: http.ServerResponse, reply: Reply): void {
  if (res.headersSent || res.writableEnded) return;
  res.statusCode = reply.status;
  for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
  res.end(reply.body);
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  sendReply(res, jsonReply(status, body));
}

export function sendError(res: http.ServerResponse, status: number, type: string, message: string): void {
  sendReply(res, errorReply(status, type, message));
}

export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** The reply's JSON body (`{}` when it is not JSON). */
export function replyJson<T = Record<string, unknown>>(reply: Reply): T {
  try {
    return JSON.parse(reply.body) as T;
  } catch {
    return {} as T;
  }
}

/** The error name of a failed reply (`ConditionalCheckFailedException`, …), `""` for a success. */
export function replyErrorType(reply: Reply): string {
  if (reply.status === 200) return "";
  const type = replyJson<{ __type?: string }>(reply).__type ?? "";
  return type.slice(type.indexOf("#") + 1);
}

/** The message of a failed reply (dynalite and AWS spell it `message` or `Message`). */
export function replyMessage(reply: Reply): string {
  const body = replyJson<{ message?: string; Message?: string }>(reply);
  return body.message ?? body.Message ?? "";
}

/** A request body parsed as a JSON object, or `undefined` (the caller answers SerializationException). */
export function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text || "{}") as unknown;
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export const serializationError = (): Reply => jsonReply(400, { __type: "com.amazon.coral.service#SerializationException" });

/** `reply` with another JSON body (dropping dynalite's CRC32 and length, which no longer hold). */
export function replaceBody(reply: Reply, body: unknown): Reply {
  const text = JSON.stringify(body);
  const headers: Reply["headers"] = {};
  for (const [name, value] of Object.entries(reply.headers)) if (!/^(content-length|x-amz-crc32)$/i.test(name)) headers[name] = value;
  headers["Content-Length"] = Buffer.byteLength(text);
  return { status: reply.status, headers, body: text };
}
