/**
 * Local EventBridge: buses, rules with event patterns, targets (Lambda functions invoked
 * asynchronously, other buses, SQS queues) with EventBridge's retry policy and dead-letter
 * queue, archives (persisted under the state dir) and replays.
 *
 * Serves the EventBridge JSON protocol (`POST /`, `X-Amz-Target: AWSEvents.<Action>`,
 * awsJson1_1; ./http.ts), so `aws events --endpoint-url` and `@aws-sdk/client-eventbridge` reach
 * it. Operations implemented (./operations.ts maps each onto the service logic, ./eventBridge.ts):
 * - PutEvents (./eventBridge.ts)
 * - CreateEventBus, DescribeEventBus, ListEventBuses (./buses.ts)
 * - PutRule, DescribeRule, ListRules, PutTargets, ListTargetsByRule (./rules.ts)
 * - CreateArchive, DescribeArchive, ListArchives (./archives.ts)
 * - StartReplay, DescribeReplay, ListReplays, CancelReplay (./replays.ts)
 * - TestEventPattern (patterns: ./pattern.ts)
 * Any other answers `UnknownOperationException` (400). AWS services of the local cloud (Lambda
 * destinations, Step Functions status changes) put their events through `publish`.
 *
 * What it does as EventBridge does:
 * - Every event that arrives on a bus (not a replayed one) is stored by each archive of that bus
 *   whose pattern matches; then each ENABLED rule whose pattern matches sends it to its targets.
 * - A target that is another bus (it needs a RoleArn, and takes no RetryPolicy) gets the event as a
 *   new event (new id) and routes it by its own rules and archives.
 * - A Lambda target is invoked with `InvocationType: Event` (the function's own async retries and
 *   destinations then apply) only if a `lambda:InvokeFunction` permission lets
 *   `events.amazonaws.com` call it from that rule.
 * - A delivery that fails is retried (target `RetryPolicy`: attempts and maximum event age; local
 *   back-off from 100 ms to 5 s) unless the error is final (no permission, no such resource);
 *   then the event goes to the target's dead-letter queue, with the attributes ERROR_CODE,
 *   ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION, RETRY_ATTEMPTS, RULE_ARN and TARGET_ARN, if the
 *   queue's policy lets `events.amazonaws.com` send from that rule (else it is dropped).
 * - A replay re-sends the archived events whose `time` lies in its window to the archive's bus,
 *   with `"replay-name"` added, to the rules in `FilterArns` only (all of the bus's rules when
 *   absent); replayed events are not archived again.
 *
 * Documentation followed:
 * - https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html, and the pages
 *   of the other operations above (…/API_CreateEventBus.html, …/API_DescribeEventBus.html,
 *   …/API_ListEventBuses.html, …/API_PutRule.html, …/API_DescribeRule.html, …/API_ListRules.html,
 *   …/API_PutTargets.html, …/API_ListTargetsByRule.html, …/API_CreateArchive.html,
 *   …/API_DescribeArchive.html, …/API_ListArchives.html, …/API_StartReplay.html,
 *   …/API_DescribeReplay.html, …/API_ListReplays.html, …/API_CancelReplay.html,
 *   …/API_TestEventPattern.html)
 * - https://docs.aws.amazon.com/eventbridge/latest/APIReference/CommonErrors.html
 * - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
 * - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
 * - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-archive.html
 * - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-replay-archived-event.html
 */
import * as http from "http";
import { close, listen } from "../protocols/listen";
import { EventBridge } from "./eventBridge";
import { eventBridgeRequestListener } from "./http";
import type { EventBridgeServiceOptions, LocalEventBridgeService } from "./model";

export { InvalidEventPattern, matchesPattern, parsePattern } from "./pattern";
export { EventsApiError } from "./model";
export type {
  ArchivedEvent,
  DeliveryRecord,
  EventBridgeServiceOptions,
  LocalEventBridgeService,
  PutEventsEntry,
  PutEventsResultEntry,
  ReplayDescription,
  ReplayState,
  StartReplayInput,
} from "./model";
export { EventBridge } from "./eventBridge";

/** The service's face over `eb` (functions that need no `this`, as callers may pass them around). */
function localService(eb: EventBridge, endpoint: string, server: http.Server): LocalEventBridgeService {
  return {
    endpoint,
    createEventBus: (name) => eb.buses.createEventBus(name),
    putRule: (rule) => eb.rules.putRule(rule),
    putTarget: (ruleName, busName, target) => eb.rules.putTarget(ruleName, busName, target),
    createArchive: (archive) => eb.archives.createArchive(archive),
    addLambdaPermission: (functionNameOrArn, sourceArn) => eb.targets.addLambdaPermission(functionNameOrArn, sourceArn),
    publish: async (busNameOrArn, event) => eb.publish(busNameOrArn, event),
    putEvents: (entries) => eb.putEvents(entries),
    startReplay: (input) => eb.replays.startReplay(input),
    describeReplay: (name) => eb.replays.describeReplay(name),
    archivedEvents: (name) => eb.archives.archivedEvents(name),
    idle: () => eb.work.idle(),
    async stop() {
      if (!eb.work.stop()) return;
      await close(server);
      eb.work.releaseIdleWaiters();
    },
  };
}

export async function startEventBridgeService(options: EventBridgeServiceOptions): Promise<LocalEventBridgeService> {
  const eb = new EventBridge(options);
  const server = http.createServer(eventBridgeRequestListener(eb));
  const { endpoint } = await listen(server, options.port ?? 0);
  eb.note(`EventBridge API on ${endpoint}`);
  return localService(eb, endpoint, server);
}
