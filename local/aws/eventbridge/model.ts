/**
 * The local EventBridge's types: the public ones (options, the service's face, the API's shapes,
 * `EventsApiError`; ./index.ts re-exports them) and the records it keeps of buses, rules, archives
 * and replays.
 */
import type { EventBridgeService, EventEnvelope, LambdaService, LocalEventTarget, SqsService } from "../types";
import { AwsApiError } from "../protocols/apiError";
import type { UsageMeter } from "../../usage/meter";
import type { parsePattern } from "./pattern";

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

export type CompiledPattern = ReturnType<typeof parsePattern>;

export interface Bus {
  name: string;
  arn: string;
  createdAt: Date;
}

export interface Rule {
  name: string;
  busName: string;
  arn: string;
  patternText?: string;
  pattern?: CompiledPattern;
  state: string;
  description?: string;
  targets: Map<string, LocalEventTarget>;
}

export interface Archive {
  name: string;
  arn: string;
  busName: string;
  eventSourceArn: string;
  patternText?: string;
  pattern?: CompiledPattern;
  retentionDays: number;
  description?: string;
  createdAt: Date;
  events: ArchivedEvent[];
  file?: string;
}

export interface Replay extends ReplayDescription {
  cancelled: boolean;
}

/** Routes an event that arrived on a bus: archives it (unless replayed), then sends it to the targets of the matching rules. */
export type Router = (busName: string, event: EventEnvelope, replay?: { name: string; filterArns?: string[] }) => void;
