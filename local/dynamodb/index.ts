/**
 * Local DynamoDB: dynalite (LevelDB-backed) in this process on 127.0.0.1, plus what dynalite
 * lacks and the program relies on: TTL (`UpdateTimeToLive`/`DescribeTimeToLive` and a periodic
 * sweep that deletes expired items).
 *
 * Every request passes through a chain of interceptors (`use`) before it reaches dynalite, so a
 * later feature (e.g. DynamoDB Streams) can observe or answer writes without touching dynalite:
 * an interceptor sees the operation name (`PutItem`, …), the raw request and response, and calls
 * `next()` to hand the request on (optionally with a replacement body, if it had to read it).
 */
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { PassThrough } from "stream";
import {
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import type { AttributeValue, KeySchemaElement, ScalarAttributeType } from "@aws-sdk/client-dynamodb";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../types";
import type { DynamoDbService } from "../types";
import { close, listen } from "../listen";

interface DynaliteOptions {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}
// dynalite ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require("dynalite") as (options: DynaliteOptions) => http.Server;

export interface DynamoDbServiceOptions {
  /** Persist tables here (LevelDB under `<dir>/leveldb`, TTL settings in `<dir>/ttl.json`); absent = in memory. */
  dir?: string;
  /** @default 0 (a free port) */
  port?: number;
  log?: (line: string) => void;
  /** Interval of the TTL sweep in ms; `0` = no timer (call `sweepTtl` yourself). @default 5000 */
  ttlSweepMs?: number;
}

/** One DynamoDB JSON-protocol request on its way to dynalite. */
export interface DynamoDbCall {
  /** From `X-Amz-Target: DynamoDB_20120810.<Operation>`, e.g. `PutItem`; `""` if absent. */
  operation: string;
  req: http.IncomingMessage;
  res: http.ServerResponse;
}

/**
 * Sees a request before dynalite does. Either answers it itself (writes `res`) or calls `next()`.
 * An interceptor that read the request body must pass it on: `next(body)`.
 */
export type DynamoDbInterceptor = (call: DynamoDbCall, next: (body?: string | Buffer) => void) => void | Promise<void>;

export type InjectedDynamoDbError = "InternalServerError" | "ProvisionedThroughputExceededException" | "ThrottlingException";

export interface LocalDynamoDbService extends DynamoDbService {
  /** dynalite's own HTTP server (listening on `endpoint`). */
  readonly server: http.Server;
  /** A client of this service (credentials and region of the local cloud). */
  readonly client: DynamoDBClient;
  /** Adds an interceptor (after the built-in ones); returns a function that removes it. */
  use(interceptor: DynamoDbInterceptor): () => void;
  /**
   * Fault injection: the next `count` write requests (PutItem, UpdateItem, DeleteItem,
   * BatchWriteItem) fail with this error. The AWS SDK retries both kinds by default.
   */
  failNextWrites(count: number, error?: InjectedDynamoDbError): void;
  /** TTL attribute of each table with TTL enabled. */
  ttlSettings(): Record<string, string>;
}

const WRITE_OPERATIONS = new Set(["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"]);
const ERROR_PREFIX = "com.amazonaws.dynamodb.v20120810#";
/** Header on the sweep's own DeleteItem requests, so a later hook can tell TTL deletes (AWS: `userIdentity` dynamodb.amazonaws.com). */
export const TTL_DELETE_HEADER = "x-async-api-ttl-delete";

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader("Content-Type", "application/x-amz-json-1.0");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  res.setHeader("x-amzn-RequestId", Math.random().toString(36).slice(2).padEnd(12, "0").toUpperCase());
  res.end(text);
}

