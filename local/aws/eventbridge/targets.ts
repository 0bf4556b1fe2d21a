/**
 * Sending one event to one target of a rule, once: a Lambda function (invoked with
 * `InvocationType: Event`, if a `lambda:InvokeFunction` permission lets `events.amazonaws.com`
 * call it from that rule), another event bus (as a new event, routed by that bus's own rules and
 * archives; the target needs a RoleArn) or an SQS queue (if its policy lets `events.amazonaws.com`
 * send from that rule). A failure is a `DeliveryError`; ./delivery.ts retries it or dead-letters.
 */
import * as crypto from "crypto";
import type { EventEnvelope, LocalEventTarget } from "../types";
import type { Buses } from "./buses";
import type { EventBridgeServiceOptions, Router, Rule } from "./model";
import { busNameOf } from "./names";
import { meterSqsSend } from "../../usage/sqs";

/** Why a delivery failed: `final` errors are not retried. */
export class DeliveryError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly final: boolean,
  ) {
    super(message);
  }
}

/** `$`, `$.a.b` (the InputPath forms the local cloud supports). */
function selectPath(event: unknown, inputPath: string): unknown {
  if (inputPath === "$") return event;
  if (!/^\$(\.[A-Za-z0-9_-]+)+$/.test(inputPath)) throw new DeliveryError("INVALID_PARAMETER", `InputPath ${inputPath} is not supported locally ($ or $.a.b)`, true);
  let v: any = event;
  for (const key of inputPath.slice(2).split(".")) v = v?.[key];
  return v;
}

/** A failed Lambda invoke as a delivery error: a missing function is final, throttling and the rest are retried. */
function lambdaFailure(e: unknown): DeliveryError {
  const code = (e as { code?: string }).code ?? (e as Error).name;
  if (code === "ResourceNotFoundException") return new DeliveryError("RESOURCE_NOT_FOUND", (e as Error).message, true);
  if (code === "TooManyRequestsException") return new DeliveryError("THROTTLING", (e as Error).message, false);
  return new DeliveryError("INTERNAL_ERROR", (e as Error).message, false);
}

export class TargetSender {
  /** function name → source ARNs allowed (events.amazonaws.com). */
  private readonly permissions = new Map<string, string[]>();

  constructor(
    private readonly options: Pick<EventBridgeServiceOptions, "lambda" | "sqs" | "meter">,
    private readonly buses: Buses,
    private readonly route: Router,
  ) {}

  /** Records a `lambda:InvokeFunction` permission for `events.amazonaws.com` from `sourceArn`. */
  addLambdaPermission(functionNameOrArn: string, sourceArn: string): void {
    const parts = functionNameOrArn.split(":");
    const fn = parts[0] === "arn" ? parts[6] : parts[0];
    this.permissions.set(fn, [...(this.permissions.get(fn) ?? []), sourceArn]);
  }

  /**
   * Sends `event` (or the target's Input / InputPath of it) to the target, once. (The awaits stay
   * here, not in helpers, so a delivery settles in as many ticks as it always has.)
   */
  async send(rule: Rule, target: LocalEventTarget, event: EventEnvelope): Promise<void> {
    const payload = target.input !== undefined ? target.input : JSON.stringify(target.inputPath ? selectPath(event, target.inputPath) : event);
    const arn = target.arn;
    if (/^arn:aws[a-z-]*:lambda:/.test(arn)) {
      this.checkInvokePermission(rule, arn);
      try {
        await this.options.lambda.invoke(arn, payload, "Event");
      } catch (e) {
        throw lambdaFailure(e);
      }
      return;
    }
    if (/^arn:aws[a-z-]*:events:[^:]*:\d{12}:event-bus\//.test(arn)) {
      this.putOnBus(target, event);
      return;
    }
    if (/^arn:aws[a-z-]*:sqs:/.test(arn)) {
      const sqs = this.queueService(rule, arn);
      await sqs.sendMessage(arn, payload);
      if (this.options.meter) meterSqsSend(this.options.meter, arn, payload);
      return;
    }
    throw new DeliveryError("INVALID_PARAMETER", `the local EventBridge cannot deliver to ${arn}`, true);
  }

  private checkInvokePermission(rule: Rule, arn: string): void {
    const fn = arn.split(":")[6];
    const allowed = this.permissions.get(fn) ?? [];
    if (!allowed.some((source) => source === rule.arn || source === "*")) {
      throw new DeliveryError("NO_PERMISSIONS", `events.amazonaws.com is not allowed to invoke ${arn} from ${rule.arn} (no lambda:InvokeFunction permission)`, true);
    }
  }

  private putOnBus(target: LocalEventTarget, event: EventEnvelope): void {
    const arn = target.arn;
    if (!target.roleArn) throw new DeliveryError("NO_PERMISSIONS", `a target that is an event bus needs a RoleArn (${arn})`, true);
    const bus = this.buses.find(arn);
    if (!bus) throw new DeliveryError("RESOURCE_NOT_FOUND", `Event bus ${busNameOf(arn)} does not exist.`, true);
    // The other bus gets it as a new event (a new id), filtered by its own rules.
    this.route(bus.name, { ...event, id: crypto.randomUUID() });
  }

  /** The local SQS, if it may take a message for `arn` from this rule. */
  private queueService(rule: Rule, arn: string): NonNullable<EventBridgeServiceOptions["sqs"]> {
    const sqs = this.options.sqs;
    if (!sqs) throw new DeliveryError("RESOURCE_NOT_FOUND", "no local SQS", true);
    if (!sqs.allowsServiceSend(arn, "events.amazonaws.com", rule.arn)) throw new DeliveryError("NO_PERMISSIONS", `the policy of ${arn} does not let events.amazonaws.com send from ${rule.arn}`, true);
    return sqs;
  }
}
