// The local DynamoDB's cost meter: item sizes, request units (local/aws/dynamodb/capacity.ts), charges and
// ConsumedCapacity (local/usage/dynamodb.ts), then a real local DynamoDB counting real SDK calls.
//
// AWS pages the rules come from (named in each test's comment by their short name):
// - SIZES: "DynamoDB item sizes and formats",
//   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
// - RW: "DynamoDB read and write operations" (capacity unit consumption for reads, writes, conditional writes),
//   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
// - TX: "Amazon DynamoDB Transactions: How it works", "Capacity management for transactions",
//   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html
// - GSI: "Using Global Secondary Indexes", throughput considerations (reads and writes),
//   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations
// - STREAMS: DynamoDB on-demand pricing, "Change data capture": a GetRecords API call is a streams read request,
//   https://aws.amazon.com/dynamodb/pricing/on-demand/
// - TTL: "Time to Live (TTL)": expired items are deleted without consuming write throughput,
//   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html
import { expect } from "chai";
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from "@aws-sdk/client-dynamodb-streams";
import { jobsTableKeys } from "../../../lambdas/shared/store/listIndex";
import { startDynamoDbService, type LocalDynamoDbService } from "../../../local/aws/dynamodb";
import { failedConditionUnits, indexEntry, indexWriteUnits, itemsReadUnits, itemWriteUnits, readUnits, writeUnits, type IndexSchema } from "../../../local/aws/dynamodb/capacity";
import { itemSize } from "../../../local/aws/dynamodb/items";
import { committedCharges, consumedCapacity, countCharges, writeCharges, type TableSchema } from "../../../local/usage/dynamodb";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../../local/aws/types";
import type { DynamoDbItem } from "../../../local/aws/types";
import { UsageMeter } from "../../../local/usage/meter";
import { rejection } from "../storage/support";

const JOB_A = "11111111-2222-4333-8444-555555555555";
const JOB_B = "66666666-7777-4888-9999-aaaaaaaaaaaa";
const JOB_C = "cccccccc-2222-4333-8444-555555555555";
const JOB_D = "dddddddd-7777-4888-9999-aaaaaaaaaaaa";
const KB = 1024;

/** An item as the SDK types it. */
const av = (item: DynamoDbItem) => item as unknown as Record<string, AttributeValue>;

/** An item of exactly `bytes` bytes: `pk` plus a string attribute `d` (name 1 byte). */
function sized(pk: string, bytes: number): DynamoDbItem {
  return { pk: { S: pk }, d: { S: "x".repeat(bytes - 2 - Buffer.byteLength(pk) - 1) } };
}

describe("DynamoDB usage: item sizes (SIZES)", () => {
  it("counts names and strings in UTF-8 bytes", () => {
    expect(itemSize({ name: { S: "abc" } })).to.equal(4 + 3);
    expect(itemSize({ n: { S: "€" } })).to.equal(1 + 3);
    expect(itemSize({ "é": { BOOL: true } })).to.equal(2 + 1);
  });

  it("counts a number 1 byte per two significant digits plus 1, leading and trailing zeroes trimmed", () => {
    expect(itemSize({ n: { N: "123" } })).to.equal(1 + 2 + 1);
    expect(itemSize({ n: { N: "100" } })).to.equal(1 + 1 + 1);
    expect(itemSize({ n: { N: "0.0012" } })).to.equal(1 + 1 + 1);
    expect(itemSize({ n: { N: "-12345.6" } })).to.equal(1 + 3 + 1);
    expect(itemSize({ n: { N: "0" } })).to.equal(1 + 1);
  });

  it("counts binary by its raw bytes, null and Boolean 1 byte", () => {
    expect(itemSize({ b: { B: Buffer.from("hello").toString("base64") } })).to.equal(1 + 5);
    expect(itemSize({ z: { NULL: true }, t: { BOOL: false } })).to.equal(1 + 1 + 1 + 1);
  });

  it("counts a list or map 3 bytes plus 1 per element plus its elements", () => {
    expect(itemSize({ l: { L: [] } })).to.equal(1 + 3);
    expect(itemSize({ l: { L: [{ S: "a" }, { N: "1" }] } })).to.equal(1 + 3 + (1 + 1) + (1 + 2));
    expect(itemSize({ m: { M: { a: { S: "x" } } } })).to.equal(1 + 3 + (1 + 1 + 1));
  });
});

