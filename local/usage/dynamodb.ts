/**
 * What a request consumed, as charges (capacity.ts works out the units), and the two places they
 * go: the cost meter (`dynamodb.readRequestUnits`, `dynamodb.writeRequestUnits`, per job) and the
 * `ConsumedCapacity` of the answer when the request asks for it (`ReturnConsumedCapacity`), so the
 * client is told exactly what was counted.
 */
import type { UsageMeter } from "./meter";
import { jobIdsInJson } from "./jobIds";
import type { DynamoDbItem } from "../aws/types";
import { failedConditionUnits, indexWriteUnits, itemWriteUnits, readUnits, TRANSACTION_FACTOR, type IndexSchema } from "../aws/dynamodb/capacity";
import { itemSize } from "../aws/dynamodb/items";
import { replaceBody, replyJson, type Reply } from "../aws/dynamodb/protocol";

/** Units one request consumed on one table (or one of its global secondary indexes). */
export interface Charge {
  table: string;
  /** A global secondary index of `table`; absent = the table itself. */
  index?: string;
  read?: number;
  write?: number;
  /** The jobs the units are for (none: not per job). */
  jobIds?: string[];
}

/** Where charges are counted (the meter, bound by the service); absent = nothing is counted. */
export type ChargeSink = (charges: Charge[]) => void;

/** A table's keys and global secondary indexes (TableCatalog.schema). */
export interface TableSchema {
  keyNames: string[];
  indexes: IndexSchema[];
}

/** Counts charges on the meter, each under `dynamodb:<table>` (index units under their table). */
export function countCharges(meter: UsageMeter, charges: readonly Charge[]): void {
  for (const charge of charges) {
    const options = { jobIds: charge.jobIds, source: `dynamodb:${charge.table}` };
    if (charge.read) meter.count("dynamodb.readRequestUnits", charge.read, options);
    if (charge.write) meter.count("dynamodb.writeRequestUnits", charge.write, options);
  }
}

/** Whether a request asks for its ConsumedCapacity. */
export function asksCapacity(data: Record<string, unknown> | undefined): boolean {
  return data?.ReturnConsumedCapacity === "TOTAL" || data?.ReturnConsumedCapacity === "INDEXES";
}

/**
 * A write that happened to one item: the table's units (× `factor`, 2 in a transaction) and each
 * global secondary index's that the write changed.
 */
export function writeCharges(table: string, schema: TableSchema, before: DynamoDbItem | undefined, after: DynamoDbItem | undefined, jobIds: string[], factor = 1): Charge[] {
  const charges: Charge[] = [{ table, write: factor * itemWriteUnits(before, after), jobIds }];
  for (const index of schema.indexes) {
    const units = indexWriteUnits(before, after, schema.keyNames, index);
    if (units > 0) charges.push({ table, index: index.name, write: units, jobIds });
  }
  return charges;
}

/** One item of a TransactWriteItems, as its charges need it. */
export interface TransactedItem {
  table: string;
  schema: TableSchema;
  /** The op's key, or a Put's item (for its jobs). */
  requestPart: unknown;
  /** A Put's item. */
  written?: DynamoDbItem;
  before?: DynamoDbItem;
  /** A ConditionCheck's item: as before. */
  after?: DynamoDbItem;
}

/**
 * A transaction that committed: every item's write units twice, to prepare and to commit (a
 * ConditionCheck's item too: TransactWriteItems reports it as a write), its indexes' once (they
 * are updated after the commit).
 */
export function committedCharges(items: readonly TransactedItem[]): Charge[] {
  return items.flatMap((i) => writeCharges(i.table, i.schema, i.before, i.after, jobIdsOf(i.requestPart, i.after, i.before), TRANSACTION_FACTOR));
}

