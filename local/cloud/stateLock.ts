/**
 * One local cloud per state folder. Its emulators keep their files there (dynalite's LevelDB
 * takes a lock of its own, and a second cloud died inside it with "Database is closed"), so a
 * cloud takes `<stateDir>/.lock` before it opens anything, holding its pid and that process's
 * start time (so a reused pid is not taken for the owner), and gives it back when it stops. A
 * lock whose owner is gone (a cloud killed with SIGKILL) is taken over.
 */
import { randomUUID } from "crypto";
import * as fs from "fs";
import * as path from "path";

interface LockInfo {
  pid: number;
  /** The owner's start time in clock ticks since boot (`/proc/<pid>/stat`, field 22), where there is a /proc. */
  startTicks?: string;
  token: string;
}

export class StateInUseError extends Error {
  constructor(
    readonly pid: number,
    readonly stateDir: string,
    stack: string,
  ) {
    const shown = path.relative(process.cwd(), stateDir);
    const where = shown && !shown.startsWith("..") && !path.isAbsolute(shown) ? shown : stateDir;
    super(
      `another local cloud (pid ${pid}) is using the state of stack ${stack} in ${where}. ` +
        `To run a second one beside it, give it another stack (--stack NAME: its state goes to .async-api/NAME) ` +
        `or another state folder (--state-dir DIR); or stop the first one (Ctrl-C in its terminal, or kill ${pid}).`,
    );
    this.name = "StateInUseError";
  }
}

/** Fields 3 onwards of `/proc/<pid>/stat` (after the command, which may hold spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** Field 22, the start time. */
const startTicks = (pid: number): string | undefined => statFields(pid)?.[19];

/** Whether the process that wrote `info` still runs (and is that process, not a reuse of its pid). */
function ownerAlive(info: LockInfo): boolean {
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  const fields = statFields(info.pid);
  if (fields?.[0] === "Z") return false; // dead, not yet reaped by its parent
  const now = fields?.[19];
  return info.startTicks === undefined || now === undefined || now === info.startTicks;
}

export interface StateLock {
  /** Gives the folder back (only if the lock is still this one's). */
  release(): void;
}

/**
 * Takes the state folder for this process, or throws `StateInUseError` naming the cloud that has
 * it. `note` hears about a stale lock taken over.
 */
export function lockStateDir(stateDir: string, stack: string, note: (line: string) => void = () => undefined): StateLock {
  fs.mkdirSync(stateDir, { recursive: true });
  const file = path.join(stateDir, ".lock");
  const mine: LockInfo = { pid: process.pid, startTicks: startTicks(process.pid), token: randomUUID() };
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(mine), { flag: "wx" });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw e;
    }
    let held: LockInfo | undefined;
    try {
      held = JSON.parse(fs.readFileSync(file, "utf8")) as LockInfo;
    } catch {
      // Unreadable (a cloud killed while writing it): stale.
    }
    if (held && ownerAlive(held)) throw new StateInUseError(held.pid, stateDir, stack);
    note(`taking over the state in ${stateDir}: the local cloud that held it${held ? ` (pid ${held.pid})` : ""} is gone`);
    fs.rmSync(file, { force: true });
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off("exit", release);
    try {
      const held = JSON.parse(fs.readFileSync(file, "utf8")) as LockInfo;
      if (held.token === mine.token) fs.rmSync(file, { force: true });
    } catch {
      // already gone
    }
  };
  process.on("exit", release);
  return { release };
}
