// The local DynamoDB counts an item's size as DynamoDB does, strings in UTF-8 bytes (AWS, "DynamoDB
// item sizes and formats": "Strings are Unicode with UTF-8 binary encoding"; "Constraints in Amazon
// DynamoDB": items up to 400 KB, 1 KB = 1024 bytes). dynalite alone counts UTF-16 units, so 150,000
// "€" (450,000 bytes) passed as 150,000.
import { expect } from "chai";
import { DynamoDBClient, GetItemCommand, PutItemCommand, TransactionCanceledException, TransactWriteItemsCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { startDynamoDbService, type LocalDynamoDbService } from "../../local/aws/dynamodb";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/aws/types";
import { rejection } from "./storage/support";

const TABLE = "size-table";

describe("local DynamoDB: the 400 KB item size limit in UTF-8 bytes", function () {
  let service: LocalDynamoDbService;
  let client: DynamoDBClient;
  const get = async (pk: string) => (await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: pk } }, ConsistentRead: true }))).Item;

  before(async () => {
    service = await startDynamoDbService({ ttlSweepMs: 0 });
    await service.createTable({ name: TABLE, hashKey: "pk", attributes: [{ name: "pk", type: "S" }] });
    client = new DynamoDBClient({ endpoint: service.endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS }, maxAttempts: 1 });
  });
  after(async () => {
    client.destroy();
    await service.stop();
  });

  it("refuses a PutItem of 150,000 '€' (450,000 bytes), and keeps 130,000 (390,000 bytes)", async () => {
    const err = await rejection(client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "big" }, v: { S: "€".repeat(150_000) } } })));
    expect((err as Error).name).to.equal("ValidationException");
    expect((err as Error).message).to.equal("Item size has exceeded the maximum allowed size");
    expect(await get("big")).to.equal(undefined);
    await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "fits" }, v: { S: "€".repeat(130_000) } } }));
    expect((await get("fits"))?.v.S).to.have.length(130_000);
  });

  it("refuses an UpdateItem that grows an item past the limit, and leaves the item as it was", async () => {
    await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "grow" }, a: { S: "é".repeat(100_000) } } }));
    const err = await rejection(client.send(new UpdateItemCommand({ TableName: TABLE, Key: { pk: { S: "grow" } }, UpdateExpression: "SET b = :b", ExpressionAttributeValues: { ":b": { S: "é".repeat(110_000) } } })));
    expect((err as Error).name).to.equal("ValidationException");
    const item = await get("grow");
    expect(item?.a.S).to.have.length(100_000);
    expect(item).not.to.have.property("b");
  });

  it("cancels a transaction whose item would pass the limit (ValidationError), applying none of it", async () => {
    const err = await rejection(
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: TABLE, Item: { pk: { S: "tx-small" }, v: { S: "ok" } } } },
            { Update: { TableName: TABLE, Key: { pk: { S: "tx-big" } }, UpdateExpression: "SET v = :v", ExpressionAttributeValues: { ":v": { S: "€".repeat(140_000) } } } },
          ],
        }),
      ),
    );
    expect(err).to.be.instanceOf(TransactionCanceledException);
    expect((err as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).to.deep.equal(["None", "ValidationError"]);
    expect(await get("tx-small")).to.equal(undefined);
    expect(await get("tx-big")).to.equal(undefined);
  });
});
