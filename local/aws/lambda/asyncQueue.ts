/**
 * The async invocation queue of the local Lambda (Invoke with `InvocationType: Event`): runs each
 * queued event with Lambda's retries of a function error, drops it past its maximum event age,
 * and sends the discarded ones to the function's on-failure destination, all per the event
 * invoke config in force.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
 */
import type { InvocationAttempts } from "./attempts";
import { FailureDestinations, failureRecord, type FailedEvent, type FailureCondition } from "./destinations";
import type { FunctionRegistry, FunctionState } from "./functions";
import type { LambdaServiceOptions } from "./options";

interface QueuedEvent extends FailedEvent {
  functionName: string;
  receivedAt: number;
}

export interface AsyncQueueSettings {
  /** Waits before the 1st, 2nd, ... retry (the last one repeats). */
  retryDelaysMs: number[];
  /** The services behind on-failure destinations (`destinations`, read at delivery time). */
  services: Pick<LambdaServiceOptions, "destinations">;
  note: (line: string) => void;
  isStopped: () => boolean;
}

export class AsyncInvocationQueue {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sleepers = new Set<() => void>();
  private pendingEvents = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly destinations: FailureDestinations;

  constructor(
    private readonly functions: FunctionRegistry,
    private readonly attempts: InvocationAttempts,
    private readonly settings: AsyncQueueSettings,
  ) {
    this.destinations = new FailureDestinations(settings.services, functions, settings.note, (fn, payload, requestId) => this.enqueue(fn, payload, requestId));
  }

  /** Queues an event for `fn`, run after `delayMs` (a delayed duplicate delivery). */
  enqueue(fn: FunctionState, payload: string, requestId: string, delayMs = 0): void {
    const ev: QueuedEvent = { functionName: fn.config.name, payload, requestId, receivedAt: Date.now(), attempts: 0 };
    this.pendingEvents++;
    void (async () => {
      try {
        if (delayMs > 0) await this.sleep(delayMs);
        await this.process(ev);
      } catch (e) {
        if (!this.settings.isStopped()) this.settings.note(`async invocation ${ev.requestId} of ${ev.functionName} failed inside the service: ${(e as Error).message}`);
      } finally {
        this.pendingEvents--;
        this.settleIdle();
      }
    })();
  }

  /** Resolves once no async invocation is queued, running or waiting for a retry (destinations included). */
  idle(): Promise<void> {
    if (this.pendingEvents === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The service stops: pending retry waits end at once (the events then see the service stopped). */
  wakeSleepers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const wake of [...this.sleepers]) wake();
  }

  /** Resolves every `idle()` waiter (the last step of stopping). */
  releaseIdleWaiters(): void {
    this.idleWaiters.splice(0).forEach((w) => w());
  }

  private settleIdle(): void {
    if (this.pendingEvents === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.timers.delete(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.timers.add(timer);
      this.sleepers.add(done);
    });
  }

  /** Runs the event's attempts until one succeeds, it is too old, or its retries are exhausted. */
  private async process(ev: QueuedEvent): Promise<void> {
    const { isStopped, note, retryDelaysMs } = this.settings;
    for (;;) {
      if (isStopped()) return;
      const fn = this.functions.get(ev.functionName);
      if (!fn) {
        note(`async invocation ${ev.requestId} dropped: function ${ev.functionName} no longer exists`);
        return;
      }
      const cfg = this.functions.eventConfig(fn.config.name);
      const tooOld = () => Date.now() - ev.receivedAt > cfg.maximumEventAgeInSeconds * 1000;
      if (tooOld()) return this.fail(fn, ev, "EventAgeExceeded");
      const attempt = { requestId: ev.requestId, payload: ev.payload, invokedArn: fn.config.arn, invocationType: "Event" as const, attempt: ev.attempts + 1 };
      const outcome = await this.attempts.run(fn, attempt, () => !tooOld() && !isStopped());
      if (isStopped()) return;
      if (!outcome) {
        if (tooOld()) return this.fail(fn, ev, "EventAgeExceeded");
        return;
      }
      ev.attempts++;
      ev.last = outcome;
      if (!outcome.functionError) return;
      if (ev.attempts > cfg.maximumRetryAttempts) return this.fail(fn, ev, "RetriesExhausted");
      const delay = retryDelaysMs[Math.min(ev.attempts - 1, retryDelaysMs.length - 1)];
      note(`async invocation ${ev.requestId} of ${fn.config.name} failed (attempt ${ev.attempts}); retrying in ${delay} ms`);
      await this.sleep(delay);
    }
  }

  private async fail(fn: FunctionState, ev: QueuedEvent, condition: FailureCondition): Promise<void> {
    const destination = this.functions.eventConfig(fn.config.name).onFailureDestination;
    this.settings.note(`async invocation ${ev.requestId} of ${fn.config.name} discarded (${condition}, ${ev.attempts} attempt(s))${destination ? `; sent to ${destination}` : ""}`);
    if (!destination) return;
    await this.destinations.deliver(destination, failureRecord(fn.config.arn, ev, condition), fn.config.arn);
  }
}
