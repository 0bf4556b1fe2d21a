/**
 * In-memory stand-ins for what the state machine talks to, for running its definition with
 * aws-local-stepfunctions: a DynamoDB table that evaluates the UpdateItem the definition sends
 * (expression syntax, placeholders, conditions) the way DynamoDB does for the subset used, a
 * recorder Lambda with the semantics the definition expects of it (store s3), and a clock that
 * plays `$$.State.EnteredTime`.
 */
import "../../../local/aws/stepfunctions/polyfill";
import { StateMachine } from "aws-local-stepfunctions";
import { engineDefinition } from "../../../local/aws/stepfunctions/definition";
import type { JobRecord, JobStatus } from "../../../lambdas/shared/types";
import { STATE } from "../../../components/workflow/definition";
import type { AslDefinition, RecorderPayload, WorkerOutcome } from "../../../components/workflow/definition";

// The record as the definition writes it (`resultSize` until JobRecord declares it).
export type Job = JobRecord & { resultSize?: number };

/** An error as Step Functions names it (`Error` in a Catch: the handler's `name`). */
export function namedError(name: string, message = name): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

// ---------------------------------------------------------------------------------------------
// The clock: `$$.State.EnteredTime`

/**
 * `$$.State.EnteredTime` for the local engine (which does not provide it): the time moves on by a
 * second after every Task attempt that succeeds, so each state that follows a successful one sees
 * a later time, while the retries of a failed attempt see the same time, as on AWS (where
 * EnteredTime belongs to the state, not to the attempt).
 */
export class Clock {
  private ms: number;
  constructor(start = Date.parse("2026-03-01T12:00:00.000Z")) {
    this.ms = start;
  }
  get now(): string {
    return new Date(this.ms).toISOString();
  }
  nowMs(): number {
    return this.ms;
  }
  advance(seconds = 1): void {
    this.ms += seconds * 1000;
  }
  /** The Context Object to pass to `StateMachine#run`. */
  context(): Record<string, unknown> {
    const clock = this;
    return {
      State: {
        get EnteredTime() {
          return clock.now;
        },
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Records shared by both fake stores

export interface StoreFake {
  /** Every write attempt that reached the store, applied or not. */
  readonly writes: Array<{ jobId: string; to: string; applied: boolean }>;
  seedPending(jobId: string, options?: { deadline?: string }): void;
  /** What the DELETE handler does: PENDING or RUNNING → CANCELLED. */
  cancel(jobId: string): void;
  get(jobId: string): Job | undefined;
  /** Local handlers for the record states, keyed by state name. */
  handlers(): Record<string, (input: any) => Promise<unknown>>;
  /** Makes the next write attempt to `state` throw this error (after applying it, if `afterApply`). */
  failNext(state: string, error: Error, options?: { afterApply?: boolean }): void;
}

function pendingJob(jobId: string, clock: Clock, deadline?: string): Job {
  const now = clock.now;
  return {
    pk: jobId,
    kind: "job",
    jobId,
    status: "PENDING",
    owner: "public",
    createdAt: now,
    updatedAt: now,
    deadline: deadline ?? new Date(clock.nowMs() + 3600_000).toISOString(),
    expiresAt: Math.ceil(clock.nowMs() / 1000) + 86_400,
    version: 1,
    input: '{"seconds":1}',
  };
}

type Injected = { error: Error; afterApply: boolean };

// ---------------------------------------------------------------------------------------------
// DynamoDB: AttributeValues, expressions, conditions

type AttributeValue = { S?: string; N?: string; M?: Record<string, AttributeValue>; BOOL?: boolean; NULL?: boolean };
type Item = Record<string, AttributeValue>;

export function toAttribute(value: unknown): AttributeValue {
  if (typeof value === "string") return { S: value };
  if (typeof value === "number") return { N: String(value) };
  if (typeof value === "boolean") return { BOOL: value };
  if (value === null) return { NULL: true };
  if (typeof value === "object") {
    return { M: Object.fromEntries(Object.entries(value as object).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toAttribute(v)])) };
  }
  throw new Error(`cannot marshal ${String(value)}`);
}

export function fromAttribute(value: AttributeValue): unknown {
  const keys = Object.keys(value);
  if (keys.length !== 1) throw validation(`an AttributeValue has exactly one type, not ${JSON.stringify(value)}`);
  if (value.S !== undefined) {
    if (typeof value.S !== "string") throw validation(`S must be a string: ${JSON.stringify(value)}`);
    return value.S;
  }
  if (value.N !== undefined) {
    // DynamoDB takes numbers as strings, and only strings that are numbers.
    if (typeof value.N !== "string" || !/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value.N)) throw validation(`N must be a numeric string: ${JSON.stringify(value)}`);
    return Number(value.N);
  }
  if (value.M !== undefined) return Object.fromEntries(Object.entries(value.M).map(([k, v]) => [k, fromAttribute(v)]));
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL) return null;
  throw validation(`unsupported AttributeValue ${JSON.stringify(value)}`);
}

