/**
 * The running local DynamoDB (`LocalDynamoDbService`): its endpoint and clients, the interceptor
 * chain with its built-in interceptors (fault injection, then the TTL API), the TTL sweep, the
 * tables a program declares, streams, and stopping it all.
 */
import type * as http from "http";
import { PutItemCommand, type AttributeValue, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { close } from "../protocols/listen";
import type { DynamoDbItem, StreamViewType } from "../types";
import { endpointClient, tableExists, ttlSweepClient } from "./clients";
import type { DynamoDbInterceptor, InjectedDynamoDbError, LocalDynamoDbService } from "./contract";
import type { DynaliteCaller } from "./dynaliteCall";
import { FaultInjector } from "./faults";
import type { InterceptorChain } from "./interceptorChain";
import type { DynamoDbOperations } from "./operations";
import type { StreamStore } from "./streams";
import { TableSetup, type TableInput } from "./tableSetup";
import { TimeToLiveApi } from "./timeToLiveApi";
import type { TtlSettings } from "./ttlSettings";
import { TtlSweeper } from "./ttlSweep";

/** What `startDynamoDbService` has built and started, for the service to run. */
export interface LocalDynamoDbParts {
  endpoint: string;
  server: http.Server;
  streams: StreamStore;
  chain: InterceptorChain;
  operations: DynamoDbOperations;
  /** dynalite's handler, in this process. */
  call: DynaliteCaller;
  ttl: TtlSettings;
  log: (line: string) => void;
  /** `0` = no TTL sweep timer. */
  ttlSweepMs: number;
}

export class LocalDynamoDb implements LocalDynamoDbService {
  readonly endpoint: string;
  readonly server: http.Server;
  readonly client: DynamoDBClient;
  readonly streams: StreamStore;
  /** The TTL sweep's deletes carry a marker header (see TTL_DELETE_HEADER). */
  private readonly sweepClient: DynamoDBClient;
  private readonly chain: InterceptorChain;
  private readonly ttl: TtlSettings;
  private readonly faults = new FaultInjector();
  private readonly sweeper: TtlSweeper;
  private readonly tables: TableSetup;
  private readonly log: (line: string) => void;
  private stopped = false;

  constructor(parts: LocalDynamoDbParts) {
    this.endpoint = parts.endpoint;
    this.server = parts.server;
    this.streams = parts.streams;
    this.chain = parts.chain;
    this.ttl = parts.ttl;
    this.log = parts.log;
    this.client = endpointClient(this.endpoint);
    this.sweepClient = ttlSweepClient(this.endpoint);
    // The built-in interceptors, before any a caller adds.
    this.chain.use(this.faults.interceptor);
    this.chain.use(new TimeToLiveApi(this.ttl, (name) => tableExists(this.client, name), this.log).interceptor);
    this.sweeper = new TtlSweeper(this.ttl, parts.operations.catalog, this.sweepClient, this.log, parts.ttlSweepMs);
    this.tables = new TableSetup(this.client, parts.call, parts.operations.catalog, this.log);
  }

  createTable(input: TableInput): Promise<void> {
    return this.tables.createTable(input);
  }

  enableTtl(tableName: string, attribute: string): void {
    if (this.ttl.get(tableName) === attribute) return;
    this.ttl.set(tableName, attribute);
    void this.ttl.save();
  }

  sweepTtl(now?: number): Promise<number> {
    return this.sweeper.sweep(now);
  }

  ttlSettings(): Record<string, string> {
    return this.ttl.toObject();
  }

  use(interceptor: DynamoDbInterceptor): () => void {
    return this.chain.use(interceptor);
  }

  failNextWrites(count: number, error: InjectedDynamoDbError = "InternalServerError", fromFunction?: string): void {
    this.faults.writes.arm(count, error, fromFunction);
  }

  failNextReads(count: number, error: InjectedDynamoDbError = "InternalServerError", fromFunction?: string): void {
    this.faults.reads.arm(count, error, fromFunction);
  }

  enableStream(tableName: string, viewType: StreamViewType): string {
    return this.streams.enable(tableName, viewType);
  }

  async putItem(tableName: string, item: DynamoDbItem): Promise<void> {
    // Through the endpoint, like any client: the write is captured by the table's stream.
    await this.client.send(new PutItemCommand({ TableName: tableName, Item: item as unknown as Record<string, AttributeValue> }));
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.sweeper.stop();
    await this.ttl.saved();
    this.client.destroy();
    this.sweepClient.destroy();
    await close(this.server, 2000);
    await this.streams.flush();
    this.log("dynamodb: stopped");
  }
}
