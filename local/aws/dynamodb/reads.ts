/**
 * GetItem, BatchGetItem, Query and Scan, answered by dynalite in this process, with the read units
 * each consumed (capacity.ts) charged to the cost meter and answered as ConsumedCapacity when the
 * request asks for it (usage.ts), in place of dynalite's own figure.
 *
 * What is read is what counts, not what is returned ("DynamoDB read and write operations",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html):
 * a projection does not make an item smaller, and a Query or Scan reads every item it evaluates,
 * those its filter drops too. When the answer does not show the items read, they are read again
 * without the projection and the filter (in this process, not counted).
 */
import type * as http from "http";
import type { DynamoDbItem } from "../types";
import { itemsReadUnits, readUnits } from "./capacity";
import { getItem, type DynaliteCaller } from "./dynaliteCall";
import { canonical, itemSize } from "./items";
import { parseObject, replyJson, type Reply } from "./protocol";
import { asksCapacity, jobIdsOf, settle, type Charge, type ChargeSink } from "../../usage/dynamodb";

export const ITEM_READS: ReadonlySet<string> = new Set(["GetItem", "BatchGetItem", "Query", "Scan"]);

export interface ReadContext {
  call: DynaliteCaller;
  /** Counts the capacity reads consume (the cost meter); absent = nothing counted. */
  charge?: ChargeSink;
}

export async function handleItemRead(operation: string, text: string, headers: http.IncomingHttpHeaders, ctx: ReadContext): Promise<Reply> {
  const reply = await ctx.call(operation, text, headers);
  const data = parseObject(text);
  if (reply.status !== 200 || !data || !(ctx.charge || asksCapacity(data))) return reply;
  let charges: Charge[];
  if (operation === "GetItem") charges = await getItemCharges(ctx, data, reply);
  else if (operation === "BatchGetItem") charges = await batchGetCharges(ctx, data, reply);
  else charges = await listCharges(ctx, operation, data, reply);
  return settle(reply, data, charges, ctx.charge, operation === "BatchGetItem");
}

const projects = (request: Record<string, unknown>) => request.ProjectionExpression !== undefined || request.AttributesToGet !== undefined;

/** GetItem: the whole item's size (a missing item: the minimum). */
async function getItemCharges(ctx: ReadContext, data: Record<string, unknown>, reply: Reply): Promise<Charge[]> {
  const table = String(data.TableName);
  let item = replyJson<{ Item?: DynamoDbItem }>(reply).Item;
  if (item && projects(data)) item = (await getItem(ctx.call, table, data.Key as DynamoDbItem)).item;
  return [{ table, read: readUnits(itemSize(item), data.ConsistentRead === true), jobIds: jobIdsOf(data.Key, item) }];
}

type KeysAndAttributes = { Keys?: DynamoDbItem[]; ConsistentRead?: boolean };

/** BatchGetItem: each key read as a GetItem of its own; the unprocessed keys were not read. */
async function batchGetCharges(ctx: ReadContext, data: Record<string, unknown>, reply: Reply): Promise<Charge[]> {
  const unprocessed = replyJson<{ UnprocessedKeys?: Record<string, KeysAndAttributes> }>(reply).UnprocessedKeys ?? {};
  const charges: Charge[] = [];
  for (const [table, request] of Object.entries((data.RequestItems ?? {}) as Record<string, KeysAndAttributes>)) {
    const skipped = new Set((unprocessed[table]?.Keys ?? []).map((key) => canonical(key)));
    for (const key of request.Keys ?? []) {
      if (skipped.has(canonical(key))) continue;
      const { item } = await getItem(ctx.call, table, key);
      charges.push({ table, read: readUnits(itemSize(item), request.ConsistentRead === true), jobIds: jobIdsOf(key, item) });
    }
  }
  return charges;
}

/** Query, Scan: the items evaluated, summed (on an index, its entries, charged to the index); not per job. */
async function listCharges(ctx: ReadContext, operation: string, data: Record<string, unknown>, reply: Reply): Promise<Charge[]> {
  const index = typeof data.IndexName === "string" ? data.IndexName : undefined;
  const items = showsItemsRead(data) ? replyJson<{ Items?: DynamoDbItem[] }>(reply).Items : await itemsEvaluated(ctx, operation, data);
  return [{ table: String(data.TableName), ...(index ? { index } : {}), read: itemsReadUnits(items ?? [], data.ConsistentRead === true) }];
}

/** Whether the answer's Items are the items read: no filter, no projection, not a count. */
function showsItemsRead(data: Record<string, unknown>): boolean {
  if (projects(data) || ["FilterExpression", "QueryFilter", "ScanFilter"].some((name) => data[name] !== undefined)) return false;
  return data.Select === undefined || data.Select === "ALL_ATTRIBUTES" || data.Select === "ALL_PROJECTED_ATTRIBUTES";
}

/** What decides which items a Query or Scan evaluates (Limit counts items evaluated, before the filter). */
const EVALUATION = ["TableName", "IndexName", "KeyConditionExpression", "KeyConditions", "ExclusiveStartKey", "Limit", "ConsistentRead", "ScanIndexForward", "Segment", "TotalSegments"];

/** The items a Query or Scan evaluated: the request again without its filter and projection. */
async function itemsEvaluated(ctx: ReadContext, operation: string, data: Record<string, unknown>): Promise<DynamoDbItem[]> {
  const request: Record<string, unknown> = Object.fromEntries(EVALUATION.filter((name) => data[name] !== undefined).map((name) => [name, data[name]]));
  // Only the placeholders the key condition uses: DynamoDB refuses unused ones.
  const used = new Set(String(data.KeyConditionExpression ?? "").match(/[#:][A-Za-z0-9_]+/g) ?? []);
  for (const member of ["ExpressionAttributeNames", "ExpressionAttributeValues"]) {
    const entries = Object.entries((data[member] ?? {}) as Record<string, unknown>).filter(([placeholder]) => used.has(placeholder));
    if (entries.length > 0) request[member] = Object.fromEntries(entries);
  }
  const reply = await ctx.call(operation, request);
  return reply.status === 200 ? (replyJson<{ Items?: DynamoDbItem[] }>(reply).Items ?? []) : [];
}
