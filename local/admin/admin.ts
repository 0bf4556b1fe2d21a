/**
 * The local cloud's fault-injection admin API: local-only, off unless `npm start -- --faults`.
 *
 * A second small HTTP server on 127.0.0.1 (a free port; never the API's port, and never on AWS).
 * Its URL is written into the outputs as `adminUrl`, next to `localEndpoints` (the emulators'
 * endpoints, for tests that look inside the stores with the AWS SDK).
 *
 *   POST   {adminUrl}/_local/faults     arm one fault (a JSON object) or several (a JSON array)
 *   GET    {adminUrl}/_local/faults     {"armed": [...], "fired": [...]}: every fault armed, and every
 *                                       process fault or duplicate delivery that fired, since the last DELETE
 *   DELETE {adminUrl}/_local/faults     disarm everything (and forget what fired)
 *   GET    {adminUrl}/_local/endpoints  {"dynamodb", "s3", "lambda", "sfn"}
 *   POST   {adminUrl}/_local/clock      {"offsetMs": n}: the test clock runs n ms (0 to 366 days) ahead
 *                                       of the real time; answers {"offsetMs", "now", "expiredItemsDeleted"}
 *   GET    {adminUrl}/_local/clock      {"offsetMs", "now"}
 *   POST   {adminUrl}/_local/api-keys   auth apiKey: one more API key in every usage plan of the stack,
 *                                       answers {"id", "value"} (a second caller, to try who owns a job)
 *
 * The test clock shifts "now" for every Lambda function process (`Date.now()`, `new Date()` in the
 * handlers; warm processes take a new offset at once, new ones at start; timers stay real) and for
 * the local DynamoDB's TTL sweep (run at once when the clock moves, then every 5 s while it is
 * ahead). A job that expires after resultTtlMinutes therefore reads 404 as soon as the clock is
 * moved past its expiry. API Gateway, Step Functions and the event source mappings keep the real
 * time. The offset is not kept over a restart.
 *
 * Faults (`function` is a function's name, or text that names exactly one function, e.g. "worker"):
 *
 *   {"kind": "dynamodbWrites", "count": n, "code": "InternalServerError"}
 *       The next n DynamoDB writes (PutItem, UpdateItem, DeleteItem, BatchWriteItem,
 *       TransactWriteItems), from anyone, fail with this error (also
 *       "ProvisionedThroughputExceededException", "ThrottlingException"). The SDK retries them.
 *   {"kind": "s3Writes", "count": n, "status": 503}
 *       The next n S3 object writes fail with 503 SlowDown (or 500 InternalError).
 *   {"kind": "dynamodbReads", "count": n, "code": "InternalServerError"}
 *       The next n DynamoDB item reads (GetItem, BatchGetItem, Query, Scan, TransactGetItems; not
 *       the Streams API, not the local TTL sweep) fail with this error, as dynamodbWrites.
 *   {"kind": "s3Reads", "count": n, "status": 503}
 *       The next n S3 object reads (GetObject, HeadObject) fail with 503 SlowDown (or 500 InternalError).
 *   Each of the four takes an optional "function": then only that function's calls fail (the local
 *   Lambda sets AWS_SDK_UA_APP_ID to the function's name, and the SDK sends it in its User-Agent).
 *   {"kind": "duplicateDelivery", "function": "worker", "sameRequestId": true, "delayMs": 0}
 *       The next Event invoke of the function is delivered twice; by default with the same
 *       request id (as Lambda's own at-least-once duplicates are), `sameRequestId: false` for a new one.
 *   {"kind": "workerCrash", "function": "worker", "count": 1, "afterMs": 200, "jobId": "<id>"}
 *       When the next `count` invocations of the function start, `afterMs` later, the worker
 *       process running each is killed (SIGKILL): the invocation ends as Lambda's `Runtime.ExitError`.
 *       Only that process: the function's other processes (other invocations) are left alone.
 *   {"kind": "workerHang", "function": "worker", "count": 1, "afterMs": 200, "jobId": "<id>"}
 *       Same moment, but the process is frozen (SIGSTOP): the invocation runs into the
 *       function's timeout and is killed by the Lambda service, as a hung handler is on AWS.
 *       A frozen process is thawed (SIGCONT) when its invocation ends.
 *
 * `jobId` (optional) targets one job: the fault counts only invocations whose event mentions that
 * text (an Event payload `{"jobId"}`, a stream batch's `NewImage.jobId`, a Step Functions task's
 * payload), including one already running when the fault is armed (`afterMs` then counts from
 * arming): the 202 that names a job may come back after its worker started. Without `jobId`, the
 * next invocations of the function count, whichever job they run. An invocation that ended before
 * `afterMs` passed is spared; that use of the fault is listed under `missed`, not `fired`.
 */
