/**
 * The local cloud's test clock: an offset added to the real time that every Lambda function
 * process sees as "now" (`Date.now()`, `new Date()`), and that the fault-injection admin API
 * (local/admin/admin.ts, `POST /_local/clock`) moves so tests need not wait for real minutes to pass.
 * Timers stay real: only the wall clock is shifted.
 */

/** The largest offset the clock takes (366 days). */
export const MAX_CLOCK_OFFSET_MS = 366 * 86_400_000;

export class LocalClock {
  private offset = 0;
  private readonly listeners = new Set<(offsetMs: number) => void>();

  /** The shifted time in ms since the epoch (the real time plus the offset). */
  readonly now = (): number => Date.now() + this.offset;

  /** How far ahead of the real time the clock is (ms). */
  get offsetMs(): number {
    return this.offset;
  }

  /**
   * Sets the offset: a whole number of milliseconds from 0 (the real time) to MAX_CLOCK_OFFSET_MS.
   * The clock only runs ahead of the real time, never behind it (services that are not shifted,
   * such as the event source mappings' record ages, would otherwise see records from the past).
   */
  setOffset(offsetMs: number): void {
    if (!Number.isInteger(offsetMs) || offsetMs < 0 || offsetMs > MAX_CLOCK_OFFSET_MS) {
      throw new RangeError(`offsetMs must be a whole number of milliseconds from 0 to ${MAX_CLOCK_OFFSET_MS}: ${offsetMs}`);
    }
    if (offsetMs === this.offset) return;
    this.offset = offsetMs;
    for (const listener of [...this.listeners]) listener(offsetMs);
  }

  /** Calls `listener` with the new offset whenever it changes; returns a function that unsubscribes. */
  onChange(listener: (offsetMs: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
