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
 *
 * Faults (`function` is a function's name, or text that names exactly one function, e.g. "worker"):
 *
 *   {"kind": "dynamodbWrites", "count": n, "code": "InternalServerError"}
 *       The next n DynamoDB writes (PutItem, UpdateItem, DeleteItem, BatchWriteItem,
 *       TransactWriteItems), from anyone, fail with this error (also
 *       "ProvisionedThroughputExceededException", "ThrottlingException"). The SDK retries them.
 *   {"kind": "s3Writes", "count": n, "status": 503}
 *       The next n S3 object writes fail with 503 SlowDown (or 500 InternalError).
 *   {"kind": "duplicateDelivery", "function": "worker", "sameRequestId": true, "delayMs": 0}
 *       The next Event invoke of the function is delivered twice; by default with the same
 *       request id (as Lambda's own at-least-once duplicates are), `sameRequestId: false` for a new one.
 *   {"kind": "workerCrash", "function": "worker", "count": 1, "afterMs": 200}
 *       When the next `count` invocations of the function start, `afterMs` later, its worker
 *       processes are killed (SIGKILL): the invocation ends as Lambda's `Runtime.ExitError`.
 *   {"kind": "workerHang", "function": "worker", "count": 1, "afterMs": 200}
 *       Same moment, but the processes are frozen (SIGSTOP): the invocation runs into the
 *       function's timeout and is killed by the Lambda service, as a hung handler is on AWS.
 *       Frozen processes that the timeout did not kill are thawed (SIGCONT) when it fires.
 *
 * The Lambda service does not say which of a function's warm processes runs an invocation, so
 * `workerCrash` and `workerHang` hit every live process of the function at that moment: arm them
 * while the function runs at most one invocation at a time, or expect its neighbours to share the fate.
 * Invocation starts are seen through the Lambda service's log (its `platform.start` lines).
 */
import * as http from "http";
import type { InjectedDynamoDbError, LocalDynamoDbService } from "./dynamodb";
import type { LocalLambdaService } from "./lambda";
import type { LocalS3Service } from "./s3";
import type { Endpoints } from "./types";
import { close, listen } from "./listen";

export type Fault =
  | { kind: "dynamodbWrites"; count: number; code: InjectedDynamoDbError }
  | { kind: "s3Writes"; count: number; status: 500 | 503 }
  | { kind: "duplicateDelivery"; function: string; sameRequestId: boolean; delayMs: number }
  | { kind: "workerCrash" | "workerHang"; function: string; count: number; afterMs: number };

/** Something a fault did (for tests: proof that it fired). */
export interface FiredFault {
  kind: Fault["kind"];
  function: string;
  requestId?: string;
  pids?: number[];
  at: string;
}

export interface AdminOptions {
  dynamodb: LocalDynamoDbService;
  s3: LocalS3Service;
  lambda: LocalLambdaService;
  endpoints: Endpoints;
  /** The physical names of the stack's functions. */
  functionNames: () => string[];
  log?: (line: string) => void;
}

export interface AdminServer {
  /** `http://127.0.0.1:<port>` (routes under `/_local/`). */
  url: string;
  /** Feed it every line the Lambda service logs: that is how invocation starts are seen. */
  observeLambdaLog(line: string): void;
  stop(): Promise<void>;
}

const DYNAMODB_CODES: readonly InjectedDynamoDbError[] = ["InternalServerError", "ProvisionedThroughputExceededException", "ThrottlingException"];
const MAX_BODY_BYTES = 64 * 1024;

class BadFault extends Error {}

function integer(value: unknown, name: string, min: number, max: number, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) throw new BadFault(`${name} must be an integer from ${min} to ${max}`);
  return value;
}

export async function startAdminServer(options: AdminOptions): Promise<AdminServer> {
  const log = options.log ?? (() => undefined);
  const note = (line: string) => log(`[admin] ${line}`);
  /** Armed process faults, per function name. */
  const processFaults = new Map<string, { kind: "workerCrash" | "workerHang"; remaining: number; afterMs: number }[]>();
  const armed: Fault[] = [];
  const fired: FiredFault[] = [];
  /** requestId → frozen pids, thawed when that invocation ends. */
  const frozen = new Map<string, { fn: string; pids: number[] }>();
  const timers = new Set<NodeJS.Timeout>();

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
      case "dynamodbWrites": {
        const code = (f.code ?? "InternalServerError") as InjectedDynamoDbError;
        if (!DYNAMODB_CODES.includes(code)) throw new BadFault(`code must be one of ${DYNAMODB_CODES.join(", ")}`);
        return { kind: "dynamodbWrites", count: integer(f.count, "count", 0, 10_000), code };
      }
      case "s3Writes": {
        const status = f.status ?? 503;
        if (status !== 500 && status !== 503) throw new BadFault("status must be 500 or 503");
        return { kind: "s3Writes", count: integer(f.count, "count", 0, 10_000), status };
      }
      case "duplicateDelivery":
        if (f.sameRequestId !== undefined && typeof f.sameRequestId !== "boolean") throw new BadFault("sameRequestId must be a boolean");
        return { kind: "duplicateDelivery", function: resolveFunction(f.function), sameRequestId: f.sameRequestId !== false, delayMs: integer(f.delayMs, "delayMs", 0, 600_000, 0) };
      case "workerCrash":
      case "workerHang":
        return { kind: f.kind, function: resolveFunction(f.function), count: integer(f.count, "count", 1, 1000, 1), afterMs: integer(f.afterMs, "afterMs", 0, 600_000, 200) };
      default:
        throw new BadFault("kind must be one of dynamodbWrites, s3Writes, duplicateDelivery, workerCrash, workerHang");
    }
  }

  function arm(fault: Fault): void {
    switch (fault.kind) {
      case "dynamodbWrites":
        options.dynamodb.failNextWrites(fault.count, fault.code);
        break;
      case "s3Writes":
        options.s3.failNextWrites(fault.count, fault.status);
        break;
      case "duplicateDelivery":
        options.lambda.deliverTwice(fault.function, { sameRequestId: fault.sameRequestId, delayMs: fault.delayMs });
        break;
      case "workerCrash":
      case "workerHang": {
        const list = processFaults.get(fault.function) ?? [];
        list.push({ kind: fault.kind, remaining: fault.count, afterMs: fault.afterMs });
        processFaults.set(fault.function, list);
        break;
      }
    }
    armed.push(fault);
    note(`armed ${JSON.stringify(fault)}`);
  }

  function disarmAll(): void {
    options.dynamodb.failNextWrites(0);
    options.s3.failNextWrites(0);
    processFaults.clear();
    armed.length = 0;
    fired.length = 0;
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

  function onInvocationStart(fn: string, requestId: string): void {
    const list = processFaults.get(fn);
    const fault = list?.[0];
    if (!list || !fault) return;
    if (--fault.remaining <= 0) list.shift();
    if (!list.length) processFaults.delete(fn);
    later(fault.afterMs, () => {
      const pids = options.lambda.workerPids(fn);
      if (fault.kind === "workerCrash") {
        const hit = signal(pids, "SIGKILL");
        fired.push({ kind: "workerCrash", function: fn, requestId, pids: hit, at: new Date().toISOString() });
        note(`workerCrash: killed ${fn} processes ${hit.join(", ")} (invocation ${requestId})`);
      } else {
        const hit = signal(pids, "SIGSTOP");
        frozen.set(requestId, { fn, pids: hit });
        fired.push({ kind: "workerHang", function: fn, requestId, pids: hit, at: new Date().toISOString() });
        note(`workerHang: froze ${fn} processes ${hit.join(", ")} (invocation ${requestId})`);
      }
    });
  }

  function onInvocationEnd(requestId: string): void {
    const hung = frozen.get(requestId);
    if (!hung) return;
    frozen.delete(requestId);
    const thawed = signal(hung.pids, "SIGCONT");
    if (thawed.length) note(`workerHang: thawed ${hung.fn} processes ${thawed.join(", ")}`);
  }

  function observeLambdaLog(line: string): void {
    if (line.startsWith("[lambda] fault injection: delivering async invocation ")) {
      const m = /delivering async invocation (\S+) of (\S+) twice/.exec(line);
      if (m) fired.push({ kind: "duplicateDelivery", function: m[2], requestId: m[1], at: new Date().toISOString() });
      return;
    }
    if (!line.includes('"type":"platform.')) return;
    const close = line.indexOf("] ");
    if (!line.startsWith("[") || close < 0) return;
    let entry: { type?: string; record?: { requestId?: string } };
    try {
      entry = JSON.parse(line.slice(close + 2));
    } catch {
      return;
    }
    const requestId = entry.record?.requestId;
    if (typeof requestId !== "string") return;
    if (entry.type === "platform.start") onInvocationStart(line.slice(1, close), requestId);
    else if (entry.type === "platform.report") onInvocationEnd(requestId);
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
      if (req.method === "GET") return send(res, 200, { armed, fired });
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
    if (path === "/_local/endpoints" && req.method === "GET") return send(res, 200, options.endpoints);
    return send(res, 404, { error: { code: "NotFound", message: "routes: /_local/faults, /_local/endpoints" } });
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
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const { pids } of frozen.values()) signal(pids, "SIGCONT");
      frozen.clear();
      await close(server);
    },
  };
}
