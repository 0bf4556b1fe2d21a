/**
 * PutItem, UpdateItem, DeleteItem and BatchWriteItem, run by dynalite under the service's write
 * lock. For a table with a stream, the items are read just before and just after the write (no
 * other write can come between), and the difference goes to the stream; a write that failed or
 * changed nothing leaves no record. Also `ReturnValuesOnConditionCheckFailure: ALL_OLD`, which
 * dynalite ignores: a failed conditional write then carries the item, as on AWS; and the item size
 * limit in UTF-8 bytes (itemSizeLimit.ts): a write that passes it is undone and refused.
 */
import type * as http from "http";
import type { DynamoDbItem } from "../types";
import { getItem } from "./dynaliteCall";
import type { DynaliteCaller } from "./dynaliteCall";
import { itemTooLarge, mayUnderCount, oversized } from "./itemSizeLimit";
import { keyOf } from "./items";
import { parseObject, replaceBody, replyErrorType, replyJson } from "./protocol";
import type { Reply } from "./protocol";
import type { StreamStore } from "./streams";
import type { TableCatalog } from "./tables";
import type { WriteLock } from "./writeLock";

/** Header on the TTL sweep's own DeleteItem requests: their stream records name DynamoDB as the user, as on AWS. */
export const TTL_DELETE_HEADER = "x-async-api-ttl-delete";

export interface WriteContext {
  call: DynaliteCaller;
  catalog: TableCatalog;
  streams: StreamStore;
  lock: WriteLock;
}

export type ItemWrite = "PutItem" | "UpdateItem" | "DeleteItem";

/** The item's key and its image before the write, when it could be read. */
async function snapshot(ctx: WriteContext, table: string, keySource: unknown): Promise<{ key: DynamoDbItem; before?: DynamoDbItem } | undefined> {
  const names = await ctx.catalog.keyNames(table);
  const key = names && keyOf(keySource as DynamoDbItem | undefined, names);
  if (!key) return undefined;
  const got = await getItem(ctx.call, table, key);
  return got.error ? undefined : { key, before: got.item };
}

async function captureAfter(ctx: WriteContext, table: string, snap: { key: DynamoDbItem; before?: DynamoDbItem }, byTtl = false): Promise<void> {
  const after = await getItem(ctx.call, table, snap.key);
  if (!after.error) ctx.streams.capture({ table, keys: snap.key, oldImage: snap.before, newImage: after.item, byTtl });
}

export function handleItemWrite(operation: ItemWrite, text: string, headers: http.IncomingHttpHeaders, ctx: WriteContext): Promise<Reply> {
  const data = parseObject(text);
  const table = typeof data?.TableName === "string" ? data.TableName : undefined;
  const wantsOld = data?.ReturnValuesOnConditionCheckFailure === "ALL_OLD";
  return ctx.lock.run(async () => {
    const streamed = table !== undefined && ctx.streams.activeFor(table) !== undefined;
    const sized = operation !== "DeleteItem" && mayUnderCount(text);
    const snap = table && (streamed || wantsOld || sized) ? await snapshot(ctx, table, operation === "PutItem" ? data?.Item : data?.Key) : undefined;
    const reply = await ctx.call(operation, text, headers);
    if (reply.status === 200 && sized && table && snap) {
      const after = await getItem(ctx.call, table, snap.key);
      if (!after.error && oversized(after.item)) {
        const undo = snap.before ? await ctx.call("PutItem", { TableName: table, Item: snap.before }) : await ctx.call("DeleteItem", { TableName: table, Key: snap.key });
        if (undo.status !== 200) throw new Error(`could not undo an oversized write on ${table}: ${undo.body}`);
        return itemTooLarge();
      }
    }
    if (reply.status === 200) {
      if (streamed && snap) await captureAfter(ctx, table, snap, headers[TTL_DELETE_HEADER] === "1");
      return reply;
    }
    if (wantsOld && snap?.before && replyErrorType(reply) === "ConditionalCheckFailedException") {
      return replaceBody(reply, { ...replyJson<Record<string, unknown>>(reply), Item: snap.before });
    }
    return reply;
  });
}

interface WriteRequest {
  PutRequest?: { Item?: unknown };
  DeleteRequest?: { Key?: unknown };
}

export function handleBatchWrite(text: string, headers: http.IncomingHttpHeaders, ctx: WriteContext): Promise<Reply> {
  const requests = parseObject(text)?.RequestItems;
  return ctx.lock.run(async () => {
    const snaps: { table: string; snap: { key: DynamoDbItem; before?: DynamoDbItem } }[] = [];
    if (requests && typeof requests === "object") {
      for (const [table, list] of Object.entries(requests as Record<string, unknown>)) {
        if (!ctx.streams.activeFor(table) || !Array.isArray(list)) continue;
        for (const request of list as (WriteRequest | undefined)[]) {
          const snap = await snapshot(ctx, table, request?.PutRequest?.Item ?? request?.DeleteRequest?.Key);
          if (snap) snaps.push({ table, snap });
        }
      }
    }
    const reply = await ctx.call("BatchWriteItem", text, headers);
    // dynalite applies a valid batch whole (its UnprocessedItems is always empty).
    if (reply.status === 200) for (const { table, snap } of snaps) await captureAfter(ctx, table, snap);
    return reply;
  });
}
