/**
 * dynalite in this process: its HTTP server (`inProcessDynalite`), and its request handler called
 * without HTTP, its answer collected as a `Reply` (`dynaliteCaller`). The write path calls it to
 * read items around a write and to apply a transaction op by op while it holds the write lock: a
 * call through the endpoint would re-enter the interceptor chain (and wait for the lock it holds).
 */
import type * as http from "http";
import { PassThrough } from "stream";
import type { DynamoDbItem } from "../types";
import type { Reply } from "./protocol";

interface DynaliteOptions {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}
// dynalite ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require("dynalite") as (options: DynaliteOptions) => http.Server;

/**
 * A dynalite server (LevelDB under `levelDir`, absent = in memory; tables ACTIVE at once) with no
 * request listener, and the handler taken from it: the caller puts its own listener in front.
 */
export function inProcessDynalite(levelDir: string | undefined): { server: http.Server; handler: http.RequestListener } {
  const server = dynalite({ path: levelDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const [handler] = server.listeners("request") as http.RequestListener[];
  server.removeAllListeners("request");
  return { server, handler };
}

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
