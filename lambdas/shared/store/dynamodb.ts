import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { dynamoDocumentClient } from "../clients";
import { isExpired, iso } from "../status";
import type { IdempotencyRecord, JobRecord } from "../types";
import { OWNER_INDEX } from "./listIndex";
import { isOwnWrite } from "./ownWrite";
import { ConflictError } from "./types";
import type { JobStore, ListedJob, ListedPage, ListPosition, StoreOptions } from "./types";

function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as Error | undefined)?.name === "ConditionalCheckFailedException";
}

/** A conditional write; a lost condition is a `ConflictError`, unless `current()` shows the item is `written` (an SDK retry of an applied write: ./ownWrite.ts). */
async function conditional(write: () => Promise<unknown>, what: string, written: unknown, current: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    if (isOwnWrite(written, await current())) return;
    throw new ConflictError(what);
  }
}

/** Job and idempotency records as items of one table (partition key `pk`, TTL attribute `expiresAt`). */
export class DynamoDbJobStore implements JobStore {
  private readonly now: () => number;
  private readonly pendingDeadlineSeconds?: number;

  constructor(
    private readonly tableName: string,
    options: StoreOptions = {},
    private readonly client: DynamoDBDocumentClient = dynamoDocumentClient(),
  ) {
    this.now = options.now ?? Date.now;
    this.pendingDeadlineSeconds = options.pendingDeadlineSeconds;
  }

  private async get(pk: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk }, ConsistentRead: true }));
    const item = out.Item;
    // DynamoDB's TTL deletes lazily (up to days late): an expired item is absent to readers.
    if (!item || typeof item.expiresAt !== "number" || isExpired(item as { expiresAt: number }, this.now())) return undefined;
    return item;
  }

  async getJob(jobId: string): Promise<JobRecord | undefined> {
    const item = await this.get(jobId);
    if (!item || item.kind !== "job") return undefined;
    return this.withDeadline(item as unknown as JobRecord);
  }

  /** Backend `stream`'s gateway writes PENDING records without a deadline: StoreOptions.pendingDeadlineSeconds. */
  private withDeadline<T extends Pick<JobRecord, "createdAt" | "deadline">>(record: T): T {
    if (record.deadline === undefined && this.pendingDeadlineSeconds !== undefined) {
      const created = Date.parse(record.createdAt);
      if (Number.isFinite(created)) record.deadline = iso(created + this.pendingDeadlineSeconds * 1000);
    }
    return record;
  }

  /** A Query of the owner index, newest first: "Querying tables in DynamoDB" (ScanIndexForward, ExclusiveStartKey). */
  async listJobs(owner: string, options: { limit: number; after?: ListPosition }): Promise<ListedPage> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: OWNER_INDEX.name,
        KeyConditionExpression: "#owner = :owner",
        ExpressionAttributeNames: { "#owner": OWNER_INDEX.hashKey },
        ExpressionAttributeValues: { ":owner": owner },
        ScanIndexForward: false,
        Limit: options.limit,
        // A query of a global secondary index resumes from the table's key and the index's keys.
        ...(options.after ? { ExclusiveStartKey: { pk: options.after.jobId, owner, createdAt: options.after.createdAt } } : {}),
      }),
    );
    const jobs = (out.Items ?? [])
      .filter((item) => item.kind === "job" && typeof item.expiresAt === "number" && !isExpired(item as { expiresAt: number }, this.now()))
      .map((item) => this.withDeadline(item as unknown as ListedJob));
    const last = out.LastEvaluatedKey;
    return { jobs, ...(last ? { next: { createdAt: String(last.createdAt), jobId: String(last.pk) } } : {}) };
  }

  async createJob(record: JobRecord): Promise<void> {
    await conditional(
      () =>
        this.client.send(
          new PutCommand({ TableName: this.tableName, Item: { ...record }, ConditionExpression: "attribute_not_exists(pk)" }),
        ),
      `job ${record.jobId} exists`,
      record,
      () => this.get(record.pk),
    );
  }

  async replaceJob(record: JobRecord, expectedVersion: number): Promise<JobRecord> {
    const written: JobRecord = { ...record, version: expectedVersion + 1 };
    await conditional(
      () =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...written },
            ConditionExpression: "version = :expected",
            ExpressionAttributeValues: { ":expected": expectedVersion },
          }),
        ),
      `job ${record.jobId} is not at version ${expectedVersion}`,
      written,
      () => this.get(record.pk),
    );
    return written;
  }

  async getIdempotency(pk: string): Promise<IdempotencyRecord | undefined> {
    const item = await this.get(pk);
    return item && item.kind === "idempotency" ? (item as unknown as IdempotencyRecord) : undefined;
  }

  async createIdempotency(record: IdempotencyRecord): Promise<void> {
    await conditional(
      () =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...record },
            // An expired record that TTL has not deleted yet does not count.
            ConditionExpression: "attribute_not_exists(pk) OR expiresAt <= :nowSeconds",
            ExpressionAttributeValues: { ":nowSeconds": Math.floor(this.now() / 1000) },
          }),
        ),
      "idempotency key in use",
      record,
      () => this.get(record.pk),
    );
  }

  async deleteIdempotency(pk: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { pk } }));
  }
}
