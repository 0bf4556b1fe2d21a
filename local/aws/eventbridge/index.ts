/**
 * Local EventBridge: buses, rules with event patterns, targets (Lambda functions invoked
 * asynchronously, other buses, SQS queues) with EventBridge's retry policy and dead-letter
 * queue, archives (persisted under the state dir) and replays.
 *
 * Serves the EventBridge JSON protocol (`POST /`, `X-Amz-Target: AWSEvents.<Action>`,
 * awsJson1_1), so `aws events --endpoint-url` and `@aws-sdk/client-eventbridge` reach it:
 * PutEvents, Create/Describe/ListEventBuses, PutRule, DescribeRule, ListRules, PutTargets,
 * ListTargetsByRule, Create/Describe/ListArchives, Start/Describe/List/CancelReplay,
 * TestEventPattern. AWS services of the local cloud (Lambda destinations, Step Functions status
 * changes) put their events through `publish`.
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
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "../types";
import type { EventBridgeService, EventEnvelope, LambdaService, LocalEventArchive, LocalEventRule, LocalEventTarget, ServiceEvent, SqsService } from "../types";
import { InvalidEventPattern, matchesPattern, parsePattern } from "./pattern";
import { close, listen } from "../protocols/listen";
import { AwsApiError } from "../protocols/apiError";
import type { UsageMeter } from "../../usage/meter";
import { meterSqsSend } from "../../usage/sqs";
import { meterPublishedEvent } from "../../usage/eventbridge";

export { InvalidEventPattern, matchesPattern, parsePattern } from "./pattern";

export interface EventBridgeServiceOptions {
  /** Archives are kept in `<dir>/archives/<name>.jsonl`; absent = in memory. */
  dir?: string;
  /** @default 0 (a free port) */
  port?: number;
  /** Invokes Lambda targets. */
  lambda: Pick<LambdaService, "invoke">;
  /** Dead-letter queues (and SQS targets). */
  sqs?: Pick<SqsService, "sendMessage" | "allowsServiceSend">;
  log?: (line: string) => void;
  /** Waits before the 1st, 2nd, ... retry of a failed delivery. @default 100, 200, 400, ... capped at 5000 */
  retryDelaysMs?: number[];
  /** Called after each delivery (or dead-lettering) of an event to a target. */
  onDelivery?: (record: DeliveryRecord) => void;
  /** Counts the events published and the SQS messages sent to targets (./usage.ts). */
  meter?: UsageMeter;
}

export interface DeliveryRecord {
  ruleArn: string;
  targetArn: string;
  eventId: string;
  replayName?: string;
  attempts: number;
  outcome: "delivered" | "dead-lettered" | "dropped";
  errorCode?: string;
}

export interface ArchivedEvent {
  /** Epoch ms. */
  archivedAt: number;
  event: EventEnvelope;
}

export type ReplayState = "STARTING" | "RUNNING" | "CANCELLING" | "COMPLETED" | "CANCELLED" | "FAILED";

export interface ReplayDescription {
  ReplayName: string;
  ReplayArn: string;
  Description?: string;
  State: ReplayState;
  StateReason?: string;
  EventSourceArn: string;
  Destination: { Arn: string; FilterArns?: string[] };
  EventStartTime: Date;
  EventEndTime: Date;
  EventLastReplayedTime?: Date;
  ReplayStartTime: Date;
  ReplayEndTime?: Date;
}

export interface StartReplayInput {
  ReplayName: string;
  Description?: string;
  EventSourceArn: string;
  EventStartTime: Date | number | string;
  EventEndTime: Date | number | string;
  Destination: { Arn: string; FilterArns?: string[] };
}

export interface LocalEventBridgeService extends EventBridgeService {
  /** PutEvents, as the API. */
  putEvents(entries: PutEventsEntry[]): PutEventsResultEntry[];
  startReplay(input: StartReplayInput): { ReplayArn: string; State: ReplayState; ReplayStartTime: Date };
  describeReplay(name: string): ReplayDescription;
  /** The events an archive holds (within its retention), oldest first. */
  archivedEvents(archiveName: string): ArchivedEvent[];
  /** Resolves once no delivery (retries included) is in flight and no replay is running. */
  idle(): Promise<void>;
}

export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  EventBusName?: string;
  Time?: Date | number | string;
}

export type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/** An error of the EventBridge API (`__type` on the wire). */
export class EventsApiError extends AwsApiError {}

/** Why a delivery failed: `final` errors are not retried. */
class DeliveryError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly final: boolean,
  ) {
    super(message);
  }
}

