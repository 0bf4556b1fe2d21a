/**
 * PutItem, UpdateItem, DeleteItem and BatchWriteItem, run by dynalite holding the locks of their
 * items (writeLock.ts). For a table with a stream, the items are read just before and just after
 * the write (no other write to them can come between), and the difference goes to the stream; a write that failed or
 * changed nothing leaves no record. Also `ReturnValuesOnConditionCheckFailure: ALL_OLD`, which
 * dynalite ignores: a failed conditional write then carries the item, as on AWS; and the item size
 * limit in UTF-8 bytes (itemSizeLimit.ts): a write that passes it is undone and refused. And the
 * write units each write consumed (capacity.ts, usage.ts), from the same images.
 */
import type * as http from "http";
import type { DynamoDbItem } from "../types";
import { getItem } from "./dynaliteCall";
import type { DynaliteCaller } from "./dynaliteCall";
import { itemTooLarge, mayUnderCount, oversized } from "./itemSizeLimit";
import { failedConditionUnits } from "./capacity";
import { keyOf } from "./items";
import { parseObject, replaceBody, replyErrorType, replyJson } from "./protocol";
import type { Reply } from "./protocol";
import type { StreamStore } from "./streams";
import type { TableCatalog } from "./tables";
import { asksCapacity, jobIdsOf, settle, writeCharges } from "../../usage/dynamodb";
import type { Charge, ChargeSink } from "../../usage/dynamodb";
import { itemLock, type WriteLock } from "./writeLock";

/** Header on the TTL sweep's own DeleteItem requests: their stream records name DynamoDB as the user, as on AWS. */
export const TTL_DELETE_HEADER = "x-async-api-ttl-delete";

export interface WriteContext {
  call: DynaliteCaller;
  catalog: TableCatalog;
  streams: StreamStore;
  lock: WriteLock;
  /** Counts the capacity writes consume (the cost meter); absent = nothing counted. */
  charge?: ChargeSink;
}

export type ItemWrite = "PutItem" | "UpdateItem" | "DeleteItem";

type Snapshot = { key: DynamoDbItem; before?: DynamoDbItem };

/** The item's key and its image before the write, when it could be read. */
async function snapshot(ctx: WriteContext, table: string, keySource: unknown): Promise<Snapshot | undefined> {
  const names = await ctx.catalog.keyNames(table);
  const key = names && keyOf(keySource as DynamoDbItem | undefined, names);
  if (!key) return undefined;
  const got = await getItem(ctx.call, table, key);
  return got.error ? undefined : { key, before: got.item };
}

/** Whether to work out the capacity a write consumes: a meter counts it, or the request asks for it. TTL deletes are free. */
function metered(ctx: WriteContext, data: Record<string, unknown> | undefined, headers: http.IncomingHttpHeaders): boolean {
  return headers[TTL_DELETE_HEADER] !== "1" && (ctx.charge !== undefined || asksCapacity(data));
}

/** The write units of one item's write, table and indexes. */
async function chargesOf(ctx: WriteContext, table: string, requestPart: unknown, before?: DynamoDbItem, after?: DynamoDbItem): Promise<Charge[]> {
  const schema = (await ctx.catalog.schema(table)) ?? { keyNames: [], indexes: [] };
  return writeCharges(table, schema, before, after, jobIdsOf(requestPart, after, before));
}

/** The lock names of a write's items, or undefined (the whole service) when one is not known. */
async function itemLocks(ctx: WriteContext, items: { table: unknown; keySource: unknown }[]): Promise<string[] | undefined> {
  const locks: string[] = [];
  for (const { table, keySource } of items) {
    const names = typeof table === "string" ? await ctx.catalog.keyNames(table) : undefined;
    const key = names && keyOf(keySource as DynamoDbItem | undefined, names);
    if (!key) return undefined;
    locks.push(itemLock(table as string, key));
  }
  return locks;
}

