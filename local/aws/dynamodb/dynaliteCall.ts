/**
 * Calls dynalite's request handler in this process, without HTTP, and collects its answer as a
 * `Reply`. The write path uses it to read items around a write and to apply a transaction op by op
 * while it holds the write lock: a call through the endpoint would re-enter the interceptor chain
 * (and wait for the lock it holds).
 */
import type * as http from "http";
import { PassThrough } from "stream";
import type { DynamoDbItem } from "../types";
import type { Reply } from "./protocol";

export type DynaliteCaller = (operation: string, body: string | object, headers?: http.IncomingHttpHeaders) => Promise<Reply>;

/** dynalite checks that a request looks signed (it never verifies the signature). */
const INTERNAL_HEADERS: http.IncomingHttpHeaders = {
  host: "127.0.0.1",
  "content-type": "application/x-amz-json-1.0",
  "x-amz-date": "20200101T000000Z",
  authorization: "AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
};

export function dynaliteCaller(handler: http.RequestListener): DynaliteCaller {
  return (operation, body, headers) =>
    new Promise<Reply>((resolve) => {
      const text = typeof body === "string" ? body : JSON.stringify(body);
      const req = new PassThrough() as PassThrough & Record<string, unknown>;
      Object.assign(req, {
        headers: { ...(headers ?? INTERNAL_HEADERS), "x-amz-target": `DynamoDB_20120810.${operation}`, "content-length": String(Buffer.byteLength(text)) },
        method: "POST",
        url: "/",
        httpVersion: "1.1",
      });
      const collected: Record<string, string | number> = {};
      // Just what dynalite's handler uses of a ServerResponse.
      const res = {
        statusCode: 200,
        contentType: undefined as string | undefined,
        setHeader(name: string, value: string | number) {
          collected[name] = value;
        },
        end(chunk?: string | Buffer) {
          resolve({ status: res.statusCode, headers: collected, body: chunk === undefined ? "" : chunk.toString() });
        },
      };
      handler(req as unknown as http.IncomingMessage, res as unknown as http.ServerResponse);
      req.end(text);
    });
}

/** GetItem (consistent) in this process: the item, `undefined` when absent, or the error reply. */
export async function getItem(call: DynaliteCaller, table: string, key: DynamoDbItem): Promise<{ item?: DynamoDbItem; error?: Reply }> {
  const reply = await call("GetItem", { TableName: table, Key: key, ConsistentRead: true });
  if (reply.status !== 200) return { error: reply };
  return { item: (JSON.parse(reply.body) as { Item?: DynamoDbItem }).Item };
}
