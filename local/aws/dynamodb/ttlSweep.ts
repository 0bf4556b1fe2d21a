/**
 * DynamoDB TTL's deletions, emulated: a periodic sweep (and `sweep()` on demand) scans each table
 * with TTL enabled and deletes the items whose TTL attribute (epoch seconds, a Number) is past,
 * through the endpoint, so the deletes reach the table's stream as TTL deletions ("Using time to
 * live (TTL) in DynamoDB",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html).
 */
import { DeleteItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { isNamed } from "./clients";
import type { TableCatalog } from "./tables";
import type { TtlSettings } from "./ttlSettings";

export class TtlSweeper {
  private stopped = false;
  private sweeping: Promise<unknown> | undefined;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly settings: TtlSettings,
    private readonly catalog: TableCatalog,
    /** A client whose requests carry the TTL sweep's marker (clients.ts). */
    private readonly client: DynamoDBClient,
    private readonly log: (line: string) => void,
    /** `0` = no timer. */
    sweepMs: number,
  ) {
    this.timer = sweepMs > 0 ? setInterval(() => this.tick(), sweepMs) : undefined;
    this.timer?.unref();
  }

  /** Deletes every item expired at `now` (epoch ms); answers how many. */
  async sweep(now: number = Date.now()): Promise<number> {
    let total = 0;
    for (const [table, attribute] of this.settings.entries()) {
      try {
        total += await this.sweepTable(table, attribute, now);
      } catch (err) {
        if (this.stopped) break;
        this.log(`dynamodb: TTL sweep of ${table} failed: ${(err as Error).message}`);
      }
    }
    return total;
  }

  /** Stops the timer and waits for a sweep under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.sweeping?.catch(() => undefined);
  }

  private tick(): void {
    if (this.sweeping || this.stopped || this.settings.size === 0) return;
    this.sweeping = this.sweep()
      .then((n) => {
        if (n > 0) this.log(`dynamodb: TTL deleted ${n} expired item(s)`);
      })
      .finally(() => (this.sweeping = undefined));
  }

  private async sweepTable(table: string, attribute: string, nowMs: number): Promise<number> {
    const nowSeconds = String(nowMs / 1000);
    const keys = await this.catalog.keyNames(table);
    if (!keys) return 0;
    let deleted = 0;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: table,
          ConsistentRead: true,
          ExclusiveStartKey: start,
          // Only Number attributes expire; other types (and absent attributes) never do, as on AWS.
          FilterExpression: "#ttl <= :now",
          ExpressionAttributeNames: { "#ttl": attribute },
          ExpressionAttributeValues: { ":now": { N: nowSeconds } },
        }),
      );
      for (const item of page.Items ?? []) {
        if (await this.deleteExpired(table, attribute, nowSeconds, Object.fromEntries(keys.map((k) => [k, item[k]])))) deleted++;
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return deleted;
  }

  /** Deletes the item if it is still expired; answers whether it did. */
  private async deleteExpired(table: string, attribute: string, nowSeconds: string, key: Record<string, AttributeValue>): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: table,
          Key: key,
          // Still expired at the time of the delete: an item rewritten meanwhile with a later
          // expiry (or deleted) is left alone.
          ConditionExpression: "#ttl <= :now",
          ExpressionAttributeNames: { "#ttl": attribute },
          ExpressionAttributeValues: { ":now": { N: nowSeconds } },
        }),
      );
      return true;
    } catch (err) {
      if (!isNamed(err, "ConditionalCheckFailedException")) throw err;
      return false;
    }
  }
}
