/**
 * One container of a task as a local child process: started with its environment in its build
 * context, its output split into lines, stopped as `docker stop` does (SIGTERM, then SIGKILL after
 * the stop timeout), its exit reported with Docker's exit code (128 + signal when killed).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { constants } from "node:os";
import type { ContainerCommand } from "./dockerfile";

export interface ContainerExit {
  exitCode: number;
  /** Set when the process could not be started at all. */
  startError?: string;
}

export class ContainerProcess {
  private readonly proc: ChildProcess;
  private readonly buffers = { stdout: "", stderr: "" };
  private killTimer?: NodeJS.Timeout;
  /** Resolves once, when the process has exited (or failed to start). */
  readonly exited: Promise<ContainerExit>;
  /** Resolves when the process has started; never rejects (a start failure shows in `exited`). */
  readonly started: Promise<boolean>;

  constructor(command: ContainerCommand, env: Record<string, string>, line: (text: string) => void) {
    this.proc = spawn(command.executable, command.args, { cwd: command.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    for (const stream of ["stdout", "stderr"] as const) {
      this.proc[stream]!.setEncoding("utf8");
      this.proc[stream]!.on("data", (chunk: string) => {
        const lines = (this.buffers[stream] + chunk).split("\n");
        this.buffers[stream] = lines.pop() ?? "";
        for (const l of lines) line(l.replace(/\r$/, ""));
      });
    }
    this.started = new Promise((resolve) => {
      this.proc.once("spawn", () => resolve(true));
      this.proc.once("error", () => resolve(false));
    });
    this.exited = new Promise((resolve) => {
      let startError: string | undefined;
      this.proc.once("error", (err) => {
        startError = err.message;
        // A process that never spawned emits no "close".
        if (this.proc.pid === undefined) resolve({ exitCode: 255, startError });
      });
      this.proc.once("close", (code, signal) => {
        clearTimeout(this.killTimer);
        for (const stream of ["stdout", "stderr"] as const) {
          if (this.buffers[stream]) line(this.buffers[stream]);
          this.buffers[stream] = "";
        }
        const signalNumber = signal ? (constants.signals as Record<string, number>)[signal] ?? 0 : 0;
        resolve({ exitCode: code ?? 128 + signalNumber, startError });
      });
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get running(): boolean {
    return this.proc.pid !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** SIGTERM now, SIGKILL after `timeoutMs` if it is still running; resolves when it has exited. */
  stop(timeoutMs: number): Promise<ContainerExit> {
    if (this.running && this.killTimer === undefined) {
      this.proc.kill("SIGTERM");
      this.killTimer = setTimeout(() => {
        if (this.running) this.proc.kill("SIGKILL");
      }, Math.max(0, timeoutMs));
    }
    return this.exited;
  }
}
