/**
 * The tables a Pulumi program declares (`aws.dynamodb.Table`), created through the endpoint when
 * the program is evaluated (`createTable`), or kept when the state dir already has them; a kept
 * table lacking a declared global secondary index is rebuilt with it, its items kept.
 */
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { GlobalSecondaryIndex, KeySchemaElement, AttributeDefinition, ScalarAttributeType } from "@aws-sdk/client-dynamodb";
import type { DynamoDbItem, DynamoDbService, LocalGlobalSecondaryIndex } from "../types";
import { isNamed } from "./clients";
import type { DynaliteCaller } from "./dynaliteCall";
import type { TableCatalog } from "./tables";

export type TableInput = Parameters<DynamoDbService["createTable"]>[0];

/** `aws.dynamodb.Table`'s index → CreateTable's. */
function globalSecondaryIndex(index: LocalGlobalSecondaryIndex): GlobalSecondaryIndex {
  const keySchema: KeySchemaElement[] = [{ AttributeName: index.hashKey, KeyType: "HASH" }];
  if (index.rangeKey) keySchema.push({ AttributeName: index.rangeKey, KeyType: "RANGE" });
  const type = index.projectionType as "ALL" | "KEYS_ONLY" | "INCLUDE";
  return {
    IndexName: index.name,
    KeySchema: keySchema,
    Projection: { ProjectionType: type, ...(type === "INCLUDE" ? { NonKeyAttributes: index.nonKeyAttributes ?? [] } : {}) },
  };
}

export class TableSetup {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly callDynalite: DynaliteCaller,
    private readonly catalog: TableCatalog,
    private readonly log: (line: string) => void,
  ) {}

  /** Creates the table, or keeps the one there (adding the indexes it lacks); resolves once it is ACTIVE. */
  async createTable(input: TableInput): Promise<void> {
    const attributes = input.attributes.map((a) => ({ AttributeName: a.name, AttributeType: a.type as ScalarAttributeType }));
    const keySchema: KeySchemaElement[] = [{ AttributeName: input.hashKey, KeyType: "HASH" }];
    if (input.rangeKey) keySchema.push({ AttributeName: input.rangeKey, KeyType: "RANGE" });
    const indexes = (input.globalSecondaryIndexes ?? []).map(globalSecondaryIndex);
    try {
      await this.client.send(
        new CreateTableCommand({
          TableName: input.name,
          AttributeDefinitions: attributes,
          KeySchema: keySchema,
          BillingMode: "PAY_PER_REQUEST",
          ...(indexes.length > 0 ? { GlobalSecondaryIndexes: indexes } : {}),
        }),
      );
      this.log(`dynamodb: created table ${input.name}`);
    } catch (err) {
      if (!isNamed(err, "ResourceInUseException")) throw err;
      await this.keepTable(input.name, attributes, keySchema, indexes);
    }
    this.catalog.forget(input.name);
    await this.waitActive(input.name);
  }

  /** A table that exists already: kept as it is, but for the declared indexes it lacks. */
  private async keepTable(tableName: string, attributes: AttributeDefinition[], keySchema: KeySchemaElement[], indexes: GlobalSecondaryIndex[]): Promise<void> {
    const existing = await this.client.send(new DescribeTableCommand({ TableName: tableName }));
    const has = (existing.Table?.KeySchema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(",");
    const wanted = keySchema.map((k) => `${k.AttributeName}:${k.KeyType}`).join(",");
    if (has !== wanted) this.log(`dynamodb: table ${tableName} exists with key schema ${has}, not ${wanted}: keeping it as it is`);
    // A table kept from before an index was declared (state from an older version): AWS adds
    // it with UpdateTable and backfills it ("Adding a global secondary index to an existing
    // table"); dynalite's UpdateTable ignores index creation, so the table is rebuilt with it.
    const present = new Set((existing.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
    if (indexes.some((i) => !present.has(i.IndexName!))) {
      await this.rebuildWithIndexes(tableName, attributes, existing.Table?.KeySchema ?? keySchema, indexes);
      this.log(`dynamodb: added index(es) ${indexes.map((i) => i.IndexName).join(", ")} to table ${tableName}`);
    }
  }

  /**
   * Recreates a table with `indexes`, keeping its items. In dynalite itself (not through the
   * endpoint): the rewrite is no change, so it makes no stream records and triggers nothing.
   */
  private async rebuildWithIndexes(tableName: string, attributes: AttributeDefinition[], keySchema: KeySchemaElement[], indexes: GlobalSecondaryIndex[]): Promise<void> {
    const items = await this.allItems(tableName);
    // In dynalite too: through the endpoint, DeleteTable would also end the table's stream and TTL.
    const deleted = await this.callDynalite("DeleteTable", { TableName: tableName });
    if (deleted.status !== 200) throw new Error(`dynamodb: could not rebuild table ${tableName}: ${deleted.body}`);
    for (let i = 0; i < 200; i++) {
      const described = await this.callDynalite("DescribeTable", { TableName: tableName });
      if (described.status !== 200) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const created = await this.callDynalite("CreateTable", { TableName: tableName, AttributeDefinitions: attributes, KeySchema: keySchema, BillingMode: "PAY_PER_REQUEST", GlobalSecondaryIndexes: indexes });
    if (created.status !== 200) throw new Error(`dynamodb: could not rebuild table ${tableName}: ${created.body}`);
    await this.waitActive(tableName);
    for (const item of items) {
      const reply = await this.callDynalite("PutItem", { TableName: tableName, Item: item });
      if (reply.status !== 200) throw new Error(`dynamodb: could not restore an item of table ${tableName}: ${reply.body}`);
    }
  }

  /** Every item of the table, read in dynalite. */
  private async allItems(tableName: string): Promise<DynamoDbItem[]> {
    const items: DynamoDbItem[] = [];
    let start: DynamoDbItem | undefined;
    do {
      const reply = await this.callDynalite("Scan", { TableName: tableName, ...(start ? { ExclusiveStartKey: start } : {}) });
      if (reply.status !== 200) throw new Error(`dynamodb: could not read table ${tableName} to add its indexes: ${reply.body}`);
      const page = JSON.parse(reply.body) as { Items?: DynamoDbItem[]; LastEvaluatedKey?: DynamoDbItem };
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** createTableMs and updateTableMs are 0, but dynalite flips CREATING → ACTIVE (tables and indexes) on a timer. */
  private async waitActive(tableName: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const out = await this.client.send(new DescribeTableCommand({ TableName: tableName }));
      if (out.Table?.TableStatus === "ACTIVE" && (out.Table.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === "ACTIVE")) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`table ${tableName} did not become ACTIVE`);
  }
}
