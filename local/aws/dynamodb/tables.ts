/**
 * Table-level operations dynalite answers without streams: `CreateTable`/`UpdateTable` accept a
 * `StreamSpecification`, `DescribeTable` reports `StreamSpecification`/`LatestStreamArn`/
 * `LatestStreamLabel`, and `DeleteTable` disables the table's stream. Also a cache of key schemas
 * and global secondary indexes, which the write path needs to find an item's key and the
 * capacity a write consumes.
 */
import type * as http from "http";
import type { StreamViewType } from "../types";
import type { IndexSchema } from "./capacity";
import type { DynaliteCaller } from "./dynaliteCall";
import { parseObject, replaceBody, replyJson, validationError } from "./protocol";
import type { Reply } from "./protocol";
import { STREAM_VIEW_TYPES } from "./streams";
import type { StreamStore } from "./streams";
import type { TableSchema } from "../../usage/dynamodb";

export interface KeySchemaElement {
  AttributeName: string;
  KeyType: string;
}

export class TableCatalog {
  private readonly described = new Map<string, { keySchema: KeySchemaElement[]; indexes: IndexSchema[] }>();

  constructor(private readonly call: DynaliteCaller) {}

  /** The table's key schema (HASH first), or `undefined` when there is no such table. */
  async keySchema(table: string): Promise<KeySchemaElement[] | undefined> {
    return (await this.describe(table))?.keySchema;
  }

  async keyNames(table: string): Promise<string[] | undefined> {
    return (await this.keySchema(table))?.map((k) => k.AttributeName);
  }

  /** The table's key names and global secondary indexes (what capacity.ts needs), or `undefined` when there is no such table. */
  async schema(table: string): Promise<TableSchema | undefined> {
    const described = await this.describe(table);
    return described && { keyNames: described.keySchema.map((k) => k.AttributeName), indexes: described.indexes };
  }

  forget(table: string): void {
    this.described.delete(table);
  }

  private async describe(table: string): Promise<{ keySchema: KeySchemaElement[]; indexes: IndexSchema[] } | undefined> {
    const known = this.described.get(table);
    if (known) return known;
    const reply = await this.call("DescribeTable", { TableName: table });
    if (reply.status !== 200) return undefined;
    const description = replyJson<{ Table?: { KeySchema?: KeySchemaElement[]; GlobalSecondaryIndexes?: DescribedIndex[] } }>(reply).Table;
    const keySchema = description?.KeySchema ?? [];
    keySchema.sort((a, b) => (a.KeyType === "HASH" ? -1 : b.KeyType === "HASH" ? 1 : 0));
    const indexes = (description?.GlobalSecondaryIndexes ?? []).map(indexSchema);
    this.described.set(table, { keySchema, indexes });
    return { keySchema, indexes };
  }
}

interface DescribedIndex {
  IndexName: string;
  KeySchema: KeySchemaElement[];
  Projection?: { ProjectionType?: string; NonKeyAttributes?: string[] };
}

function indexSchema(index: DescribedIndex): IndexSchema {
  const keys = [...index.KeySchema].sort((a, b) => (a.KeyType === "HASH" ? -1 : b.KeyType === "HASH" ? 1 : 0));
  const projection = (index.Projection?.ProjectionType ?? "ALL") as IndexSchema["projection"];
  return { name: index.IndexName, keyNames: keys.map((k) => k.AttributeName), projection, nonKeyAttributes: index.Projection?.NonKeyAttributes };
}

interface StreamSpecification {
  StreamEnabled?: unknown;
  StreamViewType?: unknown;
}

/** What DescribeTable/CreateTable/UpdateTable add to a TableDescription for the table's stream. */
function streamFields(streams: StreamStore, table: string): Record<string, unknown> {
  const latest = streams.latestFor(table);
  if (!latest) return {};
  const active = latest.disabledAt === undefined;
  return {
    ...(active ? { StreamSpecification: { StreamEnabled: true, StreamViewType: latest.viewType } } : {}),
    LatestStreamArn: latest.arn,
    LatestStreamLabel: latest.label,
  };
}

function withStreamFields(reply: Reply, member: "Table" | "TableDescription", streams: StreamStore): Reply {
  if (reply.status !== 200) return reply;
  const body = replyJson<Record<string, Record<string, unknown> | undefined>>(reply);
  const description = body[member];
  if (!description || typeof description.TableName !== "string") return reply;
  Object.assign(description, streamFields(streams, description.TableName));
  return replaceBody(reply, body);
}

