/**
 * Local DynamoDB Streams: one stream (one shard) per table with a stream enabled, fed by the write
 * path (`capture`) with each item's image before and after a write, read by the Streams API and
 * by Lambda event source mappings (`DynamoDbStreamSource`).
 *
 * Records are kept 24 hours, as on AWS. With a `dir`, stream settings live in
 * `<dir>/streams.json` and each stream's records in `<dir>/<hash of its ARN>.jsonl` (appended as
 * they come; rewritten without expired records on start and now and then), so a restart keeps the
 * records, the ARNs and an increasing sequence.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "../types";
import type { DynamoDbItem, DynamoDbStreamRecord, DynamoDbStreamSource, StreamViewType } from "../types";
import { itemSize, sameItem } from "./items";

/** The stream's only shard: a stable id, so iterators and checkpoints survive a restart. */
export function shardIdOf(streamArn: string): string {
  return `shardId-00000001-${crypto.createHash("sha1").update(streamArn).digest("hex").slice(0, 8)}`;
}

export const STREAM_RETENTION_MS = 24 * 60 * 60 * 1000;
export const STREAM_VIEW_TYPES: readonly StreamViewType[] = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"];

/** Expired records are dropped from memory at once, but from the file only after this many. */
const COMPACT_AFTER_TRIMMED = 1000;

export interface StreamInfo {
  arn: string;
  tableName: string;
  /** `2026-03-01T12:00:00.000`: the ARN's last part. */
  label: string;
  viewType: StreamViewType;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms; set when the stream was disabled (UpdateTable, or its table deleted). It stays readable for 24 hours. */
  disabledAt?: number;
  /** The table was deleted: a new table of that name does not report this stream. */
  tableDeleted?: boolean;
  keySchema?: { AttributeName: string; KeyType: string }[];
}

/** One item's change, as the write path saw it under the write lock. */
export interface ItemChange {
  table: string;
  keys: DynamoDbItem;
  oldImage?: DynamoDbItem;
  newImage?: DynamoDbItem;
  /** A TTL deletion (the record then names DynamoDB itself as the user). */
  byTtl?: boolean;
}

interface SavedState {
  lastSequenceNumber?: string;
  streams?: StreamInfo[];
}

export interface StreamStoreOptions {
  dir?: string;
  now?: () => number;
  log?: (line: string) => void;
}

export class StreamStore implements DynamoDbStreamSource {
  private readonly streams = new Map<string, StreamInfo>();
  private readonly records = new Map<string, DynamoDbStreamRecord[]>();
  private readonly listeners = new Map<string, Set<() => void>>();
  private readonly trimmed = new Map<string, number>();
  private readonly pendingLines = new Map<string, string[]>();
  private readonly pendingNotify = new Set<string>();
  private appendQueued = false;
  private lastSequence = 0n;
  private persist: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly log: (line: string) => void;