interface Bus {
  name: string;
  arn: string;
  createdAt: Date;
}

interface Rule {
  name: string;
  busName: string;
  arn: string;
  patternText?: string;
  pattern?: ReturnType<typeof parsePattern>;
  state: string;
  description?: string;
  targets: Map<string, LocalEventTarget>;
}

interface Archive {
  name: string;
  arn: string;
  busName: string;
  eventSourceArn: string;
  patternText?: string;
  pattern?: ReturnType<typeof parsePattern>;
  retentionDays: number;
  description?: string;
  createdAt: Date;
  events: ArchivedEvent[];
  file?: string;
}

interface Replay extends ReplayDescription {
  cancelled: boolean;
}

const ARN_PREFIX = `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}`;
const busArnOf = (name: string) => `${ARN_PREFIX}:event-bus/${name}`;
const ruleArnOf = (bus: string, name: string) => (bus === "default" ? `${ARN_PREFIX}:rule/${name}` : `${ARN_PREFIX}:rule/${bus}/${name}`);
const archiveArnOf = (name: string) => `${ARN_PREFIX}:archive/${name}`;
const replayArnOf = (name: string) => `${ARN_PREFIX}:replay/${name}`;
/** EventBridge's event time: ISO 8601 with whole seconds. */
const eventTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** A bus name from a name or a bus ARN. */
function busNameOf(ref: string | undefined): string {
  if (!ref) return "default";
  const m = /^arn:aws[a-z-]*:events:[^:]*:\d{12}:event-bus\/(.+)$/.exec(ref);
  return m ? m[1] : ref;
}

function toDate(value: unknown, field: string): Date {
  const d = value instanceof Date ? value : typeof value === "number" ? new Date(value * 1000) : typeof value === "string" ? new Date(/^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : value) : undefined;
  if (!d || Number.isNaN(d.getTime())) throw new EventsApiError("ValidationException", `${field} is not a valid timestamp`);
  return d;
}

/** `$`, `$.a.b` (the InputPath forms the local cloud supports). */
function selectPath(event: unknown, inputPath: string): unknown {
  if (inputPath === "$") return event;
  if (!/^\$(\.[A-Za-z0-9_-]+)+$/.test(inputPath)) throw new DeliveryError("INVALID_PARAMETER", `InputPath ${inputPath} is not supported locally ($ or $.a.b)`, true);
  let v: any = event;
  for (const key of inputPath.slice(2).split(".")) v = v?.[key];
  return v;
}

