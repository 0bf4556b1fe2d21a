/**
 * The locks of the service's writes (single-item writes, batches, transactions, TTL deletes), by
 * item: a write holds its items' locks, so a transaction applied op by op is atomic (no other
 * write to its items comes between its ops) and each item's stream records are in the order of
 * its writes, which is what DynamoDB Streams promises: "the stream records appear in the same
 * sequence as the actual modifications to the item" ("Change data capture for DynamoDB Streams").
 * Writes to other items run at the same time. A write whose items are not known (a malformed
 * request, an unknown table) holds the whole service. Reads take no lock.
 */
import { KeyedRwLock } from "../s3/keyedLock";
import { canonical } from "./items";
import type { DynamoDbItem } from "../types";

const EVERY_ITEM = "*";

/** The lock name of one item. */
export function itemLock(table: string, key: DynamoDbItem): string {
  return `item:${canonical([table, key])}`;
}

export class WriteLock {
  private readonly locks = new KeyedRwLock();

  /**
   * Runs `fn` holding these items' locks (names from `itemLock`, or others a caller needs alone,
   * such as a ClientRequestToken's), or the whole service when `items` is undefined.
   */
  async run<T>(items: readonly string[] | undefined, fn: () => Promise<T>): Promise<T> {
    const release = await this.locks.acquireAll(
      items === undefined ? [{ key: EVERY_ITEM, exclusive: true }] : [{ key: EVERY_ITEM, exclusive: false }, ...items.map((key) => ({ key, exclusive: true }))],
    );
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
