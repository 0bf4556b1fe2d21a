/**
 * Local DynamoDB: dynalite (LevelDB-backed) in this process on 127.0.0.1, plus what dynalite
 * lacks and the program relies on: TTL (`UpdateTimeToLive`/`DescribeTimeToLive` and a periodic
 * sweep that deletes expired items), `TransactWriteItems` (transactions.ts), DynamoDB Streams
 * (streams.ts) and the Streams API on the same endpoint (streamsApi.ts). With a cost meter, the
 * request units item reads and writes consume (capacity.ts, usage.ts; reads.ts answers the reads).
 *
 * Every request passes through a chain of interceptors (`use`) before it reaches the end of the
 * chain: an interceptor sees the operation name (`PutItem`, …), the raw request and response, and
 * calls `next()` to hand the request on (optionally with a replacement body, if it had to read
 * it). At the end, writes run under one write lock (writes.ts), which is what makes transactions
 * atomic and stream records ordered; everything else goes to dynalite as it came.
 */
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { PassThrough } from "stream";
import {
  PutItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import type { AttributeDefinition, AttributeValue, GlobalSecondaryIndex, KeySchemaElement, ScalarAttributeType } from "@aws-sdk/client-dynamodb";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../types";
import type { DynamoDbItem, DynamoDbService, DynamoDbStreamSource, LocalGlobalSecondaryIndex, StreamViewType } from "../types";
import { close, listen } from "../protocols/listen";
import { dynaliteCaller } from "./dynaliteCall";
import { firesOn } from "../../admin/callerOf";
import { readBody, sendError, sendJson, sendReply } from "./protocol";
import type { Reply } from "./protocol";
import type { UsageMeter } from "../../usage/meter";
import { handleItemRead, ITEM_READS } from "./reads";
import { StreamStore } from "./streams";
import { STREAMS_TARGET_PREFIX, StreamsApi } from "./streamsApi";
import { handleTableOperation, TableCatalog } from "./tables";
import { TransactWriteItems } from "./transactions";
import { handleBatchWrite, handleItemWrite, TTL_DELETE_HEADER } from "./writes";
import type { ItemWrite, WriteContext } from "./writes";
import { countCharges, type Charge } from "../../usage/dynamodb";
import { WriteLock } from "./writeLock";

export { TTL_DELETE_HEADER };
export type { StreamViewType };

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
  /** Persist tables here (LevelDB under `<dir>/leveldb`, TTL settings in `<dir>/ttl.json`, streams under `<dir>/streams`); absent = in memory. */
  dir?: string;
  /** @default 0 (a free port) */
  port?: number;
  log?: (line: string) => void;
  /** Interval of the TTL sweep in ms; `0` = no timer (call `sweepTtl` yourself). @default 5000 */
  ttlSweepMs?: number;
  /** The clock of stream records, their 24-hour retention and shard iterators (tests move it). @default Date.now */
  now?: () => number;
  /**
   * The cost meter: counts the read and write request units of item reads and writes (usage.ts)
   * and the Streams API's GetRecords calls. Absent = nothing counted.
   */
  meter?: UsageMeter;
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
   * BatchWriteItem, TransactWriteItems) fail with this error before they reach the table. The AWS
   * SDK retries both kinds by default.
   */
  failNextWrites(count: number, error?: InjectedDynamoDbError, fromFunction?: string): void;
  /**
   * Fault injection: the next `count` item reads (GetItem, BatchGetItem, Query, Scan,
   * TransactGetItems; not the Streams API, not this service's own TTL sweep) fail with this error.
   */
  failNextReads(count: number, error?: InjectedDynamoDbError, fromFunction?: string): void;
  /** TTL attribute of each table with TTL enabled. */
  ttlSettings(): Record<string, string>;
  /**
   * Enables a DynamoDB stream on the table (or keeps the enabled one, when it has this view type;
   * a different view type replaces it, as disabling and enabling does on AWS) and answers its ARN,
   * `arn:aws:dynamodb:us-east-1:000000000000:table/<name>/stream/<label>`. With a `dir`, the same
   * call after a restart answers the same ARN.
   */
  enableStream(tableName: string, viewType: StreamViewType): string;
  /** The tables' streams, as Lambda event source mappings read them. */
  readonly streams: DynamoDbStreamSource;
}

