/**
 * Who waits for messages to arrive: ReceiveMessage's long polls (woken by a message on any queue,
 * they look again) and the `onMessage` listeners of the local Lambda's event source mappings (by
 * queue name: a queue may be subscribed to before it is created).
 */
export class Arrivals {
  private readonly waiters = new Set<() => void>();
  private readonly listeners = new Map<string, Set<() => void>>();

  constructor(private readonly note: (line: string) => void) {}

  /** Wakes every long poll. */
  wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** A message arrived on the queue `name` (sent, or moved there by a redrive): wakes long polls and listeners. */
  arrived(name: string): void {
    this.wake();
    for (const listener of [...(this.listeners.get(name) ?? [])]) {
      try {
        listener();
      } catch (e) {
        this.note(`an onMessage listener of ${name} failed: ${(e as Error).message}`);
      }
    }
  }

  /** Resolves after `ms`, or sooner when woken. */
  wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  /** Calls `listener` when a message arrives on the queue `name`; returns a function that unsubscribes. */
  subscribe(name: string, listener: () => void): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    const entry = () => listener();
    set.add(entry);
    return () => {
      set!.delete(entry);
      if (!set!.size && this.listeners.get(name) === set) this.listeners.delete(name);
    };
  }

  /** Drops every listener (on stop). */
  clear(): void {
    this.listeners.clear();
  }
}
