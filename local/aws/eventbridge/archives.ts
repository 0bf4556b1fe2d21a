/**
 * The local EventBridge's archives: CreateArchive, DescribeArchive, ListArchives, and the storing of
 * each event that arrives on an archive's bus and matches its pattern. With a state dir, an archive
 * is a JSON-lines file (`<dir>/<name>.jsonl`) that survives a restart; events past the retention
 * are pruned whenever the archive is read.
 */
import * as fs from "fs";
import * as path from "path";
import type { EventEnvelope, LocalEventArchive } from "../types";
import type { Buses } from "./buses";
import { EventsApiError, type Archive, type ArchivedEvent } from "./model";
import { archiveArnOf, byNamePrefix, compilePattern } from "./names";
import { matchesPattern } from "./pattern";

/** The events an archive file holds (a line cut by a crash is skipped). */
function readArchiveFile(file: string): ArchivedEvent[] {
  return fs
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

export class Archives {
  private readonly archives = new Map<string, Archive>();

  /** `dir`: where the archive files are kept (created now); absent = in memory. */
  constructor(
    private readonly dir: string | undefined,
    private readonly buses: Buses,
    private readonly note: (line: string) => void,
  ) {
    if (dir) fs.mkdirSync(dir, { recursive: true });
  }

  /** The archive `name`, or ResourceNotFoundException. */
  mustArchive(name: unknown): Archive {
    const a = this.archives.get(String(name));
    if (!a) throw new EventsApiError("ResourceNotFoundException", `Archive ${String(name)} does not exist.`);
    return a;
  }

  /** The archive with this ARN, if any. */
  withArn(arn: string): Archive | undefined {
    return [...this.archives.values()].find((a) => a.arn === arn);
  }

  /** Drops the events past the archive's retention (and rewrites its file when some were). */
  prune(a: Archive): void {
    if (!a.retentionDays) return;
    const cutoff = Date.now() - a.retentionDays * 86_400_000;
    const before = a.events.length;
    a.events = a.events.filter((e) => e.archivedAt >= cutoff);
    if (a.file && a.events.length !== before) fs.writeFileSync(a.file, a.events.map((e) => JSON.stringify(e) + "\n").join(""));
  }

  /** Creates or updates an archive, keeping the events it (or its file in the state dir) holds; returns its ARN. */
  createArchive(input: LocalEventArchive): string {
    if (!/^[.\-_A-Za-z0-9]{1,48}$/.test(input.name ?? "")) throw new EventsApiError("ValidationException", `Archive name ${input.name} is not valid.`);
    const bus = this.buses.mustBus(input.eventSourceArn);
    const file = this.dir ? path.join(this.dir, `${input.name}.jsonl`) : undefined;
    const existing = this.archives.get(input.name);
    const events = existing?.events ?? (file && fs.existsSync(file) ? readArchiveFile(file) : []);
    const archive: Archive = {
      name: input.name,
      arn: archiveArnOf(input.name),
      busName: bus.name,
      eventSourceArn: bus.arn,
      patternText: input.eventPattern,
      pattern: compilePattern(input.eventPattern),
      retentionDays: input.retentionDays ?? 0,
      description: input.description,
      createdAt: existing?.createdAt ?? new Date(),
      events,
      file,
    };
    this.archives.set(input.name, archive);
    this.prune(archive);
    this.note(`${existing ? "updated" : "created"} archive ${input.name} of ${bus.name} (${archive.events.length} event(s) kept)`);
    return archive.arn;
  }

  describeArchive(name: unknown) {
    return this.describe(this.mustArchive(name));
  }

  listArchives(filter: { NamePrefix?: unknown; EventSourceArn?: unknown; State?: unknown }) {
    return {
      Archives: byNamePrefix([...this.archives.values()], filter.NamePrefix)
        .filter((a) => !filter.EventSourceArn || a.eventSourceArn === filter.EventSourceArn)
        .filter(() => !filter.State || filter.State === "ENABLED")
        .map((a) => {
          const d = this.describe(a);
          return { ArchiveName: d.ArchiveName, EventSourceArn: d.EventSourceArn, State: d.State, RetentionDays: d.RetentionDays, SizeBytes: d.SizeBytes, EventCount: d.EventCount, CreationTime: d.CreationTime };
        }),
    };
  }

  /** The events an archive holds (within its retention), oldest first. */
  archivedEvents(name: string): ArchivedEvent[] {
    const a = this.mustArchive(name);
    this.prune(a);
    return a.events.map((e) => ({ ...e }));
  }

  /** Stores an event that arrived on `busName` in each archive of that bus whose pattern it matches. */
  record(busName: string, event: EventEnvelope): void {
    for (const a of this.archives.values()) {
      if (a.busName !== busName || (a.pattern && !matchesPattern(a.pattern, event))) continue;
      const entry: ArchivedEvent = { archivedAt: Date.now(), event };
      a.events.push(entry);
      if (a.file) fs.appendFileSync(a.file, JSON.stringify(entry) + "\n");
    }
  }

  /** An archive as DescribeArchive answers it (after pruning it). */
  private describe(a: Archive) {
    this.prune(a);
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
}
