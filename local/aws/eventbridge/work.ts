/**
 * The local EventBridge's background work: deliveries (retries included) and replays run after
 * the API call that started them answered. Counts what is in flight (for `idle()`), and owns the
 * timers of the waits between retries, which `stop()` cancels.
 */
export class BackgroundWork {
  private inFlight = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private stoppedFlag = false;

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  /** Counts `work` as in flight until it settles. */
  track<T>(work: Promise<T>): Promise<T> {
    this.inFlight++;
    return work.finally(() => {
      this.inFlight--;
      if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  /** Waits `ms` (never resolves once stopped: its timer is cleared). */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  /** Resolves once nothing is in flight. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops: no new attempt starts and pending waits never end. Returns false when already stopped. */
  stop(): boolean {
    if (this.stoppedFlag) return false;
    this.stoppedFlag = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    return true;
  }

  /** Resolves the `idle()` calls still waiting (after a stop, the work they wait for never ends). */
  releaseIdleWaiters(): void {
    this.idleWaiters.splice(0).forEach((w) => w());
  }
}
