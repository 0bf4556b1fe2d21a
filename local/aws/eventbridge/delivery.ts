/**
 * Delivering an event to a target as EventBridge does: a failed send (./targets.ts) is retried
 * under the target's `RetryPolicy` (attempts and maximum event age; local back-off from 100 ms to
 * 5 s) unless the error is final; then the event goes to the target's dead-letter queue with the
 * attributes ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION, RETRY_ATTEMPTS, RULE_ARN and
 * TARGET_ARN, if the queue's policy lets `events.amazonaws.com` send from that rule (else it is
 * dropped).
 * - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
 * - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
 */
import type { EventEnvelope, LocalEventTarget } from "../types";
import type { DeliveryRecord, EventBridgeServiceOptions, Rule } from "./model";
import { DeliveryError, type TargetSender } from "./targets";
import type { BackgroundWork } from "./work";
import { meterSqsSend } from "../../usage/sqs";

const DEFAULT_RETRY_DELAYS_MS = [100, 200, 400, 800, 1600, 3200, 5000];

/** Which retry limit a failure exhausted: none (a final error, not retried), one, or null while it may be retried. */
function exhaustedCondition(failure: DeliveryError, attempt: number, maxRetries: number, startedAt: number, maxAgeMs: number): string | undefined | null {
  if (failure.final) return undefined;
  if (attempt > maxRetries) return "MaximumRetryAttemptsExhausted";
  if (Date.now() - startedAt >= maxAgeMs) return "MaximumEventAgeExceeded";
  return null;
}

export class Delivery {
  private readonly retryDelays: number[];

  constructor(
    private readonly options: Pick<EventBridgeServiceOptions, "sqs" | "meter" | "onDelivery" | "retryDelaysMs">,
    private readonly sender: TargetSender,
    private readonly work: BackgroundWork,
    private readonly note: (line: string) => void,
  ) {
    this.retryDelays = options.retryDelaysMs?.length ? options.retryDelaysMs : DEFAULT_RETRY_DELAYS_MS;
  }

  /** Sends until delivered, retries exhausted (then dead-lettered or dropped) or the service stopped. */
  async deliver(rule: Rule, target: LocalEventTarget, event: EventEnvelope): Promise<void> {
    const maxRetries = target.retryPolicy?.maximumRetryAttempts ?? 185;
    const maxAgeMs = (target.retryPolicy?.maximumEventAgeInSeconds ?? 86_400) * 1000;
    const startedAt = Date.now();
    const base = { ruleArn: rule.arn, targetArn: target.arn, eventId: event.id, replayName: event["replay-name"] };
    for (let attempt = 1; ; attempt++) {
      if (this.work.stopped) return;
      let failure: DeliveryError;
      try {
        await this.sender.send(rule, target, event);
        this.options.onDelivery?.({ ...base, attempts: attempt, outcome: "delivered" });
        return;
      } catch (e) {
        failure = e instanceof DeliveryError ? e : new DeliveryError("INTERNAL_ERROR", (e as Error).message, false);
      }
      const exhausted = exhaustedCondition(failure, attempt, maxRetries, startedAt, maxAgeMs);
      if (exhausted === null) {
        const delay = this.retryDelays[Math.min(attempt - 1, this.retryDelays.length - 1)];
        this.note(`delivery of ${event.id} to ${target.arn} failed (${failure.code}, attempt ${attempt}); retrying in ${delay} ms`);
        await this.work.sleep(delay);
        continue;
      }
      await this.deadLetter(rule, target, event, failure, attempt - 1, exhausted);
      return;
    }
  }

  private async deadLetter(rule: Rule, target: LocalEventTarget, event: EventEnvelope, failure: DeliveryError, retries: number, exhausted: string | undefined): Promise<void> {
    const base = { ruleArn: rule.arn, targetArn: target.arn, eventId: event.id, replayName: event["replay-name"], attempts: retries + 1, errorCode: failure.code };
    const dlq = target.deadLetterArn;
    const sqs = this.options.sqs;
    if (!dlq || !sqs) {
      this.dropped(base, `event ${event.id} for ${target.arn} dropped: ${failure.code} ${failure.message} (no dead-letter queue)`);
      return;
    }
    if (!this.mayDeadLetter(dlq, rule.arn)) {
      this.dropped(base, `event ${event.id} for ${target.arn} dropped: the dead-letter queue ${dlq} does not exist or its policy does not let events.amazonaws.com send from ${rule.arn}`);
      return;
    }
    const s = (value: string) => ({ DataType: "String", StringValue: value });
    const body = JSON.stringify(event);
    const attributes = {
      ERROR_CODE: s(failure.code),
      ERROR_MESSAGE: s(failure.message.slice(0, 1000)),
      ...(exhausted ? { EXHAUSTED_RETRY_CONDITION: s(exhausted) } : {}),
      RETRY_ATTEMPTS: { DataType: "Number", StringValue: String(retries) },
      RULE_ARN: s(rule.arn),
      TARGET_ARN: s(target.arn),
    };
    await sqs.sendMessage(dlq, body, attributes);
    if (this.options.meter) meterSqsSend(this.options.meter, dlq, body, attributes);
    this.note(`event ${event.id} for ${target.arn} sent to the dead-letter queue ${dlq} (${failure.code})`);
    this.options.onDelivery?.({ ...base, outcome: "dead-lettered" });
  }

  /** Whether the dead-letter queue exists and its policy lets events.amazonaws.com send from the rule. */
  private mayDeadLetter(dlq: string, ruleArn: string): boolean {
    try {
      return this.options.sqs!.allowsServiceSend(dlq, "events.amazonaws.com", ruleArn);
    } catch {
      return false;
    }
  }

  private dropped(base: Omit<DeliveryRecord, "outcome">, line: string): void {
    this.note(line);
    this.options.onDelivery?.({ ...base, outcome: "dropped" });
  }
}
