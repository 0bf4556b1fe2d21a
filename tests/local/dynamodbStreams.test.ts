import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  UpdateTableCommand,
} from "@aws-sdk/client-dynamodb";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
} from "@aws-sdk/client-dynamodb-streams";
import type { ShardIteratorType } from "@aws-sdk/client-dynamodb-streams";
import { startDynamoDbService } from "../../local/aws/dynamodb";
import type { DynamoDbServiceOptions, LocalDynamoDbService } from "../../local/aws/dynamodb";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/aws/types";
import type { DynamoDbStreamRecord, StreamViewType } from "../../local/aws/types";
import { cleanupTmpDirs, rejection, setEnv, tmpDir, waitFor } from "./storage/support";

type Item = Record<string, AttributeValue>;
const TABLE = "stream-table";
const ARN_PATTERN = /^arn:aws:dynamodb:us-east-1:000000000000:table\/stream-table\/stream\/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/;

function clientFor(service: LocalDynamoDbService): DynamoDBClient {
  return new DynamoDBClient({ endpoint: service.endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS } });
}

function streamsClientFor(service: LocalDynamoDbService): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient({ endpoint: service.endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS } });
}

const seq = (r: DynamoDbStreamRecord) => BigInt(r.dynamodb.SequenceNumber);

describe("local DynamoDB Streams", function () {
  const running: LocalDynamoDbService[] = [];
  const clients: { destroy(): void }[] = [];
  async function start(options: DynamoDbServiceOptions = {}): Promise<{ service: LocalDynamoDbService; client: DynamoDBClient }> {
    const service = await startDynamoDbService({ ttlSweepMs: 0, ...options });
    running.push(service);
    const client = clientFor(service);
    clients.push(client);
    return { service, client };
  }
  async function stop(service: LocalDynamoDbService): Promise<void> {
    running.splice(running.indexOf(service), 1);
    await service.stop();
  }
  const createTable = (service: LocalDynamoDbService, name = TABLE) => service.createTable({ name, hashKey: "pk", attributes: [{ name: "pk", type: "S" }] });
  const all = (service: LocalDynamoDbService, arn: string) => service.streams.readRecords(arn, undefined, 10_000);

  after(async () => {
    for (const c of clients.splice(0)) c.destroy();
    for (const s of running.splice(0)) await s.stop();
    cleanupTmpDirs();
  });

  describe("records of each kind of write", () => {
    let service: LocalDynamoDbService;
    let client: DynamoDBClient;
    let arn: string;
    const put = (item: Item, extra: Partial<ConstructorParameters<typeof PutItemCommand>[0]> = {}) => client.send(new PutItemCommand({ TableName: TABLE, Item: item, ...extra }));
    /** Records appended by `write`. */
    async function recordsOf(write: () => Promise<unknown>): Promise<DynamoDbStreamRecord[]> {
      const before = service.streams.latestSequenceNumber(arn);
      await write();
      return service.streams.readRecords(arn, before, 1000);
    }

    before(async () => {
      ({ service, client } = await start());
      await createTable(service);
      await createTable(service, "plain-table");
      arn = service.enableStream(TABLE, "NEW_AND_OLD_IMAGES");
    });

    it("enables a stream with an AWS-shaped ARN, idempotently", () => {
      expect(arn).to.match(ARN_PATTERN);
      expect(service.enableStream(TABLE, "NEW_AND_OLD_IMAGES")).to.equal(arn);
      expect(service.streams.viewType(arn)).to.equal("NEW_AND_OLD_IMAGES");
      expect(service.streams.viewType(arn + "x")).to.equal(undefined);
      expect(service.streams.latestSequenceNumber(arn)).to.equal(undefined);
    });

    it("PutItem: INSERT, then MODIFY with both images, and nothing when the item is unchanged", async () => {
      const t0 = Math.floor(Date.now() / 1000);
      const [insert] = await recordsOf(() => put({ pk: { S: "p1" }, v: { N: "1" } }));
      expect(insert).to.include({ eventName: "INSERT", eventVersion: "1.1", eventSource: "aws:dynamodb", awsRegion: "us-east-1", eventSourceARN: arn });
      expect(insert.eventID).to.match(/^[0-9a-f]{32}$/);
      expect(insert.dynamodb.Keys).to.deep.equal({ pk: { S: "p1" } });
      expect(insert.dynamodb.NewImage).to.deep.equal({ pk: { S: "p1" }, v: { N: "1" } });
      expect(insert.dynamodb).to.not.have.property("OldImage");
      expect(insert.dynamodb.StreamViewType).to.equal("NEW_AND_OLD_IMAGES");
      expect(insert.dynamodb.SequenceNumber).to.match(/^\d{21}$/);
      expect(insert.dynamodb.SizeBytes).to.be.greaterThan(0);
      expect(insert.dynamodb.ApproximateCreationDateTime).to.be.within(t0 - 1, t0 + 5);
      expect(insert).to.not.have.property("userIdentity");

      const [modify, ...more] = await recordsOf(() => put({ pk: { S: "p1" }, v: { N: "2" } }));
      expect(more).to.deep.equal([]);
      expect(modify.eventName).to.equal("MODIFY");
      expect(modify.dynamodb.OldImage).to.deep.equal({ pk: { S: "p1" }, v: { N: "1" } });
      expect(modify.dynamodb.NewImage).to.deep.equal({ pk: { S: "p1" }, v: { N: "2" } });
      expect(seq(modify) > seq(insert)).to.equal(true);
      expect(modify.eventID).to.not.equal(insert.eventID);

      expect(await recordsOf(() => put({ pk: { S: "p1" }, v: { N: "2" } }))).to.deep.equal([]);
    });

    it("UpdateItem: INSERT on a new item, MODIFY on a change, nothing on a no-op", async () => {
      const update = (expr: string, values: Item) => client.send(new UpdateItemCommand({ TableName: TABLE, Key: { pk: { S: "u1" } }, UpdateExpression: expr, ExpressionAttributeValues: values }));
      const [insert] = await recordsOf(() => update("SET n = :one", { ":one": { N: "1" } }));
      expect(insert.eventName).to.equal("INSERT");
      expect(insert.dynamodb.NewImage).to.deep.equal({ pk: { S: "u1" }, n: { N: "1" } });
      const [modify] = await recordsOf(() => update("ADD n :one", { ":one": { N: "1" } }));
      expect(modify.eventName).to.equal("MODIFY");
      expect(modify.dynamodb.OldImage?.n).to.deep.equal({ N: "1" });
      expect(modify.dynamodb.NewImage?.n).to.deep.equal({ N: "2" });
      expect(await recordsOf(() => update("SET n = :two", { ":two": { N: "2" } }))).to.deep.equal([]);
    });

    it("DeleteItem: REMOVE with the old image; nothing for a missing item", async () => {
      await put({ pk: { S: "d1" }, v: { S: "bye" } });
      const [remove] = await recordsOf(() => client.send(new DeleteItemCommand({ TableName: TABLE, Key: { pk: { S: "d1" } } })));
      expect(remove.eventName).to.equal("REMOVE");
      expect(remove.dynamodb.Keys).to.deep.equal({ pk: { S: "d1" } });
      expect(remove.dynamodb.OldImage).to.deep.equal({ pk: { S: "d1" }, v: { S: "bye" } });
      expect(remove.dynamodb).to.not.have.property("NewImage");
      expect(await recordsOf(() => client.send(new DeleteItemCommand({ TableName: TABLE, Key: { pk: { S: "d1" } } })))).to.deep.equal([]);
    });

    it("no record for failed writes (condition, validation, injected fault)", async () => {
      await put({ pk: { S: "f1" } });
      const records = await recordsOf(async () => {
        await rejection(put({ pk: { S: "f1" }, v: { N: "9" } }, { ConditionExpression: "attribute_not_exists(pk)" }));
        await rejection(client.send(new UpdateItemCommand({ TableName: TABLE, Key: { pk: { S: "f1" } }, UpdateExpression: "SET n = n + :one", ExpressionAttributeValues: { ":one": { N: "1" } } })));
        const once = new DynamoDBClient({ endpoint: service.endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS }, maxAttempts: 1 });
        service.failNextWrites(1);
        await rejection(once.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "f2" } } })));
        once.destroy();
      });
      expect(records).to.deep.equal([]);
    });

    it("BatchWriteItem: one record per changed item, in request order; tables without a stream add none", async () => {
      await put({ pk: { S: "b-old" }, v: { N: "1" } });
      const records = await recordsOf(() =>
        client.send(
          new BatchWriteItemCommand({
            RequestItems: {
              [TABLE]: [
                { PutRequest: { Item: { pk: { S: "b-new" } } } },
                { DeleteRequest: { Key: { pk: { S: "b-old" } } } },
                { DeleteRequest: { Key: { pk: { S: "b-never" } } } },
              ],
              "plain-table": [{ PutRequest: { Item: { pk: { S: "b-plain" } } } }],
            },
          }),
        ),
      );
      expect(records.map((r) => [r.eventName, r.dynamodb.Keys.pk.S])).to.deep.equal([
        ["INSERT", "b-new"],
        ["REMOVE", "b-old"],
      ]);
    });

    it("TransactWriteItems: records for its writes, none for a ConditionCheck, none when cancelled or undone", async () => {
      await put({ pk: { S: "t-upd" }, n: { N: "1" } });
      await put({ pk: { S: "t-chk" } });
      await put({ pk: { S: "t-str" }, n: { S: "text" } });
      const records = await recordsOf(() =>
        client.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              { Put: { TableName: TABLE, Item: { pk: { S: "t-new" } } } },
              { Update: { TableName: TABLE, Key: { pk: { S: "t-upd" } }, UpdateExpression: "ADD n :one", ExpressionAttributeValues: { ":one": { N: "1" } } } },
              { ConditionCheck: { TableName: TABLE, Key: { pk: { S: "t-chk" } }, ConditionExpression: "attribute_exists(pk)" } },
            ],
          }),
        ),
      );
      expect(records.map((r) => [r.eventName, r.dynamodb.Keys.pk.S])).to.deep.equal([
        ["INSERT", "t-new"],
        ["MODIFY", "t-upd"],
      ]);
      const none = await recordsOf(async () => {
        const cancel = (items: ConstructorParameters<typeof TransactWriteItemsCommand>[0]["TransactItems"]) => rejection(client.send(new TransactWriteItemsCommand({ TransactItems: items })));
        expect((await cancel([{ Put: { TableName: TABLE, Item: { pk: { S: "t-x" } } } }, { Put: { TableName: TABLE, Item: { pk: { S: "t-new" } }, ConditionExpression: "attribute_not_exists(pk)" } }])).name).to.equal("TransactionCanceledException");
        // Applied, then undone: the first Put happened inside and must leave no trace.
        expect(
          (await cancel([
            { Put: { TableName: TABLE, Item: { pk: { S: "t-y" } } } },
            { Update: { TableName: TABLE, Key: { pk: { S: "t-str" } }, UpdateExpression: "SET n = n + :one", ExpressionAttributeValues: { ":one": { N: "1" } } } },
          ])).name,
        ).to.equal("TransactionCanceledException");
      });
      expect(none).to.deep.equal([]);
    });

    it("TTL deletes carry DynamoDB's userIdentity; a user's delete does not", async () => {
      const nowS = Math.floor(Date.now() / 1000);
      service.enableTtl(TABLE, "expiresAt");
      await put({ pk: { S: "ttl-1" }, expiresAt: { N: String(nowS - 10) } });
      const records = await recordsOf(() => service.sweepTtl());
      expect(records).to.have.length(1);
      expect(records[0].eventName).to.equal("REMOVE");
      expect(records[0].dynamodb.Keys).to.deep.equal({ pk: { S: "ttl-1" } });
      expect(records[0].dynamodb.OldImage).to.deep.equal({ pk: { S: "ttl-1" }, expiresAt: { N: String(nowS - 10) } });
      expect(records[0].userIdentity).to.deep.equal({ type: "Service", principalId: "dynamodb.amazonaws.com" });
    });

    it("captures writes from any SDK client in the order they were made", async () => {
      const other = clientFor(service);
      try {
        const writes = [];
        for (let i = 0; i < 20; i++) writes.push((i % 2 ? client : other).send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "order" }, i: { N: String(i) } } })));
        const before = service.streams.latestSequenceNumber(arn);
        await Promise.all(writes);
        const records = service.streams.readRecords(arn, before, 1000).filter((r) => r.dynamodb.Keys.pk.S === "order");
        expect(records).to.have.length(20);
        // Each record's old image is the previous record's new image: nothing lost or reordered.
        for (let i = 1; i < records.length; i++) {
          expect(records[i].dynamodb.OldImage).to.deep.equal(records[i - 1].dynamodb.NewImage);
          expect(seq(records[i]) > seq(records[i - 1])).to.equal(true);
        }
      } finally {
        other.destroy();
      }
    });

    it("pages with readRecords(after, limit) and calls onAppend listeners after appending", async () => {
      const calls: number[] = [];
      const unsubscribe = service.streams.onAppend(arn, () => calls.push(all(service, arn).length));
      const otherCalls: number[] = [];
      const offOther = service.streams.onAppend(arn + "-other", () => otherCalls.push(1));
      const start = service.streams.latestSequenceNumber(arn);
      for (let i = 0; i < 5; i++) await put({ pk: { S: `page-${i}` } });
      // Each listener call comes after the records are in: the last one sees all five.
      expect(await waitFor(async () => calls[calls.length - 1] === all(service, arn).length, 1000)).to.equal(true);
      expect(calls.length).to.be.within(1, 5);

      const first = service.streams.readRecords(arn, start, 2);
      const second = service.streams.readRecords(arn, first[1].dynamodb.SequenceNumber, 2);
      const third = service.streams.readRecords(arn, second[1].dynamodb.SequenceNumber, 2);
      expect([...first, ...second, ...third].map((r) => r.dynamodb.Keys.pk.S)).to.deep.equal(["page-0", "page-1", "page-2", "page-3", "page-4"]);
      expect(service.streams.latestSequenceNumber(arn)).to.equal(third[0].dynamodb.SequenceNumber);
      expect(service.streams.readRecords(arn, service.streams.latestSequenceNumber(arn), 10)).to.deep.equal([]);

      unsubscribe();
      offOther();
      const seen = calls.length;
      await put({ pk: { S: "page-after" } });
      await new Promise((r) => setTimeout(r, 50));
      expect(calls.length).to.equal(seen);
      expect(otherCalls).to.deep.equal([]);
    });

    it("hands out copies: a reader cannot change the stream", async () => {
      await put({ pk: { S: "copy" }, v: { S: "1" } });
      const latest = service.streams.latestSequenceNumber(arn)!;
      const [r] = service.streams.readRecords(arn, (BigInt(latest) - 1n).toString(), 1);
      r.dynamodb.NewImage!.v = { S: "changed" };
      expect(service.streams.readRecords(arn, (BigInt(latest) - 1n).toString(), 1)[0].dynamodb.NewImage?.v).to.deep.equal({ S: "1" });
    });
  });

  describe("view types", () => {
    it("puts Keys always and NewImage/OldImage as the view type says", async () => {
      const { service, client } = await start();
      const types: StreamViewType[] = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"];
      const shapes: Record<string, string[][]> = {};
      for (const type of types) {
        const table = `view-${type.toLowerCase().replace(/_/g, "-")}`;
        await createTable(service, table);
        const arn = service.enableStream(table, type);
        await client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: "k" }, v: { N: "1" } } }));
        await client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: "k" }, v: { N: "2" } } }));
        await client.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: "k" } } }));
        const records = all(service, arn);
        expect(records.map((r) => r.eventName)).to.deep.equal(["INSERT", "MODIFY", "REMOVE"]);
        for (const r of records) {
          expect(r.dynamodb.Keys).to.deep.equal({ pk: { S: "k" } });
          expect(r.dynamodb.StreamViewType).to.equal(type);
        }
        shapes[type] = records.map((r) => Object.keys(r.dynamodb).filter((k) => k === "NewImage" || k === "OldImage").sort());
        if (type === "NEW_AND_OLD_IMAGES") expect(records[1].dynamodb.OldImage?.v).to.deep.equal({ N: "1" });
        if (type === "OLD_IMAGE") expect(records[2].dynamodb.OldImage?.v).to.deep.equal({ N: "2" });
      }
      expect(shapes).to.deep.equal({
        KEYS_ONLY: [[], [], []],
        NEW_IMAGE: [["NewImage"], ["NewImage"], []],
        OLD_IMAGE: [[], ["OldImage"], ["OldImage"]],
        NEW_AND_OLD_IMAGES: [["NewImage"], ["NewImage", "OldImage"], ["OldImage"]],
      });
    });

    it("a different view type replaces the stream with a new one", async () => {
      const { service, client } = await start();
      await createTable(service);
      const first = service.enableStream(TABLE, "KEYS_ONLY");
      await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "a" } } }));
      const second = service.enableStream(TABLE, "NEW_IMAGE");
      expect(second).to.not.equal(first);
      expect(second).to.match(ARN_PATTERN);
      await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "b" } } }));
      expect(all(service, first).map((r) => r.dynamodb.Keys.pk.S)).to.deep.equal(["a"]);
      expect(all(service, second).map((r) => r.dynamodb.Keys.pk.S)).to.deep.equal(["b"]);
    });
  });

  describe("retention and persistence", () => {
    it("keeps records 24 hours", async () => {
      let now = Date.now();
      const { service, client } = await start({ now: () => now });
      await createTable(service);
      const arn = service.enableStream(TABLE, "KEYS_ONLY");
      await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "old" } } }));
      now += 23 * 3600 * 1000;
      await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "newer" } } }));
      expect(all(service, arn).map((r) => r.dynamodb.Keys.pk.S)).to.deep.equal(["old", "newer"]);
      now += 2 * 3600 * 1000;
      expect(all(service, arn).map((r) => r.dynamodb.Keys.pk.S)).to.deep.equal(["newer"]);
      now += 24 * 3600 * 1000;
      expect(all(service, arn)).to.deep.equal([]);
      expect(service.streams.latestSequenceNumber(arn)).to.equal(undefined);
    });

    it("keeps the stream, its records and an increasing sequence across a restart with the same dir", async () => {
      const dir = path.join(tmpDir("ddb-streams"), "dynamodb");
      const first = await start({ dir });
      await createTable(first.service);
      const arn = first.service.enableStream(TABLE, "NEW_AND_OLD_IMAGES");
      for (let i = 0; i < 3; i++) await first.client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: `r${i}` } } }));
      const before = all(first.service, arn);
      await stop(first.service);
      expect(fs.readdirSync(path.join(dir, "streams")).some((f) => f.endsWith(".jsonl"))).to.equal(true);

      const second = await start({ dir });
      expect(second.service.enableStream(TABLE, "NEW_AND_OLD_IMAGES")).to.equal(arn);
      expect(all(second.service, arn)).to.deep.equal(before);
      let appended = 0;
      second.service.streams.onAppend(arn, () => appended++);
      await second.client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "r0" }, v: { S: "again" } } }));
      const after = all(second.service, arn);
      expect(after).to.have.length(4);
      expect(after[3].eventName).to.equal("MODIFY");
      expect(after[3].dynamodb.OldImage).to.deep.equal({ pk: { S: "r0" } });
      expect(seq(after[3]) > seq(before[2])).to.equal(true);
      expect(await waitFor(async () => appended === 1, 1000)).to.equal(true);

      const described = await second.client.send(new DescribeTableCommand({ TableName: TABLE }));
      expect(described.Table?.LatestStreamArn).to.equal(arn);
    });

    it("keeps nothing without a dir", async () => {
      const first = await start();
      await createTable(first.service);
      const arn = first.service.enableStream(TABLE, "KEYS_ONLY");
      await first.client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "gone" } } }));
      expect(all(first.service, arn)).to.have.length(1);
      await stop(first.service);
      const second = await start();
      expect(second.service.streams.viewType(arn)).to.equal(undefined);
      expect(all(second.service, arn)).to.deep.equal([]);
    });
  });

  describe("table operations", () => {
    it("DescribeTable reports the stream; CreateTable and UpdateTable take a StreamSpecification; DeleteTable disables it", async () => {
      const { service, client } = await start();
      await client.send(
        new CreateTableCommand({
          TableName: "spec-table",
          AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
          KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
          BillingMode: "PAY_PER_REQUEST",
          StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_IMAGE" },
        }),
      );
      const described = (await client.send(new DescribeTableCommand({ TableName: "spec-table" }))).Table!;
      expect(described.StreamSpecification).to.deep.equal({ StreamEnabled: true, StreamViewType: "NEW_IMAGE" });
      const arn = described.LatestStreamArn!;
      expect(arn).to.match(/table\/spec-table\/stream\//);
      expect(described.LatestStreamLabel).to.equal(arn.split("/").pop());
      expect(service.streams.viewType(arn)).to.equal("NEW_IMAGE");
      await client.send(new PutItemCommand({ TableName: "spec-table", Item: { pk: { S: "x" } } }));
      expect(all(service, arn)).to.have.length(1);

      const again = await rejection(client.send(new UpdateTableCommand({ TableName: "spec-table", StreamSpecification: { StreamEnabled: true, StreamViewType: "KEYS_ONLY" } })));
      expect(again.name).to.equal("ValidationException");
      const off = await client.send(new UpdateTableCommand({ TableName: "spec-table", StreamSpecification: { StreamEnabled: false } }));
      expect(off.TableDescription?.StreamSpecification).to.equal(undefined);
      expect(off.TableDescription?.LatestStreamArn).to.equal(arn);
      await client.send(new PutItemCommand({ TableName: "spec-table", Item: { pk: { S: "y" } } }));
      expect(all(service, arn)).to.have.length(1);

      const on = await client.send(new UpdateTableCommand({ TableName: "spec-table", StreamSpecification: { StreamEnabled: true, StreamViewType: "KEYS_ONLY" } }));
      const arn2 = on.TableDescription!.LatestStreamArn!;
      expect(arn2).to.not.equal(arn);
      expect(on.TableDescription?.StreamSpecification).to.deep.equal({ StreamEnabled: true, StreamViewType: "KEYS_ONLY" });

      await client.send(new DeleteTableCommand({ TableName: "spec-table" }));
      await createTable(service, "spec-table");
      const fresh = (await client.send(new DescribeTableCommand({ TableName: "spec-table" }))).Table!;
      expect(fresh.StreamSpecification).to.equal(undefined);
      expect(fresh.LatestStreamArn).to.equal(undefined);
      await client.send(new PutItemCommand({ TableName: "spec-table", Item: { pk: { S: "z" } } }));
      expect(all(service, arn2)).to.deep.equal([]);
      // Disabled streams stay readable, and describable, after their table is gone.
      expect(all(service, arn).map((r) => r.dynamodb.Keys.pk.S)).to.deep.equal(["x"]);
      const streams = streamsClientFor(service);
      try {
        const d = (await streams.send(new DescribeStreamCommand({ StreamArn: arn2 }))).StreamDescription!;
        expect(d.StreamStatus).to.equal("DISABLED");
        expect(d.KeySchema).to.deep.equal([{ AttributeName: "pk", KeyType: "HASH" }]);
      } finally {
        streams.destroy();
      }
    });

    it("keeps a stream enabled before its table was created", async () => {
      const { service, client } = await start();
      const arn = service.enableStream("early-table", "KEYS_ONLY");
      await createTable(service, "early-table");
      expect(service.enableStream("early-table", "KEYS_ONLY")).to.equal(arn);
      await client.send(new PutItemCommand({ TableName: "early-table", Item: { pk: { S: "a" } } }));
      expect(all(service, arn)).to.have.length(1);
      expect((await client.send(new DescribeTableCommand({ TableName: "early-table" }))).Table?.LatestStreamArn).to.equal(arn);
    });
  });

  describe("the DynamoDB Streams API (@aws-sdk/client-dynamodb-streams)", () => {
    let now = Date.now();
    let service: LocalDynamoDbService;
    let client: DynamoDBClient;
    let streams: DynamoDBStreamsClient;
    let arn: string;
    let shardId: string;
    const iterator = async (type: ShardIteratorType, sequenceNumber?: string) =>
      (await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shardId, ShardIteratorType: type, SequenceNumber: sequenceNumber }))).ShardIterator!;

    before(async () => {
      ({ service, client } = await start({ now: () => now }));
      streams = streamsClientFor(service);
      clients.push(streams);
      await createTable(service);
      await createTable(service, "api-other");
      arn = service.enableStream(TABLE, "NEW_AND_OLD_IMAGES");
      service.enableStream("api-other", "KEYS_ONLY");
      for (let i = 0; i < 5; i++) await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: `k${i}` }, n: { N: String(i) } } }));
    });

    it("ListStreams lists, filters by table and pages", async () => {
      const listed = await streams.send(new ListStreamsCommand({}));
      expect(listed.Streams?.map((s) => s.TableName)).to.deep.equal([TABLE, "api-other"]);
      expect(listed.Streams?.[0]).to.deep.equal({ StreamArn: arn, TableName: TABLE, StreamLabel: arn.split("/").pop() });
      const filtered = await streams.send(new ListStreamsCommand({ TableName: "api-other" }));
      expect(filtered.Streams?.map((s) => s.TableName)).to.deep.equal(["api-other"]);
      const page1 = await streams.send(new ListStreamsCommand({ Limit: 1 }));
      expect(page1.Streams).to.have.length(1);
      expect(page1.LastEvaluatedStreamArn).to.equal(arn);
      const page2 = await streams.send(new ListStreamsCommand({ Limit: 1, ExclusiveStartStreamArn: page1.LastEvaluatedStreamArn }));
      expect(page2.Streams?.map((s) => s.TableName)).to.deep.equal(["api-other"]);
      expect(page2.LastEvaluatedStreamArn).to.equal(undefined);
    });

    it("DescribeStream describes the one shard", async () => {
      const d = (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription!;
      expect(d.StreamArn).to.equal(arn);
      expect(d.StreamStatus).to.equal("ENABLED");
      expect(d.StreamViewType).to.equal("NEW_AND_OLD_IMAGES");
      expect(d.TableName).to.equal(TABLE);
      expect(d.KeySchema).to.deep.equal([{ AttributeName: "pk", KeyType: "HASH" }]);
      expect(d.CreationRequestDateTime).to.be.instanceOf(Date);
      expect(d.Shards).to.have.length(1);
      shardId = d.Shards![0].ShardId!;
      expect(shardId).to.match(/^shardId-00000001-[0-9a-f]{8}$/);
      expect(d.Shards![0].SequenceNumberRange?.StartingSequenceNumber).to.equal(all(service, arn)[0].dynamodb.SequenceNumber);
      expect(d.Shards![0].SequenceNumberRange?.EndingSequenceNumber).to.equal(undefined);
      const after = (await streams.send(new DescribeStreamCommand({ StreamArn: arn, ExclusiveStartShardId: shardId }))).StreamDescription!;
      expect(after.Shards).to.deep.equal([]);
      const missing = await rejection(streams.send(new DescribeStreamCommand({ StreamArn: arn + "0" })));
      expect(missing.name).to.equal("ResourceNotFoundException");
    });

    it("GetRecords from TRIM_HORIZON pages with Limit and NextShardIterator, in the wire form", async () => {
      const first = await streams.send(new GetRecordsCommand({ ShardIterator: await iterator("TRIM_HORIZON"), Limit: 2 }));
      expect(first.Records?.map((r) => r.dynamodb?.Keys?.pk.S)).to.deep.equal(["k0", "k1"]);
      const record = first.Records![0];
      expect(record).to.include({ eventName: "INSERT", eventVersion: "1.1", eventSource: "aws:dynamodb", awsRegion: "us-east-1" });
      expect(record).to.not.have.property("eventSourceARN");
      expect(record.dynamodb?.ApproximateCreationDateTime).to.be.instanceOf(Date);
      expect(record.dynamodb?.NewImage).to.deep.equal({ pk: { S: "k0" }, n: { N: "0" } });
      expect(record.dynamodb?.SequenceNumber).to.equal(all(service, arn)[0].dynamodb.SequenceNumber);
      const second = await streams.send(new GetRecordsCommand({ ShardIterator: first.NextShardIterator, Limit: 2 }));
      expect(second.Records?.map((r) => r.dynamodb?.Keys?.pk.S)).to.deep.equal(["k2", "k3"]);
      const third = await streams.send(new GetRecordsCommand({ ShardIterator: second.NextShardIterator }));
      expect(third.Records?.map((r) => r.dynamodb?.Keys?.pk.S)).to.deep.equal(["k4"]);
      const empty = await streams.send(new GetRecordsCommand({ ShardIterator: third.NextShardIterator }));
      expect(empty.Records).to.deep.equal([]);
      // An open shard always has a next iterator, which sees later writes.
      await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "k5" } } }));
      const later = await streams.send(new GetRecordsCommand({ ShardIterator: empty.NextShardIterator }));
      expect(later.Records?.map((r) => [r.eventName, r.dynamodb?.Keys?.pk.S])).to.deep.equal([["INSERT", "k5"]]);
    });

    it("GetShardIterator: LATEST, AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER", async () => {
      const records = all(service, arn);
      const latest = await iterator("LATEST");
      expect((await streams.send(new GetRecordsCommand({ ShardIterator: latest }))).Records).to.deep.equal([]);
      await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "k6" } } }));
      expect((await streams.send(new GetRecordsCommand({ ShardIterator: latest }))).Records?.map((r) => r.dynamodb?.Keys?.pk.S)).to.deep.equal(["k6"]);

      const at = await streams.send(new GetRecordsCommand({ ShardIterator: await iterator("AT_SEQUENCE_NUMBER", records[2].dynamodb.SequenceNumber), Limit: 1 }));
      expect(at.Records?.map((r) => r.dynamodb?.SequenceNumber)).to.deep.equal([records[2].dynamodb.SequenceNumber]);
      const afterIt = await streams.send(new GetRecordsCommand({ ShardIterator: await iterator("AFTER_SEQUENCE_NUMBER", records[2].dynamodb.SequenceNumber), Limit: 1 }));
      expect(afterIt.Records?.map((r) => r.dynamodb?.SequenceNumber)).to.deep.equal([records[3].dynamodb.SequenceNumber]);

      const noSeq = await rejection(iterator("AT_SEQUENCE_NUMBER"));
      expect(noSeq.name).to.equal("ValidationException");
      const badShard = await rejection(streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: "shardId-00000001-00000000", ShardIteratorType: "LATEST" })));
      expect(badShard.name).to.equal("ResourceNotFoundException");
    });

    it("reports TTL deletes with userIdentity { PrincipalId, Type }", async () => {
      const it = await iterator("LATEST");
      service.enableTtl(TABLE, "exp");
      await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "ttl" }, exp: { N: "1" } } }));
      expect(await service.sweepTtl(now)).to.equal(1);
      const out = await streams.send(new GetRecordsCommand({ ShardIterator: it }));
      expect(out.Records?.map((r) => [r.eventName, r.userIdentity])).to.deep.equal([
        ["INSERT", undefined],
        ["REMOVE", { PrincipalId: "dynamodb.amazonaws.com", Type: "Service" }],
      ]);
    });

    it("rejects bad and expired iterators", async () => {
      const bad = await rejection(streams.send(new GetRecordsCommand({ ShardIterator: "not-an-iterator" })));
      expect(bad.name).to.equal("ValidationException");
      const it = await iterator("TRIM_HORIZON");
      now += 16 * 60 * 1000;
      try {
        const expired = await rejection(streams.send(new GetRecordsCommand({ ShardIterator: it })));
        expect(expired.name).to.equal("ExpiredIteratorException");
      } finally {
        now -= 16 * 60 * 1000;
      }
    });

    it("closes the shard of a disabled stream once it is read to its end", async () => {
      const it = await iterator("TRIM_HORIZON");
      await client.send(new UpdateTableCommand({ TableName: TABLE, StreamSpecification: { StreamEnabled: false } }));
      const d = (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription!;
      expect(d.StreamStatus).to.equal("DISABLED");
      expect(d.Shards?.[0].SequenceNumberRange?.EndingSequenceNumber).to.equal(service.streams.latestSequenceNumber(arn));
      const out = await streams.send(new GetRecordsCommand({ ShardIterator: it }));
      expect(out.Records?.length).to.equal(all(service, arn).length);
      expect(out.NextShardIterator).to.equal(undefined);
    });

    it("is found through AWS_ENDPOINT_URL_DYNAMODB_STREAMS", async () => {
      const restore = setEnv({ AWS_ENDPOINT_URL_DYNAMODB_STREAMS: service.endpoint });
      const fromEnv = new DynamoDBStreamsClient({ region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS } });
      try {
        const listed = await fromEnv.send(new ListStreamsCommand({ TableName: TABLE }));
        expect(listed.Streams?.[0]?.StreamArn).to.equal(arn);
      } finally {
        fromEnv.destroy();
        restore();
      }
    });
  });
});