export async function handleItemWrite(operation: ItemWrite, text: string, headers: http.IncomingHttpHeaders, ctx: WriteContext): Promise<Reply> {
  const data = parseObject(text);
  const table = typeof data?.TableName === "string" ? data.TableName : undefined;
  const wantsOld = data?.ReturnValuesOnConditionCheckFailure === "ALL_OLD";
  const counted = metered(ctx, data, headers);
  const requestPart = operation === "PutItem" ? data?.Item : data?.Key;
  return ctx.lock.run(await itemLocks(ctx, [{ table, keySource: requestPart }]), async () => {
    const streamed = table !== undefined && ctx.streams.activeFor(table) !== undefined;
    const sized = operation !== "DeleteItem" && mayUnderCount(text);
    const snap = table && (streamed || wantsOld || sized || counted) ? await snapshot(ctx, table, requestPart) : undefined;
    const reply = await ctx.call(operation, text, headers);
    if (reply.status !== 200) {
      if (replyErrorType(reply) !== "ConditionalCheckFailedException") return reply;
      // A failed condition still consumes write capacity (capacity.ts).
      if (counted && table) ctx.charge?.([{ table, write: failedConditionUnits(snap?.before, operation === "PutItem" ? (data?.Item as DynamoDbItem) : undefined), jobIds: jobIdsOf(requestPart, snap?.before) }]);
      return wantsOld && snap?.before ? replaceBody(reply, { ...replyJson<Record<string, unknown>>(reply), Item: snap.before }) : reply;
    }
    if (!table || !snap || !(sized || streamed || counted)) return reply;
    const after = await getItem(ctx.call, table, snap.key);
    if (after.error) return reply;
    if (sized && oversized(after.item)) {
      const undo = snap.before ? await ctx.call("PutItem", { TableName: table, Item: snap.before }) : await ctx.call("DeleteItem", { TableName: table, Key: snap.key });
      if (undo.status !== 200) throw new Error(`could not undo an oversized write on ${table}: ${undo.body}`);
      return itemTooLarge();
    }
    if (streamed) ctx.streams.capture({ table, keys: snap.key, oldImage: snap.before, newImage: after.item, byTtl: headers[TTL_DELETE_HEADER] === "1" });
    return counted ? settle(reply, data, await chargesOf(ctx, table, requestPart, snap.before, after.item), ctx.charge, false) : reply;
  });
}

interface WriteRequest {
  PutRequest?: { Item?: unknown };
  DeleteRequest?: { Key?: unknown };
}

export async function handleBatchWrite(text: string, headers: http.IncomingHttpHeaders, ctx: WriteContext): Promise<Reply> {
  const data = parseObject(text);
  const requests = data?.RequestItems;
  const counted = metered(ctx, data, headers);
  const items =
    requests && typeof requests === "object"
      ? Object.entries(requests as Record<string, unknown>).flatMap(([table, list]) =>
          (Array.isArray(list) ? (list as (WriteRequest | undefined)[]) : []).map((request) => ({ table, keySource: request?.PutRequest?.Item ?? request?.DeleteRequest?.Key })),
        )
      : [];
  return ctx.lock.run(await itemLocks(ctx, items), async () => {
    const snaps: { table: string; part: unknown; snap: Snapshot }[] = [];
    if (requests && typeof requests === "object") {
      for (const [table, list] of Object.entries(requests as Record<string, unknown>)) {
        if (!(counted || ctx.streams.activeFor(table)) || !Array.isArray(list)) continue;
        for (const request of list as (WriteRequest | undefined)[]) {
          const part = request?.PutRequest?.Item ?? request?.DeleteRequest?.Key;
          const snap = await snapshot(ctx, table, part);
          if (snap) snaps.push({ table, part, snap });
        }
      }
    }
    const reply = await ctx.call("BatchWriteItem", text, headers);
    // dynalite applies a valid batch whole (its UnprocessedItems is always empty).
    if (reply.status !== 200) return reply;
    const charges: Charge[] = [];
    for (const { table, part, snap } of snaps) {
      const after = await getItem(ctx.call, table, snap.key);
      if (after.error) continue;
      if (ctx.streams.activeFor(table)) ctx.streams.capture({ table, keys: snap.key, oldImage: snap.before, newImage: after.item });
      // Each item as a PutItem or DeleteItem of its own.
      if (counted) charges.push(...(await chargesOf(ctx, table, part, snap.before, after.item)));
    }
    return counted ? settle(reply, data, charges, ctx.charge, true) : reply;
  });
}
