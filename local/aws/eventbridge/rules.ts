/**
 * The local EventBridge's rules and their targets: PutRule, DescribeRule, ListRules, PutTargets
 * (one target at a time) and ListTargetsByRule, and the rules an event matches. A rule needs an
 * event pattern: the local cloud runs no schedules.
 */
import type { EventEnvelope, LocalEventRule, LocalEventTarget } from "../types";
import { LOCAL_ACCOUNT_ID } from "../types";
import type { Buses } from "./buses";
import { EventsApiError, type Rule } from "./model";
import { busNameOf, byNamePrefix, compilePattern, ruleArnOf } from "./names";
import { matchesPattern } from "./pattern";

/** A rule as DescribeRule and ListRules answer it. */
const wireRule = (r: Rule) => ({
  Name: r.name,
  Arn: r.arn,
  EventPattern: r.patternText,
  State: r.state,
  Description: r.description,
  EventBusName: r.busName,
  CreatedBy: LOCAL_ACCOUNT_ID,
});

/** A target as ListTargetsByRule answers it. */
const wireTarget = (t: LocalEventTarget) => ({
  Id: t.id,
  Arn: t.arn,
  RoleArn: t.roleArn,
  Input: t.input,
  InputPath: t.inputPath,
  RetryPolicy: t.retryPolicy ? { MaximumRetryAttempts: t.retryPolicy.maximumRetryAttempts, MaximumEventAgeInSeconds: t.retryPolicy.maximumEventAgeInSeconds } : undefined,
  DeadLetterConfig: t.deadLetterArn ? { Arn: t.deadLetterArn } : undefined,
});

export class Rules {
  /** key: `${bus}/${name}` */
  private readonly rules = new Map<string, Rule>();

  constructor(
    private readonly buses: Buses,
    private readonly note: (line: string) => void,
  ) {}

  /** The rule `name` of a bus (name or ARN; the default bus when absent), or ResourceNotFoundException. */
  mustRule(name: unknown, busRef?: string): Rule {
    const bus = busNameOf(busRef);
    const rule = this.rules.get(`${bus}/${String(name)}`);
    if (!rule) throw new EventsApiError("ResourceNotFoundException", `Rule ${String(name)} does not exist on EventBus ${bus}.`);
    return rule;
  }

  /** Creates or updates a rule (an update keeps its targets); returns its ARN. */
  putRule(input: LocalEventRule): string {
    if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(input.name ?? "")) throw new EventsApiError("ValidationException", `Rule name ${input.name} is not valid.`);
    const bus = this.buses.mustBus(input.eventBusName);
    const key = `${bus.name}/${input.name}`;
    const existing = this.rules.get(key);
    const rule: Rule = {
      name: input.name,
      busName: bus.name,
      arn: ruleArnOf(bus.name, input.name),
      patternText: input.eventPattern,
      pattern: compilePattern(input.eventPattern),
      state: input.state ?? "ENABLED",
      description: input.description,
      targets: existing?.targets ?? new Map(),
    };
    if (!rule.pattern) throw new EventsApiError("ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified (the local EventBridge runs no schedules).");
    this.rules.set(key, rule);
    this.note(`${existing ? "updated" : "created"} rule ${input.name} on ${bus.name}`);
    return rule.arn;
  }

  describeRule(name: string, busRef: string | undefined) {
    return wireRule(this.mustRule(name, busRef));
  }

  listRules(busRef: string | undefined, namePrefix: unknown) {
    const bus = this.buses.mustBus(busRef).name;
    return { Rules: byNamePrefix([...this.rules.values()].filter((r) => r.busName === bus), namePrefix).map(wireRule) };
  }

  /** Adds or replaces a target of a rule, after the checks PutTargets makes of it. */
  putTarget(ruleName: string, busRef: string | undefined, target: LocalEventTarget): void {
    const rule = this.mustRule(ruleName, busRef);
    if (!target.id || !target.arn) throw new EventsApiError("ValidationException", "A target needs an Id and an Arn.");
    const r = target.retryPolicy;
    if (r?.maximumRetryAttempts !== undefined && (r.maximumRetryAttempts < 0 || r.maximumRetryAttempts > 185)) throw new EventsApiError("ValidationException", "MaximumRetryAttempts must be from 0 to 185.");
    if (r?.maximumEventAgeInSeconds !== undefined && (r.maximumEventAgeInSeconds < 60 || r.maximumEventAgeInSeconds > 86400)) throw new EventsApiError("ValidationException", "MaximumEventAgeInSeconds must be from 60 to 86400.");
    if (target.deadLetterArn && !/^arn:aws[a-z-]*:sqs:/.test(target.deadLetterArn)) throw new EventsApiError("ValidationException", "A dead-letter queue must be an SQS queue ARN.");
    if (r && /:event-bus\//.test(target.arn)) throw new EventsApiError("ValidationException", "RetryPolicy is not supported for an event bus target.");
    rule.targets.set(target.id, { ...target });
  }

  /** PutTargets: each target in turn (a failing one leaves those before it in place). */
  putTargets(ruleName: string, busRef: string | undefined, targets: Iterable<LocalEventTarget>) {
    const rule = this.mustRule(ruleName, busRef);
    for (const target of targets) this.putTarget(rule.name, rule.busName, target);
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  listTargetsByRule(ruleName: string, busRef: string | undefined) {
    return { Targets: [...this.mustRule(ruleName, busRef).targets.values()].map(wireTarget) };
  }

  /** Whether `arn` is a rule of the bus `busName`. */
  isRuleOf(arn: string, busName: string): boolean {
    return [...this.rules.values()].some((r) => r.arn === arn && r.busName === busName);
  }

  /** The ENABLED rules of a bus whose pattern `event` matches (only those in `filterArns`, when given and not empty). */
  matching(busName: string, event: EventEnvelope, filterArns?: string[]): Rule[] {
    return [...this.rules.values()].filter((rule) => {
      if (rule.busName !== busName || rule.state !== "ENABLED" || !rule.pattern) return false;
      if (filterArns?.length && !filterArns.includes(rule.arn)) return false;
      return matchesPattern(rule.pattern, event);
    });
  }
}
