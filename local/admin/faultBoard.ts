/**
 * Arming and disarming faults: store faults are handed to the local DynamoDB and S3, duplicate
 * deliveries to the local Lambda, process faults to ProcessFaults; and the record of what was
 * armed, what fired and what missed since the last disarm (`GET /_local/faults`).
 */
import { ProcessFaults } from "./processFaults";
import type { AdminOptions, Fault, FiredFault } from "./types";

export class FaultBoard {
  readonly armed: Fault[] = [];
  readonly fired: FiredFault[] = [];
  readonly missed: FiredFault[] = [];
  private readonly processFaults: ProcessFaults;

  constructor(
    private readonly options: Pick<AdminOptions, "dynamodb" | "s3" | "lambda">,
    private readonly note: (line: string) => void,
  ) {
    this.processFaults = new ProcessFaults(options.lambda, this, note);
  }

  arm(fault: Fault): void {
    this.hand(fault);
    this.armed.push(fault);
    this.note(`armed ${JSON.stringify(fault)}`);
  }

  /** Hands `fault` to whoever makes it fire. */
  private hand(fault: Fault): void {
    const { dynamodb, s3, lambda } = this.options;
    switch (fault.kind) {
      case "dynamodbWrites":
      case "dynamodbReads":
        return dynamodb[fault.kind === "dynamodbWrites" ? "failNextWrites" : "failNextReads"](fault.count, fault.code, fault.function);
      case "s3Writes":
      case "s3Reads":
        return s3[fault.kind === "s3Writes" ? "failNextWrites" : "failNextReads"](fault.count, fault.status, fault.function);
      case "duplicateDelivery":
        return lambda.deliverTwice(fault.function, { sameRequestId: fault.sameRequestId, delayMs: fault.delayMs });
      case "workerCrash":
      case "workerHang":
        return this.processFaults.arm(fault);
    }
  }

  disarmAll(): void {
    this.options.dynamodb.failNextWrites(0);
    this.options.dynamodb.failNextReads(0);
    this.options.s3.failNextWrites(0);
    this.options.s3.failNextReads(0);
    // Process faults waiting for their `afterMs` are called off too.
    this.processFaults.clear();
    this.armed.length = 0;
    this.fired.length = 0;
    this.missed.length = 0;
    // Armed duplicate deliveries cannot be taken back from the Lambda service.
  }

  /** A line the Lambda service logged: a duplicate delivery that fired is listed. */
  observeLambdaLog(line: string): void {
    if (line.startsWith("[lambda] fault injection: delivering async invocation ")) {
      const m = /delivering async invocation (\S+) of (\S+) twice/.exec(line);
      if (m) this.fired.push({ kind: "duplicateDelivery", function: m[2], requestId: m[1], at: new Date().toISOString() });
    }
  }

  /** Stops watching invocations, calls off waiting process faults and thaws frozen processes. */
  stop(): void {
    this.processFaults.stop();
  }
}
