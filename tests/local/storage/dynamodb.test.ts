import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import {
  DeleteTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { startDynamoDbService, TTL_DELETE_HEADER } from "../../../local/aws/dynamodb";
import type { LocalDynamoDbService } from "../../../local/aws/dynamodb";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../../local/aws/types";
import { cleanupTmpDirs, rejection, tmpDir, waitFor } from "./support";

const TABLE = "jobs-table";

function clientFor(service: LocalDynamoDbService, maxAttempts?: number): DynamoDBClient {
  return new DynamoDBClient({ endpoint: service.endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS }, maxAttempts });
}

async function getItem(client: DynamoDBClient, pk: string, table = TABLE): Promise<Record<string, AttributeValue> | undefined> {
  return (await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }))).Item;
}

async function put(client: DynamoDBClient, item: Record<string, AttributeValue>, table = TABLE): Promise<void> {
  await client.send(new PutItemCommand({ TableName: table, Item: item }));
}

describe("local DynamoDB (dynalite)", function () {
  const running: LocalDynamoDbService[] = [];
  async function start(options: Parameters<typeof startDynamoDbService>[0] = {}): Promise<LocalDynamoDbService> {
    const service = await startDynamoDbService({ ttlSweepMs: 0, ...options });
    running.push(service);
    return service;
  }
  async function stop(service: LocalDynamoDbService): Promise<void> {
    await service.stop();
    running.splice(running.indexOf(service), 1);
  }

  after(async () => {
    for (const service of running.splice(0)) await service.stop();
    cleanupTmpDirs();
  });

  describe("tables and items", () => {
    let service: LocalDynamoDbService;
    let client: DynamoDBClient;
    before(async () => {
      service = await start();
      await service.createTable({ name: TABLE, hashKey: "pk", attributes: [{ name: "pk", type: "S" }] });
      client = clientFor(service);
    });
    after(() => client.destroy());

    it("listens on 127.0.0.1 and answers the AWS SDK", async () => {
      expect(service.endpoint).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      const tables = await client.send(new ListTablesCommand({}));
      expect(tables.TableNames).to.deep.equal([TABLE]);
    });

    it("puts and gets items", async () => {
      await put(client, { pk: { S: "a" }, n: { N: "1" } });
      expect(await getItem(client, "a")).to.deep.equal({ pk: { S: "a" }, n: { N: "1" } });
      expect(await getItem(client, "missing")).to.equal(undefined);
    });

    it("fails a conditional write whose condition does not hold", async () => {
      await put(client, { pk: { S: "cond" }, version: { N: "1" } });
      const err = await rejection(
        client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "cond" }, version: { N: "9" } }, ConditionExpression: "attribute_not_exists(pk)" })),
      );
      expect(err.name).to.equal("ConditionalCheckFailedException");
      expect((await getItem(client, "cond"))?.version).to.deep.equal({ N: "1" });
    });

    it("keeps an existing table when createTable is called again", async () => {
      await put(client, { pk: { S: "kept" } });
      await service.createTable({ name: TABLE, hashKey: "pk", attributes: [{ name: "pk", type: "S" }] });
      expect(await getItem(client, "kept")).to.deep.equal({ pk: { S: "kept" } });
    });

    it("creates tables with a range key", async () => {
      await service.createTable({ name: "ranged-table", hashKey: "pk", rangeKey: "sk", attributes: [{ name: "pk", type: "S" }, { name: "sk", type: "N" }] });
      await put(client, { pk: { S: "p" }, sk: { N: "2" } }, "ranged-table");
      const err = await rejection(put(client, { pk: { S: "p" } }, "ranged-table"));
      expect(err.name).to.equal("ValidationException");
    });

    it("injects write faults on request, and only for writes", async () => {
      const once = clientFor(service, 1);
      try {
        service.failNextWrites(1);
        expect(await getItem(once, "a")).to.not.equal(undefined);
        const err = await rejection(put(once, { pk: { S: "fault" } }));
        expect(err.name).to.equal("InternalServerError");
        expect(err.$metadata?.httpStatusCode).to.equal(500);
        expect(await getItem(once, "fault")).to.equal(undefined);
        await put(once, { pk: { S: "fault" } });
        expect(await getItem(once, "fault")).to.not.equal(undefined);

        service.failNextWrites(1, "ProvisionedThroughputExceededException");
        const throttled = await rejection(put(once, { pk: { S: "fault2" } }));
        expect(throttled.name).to.equal("ProvisionedThroughputExceededException");
        // The default client retries.
        service.failNextWrites(1);
        await put(client, { pk: { S: "fault3" } });
        expect(await getItem(client, "fault3")).to.not.equal(undefined);
      } finally {
        once.destroy();
      }
    });

    it("lets an interceptor read a request body and pass it on", async () => {
      const seen: string[] = [];
      const remove = service.use(async ({ operation, req }, next) => {
        if (operation !== "PutItem") return next();
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const body = Buffer.concat(chunks).toString("utf8");
        seen.push((JSON.parse(body) as { Item: { pk: { S: string } } }).Item.pk.S);
        next(body);
      });
      try {
        await put(client, { pk: { S: "intercepted" } });
      } finally {
        remove();
      }
      await put(client, { pk: { S: "not-intercepted" } });
      expect(seen).to.deep.equal(["intercepted"]);
      expect(await getItem(client, "intercepted")).to.deep.equal({ pk: { S: "intercepted" } });
    });
  });

  describe("persistence", () => {
    it("keeps tables, items and TTL settings across a restart with the same dir", async () => {
      const dir = path.join(tmpDir("ddb"), "dynamodb");
      const first = await start({ dir });
      await first.createTable({ name: TABLE, hashKey: "pk", attributes: [{ name: "pk", type: "S" }] });
      first.enableTtl(TABLE, "expiresAt");
      let client = clientFor(first);
      await put(client, { pk: { S: "durable" }, value: { S: "v1" } });
      client.destroy();
      await stop(first);
      expect(fs.existsSync(dir)).to.equal(true);

      const second = await start({ dir });
      client = clientFor(second);
      try {
        expect(await getItem(client, "durable")).to.deep.equal({ pk: { S: "durable" }, value: { S: "v1" } });
        await second.createTable({ name: TABLE, hashKey: "pk", attributes: [{ name: "pk", type: "S" }] });
        expect(await getItem(client, "durable")).to.not.equal(undefined);
        expect(second.ttlSettings()).to.deep.equal({ [TABLE]: "expiresAt" });
        const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: TABLE }));
        expect(ttl.TimeToLiveDescription).to.deep.equal({ TimeToLiveStatus: "ENABLED", AttributeName: "expiresAt" });
      } finally {
        client.destroy();
      }
    });

    // A state dir from before the owner index: the table is kept and gets the index, as
    // UpdateTable would add it on AWS, which backfills existing items ("Adding a global
    // secondary index to an existing table").
    it("adds a global secondary index missing from a kept table, with the items it already had", async () => {
      const dir = path.join(tmpDir("ddb"), "dynamodb");
      const first = await start({ dir });
      await first.createTable({ name: TABLE, hashKey: "pk", attributes: [{ name: "pk", type: "S" }] });
      first.enableTtl(TABLE, "expiresAt");
      const streamArn = first.enableStream(TABLE, "NEW_IMAGE");
      let client = clientFor(first);
      await put(client, { pk: { S: "old" }, owner: { S: "alice" }, createdAt: { S: "2026-01-01T00:00:00.000Z" } });
      client.destroy();
      await stop(first);

      const second = await start({ dir });
      client = clientFor(second);
      try {
        const index = { name: "byOwner", hashKey: "owner", rangeKey: "createdAt", projectionType: "INCLUDE", nonKeyAttributes: ["status"] };
        const attributes = [
          { name: "pk", type: "S" },
          { name: "owner", type: "S" },
          { name: "createdAt", type: "S" },
        ];
        await second.createTable({ name: TABLE, hashKey: "pk", attributes, globalSecondaryIndexes: [index] });
        await put(client, { pk: { S: "new" }, owner: { S: "alice" }, createdAt: { S: "2026-01-02T00:00:00.000Z" } });
        const out = await client.send(
          new QueryCommand({ TableName: TABLE, IndexName: "byOwner", KeyConditionExpression: "#o = :o", ExpressionAttributeNames: { "#o": "owner" }, ExpressionAttributeValues: { ":o": { S: "alice" } }, ScanIndexForward: false }),
        );
        expect(out.Items?.map((i) => i.pk.S)).to.deep.equal(["new", "old"]);
        // The table keeps its TTL and its stream.
        expect(second.ttlSettings()).to.deep.equal({ [TABLE]: "expiresAt" });
        expect(second.enableStream(TABLE, "NEW_IMAGE")).to.equal(streamArn);
        // A second start finds the index and leaves it be.
        await second.createTable({ name: TABLE, hashKey: "pk", attributes, globalSecondaryIndexes: [index] });
      } finally {
        client.destroy();
      }
    });

    it("keeps nothing without a dir", async () => {
      const first = await start();
      await first.createTable({ name: TABLE, hashKey: "pk", attributes: [{ name: "pk", type: "S" }] });
      await stop(first);
      const second = await start();
      const client = clientFor(second);
      try {
        expect((await client.send(new ListTablesCommand({}))).TableNames).to.deep.equal([]);
      } finally {
        client.destroy();
      }
    });
  });

  describe("TTL", () => {
    let service: LocalDynamoDbService;
    let client: DynamoDBClient;
    const NOW = 1_800_000_000_000; // ms
    const NOW_S = NOW / 1000;
    beforeEach(async () => {
      service = await start();
      await service.createTable({ name: TABLE, hashKey: "pk", attributes: [{ name: "pk", type: "S" }] });
      client = clientFor(service);
    });
    afterEach(async () => {
      client.destroy();
      await stop(service);
    });

    it("sweeps only expired items (Number attribute <= now) of tables with TTL on", async () => {
      await service.createTable({ name: "other-table", hashKey: "pk", attributes: [{ name: "pk", type: "S" }] });
      service.enableTtl(TABLE, "expiresAt");
      await put(client, { pk: { S: "past" }, expiresAt: { N: String(NOW_S - 100) } });
      await put(client, { pk: { S: "exactly-now" }, expiresAt: { N: String(NOW_S) } });
      await put(client, { pk: { S: "future" }, expiresAt: { N: String(NOW_S + 1) } });
      await put(client, { pk: { S: "string-ttl" }, expiresAt: { S: String(NOW_S - 100) } });
      await put(client, { pk: { S: "no-ttl" } });
      await put(client, { pk: { S: "other-attr" }, other: { N: "1" } });
      await put(client, { pk: { S: "past" }, expiresAt: { N: "1" } }, "other-table");

      expect(await service.sweepTtl(NOW)).to.equal(2);
      expect(await getItem(client, "past")).to.equal(undefined);
      expect(await getItem(client, "exactly-now")).to.equal(undefined);
      for (const kept of ["future", "string-ttl", "no-ttl", "other-attr"]) expect(await getItem(client, kept), kept).to.not.equal(undefined);
      expect(await getItem(client, "past", "other-table")).to.not.equal(undefined);
      expect(await service.sweepTtl(NOW)).to.equal(0);
      expect(await service.sweepTtl(NOW + 1000)).to.equal(1);
      expect(await getItem(client, "future")).to.equal(undefined);
    });

    it("does not delete an item rewritten with a later expiry while the sweep runs", async () => {
      service.enableTtl(TABLE, "expiresAt");
      await put(client, { pk: { S: "racing" }, expiresAt: { N: String(NOW_S - 10) }, v: { N: "1" } });
      let rewrites = 0;
      // Just before the sweep's delete reaches the table, another writer extends the item.
      service.use(async ({ operation, req }, next) => {
        if (operation === "DeleteItem" && req.headers[TTL_DELETE_HEADER] === "1") {
          rewrites++;
          await put(client, { pk: { S: "racing" }, expiresAt: { N: String(NOW_S + 3600) }, v: { N: "2" } });
        }
        next();
      });
      expect(await service.sweepTtl(NOW)).to.equal(0);
      expect(rewrites).to.equal(1);
      expect(await getItem(client, "racing")).to.deep.equal({ pk: { S: "racing" }, expiresAt: { N: String(NOW_S + 3600) }, v: { N: "2" } });
    });

    it("sweeps on its own timer", async () => {
      await stop(service);
      client.destroy();
      service = await start({ ttlSweepMs: 50 });
      client = clientFor(service);
      await service.createTable({ name: TABLE, hashKey: "pk", attributes: [{ name: "pk", type: "S" }] });
      service.enableTtl(TABLE, "expiresAt");
      await put(client, { pk: { S: "soon-gone" }, expiresAt: { N: String(Math.floor(Date.now() / 1000) - 1) } });
      await put(client, { pk: { S: "stays" }, expiresAt: { N: String(Math.floor(Date.now() / 1000) + 3600) } });
      expect(await waitFor(async () => (await getItem(client, "soon-gone")) === undefined, 3000)).to.equal(true);
      expect(await getItem(client, "stays")).to.not.equal(undefined);
    });

    it("answers UpdateTimeToLive and DescribeTimeToLive as DynamoDB does", async () => {
      const describe = async () => (await client.send(new DescribeTimeToLiveCommand({ TableName: TABLE }))).TimeToLiveDescription;
      expect(await describe()).to.deep.equal({ TimeToLiveStatus: "DISABLED" });
      const out = await client.send(new UpdateTimeToLiveCommand({ TableName: TABLE, TimeToLiveSpecification: { Enabled: true, AttributeName: "expiresAt" } }));
      expect(out.TimeToLiveSpecification).to.deep.equal({ Enabled: true, AttributeName: "expiresAt" });
      expect(await describe()).to.deep.equal({ TimeToLiveStatus: "ENABLED", AttributeName: "expiresAt" });
      expect(service.ttlSettings()).to.deep.equal({ [TABLE]: "expiresAt" });

      const again = await rejection(client.send(new UpdateTimeToLiveCommand({ TableName: TABLE, TimeToLiveSpecification: { Enabled: true, AttributeName: "expiresAt" } })));
      expect(again.name).to.equal("ValidationException");
      const missing = await rejection(client.send(new UpdateTimeToLiveCommand({ TableName: "no-such-table", TimeToLiveSpecification: { Enabled: true, AttributeName: "x" } })));
      expect(missing.name).to.equal("ResourceNotFoundException");

      // Enabled through the API, the sweep honours it.
      await put(client, { pk: { S: "api-ttl" }, expiresAt: { N: "1000" } });
      expect(await service.sweepTtl(NOW)).to.equal(1);

      await client.send(new UpdateTimeToLiveCommand({ TableName: TABLE, TimeToLiveSpecification: { Enabled: false, AttributeName: "expiresAt" } }));
      expect(await describe()).to.deep.equal({ TimeToLiveStatus: "DISABLED" });
      await put(client, { pk: { S: "api-ttl" }, expiresAt: { N: "1000" } });
      expect(await service.sweepTtl(NOW)).to.equal(0);
    });

    it("forgets the TTL setting of a deleted table", async () => {
      service.enableTtl(TABLE, "expiresAt");
      await client.send(new DeleteTableCommand({ TableName: TABLE }));
      expect(await waitFor(async () => Object.keys(service.ttlSettings()).length === 0, 1000)).to.equal(true);
      expect(await service.sweepTtl(NOW)).to.equal(0);
    });
  });
});