/** A transaction cancelled by a failed condition: every item prepared, as a failed conditional write, and none committed. */
export function cancelledCharges(items: readonly TransactedItem[]): Charge[] {
  return items.map((i) => ({ table: i.table, write: failedConditionUnits(i.before, i.written), jobIds: jobIdsOf(i.requestPart, i.before) }));
}

/** A retry of a committed transaction (same ClientRequestToken): every item read, transactionally. */
export function replayCharges(items: readonly TransactedItem[]): Charge[] {
  return items.map((i) => ({ table: i.table, read: TRANSACTION_FACTOR * readUnits(itemSize(i.before), true), jobIds: jobIdsOf(i.requestPart, i.before) }));
}

/** The jobs of a request part (a key, an item) naming one; else of the first item image that does. */
export function jobIdsOf(requestPart: unknown, ...images: (DynamoDbItem | undefined)[]): string[] {
  for (const part of [requestPart, ...images]) {
    const ids = part === undefined ? [] : jobIdsInJson(JSON.stringify(part));
    if (ids.length > 0) return ids;
  }
  return [];
}

interface Units {
  CapacityUnits: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

/** ConsumedCapacity as DynamoDB answers it, one table's. */
export interface ConsumedCapacity extends Units {
  TableName: string;
  Table?: Units;
  GlobalSecondaryIndexes?: Record<string, Units>;
}

type Sum = { read: number; write: number };

const units = (sum: Sum): Units => ({
  CapacityUnits: sum.read + sum.write,
  ...(sum.read ? { ReadCapacityUnits: sum.read } : {}),
  ...(sum.write ? { WriteCapacityUnits: sum.write } : {}),
});

/** The charges as ConsumedCapacity, one entry per table in order of appearance (`INDEXES`: with the table's and each index's part). */
export function consumedCapacity(charges: readonly Charge[], mode: "TOTAL" | "INDEXES"): ConsumedCapacity[] {
  const tables = new Map<string, { total: Sum; table: Sum; indexes: Map<string, Sum> }>();
  for (const charge of charges) {
    let entry = tables.get(charge.table);
    if (!entry) tables.set(charge.table, (entry = { total: { read: 0, write: 0 }, table: { read: 0, write: 0 }, indexes: new Map() }));
    let part = entry.table;
    if (charge.index !== undefined) {
      part = entry.indexes.get(charge.index) ?? { read: 0, write: 0 };
      entry.indexes.set(charge.index, part);
    }
    for (const sum of [entry.total, part]) {
      sum.read += charge.read ?? 0;
      sum.write += charge.write ?? 0;
    }
  }
  return [...tables].map(([TableName, entry]) => ({
    TableName,
    ...units(entry.total),
    ...(mode === "INDEXES" ? { Table: units(entry.table) } : {}),
    ...(mode === "INDEXES" && entry.indexes.size > 0 ? { GlobalSecondaryIndexes: Object.fromEntries([...entry.indexes].map(([name, sum]) => [name, units(sum)])) } : {}),
  }));
}

/**
 * `reply` with the charges as its ConsumedCapacity when the request asked for it (replacing
 * dynalite's own figure): a list for the batch and transaction operations, else one object.
 */
export function withConsumedCapacity(reply: Reply, data: Record<string, unknown> | undefined, charges: readonly Charge[], list: boolean): Reply {
  if (reply.status !== 200 || !asksCapacity(data)) return reply;
  const consumed = consumedCapacity(charges, data!.ReturnConsumedCapacity as "TOTAL" | "INDEXES");
  if (!list && consumed.length === 0) return reply;
  return replaceBody(reply, { ...replyJson<Record<string, unknown>>(reply), ConsumedCapacity: list ? consumed : consumed[0] });
}

/** Charges them (when a meter counts) and answers them (when asked). */
export function settle(reply: Reply, data: Record<string, unknown> | undefined, charges: Charge[], sink: ChargeSink | undefined, list: boolean): Reply {
  sink?.(charges);
  return withConsumedCapacity(reply, data, charges, list);
}
