/**
 * The DynamoDB Streams API (`X-Amz-Target: DynamoDBStreams_20120810.<Action>`, awsJson1_0) on the
 * local DynamoDB endpoint: ListStreams, DescribeStream, GetShardIterator, GetRecords. Each stream
 * has one shard that never splits. A shard iterator names a position (after a sequence number)
 * and expires after 15 minutes, as on AWS.
 */
import type { DynamoDbStreamRecord } from "../types";
import { errorReply, jsonReply, parseObject, serializationError, validationError } from "./protocol";
import type { Reply } from "./protocol";
import { shardIdOf } from "./streams";
import type { StreamInfo, StreamStore } from "./streams";
import type { TableCatalog } from "./tables";

export const STREAMS_TARGET_PREFIX = "DynamoDBStreams_20120810.";
const ITERATOR_TTL_MS = 15 * 60 * 1000;
const ITERATOR_TYPES = ["TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"];

export { shardIdOf };

interface IteratorState {
  /** Stream ARN. */
  a: string;
  /** Exclusive start; absent = the trim horizon. */
  s?: string;
  /** Issued at (epoch ms). */
  t: number;
}

function encodeIterator(state: IteratorState): string {
  return `${state.a}|1|${Buffer.from(JSON.stringify(state)).toString("base64")}`;
}

function decodeIterator(text: unknown): IteratorState | undefined {
  if (typeof text !== "string") return undefined;
  try {
    const state = JSON.parse(Buffer.from(text.slice(text.lastIndexOf("|") + 1), "base64").toString("utf8")) as IteratorState;
    return typeof state.a === "string" && typeof state.t === "number" && (state.s === undefined || /^\d+$/.test(state.s)) ? state : undefined;
  } catch {
    return undefined;
  }
}

/** A record as GetRecords returns it (Lambda's form without `eventSourceARN`, and `userIdentity` capitalised). */
function wireRecord(record: DynamoDbStreamRecord): Record<string, unknown> {
  const { eventSourceARN: _arn, userIdentity, ...rest } = record;
  return { ...rest, ...(userIdentity ? { userIdentity: { PrincipalId: userIdentity.principalId, Type: userIdentity.type } } : {}) };
}

const notFound = (what: string) => errorReply(400, "ResourceNotFoundException", `Requested resource not found: ${what}`);

export class StreamsApi {
  constructor(
    private readonly streams: StreamStore,
    private readonly catalog: TableCatalog,
    private readonly now: () => number = Date.now,
    /** Told of each GetRecords call answered (the cost meter: one streams read request each). */
    private readonly onGetRecords?: (tableName: string) => void,
  ) {}

  async handle(action: string, text: string): Promise<Reply> {
    const data = parseObject(text);
    if (!data) return serializationError();
    switch (action) {
      case "ListStreams":
        return this.listStreams(data);
      case "DescribeStream":
        return this.describeStream(data);
      case "GetShardIterator":
        return this.getShardIterator(data);
      case "GetRecords":
        return this.getRecords(data);
      default:
        return jsonReply(400, { __type: "com.amazon.coral.service#UnknownOperationException" });
    }
  }

  private stream(arn: unknown): StreamInfo | undefined {
    return typeof arn === "string" ? this.streams.get(arn) : undefined;
  }