function sendError(res: http.ServerResponse, status: number, type: string, message: string): void {
  const prefix = type === "ValidationException" ? "com.amazon.coral.validate#" : ERROR_PREFIX;
  sendJson(res, status, { __type: prefix + type, message });
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** A stand-in for `req` whose body is `body` (for interceptors that consumed the original). */
function replayRequest(req: http.IncomingMessage, body: Buffer): http.IncomingMessage {
  const copy = new PassThrough() as PassThrough & Partial<http.IncomingMessage>;
  Object.assign(copy, {
    headers: { ...req.headers, "content-length": String(body.length) },
    rawHeaders: req.rawHeaders,
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
    socket: req.socket,
  });
  copy.end(body);
  return copy as unknown as http.IncomingMessage;
}

function isNamed(err: unknown, name: string): boolean {
  return (err as Error | undefined)?.name === name;
}

export async function startDynamoDbService(options: DynamoDbServiceOptions = {}): Promise<LocalDynamoDbService> {
  const log = options.log ?? (() => undefined);
  const ttlFile = options.dir ? path.join(options.dir, "ttl.json") : undefined;
  let levelDir: string | undefined;
  if (options.dir) {
    levelDir = path.join(options.dir, "leveldb");
    await fs.promises.mkdir(levelDir, { recursive: true });
  }

  /** table name → TTL attribute. */
  const ttl = new Map<string, string>();
  if (ttlFile) {
    try {
      const saved = JSON.parse(await fs.promises.readFile(ttlFile, "utf8")) as Record<string, string>;
      for (const [table, attribute] of Object.entries(saved)) ttl.set(table, attribute);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") log(`dynamodb: ignoring unreadable ${ttlFile}: ${(err as Error).message}`);
    }
  }
  let ttlWrite = Promise.resolve();
  const saveTtl = (): Promise<void> => {
    if (!ttlFile) return Promise.resolve();
    const text = JSON.stringify(Object.fromEntries(ttl), null, 2);
    ttlWrite = ttlWrite.then(() => fs.promises.writeFile(ttlFile, text)).catch((err) => log(`dynamodb: could not save ${ttlFile}: ${(err as Error).message}`));
    return ttlWrite;
  };

  const server = dynalite({ path: levelDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const [dynaliteHandler] = server.listeners("request") as http.RequestListener[];
  server.removeAllListeners("request");

  const interceptors: DynamoDbInterceptor[] = [];
  const dispatch = (call: DynamoDbCall, index: number, req: http.IncomingMessage): void => {
    const interceptor = interceptors[index];
    if (!interceptor) {
      dynaliteHandler(req, call.res);
      return;
    }
    let called = false;
    const next = (body?: string | Buffer): void => {
      if (called) return;
      called = true;
      const nextReq = body === undefined ? req : replayRequest(req, Buffer.isBuffer(body) ? body : Buffer.from(body));
      dispatch({ ...call, req: nextReq }, index + 1, nextReq);
    };
    Promise.resolve()
      .then(() => interceptor({ ...call, req }, next))
      .catch((err: unknown) => {
        log(`dynamodb: interceptor failed on ${call.operation}: ${(err as Error)?.stack ?? String(err)}`);
        if (!call.res.headersSent) sendError(call.res, 500, "InternalServerError", "Internal server error");
      });
  };
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const target = String(req.headers["x-amz-target"] ?? "");
    const operation = target.includes(".") ? target.slice(target.indexOf(".") + 1) : "";
    dispatch({ operation, req, res }, 0, req);
  });

  const { endpoint } = await listen(server, options.port ?? 0);
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS } });
  // The sweep's deletes carry a marker header (see TTL_DELETE_HEADER).
  const sweepClient = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS } });
  sweepClient.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers[TTL_DELETE_HEADER] = "1";
      return next(args);
    },
    { step: "build", name: "localTtlDeleteMarker" },
  );

  async function tableExists(name: string): Promise<boolean> {
    try {
      await client.send(new DescribeTableCommand({ TableName: name }));
      return true;
    } catch (err) {
      if (isNamed(err, "ResourceNotFoundException")) return false;
      throw err;
    }
  }

  // ---- Built-in interceptor 1: fault injection --------------------------------------------
  let faults: { remaining: number; error: InjectedDynamoDbError } = { remaining: 0, error: "InternalServerError" };
  interceptors.push(({ operation, req, res }, next) => {
    if (faults.remaining <= 0 || !WRITE_OPERATIONS.has(operation)) return next();
    faults.remaining--;
    const error = faults.error;
    req.resume();
    req.on("end", () => {
      if (error === "InternalServerError") sendError(res, 500, "InternalServerError", "Internal server error (injected by the local cloud)");
      else if (error === "ThrottlingException") sendError(res, 400, "ThrottlingException", "Rate of requests exceeds the allowed throughput (injected by the local cloud)");
      else sendError(res, 400, error, "The level of configured provisioned throughput for the table was exceeded (injected by the local cloud)");
    });
  });

  // ---- Built-in interceptor 2: the TTL API dynalite lacks ----------------------------------
  interceptors.push(async ({ operation, req, res }, next) => {
    if (operation === "DeleteTable") {
      // AWS forgets a deleted table's TTL setting.
      const body = await readBody(req);
      const name = tableNameOf(body);
      res.once("finish", () => {
        if (res.statusCode !== 200 || !name) return;
        keyNames.delete(name);
        if (ttl.delete(name)) void saveTtl();
      });
      return next(body);
    }
    if (operation !== "UpdateTimeToLive" && operation !== "DescribeTimeToLive") return next();
    let data: { TableName?: unknown; TimeToLiveSpecification?: { Enabled?: unknown; AttributeName?: unknown } };
    try {
      data = JSON.parse((await readBody(req)).toString("utf8") || "{}");
    } catch {
      return sendJson(res, 400, { __type: "com.amazon.coral.service#SerializationException" });
    }
    const table = typeof data.TableName === "string" ? data.TableName : "";
    if (!table) return sendError(res, 400, "ValidationException", "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null");
    if (!(await tableExists(table))) return sendError(res, 400, "ResourceNotFoundException", "Requested resource not found");
    const current = ttl.get(table);
    if (operation === "DescribeTimeToLive") {
      return sendJson(res, 200, {
        TimeToLiveDescription: current ? { TimeToLiveStatus: "ENABLED", AttributeName: current } : { TimeToLiveStatus: "DISABLED" },
      });
    }
    const spec = data.TimeToLiveSpecification;
    if (!spec || typeof spec.Enabled !== "boolean" || typeof spec.AttributeName !== "string" || !spec.AttributeName) {
      return sendError(res, 400, "ValidationException", "1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null");
    }
    // AWS answers a no-op change with a ValidationException.
    if (spec.Enabled && current) return sendError(res, 400, "ValidationException", "TimeToLive is already enabled");
    if (!spec.Enabled && !current) return sendError(res, 400, "ValidationException", "TimeToLive is already disabled");
    if (!spec.Enabled && current !== spec.AttributeName) {
      return sendError(res, 400, "ValidationException", "TimeToLive is active on a different AttributeName: current AttributeName is " + current);
    }
    if (spec.Enabled) ttl.set(table, spec.AttributeName);
    else ttl.delete(table);
    await saveTtl();
    log(`dynamodb: TTL on ${table} ${spec.Enabled ? `enabled (${spec.AttributeName})` : "disabled"}`);
    return sendJson(res, 200, { TimeToLiveSpecification: { Enabled: spec.Enabled, AttributeName: spec.AttributeName } });
  });

  function tableNameOf(body: Buffer): string | undefined {
    try {
      const name = (JSON.parse(body.toString("utf8")) as { TableName?: unknown }).TableName;
      return typeof name === "string" ? name : undefined;
    } catch {
      return undefined;
    }
  }

  // ---- TTL sweep ----------------------------------------------------------------------------
  const keyNames = new Map<string, string[]>();
  async function tableKeys(table: string): Promise<string[]> {
    const known = keyNames.get(table);
    if (known) return known;
    const out = await client.send(new DescribeTableCommand({ TableName: table }));
    const names = (out.Table?.KeySchema ?? []).map((k: KeySchemaElement) => k.AttributeName!);
    keyNames.set(table, names);
    return names;
  }

  async function sweepTable(table: string, attribute: string, nowMs: number): Promise<number> {
    const nowSeconds = String(nowMs / 1000);
    let keys: string[];
    try {
      keys = await tableKeys(table);
    } catch (err) {
      if (isNamed(err, "ResourceNotFoundException")) return 0;
      throw err;
    }
    let deleted = 0;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await sweepClient.send(
        new ScanCommand({
          TableName: table,
          ConsistentRead: true,
          ExclusiveStartKey: start,
          // Only Number attributes expire; other types (and absent attributes) never do, as on AWS.
          FilterExpression: "#ttl <= :now",
          ExpressionAttributeNames: { "#ttl": attribute },
          ExpressionAttributeValues: { ":now": { N: nowSeconds } },
        }),
      );
      for (const item of page.Items ?? []) {
        const key = Object.fromEntries(keys.map((k) => [k, item[k]]));
        try {
          await sweepClient.send(
            new DeleteItemCommand({
              TableName: table,
              Key: key,
              // Still expired at the time of the delete: an item rewritten meanwhile with a later
              // expiry (or deleted) is left alone.
              ConditionExpression: "#ttl <= :now",
              ExpressionAttributeNames: { "#ttl": attribute },
              ExpressionAttributeValues: { ":now": { N: nowSeconds } },
            }),
          );
          deleted++;
        } catch (err) {
          if (!isNamed(err, "ConditionalCheckFailedException")) throw err;
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return deleted;
  }

  async function sweepTtl(now: number = Date.now()): Promise<number> {
    let total = 0;
    for (const [table, attribute] of [...ttl]) {
      try {
        total += await sweepTable(table, attribute, now);
      } catch (err) {
        if (stopped) break;
        log(`dynamodb: TTL sweep of ${table} failed: ${(err as Error).message}`);
      }
    }
    return total;
  }

  let stopped = false;
  let sweeping: Promise<unknown> | undefined;
  const sweepMs = options.ttlSweepMs ?? 5000;
  const timer =
    sweepMs > 0
      ? setInterval(() => {
          if (sweeping || stopped || ttl.size === 0) return;
          sweeping = sweepTtl()
            .then((n) => {
              if (n > 0) log(`dynamodb: TTL deleted ${n} expired item(s)`);
            })
            .finally(() => (sweeping = undefined));
        }, sweepMs)
      : undefined;
  timer?.unref();

  log(`dynamodb: dynalite on ${endpoint} (${levelDir ? `state in ${levelDir}` : "in memory"})`);

  return {
    endpoint,
    server,
    client,

    async createTable(input) {
      const attributes = input.attributes.map((a) => ({ AttributeName: a.name, AttributeType: a.type as ScalarAttributeType }));
      const keySchema: KeySchemaElement[] = [{ AttributeName: input.hashKey, KeyType: "HASH" }];
      if (input.rangeKey) keySchema.push({ AttributeName: input.rangeKey, KeyType: "RANGE" });
      try {
        await client.send(
          new CreateTableCommand({ TableName: input.name, AttributeDefinitions: attributes, KeySchema: keySchema, BillingMode: "PAY_PER_REQUEST" }),
        );
        log(`dynamodb: created table ${input.name}`);
      } catch (err) {
        if (!isNamed(err, "ResourceInUseException")) throw err;
        const existing = await client.send(new DescribeTableCommand({ TableName: input.name }));
        const has = (existing.Table?.KeySchema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(",");
        const wanted = keySchema.map((k) => `${k.AttributeName}:${k.KeyType}`).join(",");
        if (has !== wanted) log(`dynamodb: table ${input.name} exists with key schema ${has}, not ${wanted}: keeping it as it is`);
      }
      keyNames.delete(input.name);
      // createTableMs is 0, but dynalite flips CREATING → ACTIVE on a timer.
      for (let i = 0; i < 200; i++) {
        const out = await client.send(new DescribeTableCommand({ TableName: input.name }));
        if (out.Table?.TableStatus === "ACTIVE") return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`table ${input.name} did not become ACTIVE`);
    },

    enableTtl(tableName, attribute) {
      if (ttl.get(tableName) === attribute) return;
      ttl.set(tableName, attribute);
      void saveTtl();
    },

    sweepTtl,

    ttlSettings() {
      return Object.fromEntries(ttl);
    },

    use(interceptor) {
      interceptors.push(interceptor);
      return () => {
        const i = interceptors.indexOf(interceptor);
        if (i >= 0) interceptors.splice(i, 1);
      };
    },

    failNextWrites(count, error = "InternalServerError") {
      faults = { remaining: count, error };
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      await sweeping?.catch(() => undefined);
      await ttlWrite;
      client.destroy();
      sweepClient.destroy();
      await close(server, 2000);
      log("dynamodb: stopped");
    },
  };
}
