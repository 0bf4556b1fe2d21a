/**
 * The local DynamoDB's public face: the options of `startDynamoDbService`, the service it answers
 * (`LocalDynamoDbService`) and the interceptors a caller can put in front of its operations.
 */
import type * as http from "http";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDbService, DynamoDbStreamSource, StreamViewType } from "../types";
import type { UsageMeter } from "../../usage/meter";

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
