/**
 * The DynamoDB operations this layer answers itself, each a method (the others dynalite answers as
 * they came, and an operation neither serves is dynalite's `UnknownOperationException`):
 *
 * - item writes, under the write lock, with streams, the item size limit and capacity
 *   (writes.ts, transactions.ts): PutItem, UpdateItem, DeleteItem, BatchWriteItem,
 *   TransactWriteItems;
 * - item reads, for the capacity they consume (reads.ts): GetItem, BatchGetItem, Query, Scan;
 * - tables, with their streams (tables.ts): CreateTable, UpdateTable, DescribeTable, DeleteTable;
 * - the DynamoDB Streams API (streamsApi.ts): ListStreams, DescribeStream, GetShardIterator,
 *   GetRecords.
 */
import type * as http from "http";
import { operationOf } from "../protocols/awsJson";
import { countCharges, type Charge } from "../../usage/dynamodb";
import type { UsageMeter } from "../../usage/meter";
import type { DynaliteCaller } from "./dynaliteCall";
import { DYNAMODB_TARGET_PREFIX, type Reply } from "./protocol";
import { handleItemRead, ITEM_READS, type ReadContext } from "./reads";
import type { StreamStore } from "./streams";
import { STREAMS_TARGET_PREFIX, StreamsApi } from "./streamsApi";
import { handleTableOperation, TableCatalog } from "./tables";
import { TransactWriteItems } from "./transactions";
import { handleBatchWrite, handleItemWrite, TTL_DELETE_HEADER, type WriteContext } from "./writes";
import { WriteLock } from "./writeLock";

/** One operation: the request's JSON text and headers in, the complete answer out. */
export type OperationHandler = (text: string, headers: http.IncomingHttpHeaders) => Promise<Reply>;

export interface OperationsOptions {
  /** dynalite's handler, called in this process (dynaliteCall.ts). */
  call: DynaliteCaller;
  streams: StreamStore;
  /** The clock of transactions' idempotency tokens and of the Streams API. */
  now: () => number;
  meter?: UsageMeter;
}

const DYNAMODB_API = DYNAMODB_TARGET_PREFIX.slice(0, -1);

export class DynamoDbOperations {
  /** Key schemas and indexes of the tables, as the write path needs them. */
  readonly catalog: TableCatalog;
  private readonly streams: StreamStore;
  private readonly writes: WriteContext;
  private readonly reads: ReadContext;
  private readonly transactions: TransactWriteItems;
  private readonly streamsApi: StreamsApi;
  /** This layer's DynamoDB operations, by name. */
  private readonly byName: ReadonlyMap<string, OperationHandler>;

  constructor({ call, streams, now, meter }: OperationsOptions) {
    this.catalog = new TableCatalog(call);
    this.streams = streams;
    const charge = meter ? (charges: Charge[]) => countCharges(meter, charges) : undefined;
    this.writes = { call, catalog: this.catalog, streams, lock: new WriteLock(), charge };
    this.reads = { call, charge };
    this.transactions = new TransactWriteItems(this.writes, now);
    // GetRecords over HTTP; a Lambda trigger reads the stream in this process (DynamoDbStreamSource), which its poller counts.
    const countGetRecords = meter ? (table: string) => meter.count("dynamodb.streamReadRequests", 1, { source: `dynamodb:${table}` }) : undefined;
    this.streamsApi = new StreamsApi(streams, this.catalog, now, countGetRecords);
    this.byName = new Map<string, OperationHandler>([
      ["PutItem", (text, headers) => this.putItem(text, headers)],
      ["UpdateItem", (text, headers) => this.updateItem(text, headers)],
      ["DeleteItem", (text, headers) => this.deleteItem(text, headers)],
      ["BatchWriteItem", (text, headers) => this.batchWriteItem(text, headers)],
      ["TransactWriteItems", (text, headers) => this.transactWriteItems(text, headers)],
      ...[...ITEM_READS].map((read): [string, OperationHandler] => [read, (text, headers) => this.readItems(read, text, headers)]),
      ...["CreateTable", "UpdateTable", "DescribeTable", "DeleteTable"].map((op): [string, OperationHandler] => [op, (text, headers) => this.tableOperation(op, text, headers)]),
    ]);
  }

  /**
   * The handler of a request's `X-Amz-Target`, or undefined when dynalite answers it as it came.
   * The TTL sweep's own Scan is dynalite's alone: TTL deletes are free, so it is not counted.
   */
  handlerFor(target: string, headers: http.IncomingHttpHeaders): OperationHandler | undefined {
    if (target.startsWith(STREAMS_TARGET_PREFIX)) {
      const action = target.slice(STREAMS_TARGET_PREFIX.length);
      return (text) => this.streamsAction(action, text);
    }
    const operation = operationOf(target, DYNAMODB_API);
    if (operation === undefined || (ITEM_READS.has(operation) && headers[TTL_DELETE_HEADER] === "1")) return undefined;
    return this.byName.get(operation);
  }

  putItem(text: string, headers: http.IncomingHttpHeaders): Promise<Reply> {
    return handleItemWrite("PutItem", text, headers, this.writes);
  }

  updateItem(text: string, headers: http.IncomingHttpHeaders): Promise<Reply> {
    return handleItemWrite("UpdateItem", text, headers, this.writes);
  }

  deleteItem(text: string, headers: http.IncomingHttpHeaders): Promise<Reply> {
    return handleItemWrite("DeleteItem", text, headers, this.writes);
  }

  batchWriteItem(text: string, headers: http.IncomingHttpHeaders): Promise<Reply> {
    return handleBatchWrite(text, headers, this.writes);
  }

  transactWriteItems(text: string, headers: http.IncomingHttpHeaders): Promise<Reply> {
    return this.transactions.handle(text, headers);
  }

  /** GetItem, BatchGetItem, Query, Scan. */
  readItems(operation: string, text: string, headers: http.IncomingHttpHeaders): Promise<Reply> {
    return handleItemRead(operation, text, headers, this.reads);
  }

  /** CreateTable, UpdateTable, DescribeTable, DeleteTable. */
  tableOperation(operation: string, text: string, headers: http.IncomingHttpHeaders): Promise<Reply> {
    return handleTableOperation(operation, text, headers, { call: this.writes.call, catalog: this.catalog, streams: this.streams });
  }

  /** ListStreams, DescribeStream, GetShardIterator, GetRecords (any other: UnknownOperationException). */
  streamsAction(action: string, text: string): Promise<Reply> {
    return this.streamsApi.handle(action, text);
  }
}
