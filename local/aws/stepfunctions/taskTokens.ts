/**
 * Task tokens for the `.waitForTaskToken` pattern.
 *
 * The engine evaluates a Task's `Parameters` before it calls the local handler, and the handler
 * only sees the result. So a token is minted each time `$$.Task.Token` is read (the Context
 * Object's getter), and the handler then *claims* the minted tokens it finds in its resolved input
 * (whole strings or inside one, e.g. after `States.Format`): they all name this one attempt, and
 * concurrent Tasks (Map, Parallel) cannot take each other's. A retry reads `$$.Task.Token` again,
 * so each attempt has its own token, as on AWS.
 *
 * A token is open while its attempt waits; SendTaskSuccess / SendTaskFailure, a heartbeat or Task
 * timeout, and the end of the execution (stopped, timed out, failed) close it. A closed token
 * answers `TaskTimedOut` (as AWS does for a task that is over) for an hour, then
 * `TaskDoesNotExist`; a string that is not a token at all answers `InvalidToken`.
 */
import { randomBytes } from "node:crypto";
import { SfnError } from "./errors";

/** 192 random bytes, base64url: unguessable, and shaped so that garbage is told from a stale token. */
const TOKEN_BYTES = 192;
const PREFIX = "AQC";
const TOKEN = new RegExp(`^${PREFIX}[A-Za-z0-9_-]{${(TOKEN_BYTES / 3) * 4}}$`);
const TOKEN_IN_TEXT = new RegExp(`${PREFIX}[A-Za-z0-9_-]{${(TOKEN_BYTES / 3) * 4}}`, "g");
const CLOSED_RETENTION_MS = 60 * 60_000;
const PRUNE_EVERY_MS = 60_000;

/** One waiting Task attempt. */
export class TokenWait {
  /** Resolves with the SendTaskSuccess output (parsed); rejects with the error that ended the wait. */
  readonly outcome: Promise<unknown>;
  private settle!: { resolve: (value: unknown) => void; reject: (err: Error) => void };
  private closedFlag = false;
  private heartbeatListener?: () => void;

  constructor(
    /** The tokens that name this attempt. */
    readonly tokens: string[],
    /** True when the input held no minted token (nobody can answer this attempt). */
    readonly unreachable: boolean,
    private readonly onClose: (wait: TokenWait) => void,
  ) {
    this.outcome = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.outcome.catch(() => undefined); // a wait closed after its handler returned rejects unobserved
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Called on each SendTaskHeartbeat. */
  onHeartbeat(listener: () => void): void {
    this.heartbeatListener = listener;
  }

  heartbeat(): void {
    this.heartbeatListener?.();
  }

  succeed(output: unknown): void {
    if (this.close()) this.settle.resolve(output);
  }

  /** Ends the wait with an error (SendTaskFailure, a timeout, the execution's end); no-op once closed. */
  fail(error: Error): void {
    if (this.close()) this.settle.reject(error);
  }

  private close(): boolean {
    if (this.closedFlag) return false;
    this.closedFlag = true;
    this.heartbeatListener = undefined;
    this.onClose(this);
    return true;
  }
}

interface Entry {
  executionArn: string;
  wait?: TokenWait;
  closedAt?: number;
}

export class TaskTokens {
  private readonly entries = new Map<string, Entry>();
  private readonly byExecution = new Map<string, Set<string>>();
  private lastPrune = Date.now();

  /** A new token of the execution (a read of `$$.Task.Token`). */
  mint(executionArn: string): string {
    this.prune();
    const token = PREFIX + randomBytes(TOKEN_BYTES).toString("base64url");
    this.entries.set(token, { executionArn });
    let set = this.byExecution.get(executionArn);
    if (!set) this.byExecution.set(executionArn, (set = new Set()));
    set.add(token);
    return token;
  }

  /** Claims the execution's unclaimed tokens found in `input` for one waiting attempt. */
  claim(executionArn: string, input: unknown): TokenWait {
    const found = new Set<string>();
    const visit = (value: unknown): void => {
      if (typeof value === "string") {
        for (const m of value.matchAll(TOKEN_IN_TEXT)) {
          const entry = this.entries.get(m[0]);
          if (entry && entry.executionArn === executionArn && !entry.wait && entry.closedAt === undefined) found.add(m[0]);
        }
      } else if (Array.isArray(value)) value.forEach(visit);
      else if (typeof value === "object" && value !== null) Object.values(value).forEach(visit);
    };
    visit(input);
    const unreachable = found.size === 0;
    if (unreachable) found.add(this.mint(executionArn));
    const wait = new TokenWait([...found], unreachable, (w) => {
      const now = Date.now();
      for (const t of w.tokens) {
        const entry = this.entries.get(t);
        if (entry) entry.closedAt = now;
      }
    });
    for (const t of found) this.entries.get(t)!.wait = wait;
    return wait;
  }

  /** Throws `InvalidToken` for a string that is not a token at all. */
  checkFormat(token: string): void {
    if (!TOKEN.test(token)) throw new SfnError("InvalidToken", "Invalid Token: 'Invalid token'");
  }

  /** The open wait a token names; throws the error AWS answers otherwise. */
  private open(token: string): TokenWait {
    this.checkFormat(token);
    const entry = this.entries.get(token);
    if (!entry || (!entry.wait && entry.closedAt === undefined)) throw new SfnError("TaskDoesNotExist", "Task Does Not Exist: 'Provided task does not exist'");
    if (entry.closedAt !== undefined || !entry.wait || entry.wait.closed) throw new SfnError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");
    return entry.wait;
  }

  succeed(token: string, output: unknown): void {
    this.open(token).succeed(output);
  }

  fail(token: string, error: Error): void {
    this.open(token).fail(error);
  }

  heartbeat(token: string): void {
    this.open(token).heartbeat();
  }

  /** The execution ended: its open waits fail with `error`, and all its tokens are closed. */
  closeExecution(executionArn: string, error: Error): void {
    const tokens = this.byExecution.get(executionArn);
    if (!tokens) return;
    this.byExecution.delete(executionArn);
    const now = Date.now();
    for (const t of tokens) {
      const entry = this.entries.get(t);
      if (!entry) continue;
      entry.wait?.fail(error);
      entry.closedAt ??= now;
    }
  }

  /** Forgets tokens closed more than an hour ago (they then answer TaskDoesNotExist). */
  private prune(now = Date.now()): void {
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    for (const [token, entry] of this.entries) {
      if (entry.closedAt !== undefined && now - entry.closedAt > CLOSED_RETENTION_MS) this.entries.delete(token);
    }
  }
}
