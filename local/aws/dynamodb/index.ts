/**
 * Local DynamoDB: dynalite (LevelDB-backed) in this process on 127.0.0.1, plus what dynalite
 * lacks and the program relies on: TTL (`UpdateTimeToLive`/`DescribeTimeToLive` and a periodic
 * sweep that deletes expired items), `TransactWriteItems` (transactions.ts), DynamoDB Streams
 * (streams.ts) and the Streams API on the same endpoint (streamsApi.ts). With a cost meter, the
 * request units item reads and writes consume (capacity.ts, usage.ts; reads.ts answers the reads).
 *
 * Every request passes through a chain of interceptors (`use`, interceptorChain.ts) before it
 * reaches the end of the chain (http.ts): an interceptor sees the operation name (`PutItem`, …),
 * the raw request and response, and calls `next()` to hand the request on (optionally with a
 * replacement body, if it had to read it). At the end, each write holds the locks of its items
 * (writes.ts, writeLock.ts), which is what makes transactions atomic and each item's stream
 * records ordered; everything else goes to dynalite as it came.
 *
 * Operations (awsJson1_0, `X-Amz-Target: DynamoDB_20120810.<Operation>`):
 * - answered by this layer (operations.ts): PutItem, UpdateItem, DeleteItem, BatchWriteItem,
 *   TransactWriteItems; GetItem, BatchGetItem, Query, Scan; CreateTable, UpdateTable,
 *   DescribeTable, DeleteTable (each through dynalite where dynalite has it); UpdateTimeToLive,
 *   DescribeTimeToLive (timeToLiveApi.ts);
 * - answered by dynalite as they come: ListTables, TagResource, UntagResource, ListTagsOfResource;
 * - DynamoDB Streams (`X-Amz-Target: DynamoDBStreams_20120810.<Action>`, streamsApi.ts):
 *   ListStreams, DescribeStream, GetShardIterator, GetRecords;
 * - any other: 400 `UnknownOperationException` (dynalite's, or the Streams API's).
 *
 * AWS documentation followed:
 * - https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Operations_Amazon_DynamoDB.html
 * - https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
 * - https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html
 * - https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeTimeToLive.html
 * - https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html
 * - https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Operations_Amazon_DynamoDB_Streams.html
 * - https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html
 * - https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/CommonErrors.html
 */
import * as fs from "fs";
import * as path from "path";
import type { StreamViewType } from "../types";
import { listen } from "../protocols/listen";
import type { DynamoDbServiceOptions, LocalDynamoDbService } from "./contract";
import { dynaliteCaller, inProcessDynalite } from "./dynaliteCall";
import { endOfChain } from "./http";
import { InterceptorChain } from "./interceptorChain";
import { DynamoDbOperations } from "./operations";
import { LocalDynamoDb } from "./service";
import { StreamStore } from "./streams";
import { TtlSettings } from "./ttlSettings";
import { TTL_DELETE_HEADER } from "./writes";

export { TTL_DELETE_HEADER };
export type { StreamViewType };
export type { DynamoDbCall, DynamoDbInterceptor, DynamoDbServiceOptions, InjectedDynamoDbError, LocalDynamoDbService } from "./contract";

export async function startDynamoDbService(options: DynamoDbServiceOptions = {}): Promise<LocalDynamoDbService> {
  const log = options.log ?? (() => undefined);
  const levelDir = options.dir ? path.join(options.dir, "leveldb") : undefined;
  if (levelDir) await fs.promises.mkdir(levelDir, { recursive: true });
  const ttl = await TtlSettings.load(options.dir ? path.join(options.dir, "ttl.json") : undefined, log);

  const { server, handler } = inProcessDynalite(levelDir);
  const now = options.now ?? Date.now;
  const call = dynaliteCaller(handler);
  const streams = await StreamStore.open({ dir: options.dir ? path.join(options.dir, "streams") : undefined, now, log });
  const operations = new DynamoDbOperations({ call, streams, now, meter: options.meter });
  const chain = new InterceptorChain(endOfChain(operations, handler), log);
  server.on("request", chain.listener);

  const { endpoint } = await listen(server, options.port ?? 0);
  const service = new LocalDynamoDb({ endpoint, server, streams, chain, operations, call, ttl, log, ttlSweepMs: options.ttlSweepMs ?? 5000 });
  log(`dynamodb: dynalite on ${endpoint} (${levelDir ? `state in ${levelDir}` : "in memory"})`);
  return service;
}