describe("DynamoDB usage: request units (RW, TX, GSI)", () => {
  it("writes: 1 KB a unit rounded up, at least one; PutItem/UpdateItem the larger of before and after (RW)", () => {
    expect(writeUnits(500)).to.equal(1);
    expect(writeUnits(0)).to.equal(1);
    // "if you put or delete an item of 1.6 KB, DynamoDB rounds the item size up to 2 KB"
    expect(writeUnits(1.6 * KB)).to.equal(2);
    // BatchWriteItem: "a 500-byte item and a 3.5 KB item … 5 KB (1 KB + 4 KB), not 4 KB"
    expect(writeUnits(500) + writeUnits(3.5 * KB)).to.equal(5);
    expect(itemWriteUnits(sized("a", 3000), sized("a", 500))).to.equal(3);
    // DeleteItem: the deleted item's size; a missing item still the minimum.
    expect(itemWriteUnits(sized("a", 2100), undefined)).to.equal(3);
    expect(itemWriteUnits(undefined, undefined)).to.equal(1);
  });

  it("a failed conditional write consumes: by the existing item's size, one unit when there is none (RW)", () => {
    expect(failedConditionUnits(sized("a", KB))).to.equal(1);
    expect(failedConditionUnits(sized("a", 2 * KB))).to.equal(2);
    expect(failedConditionUnits(undefined, sized("a", 3 * KB))).to.equal(1);
  });

  it("reads: 4 KB a unit rounded up, half eventually consistent, a missing item the minimum (RW)", () => {
    // "reading a 3,500-byte item consumes the same throughput as reading a 4 KB item"
    expect(readUnits(3500, true)).to.equal(1);
    // "if your item size is 8 KB, you require 2 read units … 1 … eventually consistent … 4 … transactional"
    expect(readUnits(8 * KB, true)).to.equal(2);
    expect(readUnits(8 * KB, false)).to.equal(1);
    expect(2 * readUnits(8 * KB, true)).to.equal(4);
    // GetItem: "If you read an item of 10 KB, DynamoDB rounds the item size to 12 KB."
    expect(readUnits(10 * KB, true)).to.equal(3);
    expect(readUnits(0, true)).to.equal(1);
    expect(readUnits(0, false)).to.equal(0.5);
    // BatchGetItem: "a 1.5 KB item and a 6.5 KB item … 12 KB (4 KB + 8 KB), not 8 KB"
    expect(readUnits(1.5 * KB, true) + readUnits(6.5 * KB, true)).to.equal(3);
  });

  it("Query/Scan: the items read summed, then rounded up to 4 KB (RW, GSI)", () => {
    // "your query returns 10 items whose combined size is 40.8 KB. DynamoDB rounds … to 44 KB"
    const tenItems = Array.from({ length: 10 }, (_, i) => sized(`q${i}`, 4178));
    expect(tenItems.reduce((n, item) => n + itemSize(item), 0) / KB).to.be.closeTo(40.8, 0.01);
    expect(itemsReadUnits(tenItems, true)).to.equal(11);
    // "If a query returns 1500 items of 64 bytes each, the cumulative size is 96 KB."
    expect(itemsReadUnits(Array.from({ length: 1500 }, (_, i) => sized(String(i), 64)), true)).to.equal(24);
    // GSI: "8 items" of 2000 bytes "… 0.5 × (16 KB / 4 KB), or 2 read capacity units"
    expect(itemsReadUnits(Array.from({ length: 8 }, (_, i) => sized(`g${i}`, 2000)), false)).to.equal(2);
    // An empty result still costs the minimum.
    expect(itemsReadUnits([], false)).to.equal(0.5);
  });

  it("a committed transaction doubles each item's units: three 500-byte items, 6 units (TX)", () => {
    const schema: TableSchema = { keyNames: ["pk"], indexes: [] };
    const items = ["a", "b", "c"].map((pk) => ({ table: "t", schema, requestPart: {}, written: sized(pk, 500), after: sized(pk, 500) }));
    expect(committedCharges(items).reduce((n, c) => n + (c.write ?? 0), 0)).to.equal(6);
  });

  describe("a global secondary index's writes (GSI)", () => {
    const index: IndexSchema = { name: "byOwner", keyNames: ["owner", "createdAt"], projection: "INCLUDE", nonKeyAttributes: ["status"] };
    const tableKeys = ["pk"];
    const job = (extra: DynamoDbItem = {}): DynamoDbItem => ({ pk: { S: "j" }, owner: { S: "al" }, createdAt: { S: "1" }, status: { S: "Q" }, input: { S: "i".repeat(3000) }, ...extra });

    it("an entry holds the table's keys, the index's keys and the projected attributes; none without an index key", () => {
      expect(indexEntry(job(), tableKeys, index)).to.deep.equal({ pk: { S: "j" }, owner: { S: "al" }, createdAt: { S: "1" }, status: { S: "Q" } });
      expect(indexEntry({ pk: { S: "idem" } }, tableKeys, index)).to.equal(undefined);
    });

    it("put or delete an entry: one write of its size; change its key: two; change a projected attribute: one; else none", () => {
      const sparse = { pk: { S: "j" } };
      expect(indexWriteUnits(undefined, job(), tableKeys, index)).to.equal(1);
      expect(indexWriteUnits(job(), sparse, tableKeys, index)).to.equal(1);
      expect(indexWriteUnits(job(), job({ createdAt: { S: "2" } }), tableKeys, index)).to.equal(2);
      expect(indexWriteUnits(job(), job({ status: { S: "DONE" } }), tableKeys, index)).to.equal(1);
      expect(indexWriteUnits(job(), job({ input: { S: "other" } }), tableKeys, index)).to.equal(0);
      expect(indexWriteUnits(sparse, sparse, tableKeys, index)).to.equal(0);
      // An entry over 1 KB takes more units.
      expect(indexWriteUnits(undefined, job({ status: { S: "s".repeat(2000) } }), tableKeys, index)).to.equal(2);
    });

    it("a table write's charges: the table's units and the index's, under the same table", () => {
      const charges = writeCharges("jobs", { keyNames: tableKeys, indexes: [index] }, undefined, job(), [JOB_A]);
      expect(itemSize(job())).to.equal(3032);
      expect(charges).to.deep.equal([
        { table: "jobs", write: 3, jobIds: [JOB_A] },
        { table: "jobs", index: "byOwner", write: 1, jobIds: [JOB_A] },
      ]);
    });
  });

  it("answers charges as ConsumedCapacity (TOTAL, INDEXES) and counts them on the meter per job and source", () => {
    const charges = [
      { table: "jobs", write: 4, jobIds: [JOB_A] },
      { table: "jobs", index: "byOwner", write: 1, jobIds: [JOB_A] },
      { table: "other", read: 0.5 },
    ];
    expect(consumedCapacity(charges, "TOTAL")).to.deep.equal([
      { TableName: "jobs", CapacityUnits: 5, WriteCapacityUnits: 5 },
      { TableName: "other", CapacityUnits: 0.5, ReadCapacityUnits: 0.5 },
    ]);
    expect(consumedCapacity(charges, "INDEXES")[0]).to.deep.equal({
      TableName: "jobs",
      CapacityUnits: 5,
      WriteCapacityUnits: 5,
      Table: { CapacityUnits: 4, WriteCapacityUnits: 4 },
      GlobalSecondaryIndexes: { byOwner: { CapacityUnits: 1, WriteCapacityUnits: 1 } },
    });
    const meter = new UsageMeter();
    countCharges(meter, charges);
    const report = meter.report();
    expect(report.jobs[JOB_A]).to.deep.equal({ "dynamodb.writeRequestUnits": 5 });
    expect(report.notPerJob).to.deep.equal({ "dynamodb.readRequestUnits": 0.5 });
    expect(report.bySource["dynamodb:other"]).to.deep.equal({ "dynamodb.readRequestUnits": 0.5 });
  });
});

