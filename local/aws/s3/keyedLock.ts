/**
 * Readers–writer locks by key, FIFO: a writer waits for the readers before it, and readers that
 * arrive after a waiting writer wait for it (no writer starvation).
 */
interface Waiter {
  exclusive: boolean;
  grant: () => void;
}

interface KeyState {
  readers: number;
  writer: boolean;
  queue: Waiter[];
}

export type Release = () => void;

export class KeyedRwLock {
  private readonly states = new Map<string, KeyState>();

  /** Resolves once the lock is held; call the returned function (once) to release it. */
  acquire(key: string, exclusive: boolean): Promise<Release> {
    let state = this.states.get(key);
    if (!state) {
      state = { readers: 0, writer: false, queue: [] };
      this.states.set(key, state);
    }
    const held = state;
    return new Promise<Release>((resolve) => {
      held.queue.push({
        exclusive,
        grant: () => {
          let released = false;
          resolve(() => {
            if (released) return;
            released = true;
            if (exclusive) held.writer = false;
            else held.readers--;
            this.pump(key, held);
          });
        },
      });
      this.pump(key, held);
    });
  }

  /** Acquires several locks in a fixed (sorted) order, so two multi-key holders cannot deadlock. */
  async acquireAll(locks: { key: string; exclusive: boolean }[]): Promise<Release> {
    const merged = new Map<string, boolean>();
    for (const l of locks) merged.set(l.key, (merged.get(l.key) ?? false) || l.exclusive);
    const releases: Release[] = [];
    for (const key of [...merged.keys()].sort()) releases.push(await this.acquire(key, merged.get(key)!));
    return () => {
      for (const release of releases.reverse()) release();
    };
  }

  /** Keys with a holder or a waiter (for tests: 0 once everything is released). */
  get activeKeys(): number {
    return this.states.size;
  }

  private pump(key: string, state: KeyState): void {
    while (state.queue.length > 0) {
      const head = state.queue[0];
      if (head.exclusive) {
        if (state.writer || state.readers > 0) break;
        state.queue.shift();
        state.writer = true;
        head.grant();
        break;
      }
      if (state.writer) break;
      state.queue.shift();
      state.readers++;
      head.grant();
    }
    if (!state.writer && state.readers === 0 && state.queue.length === 0) this.states.delete(key);
  }
}