function validation(message: string): Error {
  // The optimized integration prefixes DynamoDB's exception names with `DynamoDB.`.
  return namedError("DynamoDB.AmazonDynamoDBException", `ValidationException: ${message}`);
}

type Token = { kind: "name" | "value" | "op" | "word" | "paren" | "comma"; text: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|(<>|<=|>=|=|<|>)|([()])|(,)|([A-Za-z_][A-Za-z0-9_]*))/y;
  const text = expression.trim();
  while (re.lastIndex < text.length) {
    const at = re.lastIndex;
    const m = re.exec(text);
    if (!m) throw validation(`cannot parse expression at "${text.slice(at)}"`);
    if (m[1]) tokens.push({ kind: "name", text: m[1] });
    else if (m[2]) tokens.push({ kind: "value", text: m[2] });
    else if (m[3]) tokens.push({ kind: "op", text: m[3] });
    else if (m[4]) tokens.push({ kind: "paren", text: m[4] });
    else if (m[5]) tokens.push({ kind: "comma", text: m[5] });
    else tokens.push({ kind: "word", text: m[6] });
  }
  return tokens;
}

/** Attribute names written without a placeholder must not be DynamoDB reserved words; we only allow placeholders. */
function placeholderOnly(tokens: Token[], keywords: string[]): void {
  for (const t of tokens) {
    if (t.kind === "word" && !keywords.includes(t.text.toUpperCase())) {
      throw validation(`bare attribute name "${t.text}": this fake wants #placeholders (status, result, ... are reserved words)`);
    }
  }
}

interface ExpressionContext {
  names: Record<string, string>;
  values: Record<string, AttributeValue>;
  usedNames: Set<string>;
  usedValues: Set<string>;
}

function nameOf(token: Token, ctx: ExpressionContext): string {
  if (token.kind !== "name") throw validation(`expected an attribute name, got "${token.text}"`);
  const name = ctx.names[token.text];
  if (name === undefined) throw validation(`An expression attribute name used in the document path is not defined: ${token.text}`);
  ctx.usedNames.add(token.text);
  return name;
}

function valueOf(token: Token, ctx: ExpressionContext): AttributeValue {
  if (token.kind !== "value") throw validation(`expected a value placeholder, got "${token.text}"`);
  const value = ctx.values[token.text];
  if (value === undefined) throw validation(`An expression attribute value used in expression is not defined: ${token.text}`);
  ctx.usedValues.add(token.text);
  return value;
}

function compare(left: AttributeValue | undefined, op: string, right: AttributeValue | undefined): boolean {
  if (left === undefined || right === undefined) return false;
  let a: string | number;
  let b: string | number;
  if (left.S !== undefined && right.S !== undefined) [a, b] = [left.S, right.S];
  else if (left.N !== undefined && right.N !== undefined) [a, b] = [Number(left.N), Number(right.N)];
  else return op === "<>";
  switch (op) {
    case "=":
      return a === b;
    case "<>":
      return a !== b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
  }
  throw validation(`unknown operator ${op}`);
}