import * as http from "http";
import type { InjectedDynamoDbError, LocalDynamoDbService } from "../aws/dynamodb";
import type { LocalLambdaService, RunningInvocation } from "../aws/lambda";
import { MAX_CLOCK_OFFSET_MS } from "../aws/lambda/clock";
import type { LocalS3Service } from "../aws/s3";
import type { Endpoints } from "../aws/types";
import { close, listen } from "../aws/protocols/listen";

export type Fault =
  | { kind: "dynamodbWrites" | "dynamodbReads"; count: number; code: InjectedDynamoDbError; function?: string }
  | { kind: "s3Writes" | "s3Reads"; count: number; status: 500 | 503; function?: string }
  | { kind: "duplicateDelivery"; function: string; sameRequestId: boolean; delayMs: number }
  | { kind: "workerCrash" | "workerHang"; function: string; count: number; afterMs: number; jobId?: string };

/** Something a fault did (for tests: proof that it fired). */
export interface FiredFault {
  kind: Fault["kind"];
  function: string;
  requestId?: string;
  pids?: number[];
  /** The job the fault targeted (`jobId` of a process fault). */
  jobId?: string;
  at: string;
}

/** How often the TTL sweep runs on the shifted clock while the test clock is ahead. */
const SHIFTED_TTL_SWEEP_MS = 5000;

export interface AdminOptions {
  dynamodb: LocalDynamoDbService;
  s3: LocalS3Service;
  lambda: LocalLambdaService;
  endpoints: Endpoints;
  /** The physical names of the stack's functions. */
  functionNames: () => string[];
  /** Adds an API key to every usage plan of the stack (auth apiKey); undefined when there is none. */
  addApiKey?: () => { id: string; value: string } | undefined;
  log?: (line: string) => void;
}

export interface AdminServer {
  /** `http://127.0.0.1:<port>` (routes under `/_local/`). */
  url: string;
  /** Feed it every line the Lambda service logs: that is how duplicate deliveries are seen to fire. */
  observeLambdaLog(line: string): void;
  stop(): Promise<void>;
}

const DYNAMODB_CODES: readonly InjectedDynamoDbError[] = ["InternalServerError", "ProvisionedThroughputExceededException", "ThrottlingException"];
const MAX_BODY_BYTES = 64 * 1024;

class BadFault extends Error {}

interface ArmedProcessFault {
  kind: "workerCrash" | "workerHang";
  remaining: number;
  afterMs: number;
  jobId?: string;
}

function integer(value: unknown, name: string, min: number, max: number, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) throw new BadFault(`${name} must be an integer from ${min} to ${max}`);
  return value;
}

