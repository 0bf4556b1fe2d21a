// What the CLI prints: a job, a submit, progress while waiting, a table of jobs, and the exit code of a job.
import type { SubmitResult, WaitProgress } from "./client";
import type { Job, JobSummary } from "./types";
import { EXIT, type CliIo } from "./cliArgs";

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** A job's progress as the CLI shows it: `[####......] 40% Slept 1 of 2.5 s`. */
export function progressText(progress: Job["progress"]): string {
  if (!progress) return "";
  const parts: string[] = [];
  if (progress.percent !== undefined) {
    const filled = Math.round(Math.min(100, Math.max(0, progress.percent)) / 10);
    parts.push(`[${"#".repeat(filled)}${".".repeat(10 - filled)}] ${Math.round(progress.percent)}%`);
  }
  if (progress.message) parts.push(progress.message.replace(/[\r\n\t\x00-\x1f]+/g, " ").slice(0, 80));
  return parts.join(" ");
}

/** Progress while waiting: one line redrawn in place on a TTY, one line per change of status or progress otherwise. */
export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private line = "";
  private status = "";
  private progress = "";
  private readonly started = Date.now();

  constructor(
    private readonly out: CliIo["stderr"],
    private readonly jobId: string,
    private readonly enabled: boolean,
  ) {
    if (enabled && out.isTTY) {
      this.timer = setInterval(() => this.redraw(), 200);
      this.timer.unref();
    }
  }

  update(p: WaitProgress) {
    if (!this.enabled) return;
    const progress = progressText(p.job.progress);
    const progressed = progress !== this.progress;
    this.progress = progress;
    if (this.out.isTTY) {
      this.status = p.status;
      this.redraw();
    } else if (p.changed || progressed) {
      this.out.write(`${this.jobId} ${p.status} ${seconds(Date.now() - this.started)}${progress ? ` ${progress}` : ""}\n`);
    }
  }

  private redraw() {
    if (!this.status) return;
    this.line = `${this.jobId} ${this.status} ${seconds(Date.now() - this.started)}${this.progress ? ` ${this.progress}` : ""}`;
    this.out.write(`\r\x1b[2K${this.line}`);
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.enabled && this.out.isTTY && this.status) {
      this.redraw();
      this.out.write("\n");
    }
  }
}

export function describeJob(job: Job, extra: Array<[string, unknown]> = []): string {
  const rows: Array<[string, unknown]> = [
    ["job", job.jobId],
    ["status", job.status],
    ["created", job.createdAt],
    ["updated", job.updatedAt],
    ...extra,
  ];
  if (job.error) rows.push(["error", `${job.error.code}: ${job.error.message}`]);
  if (job.resultUrl && job.result === undefined) rows.push(["resultUrl", job.resultUrl]);
  let text = rows
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k.padEnd(9)} ${v}`)
    .join("\n");
  if (job.result !== undefined) text += `\nresult\n${JSON.stringify(job.result, null, 2)}`;
  return `${text}\n`;
}

export function describeSubmit(s: SubmitResult): string {
  const rows: Array<[string, unknown]> = [
    ["job", s.jobId],
    ["status", s.status],
    ["created", s.createdAt],
    ["location", s.location],
    ["idempotency key", s.idempotencyKey],
    ["replayed", s.replayed ? "yes (this key had already created the job)" : undefined],
  ];
  return `${rows
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k.padEnd(9)} ${v}`)
    .join("\n")}\nfollow it: async-api wait ${s.jobId}\n`;
}

export function exitCodeOf(job: Job): number {
  switch (job.status) {
    case "SUCCEEDED":
      return EXIT.OK;
    case "FAILED":
      return EXIT.FAILED;
    case "TIMED_OUT":
      return EXIT.TIMED_OUT;
    case "CANCELLED":
      return EXIT.CANCELLED;
    default:
      return EXIT.ERROR;
  }
}


/** Jobs as a table: id, status, created, progress and error code, one job a line. */
export function jobTable(jobs: JobSummary[]): string {
  const rows = [
    ["JOB", "STATUS", "CREATED", "PROGRESS", "ERROR"],
    ...jobs.map((job) => [job.jobId, job.status, job.createdAt, progressText(job.progress), job.error ? String(job.error.code).replace(/[\x00-\x1f]+/g, " ") : ""]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd() + "\n").join("");
}
