/**
 * One lock for every write of the service (single-item writes, batches, transactions, TTL
 * deletes): a transaction applied op by op is atomic because no other write can run between its
 * ops, and stream records are appended in the order the writes happened. Reads do not take it.
 */
export class WriteLock {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` once every earlier `run` has settled (FIFO). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