export async function startAdminServer(options: AdminOptions): Promise<AdminServer> {
  const log = options.log ?? (() => undefined);
  const note = (line: string) => log(`[admin] ${line}`);
  /** Armed process faults, per function name. */
  const processFaults = new Map<string, ArmedProcessFault[]>();
  const armed: Fault[] = [];
  const fired: FiredFault[] = [];
  const missed: FiredFault[] = [];
  /** Invocations whose process was frozen → that pid, thawed when the invocation ends. */
  const frozen = new Map<RunningInvocation, number>();
  const timers = new Set<NodeJS.Timeout>();
  const clock = options.lambda.clock;
  let shiftedSweep: NodeJS.Timeout | undefined;
  let sweeping: Promise<unknown> | undefined;

  function resolveFunction(text: unknown): string {
    if (typeof text !== "string" || !text) throw new BadFault("function must name a function (or a unique part of its name)");
    const names = options.functionNames();
    if (names.includes(text)) return text;
    const matches = names.filter((n) => n.includes(text));
    if (matches.length === 1) return matches[0];
    throw new BadFault(matches.length ? `'${text}' names several functions: ${matches.join(", ")}` : `no function name contains '${text}' (functions: ${names.join(", ")})`);
  }

  function parseFault(input: unknown): Fault {
    if (!input || typeof input !== "object" || Array.isArray(input)) throw new BadFault("a fault is a JSON object with a kind");
    const f = input as Record<string, unknown>;
    switch (f.kind) {
      case "dynamodbWrites":
      case "dynamodbReads": {
        const code = (f.code ?? "InternalServerError") as InjectedDynamoDbError;
        if (!DYNAMODB_CODES.includes(code)) throw new BadFault(`code must be one of ${DYNAMODB_CODES.join(", ")}`);
        return { kind: f.kind, count: integer(f.count, "count", 0, 10_000), code, ...(f.function !== undefined ? { function: resolveFunction(f.function) } : {}) };
      }
      case "s3Writes":
      case "s3Reads": {
        const status = f.status ?? 503;
        if (status !== 500 && status !== 503) throw new BadFault("status must be 500 or 503");
        return { kind: f.kind, count: integer(f.count, "count", 0, 10_000), status, ...(f.function !== undefined ? { function: resolveFunction(f.function) } : {}) };
      }
      case "duplicateDelivery":
        if (f.sameRequestId !== undefined && typeof f.sameRequestId !== "boolean") throw new BadFault("sameRequestId must be a boolean");
        return { kind: "duplicateDelivery", function: resolveFunction(f.function), sameRequestId: f.sameRequestId !== false, delayMs: integer(f.delayMs, "delayMs", 0, 600_000, 0) };
      case "workerCrash":
      case "workerHang": {
        if (f.jobId !== undefined && (typeof f.jobId !== "string" || f.jobId.length === 0 || f.jobId.length > 256)) throw new BadFault("jobId must be a non-empty string (at most 256 characters)");
        const fault: Fault = { kind: f.kind, function: resolveFunction(f.function), count: integer(f.count, "count", 1, 1000, 1), afterMs: integer(f.afterMs, "afterMs", 0, 600_000, 200) };
        if (typeof f.jobId === "string") fault.jobId = f.jobId;
        return fault;
      }
      default:
        throw new BadFault("kind must be one of dynamodbWrites, dynamodbReads, s3Writes, s3Reads, duplicateDelivery, workerCrash, workerHang");
    }
  }

  function arm(fault: Fault): void {
    switch (fault.kind) {
      case "dynamodbWrites":
        options.dynamodb.failNextWrites(fault.count, fault.code, fault.function);
        break;
      case "dynamodbReads":
        options.dynamodb.failNextReads(fault.count, fault.code, fault.function);
        break;
      case "s3Writes":
        options.s3.failNextWrites(fault.count, fault.status, fault.function);
        break;
      case "s3Reads":
        options.s3.failNextReads(fault.count, fault.status, fault.function);
        break;
      case "duplicateDelivery":
        options.lambda.deliverTwice(fault.function, { sameRequestId: fault.sameRequestId, delayMs: fault.delayMs });
        break;
      case "workerCrash":
      case "workerHang": {
        const entry: ArmedProcessFault = { kind: fault.kind, remaining: fault.count, afterMs: fault.afterMs, jobId: fault.jobId };
        const list = processFaults.get(fault.function) ?? [];
        list.push(entry);
        processFaults.set(fault.function, list);
        // A targeted fault also takes the job's invocations already running (oldest first).
        if (fault.jobId !== undefined) {
          const runningNow = options.lambda
            .runningInvocations(fault.function)
            .filter((i) => !i.ended && i.payload.includes(fault.jobId!))
            .sort((a, b) => a.startedAt - b.startedAt);
          for (const invocation of runningNow) {
            if (!take(fault.function, entry)) break;
            schedule(entry, invocation);
          }
        }
        break;
      }
    }
    armed.push(fault);
    note(`armed ${JSON.stringify(fault)}`);
  }

  /** Uses one count of an armed process fault; false when it has none left. */
  function take(fn: string, fault: ArmedProcessFault): boolean {
    if (fault.remaining <= 0) return false;
    fault.remaining--;
    if (fault.remaining <= 0) {
      const list = processFaults.get(fn) ?? [];
      const at = list.indexOf(fault);
      if (at >= 0) list.splice(at, 1);
      if (!list.length) processFaults.delete(fn);
    }
    return true;
  }

  function disarmAll(): void {
    options.dynamodb.failNextWrites(0);
    options.dynamodb.failNextReads(0);
    options.s3.failNextWrites(0);
    options.s3.failNextReads(0);
    processFaults.clear();
    // Process faults waiting for their `afterMs` are called off too.
    for (const t of timers) clearTimeout(t);
    timers.clear();
    armed.length = 0;
    fired.length = 0;
    missed.length = 0;
    // Armed duplicate deliveries cannot be taken back from the Lambda service.
  }

  function signal(pids: number[], sig: NodeJS.Signals): number[] {
    const hit: number[] = [];
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
        hit.push(pid);
      } catch {
        // already gone
      }
    }
    return hit;
  }

  function later(ms: number, run: () => void): void {
    const t = setTimeout(() => {
      timers.delete(t);
      run();
    }, ms);
    timers.add(t);
  }

  /** `afterMs` from now, kills or freezes the process running `invocation`, if it still runs it. */
  function schedule(fault: ArmedProcessFault, invocation: RunningInvocation): void {
    const fn = invocation.functionName;
    const { requestId, pid } = invocation;
    later(fault.afterMs, () => {
      const base = { kind: fault.kind, function: fn, requestId, ...(fault.jobId !== undefined ? { jobId: fault.jobId } : {}), at: new Date().toISOString() };
      if (invocation.ended || pid === undefined) {
        missed.push({ ...base, pids: [] });
        note(`${fault.kind}: invocation ${requestId} of ${fn} ended before the fault fired; spared`);
        return;
      }
      if (fault.kind === "workerCrash") {
        const hit = signal([pid], "SIGKILL");
        fired.push({ ...base, pids: hit });
        note(`workerCrash: killed ${fn} process ${hit.join(", ") || "(already gone)"} (invocation ${requestId})`);
      } else {
        const hit = signal([pid], "SIGSTOP");
        if (hit.length) frozen.set(invocation, pid);
        fired.push({ ...base, pids: hit });
        note(`workerHang: froze ${fn} process ${hit.join(", ") || "(already gone)"} (invocation ${requestId})`);
      }
    });
  }

  function onInvocationStart(invocation: RunningInvocation): void {
    const fn = invocation.functionName;
    const fault = processFaults.get(fn)?.find((f) => f.jobId === undefined || invocation.payload.includes(f.jobId));
    if (!fault || !take(fn, fault)) return;
    schedule(fault, invocation);
  }

  function onInvocationEnd(invocation: RunningInvocation): void {
    const pid = frozen.get(invocation);
    if (pid === undefined) return;
    frozen.delete(invocation);
    const thawed = signal([pid], "SIGCONT");
    if (thawed.length) note(`workerHang: thawed ${invocation.functionName} process ${pid}`);
  }

  const stopObserving = options.lambda.observeInvocations({ started: onInvocationStart, ended: onInvocationEnd });

  // --- the test clock ---------------------------------------------------------------------------
  function sweepShifted(): Promise<number> {
    const run = options.dynamodb.sweepTtl(clock.now());
    const tracked = run.catch(() => undefined).finally(() => {
      if (sweeping === tracked) sweeping = undefined;
    });
    sweeping = tracked;
    return run;
  }

  function setClock(offsetMs: number): void {
    clock.setOffset(offsetMs);
    if (shiftedSweep) clearInterval(shiftedSweep);
    shiftedSweep = undefined;
    if (offsetMs > 0) {
      shiftedSweep = setInterval(() => {
        if (sweeping) return;
        void sweepShifted()
          .then((n) => {
            if (n > 0) note(`test clock: TTL deleted ${n} expired item(s)`);
          })
          .catch((e: unknown) => note(`test clock: TTL sweep failed: ${(e as Error).message}`));
      }, SHIFTED_TTL_SWEEP_MS);
      shiftedSweep.unref();
    }
    note(`test clock: ${offsetMs} ms ahead of the real time`);
  }

  function clockState(): { offsetMs: number; now: string } {
    return { offsetMs: clock.offsetMs, now: new Date(clock.now()).toISOString() };
  }

  function observeLambdaLog(line: string): void {
    if (line.startsWith("[lambda] fault injection: delivering async invocation ")) {
      const m = /delivering async invocation (\S+) of (\S+) twice/.exec(line);
      if (m) fired.push({ kind: "duplicateDelivery", function: m[2], requestId: m[1], at: new Date().toISOString() });
    }
  }

  function send(res: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
    res.end(text);
  }

  async function readJson(req: http.IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new BadFault("the body is too large");
      chunks.push(chunk as Buffer);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      throw new BadFault("the body is not valid JSON");
    }
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname.replace(/\/+$/, "");
    if (path === "/_local/faults") {
      if (req.method === "GET") return send(res, 200, { armed, fired, missed });
      if (req.method === "DELETE") {
        disarmAll();
        return send(res, 200, { armed });
      }
      if (req.method === "POST") {
        const body = await readJson(req);
        const faults = (Array.isArray(body) ? body : [body]).map(parseFault);
        faults.forEach(arm);
        return send(res, 200, { armed: faults });
      }
      return send(res, 405, { error: { code: "MethodNotAllowed", message: "GET, POST or DELETE" } });
    }
    if (path === "/_local/clock") {
      if (req.method === "GET") return send(res, 200, clockState());
      if (req.method === "POST") {
        const body = await readJson(req);
        const offsetMs = body && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>).offsetMs : undefined;
        setClock(integer(offsetMs, "offsetMs", 0, MAX_CLOCK_OFFSET_MS));
        // Items already expired by the new clock go at once (readers filter them anyway).
        const expiredItemsDeleted = await sweepShifted();
        return send(res, 200, { ...clockState(), expiredItemsDeleted });
      }
      return send(res, 405, { error: { code: "MethodNotAllowed", message: "GET or POST" } });
    }
    if (path === "/_local/endpoints" && req.method === "GET") return send(res, 200, options.endpoints);
    if (path === "/_local/api-keys" && req.method === "POST") {
      const key = options.addApiKey?.();
      if (!key) return send(res, 409, { error: { code: "Conflict", message: "this stack has no usage plan (auth is not apiKey)" } });
      note(`API key ${key.id} added`);
      return send(res, 201, key);
    }
    return send(res, 404, { error: { code: "NotFound", message: "routes: /_local/faults, /_local/clock, /_local/endpoints, /_local/api-keys" } });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (e instanceof BadFault) send(res, 400, { error: { code: "BadRequest", message: e.message } });
      else send(res, 500, { error: { code: "InternalError", message: String((e as Error)?.message ?? e) } });
    });
  });
  const { endpoint: url } = await listen(server);
  note(`fault-injection admin API on ${url}/_local/faults`);

  return {
    url,
    observeLambdaLog,
    async stop() {
      stopObserving();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      if (shiftedSweep) clearInterval(shiftedSweep);
      shiftedSweep = undefined;
      signal([...frozen.values()], "SIGCONT");
      frozen.clear();
      await close(server);
      await sweeping;
    },
  };
}