const WRITE_OPERATIONS = new Set(["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"]);
const READ_OPERATIONS = new Set(["GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"]);
/** Operations answered at the end of the chain by this service's own handlers (dynalite does the rest). */
const TABLE_OPERATIONS = new Set(["CreateTable", "UpdateTable", "DescribeTable", "DeleteTable"]);
const DYNAMODB_TARGET_PREFIX = "DynamoDB_20120810.";

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

  const now = options.now ?? Date.now;
  const callDynalite = dynaliteCaller(dynaliteHandler);
  const catalog = new TableCatalog(callDynalite);
  const streams = await StreamStore.open({ dir: options.dir ? path.join(options.dir, "streams") : undefined, now, log });
  const meter = options.meter;
  const charge = meter ? (charges: Charge[]) => countCharges(meter, charges) : undefined;
  const writes: WriteContext = { call: callDynalite, catalog, streams, lock: new WriteLock(), charge };
  const transactions = new TransactWriteItems(writes, now);
  // GetRecords over HTTP; a Lambda trigger reads the stream in this process (DynamoDbStreamSource), which its poller counts.
  const countGetRecords = meter ? (table: string) => meter.count("dynamodb.streamReadRequests", 1, { source: `dynamodb:${table}` }) : undefined;
  const streamsApi = new StreamsApi(streams, catalog, now, countGetRecords);

  /** The end of the chain: this service's handlers, or dynalite itself. */
  const answer = async (call: DynamoDbCall, req: http.IncomingMessage): Promise<void> => {
    const target = String(req.headers["x-amz-target"] ?? "");
    const { operation } = call;
    // Item reads, for the capacity they consume; not the TTL sweep's own Scan (TTL deletes are free).
    const read = ITEM_READS.has(operation) && req.headers[TTL_DELETE_HEADER] !== "1";
    const ours = target.startsWith(STREAMS_TARGET_PREFIX) || (target.startsWith(DYNAMODB_TARGET_PREFIX) && (WRITE_OPERATIONS.has(operation) || TABLE_OPERATIONS.has(operation) || read));
    if (!ours || req.method !== "POST") return dynaliteHandler(req, call.res);
    const text = (await readBody(req)).toString("utf8");
    let reply: Reply;
    if (target.startsWith(STREAMS_TARGET_PREFIX)) reply = await streamsApi.handle(operation, text);
    else if (read) reply = await handleItemRead(operation, text, req.headers, { call: callDynalite, charge });
    else if (operation === "TransactWriteItems") reply = await transactions.handle(text, req.headers);
    else if (operation === "BatchWriteItem") reply = await handleBatchWrite(text, req.headers, writes);
    else if (WRITE_OPERATIONS.has(operation)) reply = await handleItemWrite(operation as ItemWrite, text, req.headers, writes);
    else reply = await handleTableOperation(operation, text, req.headers, { call: callDynalite, catalog, streams });
    sendReply(call.res, reply);
  };

  const interceptors: DynamoDbInterceptor[] = [];
  const dispatch = (call: DynamoDbCall, index: number, req: http.IncomingMessage): void => {
    const interceptor = interceptors[index];
    if (!interceptor) {
      answer(call, req).catch((err: unknown) => {
        log(`dynamodb: ${call.operation} failed: ${(err as Error)?.stack ?? String(err)}`);
        if (!call.res.headersSent) sendError(call.res, 500, "InternalServerError", "Internal server error");
      });
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
  type Armed = { remaining: number; error: InjectedDynamoDbError; function?: string };
  let faults: Armed = { remaining: 0, error: "InternalServerError" };
  let readFaults: Armed = { remaining: 0, error: "InternalServerError" };
  const isItemRead = (operation: string, req: http.IncomingMessage) =>
    READ_OPERATIONS.has(operation) && String(req.headers["x-amz-target"] ?? "").startsWith(DYNAMODB_TARGET_PREFIX) && req.headers[TTL_DELETE_HEADER] !== "1";
  interceptors.push(({ operation, req, res }, next) => {
    const armed = WRITE_OPERATIONS.has(operation) ? faults : isItemRead(operation, req) ? readFaults : undefined;
    if (!armed || armed.remaining <= 0 || !firesOn(armed, req)) return next();
    armed.remaining--;
    const error = armed.error;
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
  async function sweepTable(table: string, attribute: string, nowMs: number): Promise<number> {
    const nowSeconds = String(nowMs / 1000);
    const keys = await catalog.keyNames(table);
    if (!keys) return 0;
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

  /**
   * Recreates a table with `indexes`, keeping its items. In dynalite itself (not through the
   * endpoint): the rewrite is no change, so it makes no stream records and triggers nothing.
   */
  async function rebuildWithIndexes(tableName: string, attributes: AttributeDefinition[], keySchema: KeySchemaElement[], indexes: GlobalSecondaryIndex[]): Promise<void> {
    const items: DynamoDbItem[] = [];
    let start: DynamoDbItem | undefined;
    do {
      const reply = await callDynalite("Scan", { TableName: tableName, ...(start ? { ExclusiveStartKey: start } : {}) });
      if (reply.status !== 200) throw new Error(`dynamodb: could not read table ${tableName} to add its indexes: ${reply.body}`);
      const page = JSON.parse(reply.body) as { Items?: DynamoDbItem[]; LastEvaluatedKey?: DynamoDbItem };
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    // In dynalite too: through the endpoint, DeleteTable would also end the table's stream and TTL.
    const deleted = await callDynalite("DeleteTable", { TableName: tableName });
    if (deleted.status !== 200) throw new Error(`dynamodb: could not rebuild table ${tableName}: ${deleted.body}`);
    for (let i = 0; i < 200; i++) {
      const described = await callDynalite("DescribeTable", { TableName: tableName });
      if (described.status !== 200) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const created = await callDynalite("CreateTable", { TableName: tableName, AttributeDefinitions: attributes, KeySchema: keySchema, BillingMode: "PAY_PER_REQUEST", GlobalSecondaryIndexes: indexes });
    if (created.status !== 200) throw new Error(`dynamodb: could not rebuild table ${tableName}: ${created.body}`);
    await waitActive(tableName);
    for (const item of items) {
      const reply = await callDynalite("PutItem", { TableName: tableName, Item: item });
      if (reply.status !== 200) throw new Error(`dynamodb: could not restore an item of table ${tableName}: ${reply.body}`);
    }
  }

  /** createTableMs and updateTableMs are 0, but dynalite flips CREATING → ACTIVE (tables and indexes) on a timer. */
  async function waitActive(tableName: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
      if (out.Table?.TableStatus === "ACTIVE" && (out.Table.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === "ACTIVE")) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`table ${tableName} did not become ACTIVE`);
  }

  return {
    endpoint,
    server,
    client,

    async createTable(input) {
      const attributes = input.attributes.map((a) => ({ AttributeName: a.name, AttributeType: a.type as ScalarAttributeType }));
      const keySchema: KeySchemaElement[] = [{ AttributeName: input.hashKey, KeyType: "HASH" }];
      if (input.rangeKey) keySchema.push({ AttributeName: input.rangeKey, KeyType: "RANGE" });
      const indexes = (input.globalSecondaryIndexes ?? []).map(globalSecondaryIndex);
      try {
        await client.send(
          new CreateTableCommand({
            TableName: input.name,
            AttributeDefinitions: attributes,
            KeySchema: keySchema,
            BillingMode: "PAY_PER_REQUEST",
            ...(indexes.length > 0 ? { GlobalSecondaryIndexes: indexes } : {}),
          }),
        );
        log(`dynamodb: created table ${input.name}`);
      } catch (err) {
        if (!isNamed(err, "ResourceInUseException")) throw err;
        const existing = await client.send(new DescribeTableCommand({ TableName: input.name }));
        const has = (existing.Table?.KeySchema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(",");
        const wanted = keySchema.map((k) => `${k.AttributeName}:${k.KeyType}`).join(",");
        if (has !== wanted) log(`dynamodb: table ${input.name} exists with key schema ${has}, not ${wanted}: keeping it as it is`);
        // A table kept from before an index was declared (state from an older version): AWS adds
        // it with UpdateTable and backfills it ("Adding a global secondary index to an existing
        // table"); dynalite's UpdateTable ignores index creation, so the table is rebuilt with it.
        const present = new Set((existing.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
        if (indexes.some((i) => !present.has(i.IndexName!))) {
          await rebuildWithIndexes(input.name, attributes, existing.Table?.KeySchema ?? keySchema, indexes);
          log(`dynamodb: added index(es) ${indexes.map((i) => i.IndexName).join(", ")} to table ${input.name}`);
        }
      }
      catalog.forget(input.name);
      await waitActive(input.name);
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

    failNextWrites(count, error = "InternalServerError", fromFunction) {
      faults = { remaining: count, error, function: fromFunction };
    },

    failNextReads(count, error = "InternalServerError", fromFunction) {
      readFaults = { remaining: count, error, function: fromFunction };
    },

    enableStream(tableName, viewType) {
      return streams.enable(tableName, viewType);
    },

    async putItem(tableName, item) {
      // Through the endpoint, like any client: the write is captured by the table's stream.
      await client.send(new PutItemCommand({ TableName: tableName, Item: item as unknown as Record<string, AttributeValue> }));
    },

    streams,

    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      await sweeping?.catch(() => undefined);
      await ttlWrite;
      client.destroy();
      sweepClient.destroy();
      await close(server, 2000);
      await streams.flush();
      log("dynamodb: stopped");
    },
  };
}

/** `aws.dynamodb.Table`'s index → CreateTable's. */
function globalSecondaryIndex(index: LocalGlobalSecondaryIndex): GlobalSecondaryIndex {
  const keySchema: KeySchemaElement[] = [{ AttributeName: index.hashKey, KeyType: "HASH" }];
  if (index.rangeKey) keySchema.push({ AttributeName: index.rangeKey, KeyType: "RANGE" });
  const type = index.projectionType as "ALL" | "KEYS_ONLY" | "INCLUDE";
  return {
    IndexName: index.name,
    KeySchema: keySchema,
    Projection: { ProjectionType: type, ...(type === "INCLUDE" ? { NonKeyAttributes: index.nonKeyAttributes ?? [] } : {}) },
  };
}
