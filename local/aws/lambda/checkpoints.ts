/**
 * Stream checkpoints of the event source mappings, persisted so that a restarted local cloud
 * resumes each mapping after the last record it finished (AWS keeps this position server-side).
 *
 * A checkpoint is keyed by (function name, stream ARN), not by the mapping's UUID: Lambda allows
 * one mapping per function and event source, and the names survive a restart even where the
 * resource monitor hands out a fresh UUID each time.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

export interface Checkpoint {
  functionName: string;
  eventSourceArn: string;
  /** The last finished record's sequence number; null = nothing finished yet (read from the trim horizon). */
  after: string | null;
  updatedAt: string;
}

export class CheckpointStore {
  constructor(private readonly dir: string) {}

  private fileOf(functionName: string, eventSourceArn: string): string {
    const key = crypto.createHash("sha256").update(`${functionName}\n${eventSourceArn}`).digest("hex").slice(0, 24);
    return path.join(this.dir, `${functionName}-${key}.json`);
  }

  /** The saved checkpoint, or undefined when the mapping never started (or the file is unreadable). */
  load(functionName: string, eventSourceArn: string): Checkpoint | undefined {
    try {
      const c = JSON.parse(fs.readFileSync(this.fileOf(functionName, eventSourceArn), "utf8")) as Checkpoint;
      if (c.eventSourceArn !== eventSourceArn || (c.after !== null && typeof c.after !== "string")) return undefined;
      return c;
    } catch {
      return undefined;
    }
  }

  /** Writes atomically (temp file + rename), synchronously: the position is durable once this returns. */
  save(functionName: string, eventSourceArn: string, after: string | undefined): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const file = this.fileOf(functionName, eventSourceArn);
    const tmp = `${file}.${process.pid}.tmp`;
    const checkpoint: Checkpoint = { functionName, eventSourceArn, after: after ?? null, updatedAt: new Date().toISOString() };
    fs.writeFileSync(tmp, JSON.stringify(checkpoint));
    fs.renameSync(tmp, file);
  }

  remove(functionName: string, eventSourceArn: string): void {
    fs.rmSync(this.fileOf(functionName, eventSourceArn), { force: true });
  }
}
