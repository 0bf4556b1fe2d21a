/**
 * The test clock (`/_local/clock`): how far "now" runs ahead of the real time for the Lambda
 * functions' processes, and the local DynamoDB's TTL sweep on the shifted clock (at once when the
 * clock moves, then every SHIFTED_TTL_SWEEP_MS while it is ahead).
 */
import type { LocalDynamoDbService } from "../aws/dynamodb";
import type { LocalLambdaService } from "../aws/lambda";

/** How often the TTL sweep runs on the shifted clock while the test clock is ahead. */
const SHIFTED_TTL_SWEEP_MS = 5000;

export class TestClock {
  private shiftedSweep: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> | undefined;
  private readonly clock: LocalLambdaService["clock"];

  constructor(
    lambda: LocalLambdaService,
    private readonly dynamodb: LocalDynamoDbService,
    private readonly note: (line: string) => void,
  ) {
    this.clock = lambda.clock;
  }

  /** Runs the TTL sweep on the shifted clock; answers how many expired items it deleted. */
  sweepShifted(): Promise<number> {
    const run = this.dynamodb.sweepTtl(this.clock.now());
    const tracked = run.catch(() => undefined).finally(() => {
      if (this.sweeping === tracked) this.sweeping = undefined;
    });
    this.sweeping = tracked;
    return run;
  }

  set(offsetMs: number): void {
    this.clock.setOffset(offsetMs);
    if (this.shiftedSweep) clearInterval(this.shiftedSweep);
    this.shiftedSweep = undefined;
    if (offsetMs > 0) {
      this.shiftedSweep = setInterval(() => {
        if (this.sweeping) return;
        void this.sweepShifted()
          .then((n) => {
            if (n > 0) this.note(`test clock: TTL deleted ${n} expired item(s)`);
          })
          .catch((e: unknown) => this.note(`test clock: TTL sweep failed: ${(e as Error).message}`));
      }, SHIFTED_TTL_SWEEP_MS);
      this.shiftedSweep.unref();
    }
    this.note(`test clock: ${offsetMs} ms ahead of the real time`);
  }

  state(): { offsetMs: number; now: string } {
    return { offsetMs: this.clock.offsetMs, now: new Date(this.clock.now()).toISOString() };
  }

  /** No more sweeps on the shifted clock. */
  stopSweeping(): void {
    if (this.shiftedSweep) clearInterval(this.shiftedSweep);
    this.shiftedSweep = undefined;
  }

  /** Resolves when the sweep under way (if any) is done. */
  async idle(): Promise<void> {
    await this.sweeping;
  }
}
