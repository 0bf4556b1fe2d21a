/**
 * DynamoDB's capacity arithmetic for on-demand tables: how many read and write request units a
 * request consumes, from the sizes of the items it reads or writes (items.ts's `itemSize`).
 *
 * - Reads, writes, conditional writes: "DynamoDB read and write operations",
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
 * - Transactions (two underlying reads or writes of every item, prepare and commit): "Amazon
 *   DynamoDB Transactions: How it works", "Capacity management for transactions",
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html
 * - Global secondary indexes (index entries read; index writes): "Using Global Secondary Indexes",
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations
 */
import type { DynamoDbItem } from "../types";
import { canonical, itemSize, sameItem } from "./items";

/** One write unit: a write of an item up to 1 KB. */
export const WRITE_UNIT_BYTES = 1024;
/** One read unit: a strongly consistent read of an item up to 4 KB (two eventually consistent ones). */
export const READ_UNIT_BYTES = 4 * 1024;
/** A transactional read or write: one to prepare, one to commit. */
export const TRANSACTION_FACTOR = 2;

/** Write units of writing `bytes` of item: one per 1 KB, rounded up, at least one. */
export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));
}

/**
 * Read units of reading `bytes` in one request: one per 4 KB, rounded up, at least one (a read of
 * an item that does not exist still consumes it), half of that eventually consistent.
 */
export function readUnits(bytes: number, consistent: boolean): number {
  return Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES)) * (consistent ? 1 : 0.5);
}

/** PutItem, UpdateItem, DeleteItem that wrote: the larger of the item before and after (a delete: the deleted item). */
export function itemWriteUnits(before: DynamoDbItem | undefined, after: DynamoDbItem | undefined): number {
  return writeUnits(Math.max(itemSize(before), itemSize(after)));
}

/**
 * A conditional write whose condition failed: for an existing item, by its size (or the new
 * item's, a PutItem's, when larger); when there is no item, one write unit.
 */
export function failedConditionUnits(existing: DynamoDbItem | undefined, written?: DynamoDbItem): number {
  return existing ? writeUnits(Math.max(itemSize(existing), itemSize(written))) : 1;
}

/** A global secondary index, as the table describes it. */
export interface IndexSchema {
  name: string;
  /** The index's key attributes (partition, then sort). */
  keyNames: string[];
  projection: "ALL" | "KEYS_ONLY" | "INCLUDE";
  nonKeyAttributes?: string[];
}

/**
 * The index entry of `item`: the table's keys, the index's keys and the projected attributes;
 * `undefined` when the item lacks an index key attribute (a sparse index has no entry for it).
 */
export function indexEntry(item: DynamoDbItem | undefined, tableKeyNames: string[], index: IndexSchema): DynamoDbItem | undefined {
  if (!item || index.keyNames.some((name) => item[name] === undefined)) return undefined;
  if (index.projection === "ALL") return item;
  const kept = new Set([...tableKeyNames, ...index.keyNames, ...(index.projection === "INCLUDE" ? (index.nonKeyAttributes ?? []) : [])]);
  return Object.fromEntries(Object.entries(item).filter(([name]) => kept.has(name)));
}

/**
 * Write units a table write consumes on one index ("Write capacity units" of the GSI page): an
 * entry put or deleted is one write of its size; an index key changed is two (delete the old
 * entry, put the new); only projected attributes changed is one; an entry unchanged or absent
 * before and after is none.
 */
export function indexWriteUnits(before: DynamoDbItem | undefined, after: DynamoDbItem | undefined, tableKeyNames: string[], index: IndexSchema): number {
  const old = indexEntry(before, tableKeyNames, index);
  const next = indexEntry(after, tableKeyNames, index);
  if (!old && !next) return 0;
  if (!old || !next) return writeUnits(itemSize(old ?? next));
  if (sameItem(old, next)) return 0;
  const moved = index.keyNames.some((name) => canonical(old[name]) !== canonical(next[name]));
  return moved ? writeUnits(itemSize(old)) + writeUnits(itemSize(next)) : writeUnits(Math.max(itemSize(old), itemSize(next)));
}

/** Query and Scan: the items read (before any filter), summed, then rounded up to 4 KB (a GSI: its entries, always eventually consistent). */
export function itemsReadUnits(items: readonly DynamoDbItem[], consistent: boolean): number {
  return readUnits(
    items.reduce((sum, item) => sum + itemSize(item), 0),
    consistent,
  );
}