  private constructor(private readonly dir: string | undefined, options: StreamStoreOptions) {
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => undefined);
  }

  /** Opens the store, loading what `dir` holds (records past retention are dropped). */
  static async open(options: StreamStoreOptions = {}): Promise<StreamStore> {
    const store = new StreamStore(options.dir, options);
    if (options.dir) await store.load(options.dir);
    return store;
  }

  // ---- Stream lifecycle -----------------------------------------------------------------------

  /** Enables a stream on `table` (or keeps the enabled one with the same view type); answers its ARN. */
  enable(table: string, viewType: StreamViewType): string {
    if (!STREAM_VIEW_TYPES.includes(viewType)) throw new Error(`unknown StreamViewType ${String(viewType)}`);
    const current = this.activeFor(table);
    if (current?.viewType === viewType) return current.arn;
    if (current) current.disabledAt = this.now();
    let createdAt = this.now();
    const arnOf = (at: number) => `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:table/${table}/stream/${new Date(at).toISOString().slice(0, -1)}`;
    while (this.streams.has(arnOf(createdAt))) createdAt++;
    const arn = arnOf(createdAt);
    const info: StreamInfo = { arn, tableName: table, label: arn.slice(arn.lastIndexOf("/") + 1), viewType, createdAt };
    this.streams.set(arn, info);
    this.records.set(arn, []);
    this.saveState();
    this.log(`dynamodb: stream ${viewType} enabled on ${table}`);
    return arn;
  }

  /** Disables the table's stream (its records stay readable for 24 hours); `tableDeleted` also detaches earlier streams from the name. */
  disable(table: string, tableDeleted = false): boolean {
    const current = this.activeFor(table);
    if (current) current.disabledAt = this.now();
    if (tableDeleted) for (const info of this.streams.values()) if (info.tableName === table) info.tableDeleted = true;
    if (current || tableDeleted) this.saveState();
    return current !== undefined;
  }

  /** The table's enabled stream. */
  activeFor(table: string): StreamInfo | undefined {
    for (const info of this.streams.values()) if (info.tableName === table && info.disabledAt === undefined) return info;
    return undefined;
  }

  /** The newest stream of the table (enabled or not): `LatestStreamArn` of DescribeTable. */
  latestFor(table: string): StreamInfo | undefined {
    let latest: StreamInfo | undefined;
    for (const info of this.list()) if (info.tableName === table && !info.tableDeleted) latest = info;
    return latest;
  }

  get(arn: string): StreamInfo | undefined {
    this.prune();
    return this.streams.get(arn);
  }

  /** Every stream still readable, oldest first. */
  list(): StreamInfo[] {
    this.prune();
    return [...this.streams.values()];
  }

  /** Records the table's key schema on its streams that lack it (DescribeStream reports it, even after the table is gone). */
  rememberKeySchema(table: string, keySchema: StreamInfo["keySchema"]): void {
    if (!keySchema) return;
    let changed = false;
    for (const info of this.streams.values()) {
      if (info.tableName !== table || info.tableDeleted || info.keySchema) continue;
      info.keySchema = keySchema;
      changed = true;
    }
    if (changed) this.saveState();
  }

  // ---- Writing --------------------------------------------------------------------------------

  /** Appends the record of one item's change to its table's stream (none when no stream, or nothing changed). */
  capture(change: ItemChange): DynamoDbStreamRecord | undefined {
    const info = this.activeFor(change.table);
    const { oldImage, newImage } = change;
    if (!info || (!oldImage && !newImage) || (oldImage && newImage && sameItem(oldImage, newImage))) return undefined;
    const view = info.viewType;
    const dynamodb: DynamoDbStreamRecord["dynamodb"] = {
      ApproximateCreationDateTime: Math.floor(this.now() / 1000),
      Keys: change.keys,
      ...(newImage && (view === "NEW_IMAGE" || view === "NEW_AND_OLD_IMAGES") ? { NewImage: newImage } : {}),
      ...(oldImage && (view === "OLD_IMAGE" || view === "NEW_AND_OLD_IMAGES") ? { OldImage: oldImage } : {}),
      SequenceNumber: this.nextSequence(),
      SizeBytes: 0,
      StreamViewType: view,
    };
    dynamodb.SizeBytes = itemSize(dynamodb.Keys) + itemSize(dynamodb.NewImage) + itemSize(dynamodb.OldImage);
    const record: DynamoDbStreamRecord = {
      eventID: crypto.randomBytes(16).toString("hex"),
      eventName: !oldImage ? "INSERT" : !newImage ? "REMOVE" : "MODIFY",
      eventVersion: "1.1",
      eventSource: "aws:dynamodb",
      awsRegion: LOCAL_REGION,
      dynamodb,
      ...(change.byTtl ? { userIdentity: { type: "Service" as const, principalId: "dynamodb.amazonaws.com" as const } } : {}),
      eventSourceARN: info.arn,
    };
    this.recordsOf(info.arn).push(record);
    this.queueAppend(info.arn, JSON.stringify(record));
    this.queueNotify(info.arn);
    return record;
  }

  private nextSequence(): string {
    // Never below a clock-derived floor, so the sequence keeps increasing across restarts even if
    // every stored record has expired.
    const floor = 10n ** 20n + BigInt(Math.floor(this.now())) * 1_000_000n;
    this.lastSequence = this.lastSequence + 1n > floor ? this.lastSequence + 1n : floor;
    return this.lastSequence.toString();
  }

  /** Where an empty stream's first record will start (DescribeStream's StartingSequenceNumber). */
  startingSequenceNumber(arn: string): string {
    return this.readRecords(arn, undefined, 1)[0]?.dynamodb.SequenceNumber ?? (this.lastSequence + 1n).toString();
  }

  // ---- DynamoDbStreamSource -------------------------------------------------------------------

  shardId(streamArn: string): string {
    return shardIdOf(streamArn);
  }

  viewType(streamArn: string): StreamViewType | undefined {
    return this.get(streamArn)?.viewType;
  }

  readRecords(streamArn: string, afterSequenceNumber: string | undefined, limit: number): DynamoDbStreamRecord[] {
    if (!this.get(streamArn)) return [];
    const list = this.trim(streamArn);
    let start = 0;
    if (afterSequenceNumber !== undefined) {
      const after = BigInt(afterSequenceNumber);
      let hi = list.length;
      while (start < hi) {
        const mid = (start + hi) >>> 1;
        if (BigInt(list[mid].dynamodb.SequenceNumber) <= after) start = mid + 1;
        else hi = mid;
      }
    }
    return list.slice(start, start + Math.max(0, limit)).map((r) => structuredClone(r));
  }

  latestSequenceNumber(streamArn: string): string | undefined {
    if (!this.get(streamArn)) return undefined;
    const list = this.trim(streamArn);
    return list[list.length - 1]?.dynamodb.SequenceNumber;
  }

  onAppend(streamArn: string, listener: () => void): () => void {
    let set = this.listeners.get(streamArn);
    if (!set) this.listeners.set(streamArn, (set = new Set()));
    const own = () => listener();
    set.add(own);
    return () => {
      set.delete(own);
    };
  }

  /** Resolves once everything appended so far is on disk. */
  async flush(): Promise<void> {
    this.saveState();
    await this.persist;
  }

  // ---- Internals ------------------------------------------------------------------------------

  private recordsOf(arn: string): DynamoDbStreamRecord[] {
    let list = this.records.get(arn);
    if (!list) this.records.set(arn, (list = []));
    return list;
  }

  /** Drops records past retention from the front of the stream. */
  private trim(arn: string): DynamoDbStreamRecord[] {
    const list = this.recordsOf(arn);
    const horizonSeconds = (this.now() - STREAM_RETENTION_MS) / 1000;
    let n = 0;
    while (n < list.length && list[n].dynamodb.ApproximateCreationDateTime < horizonSeconds) n++;
    if (n > 0) {
      list.splice(0, n);
      const total = (this.trimmed.get(arn) ?? 0) + n;
      this.trimmed.set(arn, total);
      if (total >= COMPACT_AFTER_TRIMMED) this.queueRewrite(arn);
    }
    return list;
  }

  /** Forgets disabled streams 24 hours after they were disabled, as AWS does. */
  private prune(): void {
    const horizon = this.now() - STREAM_RETENTION_MS;
    for (const info of [...this.streams.values()]) {
      if (info.disabledAt === undefined || info.disabledAt >= horizon) continue;
      this.streams.delete(info.arn);
      this.records.delete(info.arn);
      this.listeners.delete(info.arn);
      this.pendingLines.delete(info.arn);
      const file = this.fileOf(info.arn);
      this.saveState();
      if (file) this.persist = this.persist.then(() => fs.promises.rm(file, { force: true })).catch((err) => this.failed(file, err));
    }
  }

  private queueNotify(arn: string): void {
    if (this.pendingNotify.has(arn)) return;
    this.pendingNotify.add(arn);
    setImmediate(() => {
      this.pendingNotify.delete(arn);
      for (const listener of [...(this.listeners.get(arn) ?? [])]) {
        try {
          listener();
        } catch (err) {
          this.log(`dynamodb: stream listener on ${arn} failed: ${(err as Error)?.stack ?? String(err)}`);
        }
      }
    });
  }

  private fileOf(arn: string): string | undefined {
    return this.dir ? path.join(this.dir, `${crypto.createHash("sha1").update(arn).digest("hex").slice(0, 16)}.jsonl`) : undefined;
  }

  private failed(file: string, err: unknown): void {
    this.log(`dynamodb: could not save ${file}: ${(err as Error).message}`);
  }

  private queueAppend(arn: string, line: string): void {
    if (!this.dir) return;
    const lines = this.pendingLines.get(arn);
    if (lines) lines.push(line);
    else this.pendingLines.set(arn, [line]);
    if (this.appendQueued) return;
    this.appendQueued = true;
    this.persist = this.persist.then(async () => {
      this.appendQueued = false;
      const batch = [...this.pendingLines];
      this.pendingLines.clear();
      for (const [streamArn, pending] of batch) {
        const file = this.fileOf(streamArn)!;
        await fs.promises.appendFile(file, pending.join("\n") + "\n").catch((err) => this.failed(file, err));
      }
    });
  }

  /** Replaces the stream's file by the records in memory (which include any not yet appended). */
  private queueRewrite(arn: string): void {
    this.trimmed.set(arn, 0);
    const file = this.fileOf(arn);
    if (!file) return;
    this.persist = this.persist.then(async () => {
      this.pendingLines.delete(arn);
      const list = this.records.get(arn) ?? [];
      const text = list.map((r) => JSON.stringify(r) + "\n").join("");
      await fs.promises
        .writeFile(file + ".tmp", text)
        .then(() => fs.promises.rename(file + ".tmp", file))
        .catch((err) => this.failed(file, err));
    });
  }

  private saveState(): void {
    if (!this.dir) return;
    const file = path.join(this.dir, "streams.json");
    this.persist = this.persist.then(async () => {
      const state: SavedState = { lastSequenceNumber: this.lastSequence.toString(), streams: [...this.streams.values()] };
      await fs.promises
        .writeFile(file + ".tmp", JSON.stringify(state, null, 2))
        .then(() => fs.promises.rename(file + ".tmp", file))
        .catch((err) => this.failed(file, err));
    });
  }

  private async load(dir: string): Promise<void> {
    await fs.promises.mkdir(dir, { recursive: true });
    const stateFile = path.join(dir, "streams.json");
    let state: SavedState = {};
    try {
      state = JSON.parse(await fs.promises.readFile(stateFile, "utf8")) as SavedState;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.log(`dynamodb: ignoring unreadable ${stateFile}: ${(err as Error).message}`);
    }
    if (state.lastSequenceNumber && /^\d+$/.test(state.lastSequenceNumber)) this.lastSequence = BigInt(state.lastSequenceNumber);
    for (const info of state.streams ?? []) {
      this.streams.set(info.arn, info);
      const file = this.fileOf(info.arn)!;
      let text = "";
      try {
        text = await fs.promises.readFile(file, "utf8");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.log(`dynamodb: ignoring unreadable ${file}: ${(err as Error).message}`);
      }
      const list: DynamoDbStreamRecord[] = [];
      let last = -1n;
      let skipped = 0;
      for (const line of text.split("\n")) {
        if (!line.trim()) continue;
        try {
          const record = JSON.parse(line) as DynamoDbStreamRecord;
          const seq = BigInt(record.dynamodb.SequenceNumber);
          if (seq > this.lastSequence) this.lastSequence = seq;
          // A line cut short by a crash, or one written twice, is dropped.
          if (seq <= last) throw new Error("out of order");
          last = seq;
          list.push(record);
        } catch {
          skipped++;
        }
      }
      this.records.set(info.arn, list);
      const before = list.length;
      this.trim(info.arn);
      if (skipped > 0 || list.length !== before) this.queueRewrite(info.arn);
    }
    this.prune();
    await this.persist;
  }
}