/** condition := and (OR and)* ; and := factor (AND factor)* ; factor := ( condition ) | operand op operand */
function evaluateCondition(expression: string, item: Item | undefined, ctx: ExpressionContext): boolean {
  const tokens = tokenize(expression);
  placeholderOnly(tokens, ["AND", "OR", "NOT"]);
  let i = 0;
  const peek = () => tokens[i];
  const operand = (): AttributeValue | undefined => {
    const t = tokens[i++];
    if (!t) throw validation("condition ends early");
    if (t.kind === "name") return item?.[nameOf(t, ctx)];
    return valueOf(t, ctx);
  };
  const factor = (): boolean => {
    if (peek()?.text === "(") {
      i++;
      const v = or();
      if (tokens[i++]?.text !== ")") throw validation("unbalanced parentheses");
      return v;
    }
    const left = operand();
    const op = tokens[i++];
    if (op?.kind !== "op") throw validation(`expected a comparison, got ${op?.text}`);
    return compare(left, op.text, operand());
  };
  const and = (): boolean => {
    let v = factor();
    while (peek()?.kind === "word" && peek().text.toUpperCase() === "AND") {
      i++;
      v = factor() && v;
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    while (peek()?.kind === "word" && peek().text.toUpperCase() === "OR") {
      i++;
      v = and() || v;
    }
    return v;
  };
  const result = or();
  if (i !== tokens.length) throw validation(`unexpected "${tokens[i].text}" in condition`);
  return result;
}

/** `SET #a = :x, #b = :y ADD #n :one` */
function applyUpdate(expression: string, item: Item, ctx: ExpressionContext): Item {
  const tokens = tokenize(expression);
  placeholderOnly(tokens, ["SET", "ADD"]);
  const next: Item = { ...item };
  let i = 0;
  let section: string | undefined;
  while (i < tokens.length) {
    const t = tokens[i];
    if (t.kind === "word") {
      section = t.text.toUpperCase();
      i++;
      continue;
    }
    if (t.kind === "comma") {
      i++;
      continue;
    }
    if (section === "SET") {
      const name = nameOf(tokens[i++], ctx);
      if (tokens[i++]?.text !== "=") throw validation("SET needs =");
      if (name === "pk") throw validation("Cannot update attribute pk. This attribute is part of the key");
      next[name] = valueOf(tokens[i++], ctx);
    } else if (section === "ADD") {
      const name = nameOf(tokens[i++], ctx);
      const value = valueOf(tokens[i++], ctx);
      if (value.N === undefined) throw validation("ADD takes a number here");
      const current = next[name];
      if (current !== undefined && current.N === undefined) throw validation(`ADD on a non-number ${name}`);
      next[name] = { N: String(Number(current?.N ?? "0") + Number(value.N)) };
    } else {
      throw validation(`expected SET or ADD before "${t.text}"`);
    }
  }
  return next;
}

/** The jobs table (store dynamodb), as the `dynamodb:updateItem` integration sees it. */
export class FakeJobTable implements StoreFake {
  readonly writes: StoreFake["writes"] = [];
  readonly items = new Map<string, Item>();
  private readonly injected = new Map<string, Injected>();

  constructor(
    readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  seedPending(jobId: string, options: { deadline?: string } = {}): void {
    this.items.set(jobId, toAttribute(pendingJob(jobId, this.clock, options.deadline)).M!);
  }

  cancel(jobId: string): void {
    const job = this.get(jobId);
    if (!job || (job.status !== "PENDING" && job.status !== "RUNNING")) throw new Error(`cannot cancel ${job?.status}`);
    this.items.set(jobId, toAttribute({ ...job, status: "CANCELLED", updatedAt: this.clock.now, version: job.version + 1 }).M!);
  }

  get(jobId: string): Job | undefined {
    const item = this.items.get(jobId);
    return item ? (fromAttribute({ M: item }) as Job) : undefined;
  }

  failNext(state: string, error: Error, options: { afterApply?: boolean } = {}): void {
    this.injected.set(state, { error, afterApply: options.afterApply ?? false });
  }

  /** UpdateItem as DynamoDB evaluates it; throws `DynamoDB.ConditionalCheckFailedException` when the condition is false. */
  updateItem(params: any): Record<string, unknown> {
    const known = ["TableName", "Key", "UpdateExpression", "ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues"];
    for (const key of Object.keys(params)) if (!known.includes(key)) throw validation(`unexpected parameter ${key}`);
    if (params.TableName !== this.tableName) throw namedError("DynamoDB.ResourceNotFoundException", `no table ${params.TableName}`);
    const keyNames = Object.keys(params.Key ?? {});
    if (keyNames.length !== 1 || keyNames[0] !== "pk") throw validation(`the key is {pk}, not ${JSON.stringify(params.Key)}`);
    const pk = fromAttribute(params.Key.pk);
    if (typeof pk !== "string") throw validation("pk is a string");
    const ctx: ExpressionContext = {
      names: params.ExpressionAttributeNames ?? {},
      values: params.ExpressionAttributeValues ?? {},
      usedNames: new Set(),
      usedValues: new Set(),
    };
    for (const value of Object.values(ctx.values)) fromAttribute(value); // validates types
    const current = this.items.get(pk);
    const allowed = params.ConditionExpression === undefined ? true : evaluateCondition(params.ConditionExpression, current, ctx);
    const next = applyUpdate(params.UpdateExpression, { pk: { S: pk }, ...current }, ctx);
    // DynamoDB refuses placeholders that no expression uses.
    for (const name of Object.keys(ctx.names)) if (!ctx.usedNames.has(name)) throw validation(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${name}}`);
    for (const value of Object.keys(ctx.values)) if (!ctx.usedValues.has(value)) throw validation(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${value}}`);
    const to = String(fromAttribute(next.status ?? { S: "?" }));
    if (!allowed) {
      this.writes.push({ jobId: pk, to, applied: false });
      throw namedError("DynamoDB.ConditionalCheckFailedException", "The conditional request failed");
    }
    this.items.set(pk, next);
    this.writes.push({ jobId: pk, to, applied: true });
    return {};
  }

  handlers(): Record<string, (input: any) => Promise<unknown>> {
    const handler = (state: string) => async (input: any) => {
      const injected = this.injected.get(state);
      this.injected.delete(state);
      if (injected && !injected.afterApply) throw injected.error;
      const out = this.updateItem(input);
      if (injected) throw injected.error;
      return out;
    };
    return Object.fromEntries(RECORD_STATES.map((s) => [s, handler(s)]));
  }
}

export const RECORD_STATES: string[] = [
  STATE.MarkRunning,
  STATE.RecordSucceededInline,
  STATE.RecordSucceededRef,
  STATE.RecordFailed,
  STATE.RecordTimedOut,
  STATE.RecordCrashed,
];

// ---------------------------------------------------------------------------------------------
// S3: the recorder Lambda

/** The recorder (store s3) as the definition expects it to behave; keeps plain records in memory. */
export class FakeRecorder implements StoreFake {
  readonly writes: StoreFake["writes"] = [];
  readonly payloads: RecorderPayload[] = [];
  readonly jobs = new Map<string, Job>();
  private readonly injected = new Map<string, Injected>();

  constructor(
    readonly functionArn: string,
    private readonly clock: Clock,
  ) {}

  seedPending(jobId: string, options: { deadline?: string } = {}): void {
    this.jobs.set(jobId, pendingJob(jobId, this.clock, options.deadline));
  }

  cancel(jobId: string): void {
    const job = this.jobs.get(jobId);
    if (!job || (job.status !== "PENDING" && job.status !== "RUNNING")) throw new Error(`cannot cancel ${job?.status}`);
    this.jobs.set(jobId, { ...job, status: "CANCELLED", updatedAt: this.clock.now, version: job.version + 1 });
  }

  get(jobId: string): Job | undefined {
    const job = this.jobs.get(jobId);
    return job && structuredClone(job);
  }

  failNext(state: string, error: Error, options: { afterApply?: boolean } = {}): void {
    this.injected.set(state, { error, afterApply: options.afterApply ?? false });
  }

  /** The recorder's rules: see `RecorderPayload` in components/workflow/definition.ts. */
  record(p: RecorderPayload): { applied: boolean } {
    this.payloads.push(p);
    const job = this.jobs.get(p.jobId);
    if (!job) return { applied: false };
    const to: JobStatus = p.transition;
    const from: JobStatus = p.transition === "RUNNING" ? "PENDING" : "RUNNING";
    const repeat = job.status === to && job.updatedAt === p.at;
    const beforeDeadline = to === "TIMED_OUT" || job.deadline > p.at;
    const applied = repeat || (job.status === from && beforeDeadline);
    this.writes.push({ jobId: p.jobId, to, applied });
    if (!applied) return { applied };
    const next: Job = { ...job, status: to, updatedAt: p.at, version: job.version + 1 };
    if (to === "RUNNING") next.startedAt = p.at;
    if (to === "SUCCEEDED") {
      const run = p.run as Extract<WorkerOutcome, { outcome: "SUCCEEDED" }>;
      if (run.result !== undefined) next.result = run.result;
      else next.resultRef = run.resultRef;
      next.resultSize = run.resultSize;
    }
    if (to === "FAILED" || to === "TIMED_OUT") {
      next.error = p.error ?? (p.run as Extract<WorkerOutcome, { outcome: "FAILED" }>).error;
    }
    this.jobs.set(p.jobId, next);
    return { applied };
  }

  handlers(): Record<string, (input: any) => Promise<unknown>> {
    const handler = (state: string) => async (input: any) => {
      if (input.FunctionName !== this.functionArn) throw new Error(`${state} invoked ${input.FunctionName}, not the recorder`);
      const injected = this.injected.get(state);
      this.injected.delete(state);
      if (injected && !injected.afterApply) throw injected.error;
      const answer = this.record(input.Payload as RecorderPayload);
      if (injected) throw injected.error;
      // What `arn:aws:states:::lambda:invoke` returns.
      return { ExecutedVersion: "$LATEST", Payload: answer, StatusCode: 200 };
    };
    return Object.fromEntries(RECORD_STATES.map((s) => [s, handler(s)]));
  }
}

// ---------------------------------------------------------------------------------------------
// Running a definition

export type Worker = (payload: { jobId: string }, attempt: number) => Promise<unknown> | unknown;

export interface Run {
  ok: boolean;
  output?: unknown;
  /** The error name of a failed execution (a Fail state's Error). */
  error?: string;
  /** States entered, in order. */
  path: string[];
  /** Retries, by state. */
  retries: Record<string, number>;
  /** Worker invocations. */
  workerCalls: number;
}

export async function execute(
  definition: AslDefinition,
  options: { jobId: string; store: StoreFake; worker: Worker; workerArn: string; clock: Clock },
): Promise<Run> {
  // The definition as the local Step Functions service hands it to the engine (a copy: the engine
  // validates with asl-validator, which annotates the object it is given), so that AWS's error
  // matching holds here too (States.Timeout also matches a missed heartbeat).
  const machine = new StateMachine(engineDefinition(definition as unknown as Record<string, unknown>, "STANDARD"));
  let workerCalls = 0;
  const handlers: Record<string, (input: any) => Promise<unknown>> = {
    ...options.store.handlers(),
    [STATE.RunJob]: async (input: any) => {
      if (input.FunctionName !== options.workerArn) throw new Error(`RunJob invoked ${input.FunctionName}, not the worker`);
      workerCalls++;
      const payload = await options.worker(input.Payload, workerCalls);
      return { ExecutedVersion: "$LATEST", Payload: payload, StatusCode: 200 };
    },
  };
  // Time moves on after each successful attempt (see Clock).
  const timed = Object.fromEntries(
    Object.entries(handlers).map(([state, h]) => [
      state,
      async (input: any) => {
        const out = await h(input);
        options.clock.advance();
        return out;
      },
    ]),
  );
  const zeroWaits = Object.fromEntries(Object.keys(handlers).map((s) => [s, 0]));
  const execution = machine.run({ jobId: options.jobId } as any, {
    overrides: { taskResourceLocalHandlers: timed as any, retryIntervalOverrides: zeroWaits },
    context: options.clock.context() as any,
  });
  const run: Run = { ok: false, path: [], retries: {}, workerCalls: 0 };
  try {
    run.output = await execution.result;
    run.ok = true;
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause;
    run.error = cause?.name ?? (err as Error).name;
  }
  for await (const event of execution.eventLogs) {
    if (event.type === "StateEntered") run.path.push(event.state.name);
    if (event.type === "StateRetried") run.retries[event.state.name] = (run.retries[event.state.name] ?? 0) + 1;
  }
  run.workerCalls = workerCalls;
  return run;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
