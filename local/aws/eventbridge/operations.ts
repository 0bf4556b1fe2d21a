/**
 * The EventBridge JSON API's operations, by name: each reads its request's fields (the required
 * ones checked as the API does), calls the local `EventBridge` and gives the answer's shape.
 * ./http.ts serves them over the awsJson1_1 protocol.
 */
import type { AwsJsonOperation } from "../protocols/awsJson";
import type { LocalEventTarget } from "../types";
import type { EventBridge } from "./eventBridge";
import { EventsApiError } from "./model";
import { compilePattern, requiredString as str } from "./names";
import { matchesPattern } from "./pattern";

type Operations = Record<string, AwsJsonOperation>;

/** PutTargets' targets as the local cloud keeps them (read one at a time, as they are put). */
function* targetsFromWire(targets: Iterable<Record<string, any>>): Generator<LocalEventTarget> {
  for (const t of targets) {
    yield {
      id: t.Id,
      arn: t.Arn,
      roleArn: t.RoleArn,
      input: t.Input,
      inputPath: t.InputPath,
      retryPolicy: t.RetryPolicy ? { maximumRetryAttempts: t.RetryPolicy.MaximumRetryAttempts, maximumEventAgeInSeconds: t.RetryPolicy.MaximumEventAgeInSeconds } : undefined,
      deadLetterArn: t.DeadLetterConfig?.Arn,
    };
  }
}

/** TestEventPattern: whether an event (JSON text) matches a pattern. */
function testEventPattern(b: Record<string, any>) {
  const p = compilePattern(str(b, "EventPattern"))!;
  let event: unknown;
  try {
    event = JSON.parse(str(b, "Event"));
  } catch {
    throw new EventsApiError("InvalidEventPatternException", "Event is not valid JSON.");
  }
  return { Result: matchesPattern(p, event) };
}

function eventOperations(eb: EventBridge): Operations {
  return {
    PutEvents: (b) => {
      const entries = eb.putEvents(b.Entries);
      return { FailedEntryCount: entries.filter((e) => "ErrorCode" in e).length, Entries: entries };
    },
    TestEventPattern: testEventPattern,
  };
}

function busAndRuleOperations({ buses, rules }: EventBridge): Operations {
  return {
    CreateEventBus: (b) => ({ EventBusArn: buses.createEventBus(str(b, "Name")) }),
    DescribeEventBus: (b) => buses.describeEventBus(b.Name),
    ListEventBuses: (b) => buses.listEventBuses(b.NamePrefix),
    PutRule: (b) => ({ RuleArn: rules.putRule({ name: str(b, "Name"), eventBusName: b.EventBusName, eventPattern: b.EventPattern, state: b.State, description: b.Description }) }),
    DescribeRule: (b) => rules.describeRule(str(b, "Name"), b.EventBusName),
    ListRules: (b) => rules.listRules(b.EventBusName, b.NamePrefix),
    PutTargets: (b) => rules.putTargets(str(b, "Rule"), b.EventBusName, targetsFromWire(b.Targets ?? [])),
    ListTargetsByRule: (b) => rules.listTargetsByRule(str(b, "Rule"), b.EventBusName),
  };
}

function archiveAndReplayOperations({ archives, replays }: EventBridge): Operations {
  return {
    CreateArchive: (b) => {
      const arn = archives.createArchive({ name: str(b, "ArchiveName"), eventSourceArn: str(b, "EventSourceArn"), eventPattern: b.EventPattern, retentionDays: b.RetentionDays, description: b.Description });
      return { ArchiveArn: arn, State: "ENABLED", CreationTime: archives.mustArchive(b.ArchiveName).createdAt };
    },
    DescribeArchive: (b) => archives.describeArchive(str(b, "ArchiveName")),
    ListArchives: (b) => archives.listArchives(b),
    StartReplay: (b) =>
      replays.startReplay({
        ReplayName: str(b, "ReplayName"),
        Description: b.Description,
        EventSourceArn: str(b, "EventSourceArn"),
        EventStartTime: b.EventStartTime,
        EventEndTime: b.EventEndTime,
        Destination: b.Destination,
      }),
    DescribeReplay: (b) => replays.describeReplay(str(b, "ReplayName")),
    ListReplays: (b) => replays.listReplays(b),
    CancelReplay: (b) => replays.cancelReplay(str(b, "ReplayName")),
  };
}

/** The operations the local EventBridge serves over its JSON API. */
export function eventBridgeOperations(eb: EventBridge): Operations {
  return { ...eventOperations(eb), ...busAndRuleOperations(eb), ...archiveAndReplayOperations(eb) };
}