describe("DynamoDB usage: a local DynamoDB counting real calls", function () {
  const TABLE = "usage-items";
  const JOBS = "usage-jobs";
  let service: LocalDynamoDbService;
  let client: DynamoDBClient;
  let meter: UsageMeter;
  const totals = () => meter.report().totals;
  const put = (item: DynamoDbItem, table = TABLE) => client.send(new PutItemCommand({ TableName: table, Item: av(item) }));

  before(async () => {
    meter = new UsageMeter();
    service = await startDynamoDbService({ ttlSweepMs: 0, meter });
    await service.createTable({ name: TABLE, hashKey: "pk", attributes: [{ name: "pk", type: "S" }] });
    await service.createTable({ name: JOBS, ...jobsTableKeys() });
    client = new DynamoDBClient({ endpoint: service.endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS }, maxAttempts: 1 });
  });
  after(async () => {
    client.destroy();
    await service.stop();
  });
  beforeEach(() => meter.reset());

  // RW: PutItem, 1 KB a write unit, rounded up.
  it("PutItem of a 1,542-byte item: 2 write units, charged to its job and answered as ConsumedCapacity", async () => {
    const item = { pk: { S: JOB_A }, data: { S: "x".repeat(1500) } };
    expect(itemSize(item)).to.equal(1542);
    const out = await client.send(new PutItemCommand({ TableName: TABLE, Item: item, ReturnConsumedCapacity: "TOTAL" }));
    expect(out.ConsumedCapacity).to.deep.include({ TableName: TABLE, CapacityUnits: 2 });
    expect(totals()).to.deep.equal({ "dynamodb.writeRequestUnits": 2 });
    expect(meter.job(JOB_A)).to.deep.equal({ "dynamodb.writeRequestUnits": 2 });
    expect(meter.report().bySource[`dynamodb:${TABLE}`]).to.deep.equal({ "dynamodb.writeRequestUnits": 2 });
  });

  // RW: UpdateItem, "the larger of these item sizes" (before and after).
  it("UpdateItem: the larger of the item before and after", async () => {
    await put({ pk: { S: JOB_A }, data: { S: "x".repeat(1500) } });
    meter.reset();
    const shrink = { TableName: TABLE, Key: { pk: { S: JOB_A } }, UpdateExpression: "SET #d = :d", ExpressionAttributeNames: { "#d": "data" } };
    await client.send(new UpdateItemCommand({ ...shrink, ExpressionAttributeValues: { ":d": { S: "small" } }, ReturnValues: "ALL_NEW" }));
    expect(totals()).to.deep.equal({ "dynamodb.writeRequestUnits": 2 });
    await client.send(new UpdateItemCommand({ ...shrink, ExpressionAttributeValues: { ":d": { S: "tiny" } } }));
    expect(totals()).to.deep.equal({ "dynamodb.writeRequestUnits": 3 });
    expect(meter.job(JOB_A)).to.deep.equal({ "dynamodb.writeRequestUnits": 3 });
  });

  // RW: GetItem, 4 KB a read unit, halved eventually consistent; a projection does not shrink it; a missing item the minimum.
  it("GetItem: strongly consistent 1 unit per 4 KB, eventually consistent half, missing item the minimum", async () => {
    await put(sized(JOB_B, 5000));
    meter.reset();
    const key = { pk: { S: JOB_B } };
    await client.send(new GetItemCommand({ TableName: TABLE, Key: key, ConsistentRead: true }));
    expect(totals()["dynamodb.readRequestUnits"]).to.equal(2);
    await client.send(new GetItemCommand({ TableName: TABLE, Key: key }));
    expect(totals()["dynamodb.readRequestUnits"]).to.equal(3);
    const projected = await client.send(new GetItemCommand({ TableName: TABLE, Key: key, ProjectionExpression: "pk", ConsistentRead: true, ReturnConsumedCapacity: "TOTAL" }));
    expect(projected.ConsumedCapacity?.CapacityUnits).to.equal(2);
    await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: "missing" } } }));
    expect(totals()).to.deep.equal({ "dynamodb.readRequestUnits": 5.5 });
    expect(meter.job(JOB_B)).to.deep.equal({ "dynamodb.readRequestUnits": 5 });
  });

  // TX: two underlying writes (prepare, commit) of every item.
  it("TransactWriteItems of two 1,542-byte items: each item's 2 units doubled", async () => {
    const out = await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [JOB_C, JOB_D].map((id) => ({ Put: { TableName: TABLE, Item: { pk: { S: id }, data: { S: "x".repeat(1500) } } } })),
        ReturnConsumedCapacity: "TOTAL",
      }),
    );
    expect(out.ConsumedCapacity).to.deep.equal([{ TableName: TABLE, CapacityUnits: 8, WriteCapacityUnits: 8 }]);
    expect(totals()).to.deep.equal({ "dynamodb.writeRequestUnits": 8 });
    expect(meter.job(JOB_C)).to.deep.equal({ "dynamodb.writeRequestUnits": 4 });
    expect(meter.job(JOB_D)).to.deep.equal({ "dynamodb.writeRequestUnits": 4 });
  });

  // TX: "two underlying reads or writes of every item in the transaction", a ConditionCheck's item too (reported as
  // write units); a transaction cancelled by a condition is prepared, never committed: each item as a failed
  // conditional write (RW).
  it("TransactWriteItems with a ConditionCheck: its item doubled too; cancelled: each item once", async () => {
    await put({ pk: { S: JOB_B }, data: { S: "x".repeat(1500) } });
    const transact = (condition: string) =>
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: TABLE, Item: { pk: { S: JOB_C }, v: { S: condition } } } },
            { ConditionCheck: { TableName: TABLE, Key: { pk: { S: JOB_B } }, ConditionExpression: condition } },
          ],
        }),
      );
    await client.send(new DeleteItemCommand({ TableName: TABLE, Key: { pk: { S: JOB_C } } }));
    meter.reset();
    await transact("attribute_exists(pk)");
    expect(meter.job(JOB_C)).to.deep.equal({ "dynamodb.writeRequestUnits": 2 });
    expect(meter.job(JOB_B)).to.deep.equal({ "dynamodb.writeRequestUnits": 4 });
    await client.send(new DeleteItemCommand({ TableName: TABLE, Key: { pk: { S: JOB_C } } }));
    meter.reset();
    expect((await rejection(transact("attribute_not_exists(pk)"))).name).to.equal("TransactionCanceledException");
    expect(meter.job(JOB_C)).to.deep.equal({ "dynamodb.writeRequestUnits": 1 });
    expect(meter.job(JOB_B)).to.deep.equal({ "dynamodb.writeRequestUnits": 2 });
  });

  // RW: "If the expression evaluates to false, DynamoDB still consumes write capacity units".
  it("a conditional write whose condition fails still consumes: the existing item's size, or 1 unit", async () => {
    await put({ pk: { S: JOB_A }, data: { S: "x".repeat(1500) } });
    meter.reset();
    const put1 = rejection(client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: JOB_A } }, ConditionExpression: "attribute_not_exists(pk)" })));
    expect((await put1).name).to.equal("ConditionalCheckFailedException");
    expect(totals()).to.deep.equal({ "dynamodb.writeRequestUnits": 2 });
    const update = rejection(client.send(new UpdateItemCommand({ TableName: TABLE, Key: { pk: { S: "absent" } }, UpdateExpression: "SET a = :a", ConditionExpression: "attribute_exists(pk)", ExpressionAttributeValues: { ":a": { S: "1" } } })));
    expect((await update).name).to.equal("ConditionalCheckFailedException");
    expect(totals()).to.deep.equal({ "dynamodb.writeRequestUnits": 3 });
  });

  // RW: BatchWriteItem "500 byte item and a 3.5 KB item … 5 KB"; BatchGetItem "1.5 KB … and 6.5 KB … 12 KB".
  it("BatchWriteItem and BatchGetItem: each item rounded up on its own", async () => {
    await client.send(new BatchWriteItemCommand({ RequestItems: { [TABLE]: [{ PutRequest: { Item: av(sized("b1", 500)) } }, { PutRequest: { Item: av(sized("b2", 3.5 * KB)) } }] } }));
    expect(totals()).to.deep.equal({ "dynamodb.writeRequestUnits": 5 });
    await client.send(new BatchWriteItemCommand({ RequestItems: { [TABLE]: [{ PutRequest: { Item: av(sized("b1", 1.5 * KB)) } }, { PutRequest: { Item: av(sized("b2", 6.5 * KB)) } }] } }));
    meter.reset();
    const out = await client.send(new BatchGetItemCommand({ RequestItems: { [TABLE]: { Keys: [{ pk: { S: "b1" } }, { pk: { S: "b2" } }], ConsistentRead: true } }, ReturnConsumedCapacity: "TOTAL" }));
    expect(out.ConsumedCapacity).to.deep.equal([{ TableName: TABLE, CapacityUnits: 3, ReadCapacityUnits: 3 }]);
    expect(totals()).to.deep.equal({ "dynamodb.readRequestUnits": 3 });
  });

  describe("the jobs table and its sparse index byOwner (INCLUDE)", () => {
    const jobItem = (pk: string, extra: DynamoDbItem = {}): DynamoDbItem => ({
      pk: { S: pk },
      owner: { S: "alice" },
      createdAt: { S: "2026-01-01T00:00:00.000Z" },
      status: { S: "QUEUED" },
      error: { S: "e".repeat(2000) },
      input: { S: "i".repeat(3000) },
      ...extra,
    });

    // GSI: "When an item in a table is added, updated, or deleted, and a global secondary index is affected".
    it("a write changing the index consumes the index's units too; one that does not, none", async () => {
      expect(itemSize(jobItem(JOB_A))).to.equal(5103); // 5 units
      expect(itemSize(indexEntry(jobItem(JOB_A), ["pk"], { name: "byOwner", keyNames: ["owner", "createdAt"], projection: "INCLUDE", nonKeyAttributes: ["status", "error"] }))).to.equal(2098); // 3 units
      const out = await client.send(new PutItemCommand({ TableName: JOBS, Item: av(jobItem(JOB_A)), ReturnConsumedCapacity: "INDEXES" }));
      expect(out.ConsumedCapacity).to.deep.equal({
        TableName: JOBS,
        CapacityUnits: 8,
        WriteCapacityUnits: 8,
        Table: { CapacityUnits: 5, WriteCapacityUnits: 5 },
        GlobalSecondaryIndexes: { byOwner: { CapacityUnits: 3, WriteCapacityUnits: 3 } },
      });
      expect(meter.job(JOB_A)).to.deep.equal({ "dynamodb.writeRequestUnits": 8 });
      // Not in the sparse index (no owner): the table alone; charged to the job its jobId names.
      await put({ pk: { S: "idem#abc" }, jobId: { S: JOB_B } }, JOBS);
      expect(meter.job(JOB_B)).to.deep.equal({ "dynamodb.writeRequestUnits": 1 });
      meter.reset();
      const update = (name: string, value: string) =>
        client.send(new UpdateItemCommand({ TableName: JOBS, Key: { pk: { S: JOB_A } }, UpdateExpression: "SET #a = :v", ExpressionAttributeNames: { "#a": name }, ExpressionAttributeValues: { ":v": { S: value } } }));
      await update("status", "RUNNING"); // projected: 5 + 3
      expect(totals()).to.deep.equal({ "dynamodb.writeRequestUnits": 8 });
      await update("input", "i".repeat(2999)); // not projected: 5
      expect(totals()).to.deep.equal({ "dynamodb.writeRequestUnits": 13 });
      await client.send(new DeleteItemCommand({ TableName: JOBS, Key: { pk: { S: JOB_A } } })); // 5 + 3
      expect(totals()).to.deep.equal({ "dynamodb.writeRequestUnits": 21 });
    });

    // RW: Query "computes the total size of all items and then rounds up"; Scan "the size of the items that are evaluated";
    // GSI: index queries read index entries, eventually consistent.
    it("Query on the index and Scan: the items read before the filter, summed, not per job", async () => {
      for (const [i, id] of [JOB_A, JOB_B, "33333333-2222-4333-8444-555555555555"].entries()) {
        await put(jobItem(id, { createdAt: { S: `2026-01-01T00:00:0${i}.000Z` } }), JOBS);
      }
      meter.reset();
      const query = { TableName: JOBS, IndexName: "byOwner", KeyConditionExpression: "#o = :o", ExpressionAttributeNames: { "#o": "owner" }, ExpressionAttributeValues: { ":o": { S: "alice" } } };
      const all = await client.send(new QueryCommand({ ...query, ReturnConsumedCapacity: "INDEXES" }));
      expect(all.Items).to.have.length(3);
      // 3 entries × 2,098 bytes = 6,294 bytes: 2 × 4 KB, eventually consistent.
      expect(all.ConsumedCapacity).to.deep.equal({
        TableName: JOBS,
        CapacityUnits: 1,
        ReadCapacityUnits: 1,
        Table: { CapacityUnits: 0 },
        GlobalSecondaryIndexes: { byOwner: { CapacityUnits: 1, ReadCapacityUnits: 1 } },
      });
      const filtered = await client.send(
        new QueryCommand({ ...query, FilterExpression: "#s = :s", ExpressionAttributeNames: { "#o": "owner", "#s": "status" }, ExpressionAttributeValues: { ":o": { S: "alice" }, ":s": { S: "NONE" } }, ProjectionExpression: "pk" }),
      );
      expect(filtered.Items).to.have.length(0);
      expect(totals()).to.deep.equal({ "dynamodb.readRequestUnits": 2 });
      // 3 items × 5,103 bytes and the 51-byte idempotency item = 15,360 bytes: 4 × 4 KB, strongly consistent.
      await client.send(new ScanCommand({ TableName: JOBS, ConsistentRead: true, FilterExpression: "#s = :s", ExpressionAttributeNames: { "#s": "status" }, ExpressionAttributeValues: { ":s": { S: "NONE" } } }));
      expect(totals()).to.deep.equal({ "dynamodb.readRequestUnits": 6 });
      expect(meter.report().notPerJob).to.deep.equal({ "dynamodb.readRequestUnits": 6 });
    });
  });

  it("a request rejected before reading consumes nothing: a validation error, an injected fault", async () => {
    const invalid = await rejection(client.send(new PutItemCommand({ TableName: TABLE, Item: { other: { S: "no key" } } })));
    expect(invalid.name).to.equal("ValidationException");
    service.failNextWrites(1, "ThrottlingException");
    expect((await rejection(put({ pk: { S: JOB_A } }))).name).to.equal("ThrottlingException");
    service.failNextReads(1, "ProvisionedThroughputExceededException");
    expect((await rejection(client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: JOB_A } } })))).name).to.equal("ProvisionedThroughputExceededException");
    expect(totals()).to.deep.equal({});
  });

  // TTL: deleting expired items consumes no write throughput.
  it("the TTL sweep's Scan and deletes are free", async () => {
    service.enableTtl(TABLE, "expiresAt");
    await put({ pk: { S: "expired" }, expiresAt: { N: "1000" } });
    meter.reset();
    expect(await service.sweepTtl(Date.now())).to.equal(1);
    expect(totals()).to.deep.equal({});
  });

  // STREAMS: each GetRecords call over HTTP is one streams read request; DescribeStream and GetShardIterator are not billed
  // here, nor the in-process reads of a Lambda trigger (counted by the Lambda service's poller).
  it("DynamoDB Streams: one streams read request per GetRecords call over HTTP", async () => {
    const arn = service.enableStream(TABLE, "NEW_IMAGE");
    await put({ pk: { S: JOB_B }, v: { S: "1" } });
    meter.reset();
    const streams = new DynamoDBStreamsClient({ endpoint: service.endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS }, maxAttempts: 1 });
    try {
      const shardId = (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription?.Shards?.[0]?.ShardId;
      const iterator = (await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shardId, ShardIteratorType: "TRIM_HORIZON" }))).ShardIterator;
      const first = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
      expect(first.Records).to.have.length(1);
      await streams.send(new GetRecordsCommand({ ShardIterator: first.NextShardIterator }));
      service.streams.readRecords(arn, undefined, 10);
    } finally {
      streams.destroy();
    }
    expect(totals()).to.deep.equal({ "dynamodb.streamReadRequests": 2 });
    expect(meter.report().bySource[`dynamodb:${TABLE}`]).to.deep.equal({ "dynamodb.streamReadRequests": 2 });
  });
});
