/**
 * The TTL attribute of each table with TTL enabled (dynalite has no TTL): kept in memory and, with
 * a state dir, in `<dir>/ttl.json`, so a restart keeps them. Saves are queued one after another.
 */
import * as fs from "fs";

export class TtlSettings {
  /** table name → TTL attribute. */
  private readonly attributes = new Map<string, string>();
  private written: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string | undefined,
    private readonly log: (line: string) => void,
  ) {}

  /** The settings saved in `file` (none when it is absent or unreadable). */
  static async load(file: string | undefined, log: (line: string) => void): Promise<TtlSettings> {
    const settings = new TtlSettings(file, log);
    if (!file) return settings;
    try {
      const saved = JSON.parse(await fs.promises.readFile(file, "utf8")) as Record<string, string>;
      for (const [table, attribute] of Object.entries(saved)) settings.attributes.set(table, attribute);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") log(`dynamodb: ignoring unreadable ${file}: ${(err as Error).message}`);
    }
    return settings;
  }

  get(table: string): string | undefined {
    return this.attributes.get(table);
  }

  set(table: string, attribute: string): void {
    this.attributes.set(table, attribute);
  }

  /** Whether the table had TTL enabled. */
  delete(table: string): boolean {
    return this.attributes.delete(table);
  }

  /** How many tables have TTL enabled. */
  get size(): number {
    return this.attributes.size;
  }

  /** [table, attribute] of each table with TTL enabled. */
  entries(): [string, string][] {
    return [...this.attributes];
  }

  toObject(): Record<string, string> {
    return Object.fromEntries(this.attributes);
  }

  /** Queues a save of the settings as they are now; resolves once it is done (a failure is logged). */
  save(): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    const text = JSON.stringify(Object.fromEntries(this.attributes), null, 2);
    this.written = this.written.then(() => fs.promises.writeFile(file, text)).catch((err) => this.log(`dynamodb: could not save ${file}: ${(err as Error).message}`));
    return this.written;
  }

  /** Resolves once the saves queued so far are done. */
  saved(): Promise<void> {
    return this.written;
  }
}