export async function startEventBridgeService(options: EventBridgeServiceOptions): Promise<LocalEventBridgeService> {
  const note = (line: string) => options.log?.(`[events] ${line}`);
  const archivesDir = options.dir ? path.join(options.dir, "archives") : undefined;
  if (archivesDir) fs.mkdirSync(archivesDir, { recursive: true });
  const retryDelays = options.retryDelaysMs?.length ? options.retryDelaysMs : [100, 200, 400, 800, 1600, 3200, 5000];

  const buses = new Map<string, Bus>([["default", { name: "default", arn: busArnOf("default"), createdAt: new Date() }]]);
  const rules = new Map<string, Rule>(); // key: `${bus}/${name}`
  const archives = new Map<string, Archive>();
  const replays = new Map<string, Replay>();
  /** function name → source ARNs allowed (events.amazonaws.com). */
  const permissions = new Map<string, string[]>();

  let inFlight = 0;
  const idleWaiters: (() => void)[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const settle = () => {
    if (inFlight === 0) for (const w of idleWaiters.splice(0)) w();
  };
  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight++;
    return work.finally(() => {
      inFlight--;
      settle();
    });
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  function mustBus(ref: string | undefined): Bus {
    const bus = buses.get(busNameOf(ref));
    if (!bus) throw new EventsApiError("ResourceNotFoundException", `Event bus ${busNameOf(ref)} does not exist.`);
    return bus;
  }

  function mustRule(name: unknown, busRef?: string): Rule {
    const bus = busNameOf(busRef);
    const rule = rules.get(`${bus}/${String(name)}`);
    if (!rule) throw new EventsApiError("ResourceNotFoundException", `Rule ${String(name)} does not exist on EventBus ${bus}.`);
    return rule;
  }

  function mustArchive(name: unknown): Archive {
    const a = archives.get(String(name));
    if (!a) throw new EventsApiError("ResourceNotFoundException", `Archive ${String(name)} does not exist.`);
    return a;
  }

  function prune(a: Archive): void {
    if (!a.retentionDays) return;
    const cutoff = Date.now() - a.retentionDays * 86_400_000;
    const before = a.events.length;
    a.events = a.events.filter((e) => e.archivedAt >= cutoff);
    if (a.file && a.events.length !== before) fs.writeFileSync(a.file, a.events.map((e) => JSON.stringify(e) + "\n").join(""));
  }

  function pattern(text: string | undefined): ReturnType<typeof parsePattern> | undefined {
    if (text === undefined || text === null || text === "") return undefined;
    try {
      return parsePattern(text);
    } catch (e) {
      if (e instanceof InvalidEventPattern) throw new EventsApiError("InvalidEventPatternException", e.message);
      throw e;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Routing and delivery

  function route(busName: string, event: EventEnvelope, replay?: { name: string; filterArns?: string[] }): void {
    if (!replay) {
      for (const a of archives.values()) {
        if (a.busName !== busName || (a.pattern && !matchesPattern(a.pattern, event))) continue;
        const entry: ArchivedEvent = { archivedAt: Date.now(), event };
        a.events.push(entry);
        if (a.file) fs.appendFileSync(a.file, JSON.stringify(entry) + "\n");
      }
    }
    for (const rule of rules.values()) {
      if (rule.busName !== busName || rule.state !== "ENABLED" || !rule.pattern) continue;
      if (replay?.filterArns?.length && !replay.filterArns.includes(rule.arn)) continue;
      if (!matchesPattern(rule.pattern, event)) continue;
      for (const target of rule.targets.values()) void track(deliver(rule, target, event));
    }
  }

  async function send(rule: Rule, target: LocalEventTarget, event: EventEnvelope): Promise<void> {
    const payload = target.input !== undefined ? target.input : JSON.stringify(target.inputPath ? selectPath(event, target.inputPath) : event);
    const arn = target.arn;
    if (/^arn:aws[a-z-]*:lambda:/.test(arn)) {
      const fn = arn.split(":")[6];
      const allowed = permissions.get(fn) ?? [];
      if (!allowed.some((source) => source === rule.arn || source === "*")) {
        throw new DeliveryError("NO_PERMISSIONS", `events.amazonaws.com is not allowed to invoke ${arn} from ${rule.arn} (no lambda:InvokeFunction permission)`, true);
      }
      try {
        await options.lambda.invoke(arn, payload, "Event");
      } catch (e) {
        const code = (e as { code?: string }).code ?? (e as Error).name;
        if (code === "ResourceNotFoundException") throw new DeliveryError("RESOURCE_NOT_FOUND", (e as Error).message, true);
        if (code === "TooManyRequestsException") throw new DeliveryError("THROTTLING", (e as Error).message, false);
        throw new DeliveryError("INTERNAL_ERROR", (e as Error).message, false);
      }
      return;
    }
    if (/^arn:aws[a-z-]*:events:[^:]*:\d{12}:event-bus\//.test(arn)) {
      if (!target.roleArn) throw new DeliveryError("NO_PERMISSIONS", `a target that is an event bus needs a RoleArn (${arn})`, true);
      const bus = buses.get(busNameOf(arn));
      if (!bus) throw new DeliveryError("RESOURCE_NOT_FOUND", `Event bus ${busNameOf(arn)} does not exist.`, true);
      // The other bus gets it as a new event (a new id), filtered by its own rules.
      route(bus.name, { ...event, id: crypto.randomUUID() });
      return;
    }
    if (/^arn:aws[a-z-]*:sqs:/.test(arn)) {
      if (!options.sqs) throw new DeliveryError("RESOURCE_NOT_FOUND", "no local SQS", true);
      if (!options.sqs.allowsServiceSend(arn, "events.amazonaws.com", rule.arn)) throw new DeliveryError("NO_PERMISSIONS", `the policy of ${arn} does not let events.amazonaws.com send from ${rule.arn}`, true);
      await options.sqs.sendMessage(arn, payload);
      if (options.meter) meterSqsSend(options.meter, arn, payload);
      return;
    }
    throw new DeliveryError("INVALID_PARAMETER", `the local EventBridge cannot deliver to ${arn}`, true);
  }

  async function deliver(rule: Rule, target: LocalEventTarget, event: EventEnvelope): Promise<void> {
    const maxRetries = target.retryPolicy?.maximumRetryAttempts ?? 185;
    const maxAgeMs = (target.retryPolicy?.maximumEventAgeInSeconds ?? 86_400) * 1000;
    const startedAt = Date.now();
    const base = { ruleArn: rule.arn, targetArn: target.arn, eventId: event.id, replayName: event["replay-name"] };
    for (let attempt = 1; ; attempt++) {
      if (stopped) return;
      let failure: DeliveryError;
      try {
        await send(rule, target, event);
        options.onDelivery?.({ ...base, attempts: attempt, outcome: "delivered" });
        return;
      } catch (e) {
        failure = e instanceof DeliveryError ? e : new DeliveryError("INTERNAL_ERROR", (e as Error).message, false);
      }
      const exhausted = failure.final
        ? undefined
        : attempt > maxRetries
          ? "MaximumRetryAttemptsExhausted"
          : Date.now() - startedAt >= maxAgeMs
            ? "MaximumEventAgeExceeded"
            : null;
      if (exhausted === null) {
        const delay = retryDelays[Math.min(attempt - 1, retryDelays.length - 1)];
        note(`delivery of ${event.id} to ${target.arn} failed (${failure.code}, attempt ${attempt}); retrying in ${delay} ms`);
        await sleep(delay);
        continue;
      }
      await deadLetter(rule, target, event, failure, attempt - 1, exhausted);
      return;
    }
  }

  async function deadLetter(rule: Rule, target: LocalEventTarget, event: EventEnvelope, failure: DeliveryError, retries: number, exhausted: string | undefined): Promise<void> {
    const base = { ruleArn: rule.arn, targetArn: target.arn, eventId: event.id, replayName: event["replay-name"], attempts: retries + 1, errorCode: failure.code };
    const dlq = target.deadLetterArn;
    if (!dlq || !options.sqs) {
      note(`event ${event.id} for ${target.arn} dropped: ${failure.code} ${failure.message} (no dead-letter queue)`);
      options.onDelivery?.({ ...base, outcome: "dropped" });
      return;
    }
    let allowed = false;
    try {
      allowed = options.sqs.allowsServiceSend(dlq, "events.amazonaws.com", rule.arn);
    } catch {
      allowed = false;
    }
    if (!allowed) {
      note(`event ${event.id} for ${target.arn} dropped: the dead-letter queue ${dlq} does not exist or its policy does not let events.amazonaws.com send from ${rule.arn}`);
      options.onDelivery?.({ ...base, outcome: "dropped" });
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
    await options.sqs.sendMessage(dlq, body, attributes);
    if (options.meter) meterSqsSend(options.meter, dlq, body, attributes);
    note(`event ${event.id} for ${target.arn} sent to the dead-letter queue ${dlq} (${failure.code})`);
    options.onDelivery?.({ ...base, outcome: "dead-lettered" });
  }

  function envelope(fields: { source: string; detailType: string; detail: Record<string, unknown>; resources?: string[]; time?: Date }): EventEnvelope {
    return {
      version: "0",
      id: crypto.randomUUID(),
      "detail-type": fields.detailType,
      source: fields.source,
      account: LOCAL_ACCOUNT_ID,
      time: eventTime(fields.time ?? new Date()),
      region: LOCAL_REGION,
      resources: fields.resources ?? [],
      detail: fields.detail,
    };
  }

  // -------------------------------------------------------------------------------------------
  // The API, as functions

  function putEvents(entries: PutEventsEntry[]): PutEventsResultEntry[] {
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10) {
      throw new EventsApiError("ValidationException", "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10");
    }
    return entries.map((entry): PutEventsResultEntry => {
      if (!entry.Source) return { ErrorCode: "InvalidArgument", ErrorMessage: "Parameter Source is not valid. Reason: Source is a required argument." };
      if (!entry.DetailType) return { ErrorCode: "InvalidArgument", ErrorMessage: "Parameter DetailType is not valid. Reason: DetailType is a required argument." };
      if (entry.Source.startsWith("aws.")) return { ErrorCode: "NotAuthorizedForSourceException", ErrorMessage: "Not authorized for the source." };
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail ?? "");
      } catch {
        return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
      }
      if (typeof detail !== "object" || detail === null || Array.isArray(detail)) return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
      const bus = buses.get(busNameOf(entry.EventBusName));
      if (!bus) return { ErrorCode: "ResourceNotFoundException", ErrorMessage: `Event bus ${busNameOf(entry.EventBusName)} does not exist.` };
      const event = envelope({
        source: entry.Source,
        detailType: entry.DetailType,
        detail: detail as Record<string, unknown>,
        resources: entry.Resources ?? [],
        time: entry.Time === undefined ? undefined : toDate(entry.Time, "Time"),
      });
      route(bus.name, event);
      meterPublishedEvent(options.meter, bus.name, entry);
      return { EventId: event.id };
    });
  }

  function createEventBus(name: string): string {
    if (!/^[/.\-_A-Za-z0-9]{1,256}$/.test(name) || name === "default") throw new EventsApiError("ValidationException", `Event bus name ${name} is not valid.`);
    if (!buses.has(name)) {
      buses.set(name, { name, arn: busArnOf(name), createdAt: new Date() });
      note(`created event bus ${name}`);
    }
    return busArnOf(name);
  }

  function putRule(input: LocalEventRule): string {
    if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(input.name ?? "")) throw new EventsApiError("ValidationException", `Rule name ${input.name} is not valid.`);
    const bus = mustBus(input.eventBusName);
    const key = `${bus.name}/${input.name}`;
    const existing = rules.get(key);
    const rule: Rule = {
      name: input.name,
      busName: bus.name,
      arn: ruleArnOf(bus.name, input.name),
      patternText: input.eventPattern,
      pattern: pattern(input.eventPattern),
      state: input.state ?? "ENABLED",
      description: input.description,
      targets: existing?.targets ?? new Map(),
    };
    if (!rule.pattern) throw new EventsApiError("ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified (the local EventBridge runs no schedules).");
    rules.set(key, rule);
    note(`${existing ? "updated" : "created"} rule ${input.name} on ${bus.name}`);
    return rule.arn;
  }

  function putTarget(ruleName: string, busRef: string | undefined, target: LocalEventTarget): void {
    const rule = mustRule(ruleName, busRef);
    if (!target.id || !target.arn) throw new EventsApiError("ValidationException", "A target needs an Id and an Arn.");
    const r = target.retryPolicy;
    if (r?.maximumRetryAttempts !== undefined && (r.maximumRetryAttempts < 0 || r.maximumRetryAttempts > 185)) throw new EventsApiError("ValidationException", "MaximumRetryAttempts must be from 0 to 185.");
    if (r?.maximumEventAgeInSeconds !== undefined && (r.maximumEventAgeInSeconds < 60 || r.maximumEventAgeInSeconds > 86400)) throw new EventsApiError("ValidationException", "MaximumEventAgeInSeconds must be from 60 to 86400.");
    if (target.deadLetterArn && !/^arn:aws[a-z-]*:sqs:/.test(target.deadLetterArn)) throw new EventsApiError("ValidationException", "A dead-letter queue must be an SQS queue ARN.");
    if (r && /:event-bus\//.test(target.arn)) throw new EventsApiError("ValidationException", "RetryPolicy is not supported for an event bus target.");
    rule.targets.set(target.id, { ...target });
  }

  function createArchive(input: LocalEventArchive): string {
    if (!/^[.\-_A-Za-z0-9]{1,48}$/.test(input.name ?? "")) throw new EventsApiError("ValidationException", `Archive name ${input.name} is not valid.`);
    const bus = mustBus(input.eventSourceArn);
    const file = archivesDir ? path.join(archivesDir, `${input.name}.jsonl`) : undefined;
    const existing = archives.get(input.name);
    let events: ArchivedEvent[] = existing?.events ?? [];
    if (!existing && file && fs.existsSync(file)) {
      events = fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter(Boolean)
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as ArchivedEvent];
          } catch {
            return []; // a line cut by a crash
          }
        });
    }
    const archive: Archive = {
      name: input.name,
      arn: archiveArnOf(input.name),
      busName: bus.name,
      eventSourceArn: bus.arn,
      patternText: input.eventPattern,
      pattern: pattern(input.eventPattern),
      retentionDays: input.retentionDays ?? 0,
      description: input.description,
      createdAt: existing?.createdAt ?? new Date(),
      events,
      file,
    };
    archives.set(input.name, archive);
    prune(archive);
    note(`${existing ? "updated" : "created"} archive ${input.name} of ${bus.name} (${archive.events.length} event(s) kept)`);
    return archive.arn;
  }

  function describeArchive(a: Archive): Record<string, unknown> {
    prune(a);
    return {
      ArchiveArn: a.arn,
      ArchiveName: a.name,
      EventSourceArn: a.eventSourceArn,
      Description: a.description,
      EventPattern: a.patternText,
      State: "ENABLED",
      RetentionDays: a.retentionDays,
      SizeBytes: a.events.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e.event)), 0),
      EventCount: a.events.length,
      CreationTime: a.createdAt,
    };
  }

  function describeReplay(name: string): ReplayDescription {
    const r = replays.get(name);
    if (!r) throw new EventsApiError("ResourceNotFoundException", `Replay ${name} does not exist.`);
    const { cancelled: _cancelled, ...out } = r;
    return { ...out, Destination: { ...out.Destination } };
  }

  function startReplay(input: StartReplayInput): { ReplayArn: string; State: ReplayState; ReplayStartTime: Date } {
    const name = input.ReplayName;
    if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(name ?? "")) throw new EventsApiError("ValidationException", `Replay name ${name} is not valid.`);
    if (replays.has(name)) throw new EventsApiError("ResourceAlreadyExistsException", `Replay ${name} already exists.`);
    const archive = [...archives.values()].find((a) => a.arn === input.EventSourceArn);
    if (!archive) throw new EventsApiError("ResourceNotFoundException", `Archive ${input.EventSourceArn} does not exist.`);
    if (!input.Destination?.Arn) throw new EventsApiError("ValidationException", "Destination.Arn is required.");
    if (busNameOf(input.Destination.Arn) !== archive.busName || !/:event-bus\//.test(input.Destination.Arn)) {
      throw new EventsApiError("ValidationException", `Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted (the archive's bus is ${archive.eventSourceArn}).`);
    }
    for (const arn of input.Destination.FilterArns ?? []) {
      if (![...rules.values()].some((r) => r.arn === arn && r.busName === archive.busName)) {
        throw new EventsApiError("ValidationException", `Parameter Destination.FilterArns is not valid. Reason: ${arn} is not a rule of ${archive.eventSourceArn}.`);
      }
    }
    const start = toDate(input.EventStartTime, "EventStartTime");
    const end = toDate(input.EventEndTime, "EventEndTime");
    if (start.getTime() >= end.getTime()) throw new EventsApiError("ValidationException", "Parameter EventStartTime is not valid. Reason: EventStartTime must be before EventEndTime.");
    const replay: Replay = {
      ReplayName: name,
      ReplayArn: replayArnOf(name),
      Description: input.Description,
      State: "STARTING",
      EventSourceArn: archive.arn,
      Destination: { Arn: input.Destination.Arn, ...(input.Destination.FilterArns ? { FilterArns: [...input.Destination.FilterArns] } : {}) },
      EventStartTime: start,
      EventEndTime: end,
      ReplayStartTime: new Date(),
      cancelled: false,
    };
    replays.set(name, replay);
    void track(
      (async () => {
        await sleep(50);
        if (replay.cancelled) {
          replay.State = "CANCELLED";
          replay.ReplayEndTime = new Date();
          return;
        }
        replay.State = "RUNNING";
        prune(archive);
        const chosen = archive.events
          .filter((e) => {
            const t = Date.parse(e.event.time);
            return t >= Math.floor(start.getTime() / 1000) * 1000 && t <= end.getTime();
          })
          .sort((a, b) => Date.parse(a.event.time) - Date.parse(b.event.time) || a.archivedAt - b.archivedAt);
        note(`replay ${name}: re-sending ${chosen.length} event(s) of ${archive.name} to ${archive.busName}${replay.Destination.FilterArns ? ` (rules ${replay.Destination.FilterArns.join(", ")})` : ""}`);
        for (const e of chosen) {
          if (replay.cancelled || stopped) break;
          route(archive.busName, { ...e.event, "replay-name": name }, { name, filterArns: replay.Destination.FilterArns });
          replay.EventLastReplayedTime = new Date(Date.parse(e.event.time));
        }
        replay.State = replay.cancelled ? "CANCELLED" : "COMPLETED";
        replay.ReplayEndTime = new Date();
      })(),
    );
    return { ReplayArn: replay.ReplayArn, State: replay.State, ReplayStartTime: replay.ReplayStartTime };
  }

  // -------------------------------------------------------------------------------------------
  // The wire protocol

  const str = (b: Record<string, any>, key: string): string => {
    if (typeof b[key] !== "string" || !b[key]) throw new EventsApiError("ValidationException", `1 validation error detected: Value null at '${key}' failed to satisfy constraint: Member must not be null`);
    return b[key];
  };
  const prefixed = <T extends { name: string }>(items: T[], prefix: unknown) => items.filter((i) => typeof prefix !== "string" || i.name.startsWith(prefix)).sort((a, b) => a.name.localeCompare(b.name));
  const describeRule = (r: Rule) => ({
    Name: r.name,
    Arn: r.arn,
    EventPattern: r.patternText,
    State: r.state,
    Description: r.description,
    EventBusName: r.busName,
    CreatedBy: LOCAL_ACCOUNT_ID,
  });
  const wireTarget = (t: LocalEventTarget) => ({
    Id: t.id,
    Arn: t.arn,
    RoleArn: t.roleArn,
    Input: t.input,
    InputPath: t.inputPath,
    RetryPolicy: t.retryPolicy ? { MaximumRetryAttempts: t.retryPolicy.maximumRetryAttempts, MaximumEventAgeInSeconds: t.retryPolicy.maximumEventAgeInSeconds } : undefined,
    DeadLetterConfig: t.deadLetterArn ? { Arn: t.deadLetterArn } : undefined,
  });

  const actions: Record<string, (b: Record<string, any>) => unknown> = {
    PutEvents: (b) => {
      const entries = putEvents(b.Entries);
      return { FailedEntryCount: entries.filter((e) => "ErrorCode" in e).length, Entries: entries };
    },
    CreateEventBus: (b) => ({ EventBusArn: createEventBus(str(b, "Name")) }),
    DescribeEventBus: (b) => {
      const bus = mustBus(b.Name);
      return { Name: bus.name, Arn: bus.arn, CreationTime: bus.createdAt, LastModifiedTime: bus.createdAt };
    },
    ListEventBuses: (b) => ({ EventBuses: prefixed([...buses.values()], b.NamePrefix).map((bus) => ({ Name: bus.name, Arn: bus.arn, CreationTime: bus.createdAt })) }),
    PutRule: (b) => ({ RuleArn: putRule({ name: str(b, "Name"), eventBusName: b.EventBusName, eventPattern: b.EventPattern, state: b.State, description: b.Description }) }),
    DescribeRule: (b) => describeRule(mustRule(str(b, "Name"), b.EventBusName)),
    ListRules: (b) => {
      const bus = mustBus(b.EventBusName).name;
      return { Rules: prefixed([...rules.values()].filter((r) => r.busName === bus), b.NamePrefix).map(describeRule) };
    },
    PutTargets: (b) => {
      const rule = mustRule(str(b, "Rule"), b.EventBusName);
      for (const t of (b.Targets ?? []) as Record<string, any>[]) {
        putTarget(rule.name, rule.busName, {
          id: t.Id,
          arn: t.Arn,
          roleArn: t.RoleArn,
          input: t.Input,
          inputPath: t.InputPath,
          retryPolicy: t.RetryPolicy ? { maximumRetryAttempts: t.RetryPolicy.MaximumRetryAttempts, maximumEventAgeInSeconds: t.RetryPolicy.MaximumEventAgeInSeconds } : undefined,
          deadLetterArn: t.DeadLetterConfig?.Arn,
        });
      }
      return { FailedEntryCount: 0, FailedEntries: [] };
    },
    ListTargetsByRule: (b) => ({ Targets: [...mustRule(str(b, "Rule"), b.EventBusName).targets.values()].map(wireTarget) }),
    CreateArchive: (b) => {
      const arn = createArchive({ name: str(b, "ArchiveName"), eventSourceArn: str(b, "EventSourceArn"), eventPattern: b.EventPattern, retentionDays: b.RetentionDays, description: b.Description });
      return { ArchiveArn: arn, State: "ENABLED", CreationTime: archives.get(b.ArchiveName)!.createdAt };
    },
    DescribeArchive: (b) => describeArchive(mustArchive(str(b, "ArchiveName"))),
    ListArchives: (b) => ({
      Archives: prefixed([...archives.values()], b.NamePrefix)
        .filter((a) => !b.EventSourceArn || a.eventSourceArn === b.EventSourceArn)
        .filter((a) => !b.State || b.State === "ENABLED")
        .map((a) => {
          const d = describeArchive(a);
          return { ArchiveName: d.ArchiveName, EventSourceArn: d.EventSourceArn, State: d.State, RetentionDays: d.RetentionDays, SizeBytes: d.SizeBytes, EventCount: d.EventCount, CreationTime: d.CreationTime };
        }),
    }),
    StartReplay: (b) =>
      startReplay({
        ReplayName: str(b, "ReplayName"),
        Description: b.Description,
        EventSourceArn: str(b, "EventSourceArn"),
        EventStartTime: b.EventStartTime,
        EventEndTime: b.EventEndTime,
        Destination: b.Destination,
      }),
    DescribeReplay: (b) => describeReplay(str(b, "ReplayName")),
    ListReplays: (b) => ({
      Replays: [...replays.values()]
        .filter((r) => typeof b.NamePrefix !== "string" || r.ReplayName.startsWith(b.NamePrefix))
        .filter((r) => (!b.State || r.State === b.State) && (!b.EventSourceArn || r.EventSourceArn === b.EventSourceArn))
        .map((r) => ({
          ReplayName: r.ReplayName,
          EventSourceArn: r.EventSourceArn,
          State: r.State,
          StateReason: r.StateReason,
          EventStartTime: r.EventStartTime,
          EventEndTime: r.EventEndTime,
          EventLastReplayedTime: r.EventLastReplayedTime,
          ReplayStartTime: r.ReplayStartTime,
          ReplayEndTime: r.ReplayEndTime,
        })),
    }),
    CancelReplay: (b) => {
      const r = replays.get(str(b, "ReplayName"));
      if (!r) throw new EventsApiError("ResourceNotFoundException", `Replay ${b.ReplayName} does not exist.`);
      if (r.State !== "STARTING" && r.State !== "RUNNING") throw new EventsApiError("IllegalStatusException", `Replay ${r.ReplayName} is ${r.State}.`);
      r.cancelled = true;
      r.State = "CANCELLING";
      return { ReplayArn: r.ReplayArn, State: r.State };
    },
    TestEventPattern: (b) => {
      const p = pattern(str(b, "EventPattern"))!;
      let event: unknown;
      try {
        event = JSON.parse(str(b, "Event"));
      } catch {
        throw new EventsApiError("InvalidEventPatternException", "Event is not valid JSON.");
      }
      return { Result: matchesPattern(p, event) };
    },
  };

  /** Dates become epoch seconds (awsJson timestamps); undefined fields are dropped. */
  const toWire = (value: unknown): unknown => {
    if (value instanceof Date) return value.getTime() / 1000;
    if (Array.isArray(value)) return value.map(toWire);
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toWire(v)]));
    }
    return value;
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const requestId = crypto.randomUUID();
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { "Content-Type": "application/x-amz-json-1.1", "Content-Length": String(Buffer.byteLength(text)), "x-amzn-RequestId": requestId, ...headers });
      res.end(text);
    };
    try {
      const target = req.headers["x-amz-target"];
      const m = typeof target === "string" ? /^AWSEvents\.(\w+)$/.exec(target) : null;
      if (req.method !== "POST" || !m) throw new EventsApiError("UnknownOperationException", "The local EventBridge takes POST / with X-Amz-Target: AWSEvents.<Action>");
      const run = actions[m[1]];
      if (!run) throw new EventsApiError("UnknownOperationException", `${m[1]} is not supported by the local EventBridge`);
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown;
      try {
        body = text.trim() ? JSON.parse(text) : {};
      } catch {
        throw new EventsApiError("SerializationException", "The request body is not JSON");
      }
      if (typeof body !== "object" || body === null || Array.isArray(body)) throw new EventsApiError("SerializationException", "The request body is not a JSON object");
      send(200, toWire(await run(body as Record<string, any>)));
    } catch (e) {
      if (e instanceof EventsApiError) send(e.statusCode, { __type: e.code, message: e.message }, { "x-amzn-ErrorType": e.code });
      else {
        note(`internal error: ${(e as Error)?.stack ?? e}`);
        send(500, { __type: "InternalException", message: (e as Error)?.message ?? String(e) }, { "x-amzn-ErrorType": "InternalException" });
      }
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  const { endpoint } = await listen(server, options.port ?? 0);
  note(`EventBridge API on ${endpoint}`);

  return {
    endpoint,
    createEventBus,
    putRule,
    putTarget,
    createArchive,
    addLambdaPermission(functionNameOrArn, sourceArn) {
      const parts = functionNameOrArn.split(":");
      const fn = parts[0] === "arn" ? parts[6] : parts[0];
      permissions.set(fn, [...(permissions.get(fn) ?? []), sourceArn]);
    },
    async publish(busNameOrArn: string, event: ServiceEvent) {
      if (stopped) throw new EventsApiError("ServiceUnavailable", "The local EventBridge is stopped", 503);
      const bus = mustBus(busNameOrArn);
      const e = envelope(event);
      route(bus.name, e);
      meterPublishedEvent(options.meter, bus.name, { Source: event.source, DetailType: event.detailType, Detail: JSON.stringify(event.detail), Resources: event.resources, Time: event.time });
      return { eventId: e.id };
    },
    putEvents,
    startReplay,
    describeReplay,
    archivedEvents(name) {
      const a = mustArchive(name);
      prune(a);
      return a.events.map((e) => ({ ...e }));
    },
    idle() {
      if (inFlight === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await close(server);
      idleWaiters.splice(0).forEach((w) => w());
    },
  };
}
