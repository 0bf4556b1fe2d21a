import { expect } from "chai";
import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import type { AttributeValue, TransactWriteItem } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { startDynamoDbService } from "../../local/aws/dynamodb";
import type { LocalDynamoDbService } from "../../local/aws/dynamodb";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/aws/types";
import { rejection } from "./storage/support";

const TABLE = "tx-table";
const OTHER = "tx-other";
type Item = Record<string, AttributeValue>;

function clientFor(service: LocalDynamoDbService, maxAttempts?: number): DynamoDBClient {
  return new DynamoDBClient({ endpoint: service.endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS }, maxAttempts });
}

/** A TransactWriteItems request sent byte for byte (dynalite checks that a request looks signed, not the signature). */
async function rawTransact(service: LocalDynamoDbService, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(service.endpoint, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.0",
      "X-Amz-Target": "DynamoDB_20120810.TransactWriteItems",
      "X-Amz-Date": "20260101T000000Z",
      Authorization: "AWS4-HMAC-SHA256 Credential=S3RVER/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe("local DynamoDB: TransactWriteItems", function () {
  let service: LocalDynamoDbService;
  let client: DynamoDBClient;

  const get = async (pk: string, table = TABLE): Promise<Item | undefined> =>
    (await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }))).Item;
  const put = async (item: Item, table = TABLE): Promise<void> => {
    await client.send(new PutItemCommand({ TableName: table, Item: item }));
  };
  const transact = (items: TransactWriteItem[], c = client) => c.send(new TransactWriteItemsCommand({ TransactItems: items }));
  const cancellation = async (items: TransactWriteItem[]): Promise<TransactionCanceledException> => {
    const err = await rejection(transact(items));
    expect(err).to.be.instanceOf(TransactionCanceledException);
    return err as TransactionCanceledException;
  };

  before(async () => {
    service = await startDynamoDbService({ ttlSweepMs: 0 });
    await service.createTable({ name: TABLE, hashKey: "pk", attributes: [{ name: "pk", type: "S" }] });
    await service.createTable({ name: OTHER, hashKey: "pk", attributes: [{ name: "pk", type: "S" }] });
    client = clientFor(service);
  });
  after(async () => {
    client.destroy();
    await service.stop();
  });

  it("applies Put, Update and Delete across tables and leaves a ConditionCheck's item alone", async () => {
    await put({ pk: { S: "s-upd" }, n: { N: "1" }, tag: { S: "old" } });
    await put({ pk: { S: "s-del" } });
    await put({ pk: { S: "s-chk" }, state: { S: "OPEN" } }, OTHER);
    const out = await transact([
      { Put: { TableName: TABLE, Item: { pk: { S: "s-new" }, v: { S: "x" } }, ConditionExpression: "attribute_not_exists(pk)" } },
      {
        Update: {
          TableName: TABLE,
          Key: { pk: { S: "s-upd" } },
          UpdateExpression: "SET #t = :t ADD n :two",
          ConditionExpression: "n = :one",
          ExpressionAttributeNames: { "#t": "tag" },
          ExpressionAttributeValues: { ":t": { S: "new" }, ":one": { N: "1" }, ":two": { N: "2" } },
        },
      },
      { Delete: { TableName: TABLE, Key: { pk: { S: "s-del" } }, ConditionExpression: "attribute_exists(pk)" } },
      { ConditionCheck: { TableName: OTHER, Key: { pk: { S: "s-chk" } }, ConditionExpression: "#s = :open", ExpressionAttributeNames: { "#s": "state" }, ExpressionAttributeValues: { ":open": { S: "OPEN" } } } },
    ]);
    expect(out.$metadata.httpStatusCode).to.equal(200);
    expect(await get("s-new")).to.deep.equal({ pk: { S: "s-new" }, v: { S: "x" } });
    expect(await get("s-upd")).to.deep.equal({ pk: { S: "s-upd" }, n: { N: "3" }, tag: { S: "new" } });
    expect(await get("s-del")).to.equal(undefined);
    expect(await get("s-chk", OTHER)).to.deep.equal({ pk: { S: "s-chk" }, state: { S: "OPEN" } });
  });

  it("answers a failed condition with AWS's exact TransactionCanceledException body", async () => {
    await put({ pk: { S: "w-exists" }, version: { N: "7" } });
    const { status, json } = await rawTransact(service, {
      TransactItems: [
        { Put: { TableName: TABLE, Item: { pk: { S: "w-exists" }, version: { N: "8" } }, ConditionExpression: "attribute_not_exists(pk)", ReturnValuesOnConditionCheckFailure: "ALL_OLD" } },
        { Put: { TableName: TABLE, Item: { pk: { S: "w-fresh" } } } },
      ],
    });
    expect(status).to.equal(400);
    expect(json).to.deep.equal({
      __type: "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
      Message: "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]",
      CancellationReasons: [
        { Code: "ConditionalCheckFailed", Message: "The conditional request failed", Item: { pk: { S: "w-exists" }, version: { N: "7" } } },
        { Code: "None" },
      ],
    });
    expect(await get("w-exists")).to.deep.equal({ pk: { S: "w-exists" }, version: { N: "7" } });
    expect(await get("w-fresh")).to.equal(undefined);
  });

  it("gives SDK users CancellationReasons, with the old item only for ALL_OLD on an existing item", async () => {
    await put({ pk: { S: "r-1" }, state: { S: "DONE" } });
    await put({ pk: { S: "r-2" }, state: { S: "DONE" } });
    const err = await cancellation([
      { ConditionCheck: { TableName: TABLE, Key: { pk: { S: "r-1" } }, ConditionExpression: "#s = :q", ExpressionAttributeNames: { "#s": "state" }, ExpressionAttributeValues: { ":q": { S: "QUEUED" } }, ReturnValuesOnConditionCheckFailure: "ALL_OLD" } },
      { Update: { TableName: TABLE, Key: { pk: { S: "r-2" } }, UpdateExpression: "SET #s = :q", ConditionExpression: "#s = :q", ExpressionAttributeNames: { "#s": "state" }, ExpressionAttributeValues: { ":q": { S: "QUEUED" } }, ReturnValuesOnConditionCheckFailure: "NONE" } },
      { Delete: { TableName: TABLE, Key: { pk: { S: "r-missing" } }, ConditionExpression: "attribute_exists(pk)", ReturnValuesOnConditionCheckFailure: "ALL_OLD" } },
    ]);
    expect(err.message).to.equal("Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, ConditionalCheckFailed, ConditionalCheckFailed]");
    expect(err.$metadata.httpStatusCode).to.equal(400);
    expect(err.CancellationReasons).to.deep.equal([
      { Code: "ConditionalCheckFailed", Message: "The conditional request failed", Item: { pk: { S: "r-1" }, state: { S: "DONE" } } },
      { Code: "ConditionalCheckFailed", Message: "The conditional request failed" },
      { Code: "ConditionalCheckFailed", Message: "The conditional request failed" },
    ]);
  });

  it("evaluates and reports every item's condition: two failures among successes", async () => {
    await put({ pk: { S: "m-a" }, n: { N: "1" } });
    await put({ pk: { S: "m-b" }, n: { N: "1" } });
    const err = await cancellation([
      { Put: { TableName: TABLE, Item: { pk: { S: "m-a" }, n: { N: "2" } }, ConditionExpression: "n = :five", ExpressionAttributeValues: { ":five": { N: "5" } } } },
      { Put: { TableName: TABLE, Item: { pk: { S: "m-new" } }, ConditionExpression: "attribute_not_exists(pk)" } },
      { Update: { TableName: TABLE, Key: { pk: { S: "m-b" } }, UpdateExpression: "SET n = :two", ConditionExpression: "n = :one", ExpressionAttributeValues: { ":one": { N: "1" }, ":two": { N: "2" } } } },
      { Delete: { TableName: TABLE, Key: { pk: { S: "m-b2" } }, ConditionExpression: "attribute_exists(pk)" } },
    ]);
    expect(err.CancellationReasons?.map((r) => r.Code)).to.deep.equal(["ConditionalCheckFailed", "None", "None", "ConditionalCheckFailed"]);
    expect(err.message).to.contain("[ConditionalCheckFailed, None, None, ConditionalCheckFailed]");
    expect(await get("m-a")).to.deep.equal({ pk: { S: "m-a" }, n: { N: "1" } });
    expect(await get("m-b")).to.deep.equal({ pk: { S: "m-b" }, n: { N: "1" } });
    expect(await get("m-new")).to.equal(undefined);
  });

  it("undoes the ops already applied when a later one fails (ValidationError reason)", async () => {
    await put({ pk: { S: "u-del" }, keep: { S: "me" } });
    await put({ pk: { S: "u-upd" }, n: { N: "1" } });
    await put({ pk: { S: "u-str" }, n: { S: "not a number" } });
    const err = await cancellation([
      { Put: { TableName: TABLE, Item: { pk: { S: "u-new" } } } },
      { Delete: { TableName: TABLE, Key: { pk: { S: "u-del" } } } },
      { Update: { TableName: TABLE, Key: { pk: { S: "u-upd" } }, UpdateExpression: "SET n = n + :one", ExpressionAttributeValues: { ":one": { N: "1" } } } },
      // Only found out when applied: `n` is a string here.
      { Update: { TableName: TABLE, Key: { pk: { S: "u-str" } }, UpdateExpression: "SET n = n + :one", ExpressionAttributeValues: { ":one": { N: "1" } } } },
    ]);
    expect(err.CancellationReasons?.map((r) => r.Code)).to.deep.equal(["None", "None", "None", "ValidationError"]);
    expect(err.CancellationReasons?.[3].Message).to.match(/incorrect data type/);
    expect(await get("u-new")).to.equal(undefined);
    expect(await get("u-del")).to.deep.equal({ pk: { S: "u-del" }, keep: { S: "me" } });
    expect(await get("u-upd")).to.deep.equal({ pk: { S: "u-upd" }, n: { N: "1" } });
    expect(await get("u-str")).to.deep.equal({ pk: { S: "u-str" }, n: { S: "not a number" } });
  });

  it("never writes for a ConditionCheck, even on an item that does not exist", async () => {
    await transact([
      { ConditionCheck: { TableName: TABLE, Key: { pk: { S: "c-absent" } }, ConditionExpression: "attribute_not_exists(pk)" } },
      { Put: { TableName: TABLE, Item: { pk: { S: "c-written" } } } },
    ]);
    expect(await get("c-absent")).to.equal(undefined);
    expect(await get("c-written")).to.not.equal(undefined);
  });

  describe("validation", () => {
    const put1 = (pk: string): TransactWriteItem => ({ Put: { TableName: TABLE, Item: { pk: { S: pk } } } });
    const expectValidation = async (items: TransactWriteItem[], message: RegExp | string) => {
      const err = await rejection(transact(items));
      expect(err.name).to.equal("ValidationException");
      if (typeof message === "string") expect(err.message).to.equal(message);
      else expect(err.message).to.match(message);
    };

    it("rejects an empty list and more than 100 items", async () => {
      await expectValidation([], /Member must have length greater than or equal to 1/);
      const many = Array.from({ length: 101 }, (_, i) => put1(`v-many-${i}`));
      await expectValidation(many, /Member must have length less than or equal to 100/);
      expect(await get("v-many-0")).to.equal(undefined);
      // 100 is allowed.
      await transact(many.slice(0, 100));
      expect(await get("v-many-99")).to.not.equal(undefined);
    });

    it("rejects two operations on one item", async () => {
      const message = "Transaction request cannot include multiple operations on one item";
      await expectValidation([put1("v-dup"), { Delete: { TableName: TABLE, Key: { pk: { S: "v-dup" } } } }], message);
      await expectValidation([{ ConditionCheck: { TableName: TABLE, Key: { pk: { S: "v-dup" } }, ConditionExpression: "attribute_not_exists(pk)" } }, put1("v-dup")], message);
      expect(await get("v-dup")).to.equal(undefined);
      // The same key in two tables is two items.
      await transact([put1("v-dup"), { Put: { TableName: OTHER, Item: { pk: { S: "v-dup" } } } }]);
      expect(await get("v-dup", OTHER)).to.not.equal(undefined);
    });

    it("answers ResourceNotFoundException for a missing table, writing nothing", async () => {
      const err = await rejection(transact([put1("v-rnf"), { Put: { TableName: "no-such-table", Item: { pk: { S: "x" } } } }]));
      expect(err.name).to.equal("ResourceNotFoundException");
      expect(err.message).to.equal("Requested resource not found");
      expect(await get("v-rnf")).to.equal(undefined);
    });

    it("rejects malformed ops, keys and expressions", async () => {
      await expectValidation(
        [{ Put: { TableName: TABLE, Item: { pk: { S: "v-two" } } }, Delete: { TableName: TABLE, Key: { pk: { S: "v-two" } } } } as TransactWriteItem],
        "TransactItems can only contain one of Check, Put, Update or Delete",
      );
      await expectValidation([{ ConditionCheck: { TableName: TABLE, Key: { pk: { S: "v-x" } } } as never }], /conditionCheck\.conditionExpression.*must not be null/);
      await expectValidation([{ Put: { TableName: TABLE, Item: { other: { S: "v" } } } }], "One or more parameter values were invalid: Missing the key pk in the item");
      await expectValidation([{ Delete: { TableName: TABLE, Key: { pk: { S: "v" }, extra: { S: "x" } } } }], "The provided key element does not match the schema");
      await expectValidation([{ Put: { TableName: TABLE, Item: { pk: { S: "v-syntax" } }, ConditionExpression: "attribute_not_exists(" } }], /Invalid ConditionExpression/);
      await expectValidation([{ Put: { TableName: TABLE, Item: { pk: { S: "v-unused" } }, ConditionExpression: "attribute_not_exists(pk)", ExpressionAttributeValues: { ":u": { S: "x" } } } }], /unused/);
      expect(await get("v-syntax")).to.equal(undefined);
      expect(await get("v-unused")).to.equal(undefined);
    });
  });

  it("works through lib-dynamodb's TransactWriteCommand", async () => {
    const doc = DynamoDBDocumentClient.from(client);
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: TABLE, Item: { pk: "d-1", tags: new Set(["a", "b"]), nested: { x: 1 } }, ConditionExpression: "attribute_not_exists(pk)" } },
          { Update: { TableName: TABLE, Key: { pk: "d-2" }, UpdateExpression: "SET #c = if_not_exists(#c, :zero) + :one", ExpressionAttributeNames: { "#c": "count" }, ExpressionAttributeValues: { ":zero": 0, ":one": 1 } } },
        ],
      }),
    );
    expect(await get("d-1")).to.deep.equal({ pk: { S: "d-1" }, tags: { SS: ["a", "b"] }, nested: { M: { x: { N: "1" } } } });
    expect((await get("d-2"))?.count).to.deep.equal({ N: "1" });
    const err = await rejection(doc.send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: TABLE, Item: { pk: "d-1" }, ConditionExpression: "attribute_not_exists(pk)" } }] })));
    expect(err.name).to.equal("TransactionCanceledException");
    expect((err as TransactionCanceledException).CancellationReasons?.[0].Code).to.equal("ConditionalCheckFailed");
  });

  it("lets exactly one of 20 concurrent transactions claim the same idempotency item", async () => {
    const attempts = Array.from({ length: 20 }, (_, i) =>
      transact([
        { Put: { TableName: TABLE, Item: { pk: { S: "idem#k1" }, jobId: { S: `job-${i}` } }, ConditionExpression: "attribute_not_exists(pk)", ReturnValuesOnConditionCheckFailure: "ALL_OLD" } },
        { Put: { TableName: TABLE, Item: { pk: { S: `job#${i}` }, state: { S: "QUEUED" } } } },
      ]).then(
        () => ({ i, won: true as const }),
        (err: unknown) => ({ i, won: false as const, err: err as TransactionCanceledException }),
      ),
    );
    const results = await Promise.all(attempts);
    const winners = results.filter((r) => r.won);
    expect(winners).to.have.length(1);
    const winner = winners[0].i;
    expect(await get("idem#k1")).to.deep.equal({ pk: { S: "idem#k1" }, jobId: { S: `job-${winner}` } });
    for (const r of results) {
      if (r.won) continue;
      expect(r.err.name).to.equal("TransactionCanceledException");
      expect(r.err.CancellationReasons?.map((c) => c.Code)).to.deep.equal(["ConditionalCheckFailed", "None"]);
      expect(r.err.CancellationReasons?.[0].Item?.jobId).to.deep.equal({ S: `job-${winner}` });
    }
    for (let i = 0; i < 20; i++) expect(await get(`job#${i}`), `job#${i}`).to.deep.equal(i === winner ? { pk: { S: `job#${i}` }, state: { S: "QUEUED" } } : undefined);
  });

  it("is atomic with respect to concurrent writes: transfers keep the total", async () => {
    await put({ pk: { S: "acct-a" }, balance: { N: "100" } });
    await put({ pk: { S: "acct-b" }, balance: { N: "100" } });
    const transfer = (from: string, to: string, amount: number) =>
      transact([
        { Update: { TableName: TABLE, Key: { pk: { S: from } }, UpdateExpression: "SET balance = balance - :x", ConditionExpression: "balance >= :x", ExpressionAttributeValues: { ":x": { N: String(amount) } } } },
        { Update: { TableName: TABLE, Key: { pk: { S: to } }, UpdateExpression: "SET balance = balance + :x", ExpressionAttributeValues: { ":x": { N: String(amount) } } } },
      ]).then(
        () => true,
        () => false,
      );
    const moves = [];
    for (let i = 0; i < 30; i++) moves.push(i % 2 ? transfer("acct-a", "acct-b", 30) : transfer("acct-b", "acct-a", 45));
    const done = await Promise.all(moves);
    const a = Number((await get("acct-a"))?.balance.N);
    const b = Number((await get("acct-b"))?.balance.N);
    expect(a + b).to.equal(200);
    expect(a).to.be.at.least(0);
    expect(b).to.be.at.least(0);
    expect(done.some((ok) => ok)).to.equal(true);
  });

  it("applies write-fault injection to transactions; the SDK's retry then succeeds", async () => {
    const once = clientFor(service, 1);
    try {
      service.failNextWrites(1);
      const err = await rejection(transact([{ Put: { TableName: TABLE, Item: { pk: { S: "f-1" } } } }], once));
      expect(err.name).to.equal("InternalServerError");
      expect(await get("f-1")).to.equal(undefined);
      service.failNextWrites(1, "ThrottlingException");
      await transact([{ Put: { TableName: TABLE, Item: { pk: { S: "f-2" } } } }]);
      expect(await get("f-2")).to.not.equal(undefined);
    } finally {
      service.failNextWrites(0);
      once.destroy();
    }
  });

  it("honours ClientRequestToken: a repeat succeeds without writing again; other parameters are refused", async () => {
    const items: TransactWriteItem[] = [{ Update: { TableName: TABLE, Key: { pk: { S: "i-counter" } }, UpdateExpression: "ADD n :one", ExpressionAttributeValues: { ":one": { N: "1" } } } }];
    await client.send(new TransactWriteItemsCommand({ TransactItems: items, ClientRequestToken: "token-1" }));
    await client.send(new TransactWriteItemsCommand({ TransactItems: items, ClientRequestToken: "token-1" }));
    expect((await get("i-counter"))?.n).to.deep.equal({ N: "1" });
    const err = await rejection(client.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: TABLE, Item: { pk: { S: "i-other" } } } }], ClientRequestToken: "token-1" })));
    expect(err.name).to.equal("IdempotentParameterMismatchException");
    // Without a token of their own, SDK calls are distinct transactions.
    await transact(items);
    expect((await get("i-counter"))?.n).to.deep.equal({ N: "2" });
  });

  it("reports ConsumedCapacity when asked", async () => {
    const out = await client.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: TABLE, Item: { pk: { S: "cc-1" } } } }, { Put: { TableName: OTHER, Item: { pk: { S: "cc-1" } } } }], ReturnConsumedCapacity: "TOTAL" }));
    expect(out.ConsumedCapacity?.map((c) => [c.TableName, c.CapacityUnits])).to.deep.equal([[TABLE, 2], [OTHER, 2]]);
  });

  it("returns the old item of a failed single-item conditional write with ReturnValuesOnConditionCheckFailure", async () => {
    await put({ pk: { S: "single" }, v: { N: "1" } });
    const err = await rejection(client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "single" }, v: { N: "2" } }, ConditionExpression: "attribute_not_exists(pk)", ReturnValuesOnConditionCheckFailure: "ALL_OLD" })));
    expect(err.name).to.equal("ConditionalCheckFailedException");
    expect((err as unknown as { Item?: Item }).Item).to.deep.equal({ pk: { S: "single" }, v: { N: "1" } });
    const plain = await rejection(client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "single" } }, ConditionExpression: "attribute_not_exists(pk)" })));
    expect((plain as unknown as { Item?: Item }).Item).to.equal(undefined);
  });
});
