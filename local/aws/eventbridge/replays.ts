/**
 * The local EventBridge's replays: StartReplay, DescribeReplay, ListReplays and CancelReplay. A
 * replay re-sends the archived events whose `time` lies in its window (oldest first) to the
 * archive's bus, with `"replay-name"` added, to the rules in `FilterArns` only (all of the bus's
 * rules when absent); it runs in the background, and replayed events are not archived again.
 */
import type { Archives } from "./archives";
import { EventsApiError, type Archive, type Replay, type ReplayDescription, type ReplayState, type Router, type StartReplayInput } from "./model";
import { busNameOf, replayArnOf, toDate } from "./names";
import type { Rules } from "./rules";
import type { BackgroundWork } from "./work";

export interface ReplaysDeps {
  archives: Archives;
  rules: Rules;
  work: BackgroundWork;
  route: Router;
  note: (line: string) => void;
}

export class Replays {
  private readonly replays = new Map<string, Replay>();

  constructor(private readonly deps: ReplaysDeps) {}

  /** Checks a replay, records it as STARTING and starts it in the background. */
  startReplay(input: StartReplayInput): { ReplayArn: string; State: ReplayState; ReplayStartTime: Date } {
    const name = input.ReplayName;
    if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(name ?? "")) throw new EventsApiError("ValidationException", `Replay name ${name} is not valid.`);
    if (this.replays.has(name)) throw new EventsApiError("ResourceAlreadyExistsException", `Replay ${name} already exists.`);
    const archive = this.deps.archives.withArn(input.EventSourceArn);
    if (!archive) throw new EventsApiError("ResourceNotFoundException", `Archive ${input.EventSourceArn} does not exist.`);
    this.checkDestination(input.Destination, archive);
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
    this.replays.set(name, replay);
    void this.deps.work.track(this.run(replay, archive));
    return { ReplayArn: replay.ReplayArn, State: replay.State, ReplayStartTime: replay.ReplayStartTime };
  }

  describeReplay(name: string): ReplayDescription {
    const r = this.replays.get(name);
    if (!r) throw new EventsApiError("ResourceNotFoundException", `Replay ${name} does not exist.`);
    const { cancelled: _cancelled, ...out } = r;
    return { ...out, Destination: { ...out.Destination } };
  }

  listReplays(filter: { NamePrefix?: unknown; State?: unknown; EventSourceArn?: unknown }) {
    return {
      Replays: [...this.replays.values()]
        .filter((r) => typeof filter.NamePrefix !== "string" || r.ReplayName.startsWith(filter.NamePrefix))
        .filter((r) => (!filter.State || r.State === filter.State) && (!filter.EventSourceArn || r.EventSourceArn === filter.EventSourceArn))
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
    };
  }

  /** Asks a STARTING or RUNNING replay to stop (it becomes CANCELLED once it has). */
  cancelReplay(name: string) {
    const r = this.replays.get(name);
    if (!r) throw new EventsApiError("ResourceNotFoundException", `Replay ${name} does not exist.`);
    if (r.State !== "STARTING" && r.State !== "RUNNING") throw new EventsApiError("IllegalStatusException", `Replay ${r.ReplayName} is ${r.State}.`);
    r.cancelled = true;
    r.State = "CANCELLING";
    return { ReplayArn: r.ReplayArn, State: r.State };
  }

  /** A replay goes back to its archive's own bus, and only to rules of that bus. */
  private checkDestination(destination: StartReplayInput["Destination"], archive: Archive): void {
    if (!destination?.Arn) throw new EventsApiError("ValidationException", "Destination.Arn is required.");
    if (busNameOf(destination.Arn) !== archive.busName || !/:event-bus\//.test(destination.Arn)) {
      throw new EventsApiError("ValidationException", `Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted (the archive's bus is ${archive.eventSourceArn}).`);
    }
    for (const arn of destination.FilterArns ?? []) {
      if (!this.deps.rules.isRuleOf(arn, archive.busName)) {
        throw new EventsApiError("ValidationException", `Parameter Destination.FilterArns is not valid. Reason: ${arn} is not a rule of ${archive.eventSourceArn}.`);
      }
    }
  }

  /** Runs a replay: after a short STARTING phase, re-sends the events of its window unless cancelled. */
  private async run(replay: Replay, archive: Archive): Promise<void> {
    const { work, note, route } = this.deps;
    await work.sleep(50);
    if (replay.cancelled) {
      replay.State = "CANCELLED";
      replay.ReplayEndTime = new Date();
      return;
    }
    replay.State = "RUNNING";
    const chosen = this.eventsInWindow(replay, archive);
    const filterArns = replay.Destination.FilterArns;
    note(`replay ${replay.ReplayName}: re-sending ${chosen.length} event(s) of ${archive.name} to ${archive.busName}${filterArns ? ` (rules ${filterArns.join(", ")})` : ""}`);
    for (const e of chosen) {
      if (replay.cancelled || work.stopped) break;
      route(archive.busName, { ...e.event, "replay-name": replay.ReplayName }, { name: replay.ReplayName, filterArns });
      replay.EventLastReplayedTime = new Date(Date.parse(e.event.time));
    }
    replay.State = replay.cancelled ? "CANCELLED" : "COMPLETED";
    replay.ReplayEndTime = new Date();
  }

  /** The archived events (within retention) whose time lies in the replay's window, by time then arrival. */
  private eventsInWindow(replay: Replay, archive: Archive) {
    this.deps.archives.prune(archive);
    const from = Math.floor(replay.EventStartTime.getTime() / 1000) * 1000;
    const to = replay.EventEndTime.getTime();
    return archive.events
      .filter((e) => {
        const t = Date.parse(e.event.time);
        return t >= from && t <= to;
      })
      .sort((a, b) => Date.parse(a.event.time) - Date.parse(b.event.time) || a.archivedAt - b.archivedAt);
  }
}
