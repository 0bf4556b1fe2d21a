/**
 * The local EventBridge's service logic, without HTTP: `EventBridge` holds the buses, rules,
 * archives, replays and Lambda permissions (one class per concern, as fields), routes each event
 * that arrives on a bus, and serves PutEvents and `publish` (the events of the local cloud's own
 * services). ./operations.ts maps the JSON API's operations onto it.
 */
import * as crypto from "crypto";
import * as path from "path";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "../types";
import type { EventEnvelope, ServiceEvent } from "../types";
import { Archives } from "./archives";
import { Buses } from "./buses";
import { Delivery } from "./delivery";
import { EventsApiError, type EventBridgeServiceOptions, type PutEventsEntry, type PutEventsResultEntry, type Router } from "./model";
import { busNameOf, toDate } from "./names";
import { Replays } from "./replays";
import { Rules } from "./rules";
import { TargetSender } from "./targets";
import { BackgroundWork } from "./work";
import { meterPublishedEvent } from "../../usage/eventbridge";

/** EventBridge's event time: ISO 8601 with whole seconds. */
const eventTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

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

/** A PutEvents entry's detail object, or the entry's error as PutEvents answers it. */
function checkEntry(entry: PutEventsEntry): { detail: Record<string, unknown> } | { ErrorCode: string; ErrorMessage: string } {
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
  return { detail: detail as Record<string, unknown> };
}

export class EventBridge {
  readonly work = new BackgroundWork();
  readonly buses: Buses;
  readonly rules: Rules;
  readonly archives: Archives;
  readonly replays: Replays;
  /** Sends to targets; holds the Lambda permissions. */
  readonly targets: TargetSender;
  private readonly delivery: Delivery;
  readonly note: (line: string) => void;

  constructor(private readonly options: EventBridgeServiceOptions) {
    const note = (line: string) => options.log?.(`[events] ${line}`);
    const route: Router = (busName, event, replay) => this.route(busName, event, replay);
    this.note = note;
    this.buses = new Buses(note);
    this.archives = new Archives(options.dir ? path.join(options.dir, "archives") : undefined, this.buses, note);
    this.rules = new Rules(this.buses, note);
    this.targets = new TargetSender(options, this.buses, route);
    this.delivery = new Delivery(options, this.targets, this.work, note);
    this.replays = new Replays({ archives: this.archives, rules: this.rules, work: this.work, route, note });
  }

  /**
   * An event arrived on a bus: each archive of the bus whose pattern matches stores it (unless it
   * is replayed), then each ENABLED rule whose pattern matches sends it to its targets.
   */
  route(busName: string, event: EventEnvelope, replay?: { name: string; filterArns?: string[] }): void {
    if (!replay) this.archives.record(busName, event);
    for (const rule of this.rules.matching(busName, event, replay?.filterArns)) {
      for (const target of rule.targets.values()) void this.work.track(this.delivery.deliver(rule, target, event));
    }
  }

  /** PutEvents: 1 to 10 entries, each put on its bus or answered with its own error. */
  putEvents(entries: PutEventsEntry[]): PutEventsResultEntry[] {
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10) {
      throw new EventsApiError("ValidationException", "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10");
    }
    return entries.map((entry): PutEventsResultEntry => {
      const checked = checkEntry(entry);
      if (!("detail" in checked)) return checked;
      const bus = this.buses.find(entry.EventBusName);
      if (!bus) return { ErrorCode: "ResourceNotFoundException", ErrorMessage: `Event bus ${busNameOf(entry.EventBusName)} does not exist.` };
      const event = envelope({
        source: entry.Source!,
        detailType: entry.DetailType!,
        detail: checked.detail,
        resources: entry.Resources ?? [],
        time: entry.Time === undefined ? undefined : toDate(entry.Time, "Time"),
      });
      this.route(bus.name, event);
      meterPublishedEvent(this.options.meter, bus.name, entry);
      return { EventId: event.id };
    });
  }

  /** Puts an event of a local AWS service (Lambda destinations, Step Functions status changes) on a bus. */
  publish(busNameOrArn: string, event: ServiceEvent): { eventId: string } {
    if (this.work.stopped) throw new EventsApiError("ServiceUnavailable", "The local EventBridge is stopped", 503);
    const bus = this.buses.mustBus(busNameOrArn);
    const e = envelope(event);
    this.route(bus.name, e);
    meterPublishedEvent(this.options.meter, bus.name, { Source: event.source, DetailType: event.detailType, Detail: JSON.stringify(event.detail), Resources: event.resources, Time: event.time });
    return { eventId: e.id };
  }
}