/** A StreamSpecification's error, if any (AWS checks these before anything else). */
function specError(spec: StreamSpecification): Reply | undefined {
  if (typeof spec.StreamEnabled !== "boolean") {
    return validationError("1 validation error detected: Value null at 'streamSpecification.streamEnabled' failed to satisfy constraint: Member must not be null");
  }
  if (spec.StreamEnabled && !STREAM_VIEW_TYPES.includes(spec.StreamViewType as StreamViewType)) {
    return validationError("One or more parameter values were invalid: StreamViewType is required if StreamEnabled is true");
  }
  if (!spec.StreamEnabled && spec.StreamViewType !== undefined) {
    return validationError("One or more parameter values were invalid: Stream view type must not be specified if streams are disabled");
  }
  return undefined;
}

type TableContext = { call: DynaliteCaller; catalog: TableCatalog; streams: StreamStore };

/** One table operation: its request (which names a table), as JSON text and parsed. */
interface TableRequest {
  table: string;
  data: Record<string, unknown>;
  text: string;
  headers: http.IncomingHttpHeaders;
}

/** Answers CreateTable, UpdateTable, DescribeTable and DeleteTable (through dynalite, adding streams). */
export async function handleTableOperation(operation: string, text: string, headers: http.IncomingHttpHeaders, ctx: TableContext): Promise<Reply> {
  const data = parseObject(text);
  const table = typeof data?.TableName === "string" ? data.TableName : undefined;
  if (!data || !table) return ctx.call(operation, text, headers);
  const request: TableRequest = { table, data, text, headers };
  switch (operation) {
    case "DescribeTable":
      return withStreamFields(await ctx.call(operation, text, headers), "Table", ctx.streams);
    case "DeleteTable":
      return deleteTable(request, ctx);
    case "CreateTable":
      return createTable(request, ctx);
    case "UpdateTable":
      return updateTable(request, ctx);
    default:
      return ctx.call(operation, text, headers);
  }
}

/** DeleteTable: the streams outlive the table by 24 hours; DescribeStream still reports the key schema. */
async function deleteTable({ table, text, headers }: TableRequest, { call, catalog, streams }: TableContext): Promise<Reply> {
  const keySchema = await catalog.keySchema(table);
  const reply = await call("DeleteTable", text, headers);
  if (reply.status === 200) {
    catalog.forget(table);
    streams.rememberKeySchema(table, keySchema);
    streams.disable(table, true);
  }
  return reply;
}

/** CreateTable, with its StreamSpecification. */
async function createTable({ table, data, text, headers }: TableRequest, { call, catalog, streams }: TableContext): Promise<Reply> {
  const spec = data.StreamSpecification as StreamSpecification | undefined;
  const error = spec ? specError(spec) : undefined;
  if (error) return error;
  const reply = await call("CreateTable", text, headers);
  if (reply.status === 200) {
    catalog.forget(table);
    if (spec?.StreamEnabled) streams.enable(table, spec.StreamViewType as StreamViewType);
  }
  return withStreamFields(reply, "TableDescription", streams);
}

/** UpdateTable, with its StreamSpecification (enabling or disabling the stream). */
async function updateTable({ table, data, text, headers }: TableRequest, { call, catalog, streams }: TableContext): Promise<Reply> {
  catalog.forget(table);
  const spec = data.StreamSpecification as StreamSpecification | undefined;
  if (!spec) return withStreamFields(await call("UpdateTable", text, headers), "TableDescription", streams);
  const error = specError(spec);
  if (error) return error;
  const described = await call("DescribeTable", { TableName: table }, headers);
  if (described.status !== 200) return described;
  const active = streams.activeFor(table);
  if (spec.StreamEnabled && active) return validationError(`Table already has an enabled stream: TableName: ${table}`);
  if (!spec.StreamEnabled && !active) return validationError(`Table ${table} does not have an enabled stream`);
  const rest = { ...data };
  delete rest.StreamSpecification;
  // Other changes in the same request go to dynalite; a stream-only update is ours alone.
  let reply = replaceBody(described, { TableDescription: replyJson<{ Table: unknown }>(described).Table });
  if (Object.keys(rest).some((k) => k !== "TableName" && k !== "AttributeDefinitions")) {
    reply = await call("UpdateTable", JSON.stringify(rest), headers);
    if (reply.status !== 200) return reply;
  }
  if (spec.StreamEnabled) streams.enable(table, spec.StreamViewType as StreamViewType);
  else streams.disable(table);
  return withStreamFields(reply, "TableDescription", streams);
}