  private listStreams(data: Record<string, unknown>): Reply {
    const limit = typeof data.Limit === "number" ? data.Limit : 100;
    if (limit < 1 || limit > 100) return validationError(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100`);
    let list = this.streams.list().filter((s) => data.TableName === undefined || s.tableName === data.TableName);
    if (typeof data.ExclusiveStartStreamArn === "string") {
      const at = list.findIndex((s) => s.arn === data.ExclusiveStartStreamArn);
      list = at >= 0 ? list.slice(at + 1) : list;
    }
    const page = list.slice(0, limit);
    return jsonReply(200, {
      Streams: page.map((s) => ({ StreamArn: s.arn, TableName: s.tableName, StreamLabel: s.label })),
      ...(list.length > limit ? { LastEvaluatedStreamArn: page[page.length - 1].arn } : {}),
    });
  }

  private async describeStream(data: Record<string, unknown>): Promise<Reply> {
    const info = this.stream(data.StreamArn);
    if (!info) return notFound(`Stream: ${String(data.StreamArn)} not found`);
    if (!info.keySchema && !info.tableDeleted) this.streams.rememberKeySchema(info.tableName, await this.catalog.keySchema(info.tableName));
    const shardId = shardIdOf(info.arn);
    const closed = info.disabledAt !== undefined;
    const latest = this.streams.latestSequenceNumber(info.arn);
    const shard = {
      ShardId: shardId,
      SequenceNumberRange: {
        StartingSequenceNumber: this.streams.startingSequenceNumber(info.arn),
        ...(closed && latest ? { EndingSequenceNumber: latest } : {}),
      },
    };
    // One shard, no children: a page after it (or a CHILD_SHARDS filter) is empty.
    const filter = data.ShardFilter as { Type?: string } | undefined;
    const shards = data.ExclusiveStartShardId === shardId || filter?.Type === "CHILD_SHARDS" ? [] : [shard];
    return jsonReply(200, {
      StreamDescription: {
        StreamArn: info.arn,
        StreamLabel: info.label,
        StreamStatus: closed ? "DISABLED" : "ENABLED",
        StreamViewType: info.viewType,
        CreationRequestDateTime: info.createdAt / 1000,
        TableName: info.tableName,
        KeySchema: info.keySchema ?? [],
        Shards: shards,
      },
    });
  }

  private getShardIterator(data: Record<string, unknown>): Reply {
    const info = this.stream(data.StreamArn);
    if (!info) return notFound(`Stream: ${String(data.StreamArn)} not found`);
    if (data.ShardId !== shardIdOf(info.arn)) return notFound(`Shard ${String(data.ShardId)} in stream ${info.arn} not found`);
    const type = data.ShardIteratorType;
    if (typeof type !== "string" || !ITERATOR_TYPES.includes(type)) {
      return validationError(
        `1 validation error detected: Value '${String(type)}' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [${ITERATOR_TYPES.join(", ")}]`,
      );
    }
    const seq = data.SequenceNumber;
    const needsSeq = type === "AT_SEQUENCE_NUMBER" || type === "AFTER_SEQUENCE_NUMBER";
    if (needsSeq && (typeof seq !== "string" || !/^\d{1,40}$/.test(seq))) {
      return validationError(`Invalid SequenceNumber for ShardIteratorType ${type}: ${String(seq)}`);
    }
    if (!needsSeq && seq !== undefined) return validationError(`SequenceNumber must not be given for ShardIteratorType ${type}`);
    let after: string | undefined;
    if (type === "LATEST") after = this.streams.latestSequenceNumber(info.arn);
    else if (type === "AFTER_SEQUENCE_NUMBER") after = seq as string;
    else if (type === "AT_SEQUENCE_NUMBER") after = (BigInt(seq as string) - 1n).toString();
    return jsonReply(200, { ShardIterator: encodeIterator({ a: info.arn, ...(after !== undefined ? { s: after } : {}), t: this.now() }) });
  }

  private getRecords(data: Record<string, unknown>): Reply {
    const state = decodeIterator(data.ShardIterator);
    if (!state) return validationError("Invalid ShardIterator");
    const limit = typeof data.Limit === "number" ? data.Limit : 1000;
    if (limit < 1 || limit > 1000) return validationError(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 1000`);
    if (this.now() - state.t > ITERATOR_TTL_MS) return errorReply(400, "ExpiredIteratorException", "Iterator expired");
    const info = this.stream(state.a);
    if (!info) return notFound(`Stream: ${state.a} not found`);
    const records = this.streams.readRecords(info.arn, state.s, limit);
    this.onGetRecords?.(info.tableName);
    const position = records.length ? records[records.length - 1].dynamodb.SequenceNumber : state.s;
    // A disabled stream's shard is closed: once read to its end there is no next iterator.
    const latest = this.streams.latestSequenceNumber(info.arn);
    const exhausted = info.disabledAt !== undefined && (latest === undefined || (position !== undefined && BigInt(position) >= BigInt(latest)));
    return jsonReply(200, {
      Records: records.map(wireRecord),
      ...(exhausted ? {} : { NextShardIterator: encodeIterator({ a: info.arn, ...(position !== undefined ? { s: position } : {}), t: this.now() }) }),
    });
  }
}
