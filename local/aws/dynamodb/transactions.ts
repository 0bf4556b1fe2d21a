/**
 * `TransactWriteItems`, which dynalite lacks: validated as AWS does, then, under the service's
 * write lock (so no other write comes between), every item is read, every condition evaluated
 * (each failure is reported, as on AWS), and only if all hold the ops are applied one by one
 * through dynalite. An op dynalite still rejects (say an update that adds to a string) undoes the
 * ops applied before it from their snapshots, so nothing of a cancelled transaction stays.
 *
 * Reads do not take the lock, so a reader can see a transaction half applied for the instant it
 * takes; AWS's isolation would not let it (TransactGetItems, which would notice, is not emulated).
 */
import type * as http from "http";
import type { DynamoDbItem } from "../types";
import { conditionHolds, validateWrite } from "./conditions";
import type { ParsedWrite, WriteAction } from "./conditions";
import { getItem } from "./dynaliteCall";
import { mayUnderCount, oversized } from "./itemSizeLimit";
import { canonical, isExactKey, keyOf } from "./items";
import { ERROR_PREFIX, errorReply, jsonReply, parseObject, replyErrorType, replyMessage, serializationError, validationError } from "./protocol";
import type { Reply } from "./protocol";
import { asksCapacity, cancelledCharges, committedCharges, replayCharges, settle } from "../../usage/dynamodb";
import type { TransactedItem } from "../../usage/dynamodb";
import type { WriteContext } from "./writes";
import { itemLock } from "./writeLock";

const KINDS = ["ConditionCheck", "Put", "Delete", "Update"] as const;
type Kind = (typeof KINDS)[number];
/** The single-item action each op is validated (and applied) as; a ConditionCheck is validated like a DeleteItem and never applied. */
const ACTIONS: Record<Kind, WriteAction> = { ConditionCheck: "DeleteItem", Put: "PutItem", Delete: "DeleteItem", Update: "UpdateItem" };
/** Members each op must have, besides TableName. */
const REQUIRED: Record<Kind, string[]> = { ConditionCheck: ["Key", "ConditionExpression"], Put: ["Item"], Delete: ["Key"], Update: ["Key", "UpdateExpression"] };

export const MAX_TRANSACT_ITEMS = 100;
/** How long AWS remembers a ClientRequestToken. */
const IDEMPOTENCY_MS = 10 * 60 * 1000;

interface Op {
  kind: Kind;
  table: string;
  /** The op's members minus ReturnValuesOnConditionCheckFailure: a request of `ACTIONS[kind]`. */
  params: Record<string, unknown>;
  parsed: ParsedWrite;
  returnOld: boolean;
}

export interface CancellationReason {
  Code: string;
  Message?: string;
  Item?: DynamoDbItem;
}

/** AWS's answer to a cancelled transaction: one reason per item, in request order. */
export function cancelled(reasons: CancellationReason[]): Reply {
  return jsonReply(400, {
    __type: `${ERROR_PREFIX}TransactionCanceledException`,
    Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(", ")}]`,
    CancellationReasons: reasons,
  });
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
const notNull = (at: string) => validationError(`1 validation error detected: Value null at '${at}' failed to satisfy constraint: Member must not be null`);

/** Checks the request's shape (no table is read): the ops, or the error reply. */
function parseOps(data: Record<string, unknown>): Op[] | Reply {
  const items = data.TransactItems;
  if (items === undefined || items === null) return notNull("transactItems");
  if (!Array.isArray(items)) return serializationError();
  if (items.length < 1 || items.length > MAX_TRANSACT_ITEMS) {
    const bound = items.length < 1 ? "greater than or equal to 1" : `less than or equal to ${MAX_TRANSACT_ITEMS}`;
    return validationError(`1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length ${bound}`);
  }
  const ops: Op[] = [];
  for (const [i, item] of items.entries()) {
    const kinds = item && typeof item === "object" ? KINDS.filter((k) => (item as Record<string, unknown>)[k] != null) : [];
    if (kinds.length !== 1) return validationError("TransactItems can only contain one of Check, Put, Update or Delete");
    const kind = kinds[0];
    const member = (item as Record<string, unknown>)[kind];
    if (typeof member !== "object" || Array.isArray(member)) return serializationError();
    const { ReturnValuesOnConditionCheckFailure: returnValues, ...params } = member as Record<string, unknown>;
    const at = `transactItems.${i + 1}.member.${lowerFirst(kind)}`;
    if (returnValues !== undefined && returnValues !== "ALL_OLD" && returnValues !== "NONE") {
      return validationError(
        `1 validation error detected: Value '${String(returnValues)}' at '${at}.returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]`,
      );
    }
    for (const name of ["TableName", ...REQUIRED[kind]]) if (params[name] == null) return notNull(`${at}.${lowerFirst(name)}`);
    const parsed = validateWrite(ACTIONS[kind], params);
    if ("error" in parsed) return parsed.error;
    ops.push({ kind, table: params.TableName as string, params, parsed, returnOld: returnValues === "ALL_OLD" });
  }
  return ops;
}

export class TransactWriteItems {
  /** Tokens of transactions that succeeded: a retry with the same token succeeds without writing. */
  private readonly tokens = new Map<string, { fingerprint: string; at: number }>();

  constructor(
    private readonly ctx: WriteContext,
    private readonly now: () => number = Date.now,
  ) {}

  async handle(text: string, _headers: http.IncomingHttpHeaders): Promise<Reply> {
    const data = parseObject(text);
    if (!data) return serializationError();
    const ops = parseOps(data);
    if (!Array.isArray(ops)) return ops;
    const token = typeof data.ClientRequestToken === "string" ? data.ClientRequestToken : undefined;
    // Its items' locks (and its token's), or the whole service when its keys are not valid (run answers why).
    const keys = await this.keysOf(ops);
    const locks = Array.isArray(keys) ? [...keys.map((key, i) => itemLock(ops[i].table, key)), ...(token ? [`token:${token}`] : [])] : undefined;
    return this.ctx.lock.run(locks, () => this.run(ops, data, token, mayUnderCount(text)));
  }

  private async run(ops: Op[], data: Record<string, unknown>, token: string | undefined, checkSizes: boolean): Promise<Reply> {
    const { call, streams } = this.ctx;
    for (const [t, seen] of this.tokens) if (seen.at < this.now() - IDEMPOTENCY_MS) this.tokens.delete(t);
    const fingerprint = canonical(data.TransactItems);
    const seen = token ? this.tokens.get(token) : undefined;
    if (seen) {
      if (seen.fingerprint !== fingerprint) {
        return errorReply(400, "IdempotentParameterMismatchException", "Request parameters do not match those of the original request with the same ClientRequestToken");
      }
      return this.replay(ops, data);
    }
    const keys = await this.keysOf(ops);
    if (!Array.isArray(keys)) return keys;

    // Every item as it is now; every condition against it.
    const before = await this.read(ops, keys);
    if (!Array.isArray(before)) return before;
    const reasons: CancellationReason[] = ops.map((op, i) =>
      conditionHolds(op.parsed, before[i])
        ? { Code: "None" }
        : { Code: "ConditionalCheckFailed", Message: "The conditional request failed", ...(op.returnOld && before[i] ? { Item: before[i] } : {}) },
    );
    const metered = this.ctx.charge !== undefined || asksCapacity(data);
    if (reasons.some((r) => r.Code !== "None")) {
      if (metered) this.ctx.charge?.(cancelledCharges(await this.transacted(ops, before)));
      return cancelled(reasons);
    }
    const failure = await this.apply(ops, keys, before, checkSizes);
    if (failure) return failure;

    // Each written item after the transaction, for its stream and the capacity it consumed.
    const after = [...before];
    for (const [i, op] of ops.entries()) {
      const streamed = streams.activeFor(op.table) !== undefined;
      if (op.kind === "ConditionCheck" || !(streamed || metered)) continue;
      const got = await getItem(call, op.table, keys[i]);
      if (got.error) continue;
      after[i] = got.item;
      if (streamed) streams.capture({ table: op.table, keys: keys[i], oldImage: before[i], newImage: got.item });
    }
    if (token) this.tokens.set(token, { fingerprint, at: this.now() });
    if (!metered) return jsonReply(200, {});
    return settle(jsonReply(200, {}), data, committedCharges(await this.transacted(ops, before, after)), this.ctx.charge, true);
  }

  /** Each op's table and key, checked before any item is read: the keys, or the error reply. */
  private async keysOf(ops: Op[]): Promise<DynamoDbItem[] | Reply> {
    const keys: DynamoDbItem[] = [];
    const seenKeys = new Set<string>();
    for (const op of ops) {
      const names = await this.ctx.catalog.keyNames(op.table);
      if (!names) return errorReply(400, "ResourceNotFoundException", "Requested resource not found");
      let key: DynamoDbItem | undefined;
      if (op.kind === "Put") {
        key = keyOf(op.params.Item as DynamoDbItem, names);
        const missing = names.find((n) => !(op.params.Item as DynamoDbItem)[n]);
        if (!key) return validationError(`One or more parameter values were invalid: Missing the key ${missing} in the item`);
      } else {
        if (!isExactKey(op.params.Key, names)) return validationError("The provided key element does not match the schema");
        key = keyOf(op.params.Key, names)!;
      }
      const id = canonical([op.table, key]);
      if (seenKeys.has(id)) return validationError("Transaction request cannot include multiple operations on one item");
      seenKeys.add(id);
      keys.push(key);
    }
    return keys;
  }

  /** Every op's item as it is now (`undefined`: none), or the error reply. */
  private async read(ops: Op[], keys: DynamoDbItem[]): Promise<(DynamoDbItem | undefined)[] | Reply> {
    const items: (DynamoDbItem | undefined)[] = [];
    for (const [i, op] of ops.entries()) {
      const got = await getItem(this.ctx.call, op.table, keys[i]);
      if (got.error) return got.error;
      items.push(got.item);
    }
    return items;
  }

  /** Applies op by op; on the first one dynalite rejects (or that passes the item size limit), undoes them all and answers why. */
  private async apply(ops: Op[], keys: DynamoDbItem[], before: (DynamoDbItem | undefined)[], checkSizes: boolean): Promise<Reply | undefined> {
    const applied: number[] = [];
    const undoAll = () => this.undo(applied.reverse().map((j) => ({ table: ops[j].table, key: keys[j], item: before[j] })));
    for (const [i, op] of ops.entries()) {
      if (op.kind === "ConditionCheck") continue;
      const reply = await this.ctx.call(ACTIONS[op.kind], op.params);
      if (reply.status === 200) {
        applied.push(i);
        continue;
      }
      await undoAll();
      if (replyErrorType(reply) !== "ValidationException") return reply;
      return cancelled(ops.map((_, j) => (j === i ? { Code: "ValidationError", Message: replyMessage(reply) } : { Code: "None" })));
    }
    // The item size limit in UTF-8 bytes (itemSizeLimit.ts), which dynalite under-counts.
    if (!checkSizes) return undefined;
    for (const i of applied) {
      const after = await getItem(this.ctx.call, ops[i].table, keys[i]);
      if (after.error || !oversized(after.item)) continue;
      await undoAll();
      return cancelled(ops.map((_, j) => (j === i ? { Code: "ValidationError", Message: "Item size has exceeded the maximum allowed size" } : { Code: "None" })));
    }
    return undefined;
  }

  /**
   * A retry of a transaction that succeeded (same token) writes nothing; DynamoDB answers it with
   * the read units of reading the items (transaction-apis.html, "Idempotency").
   */
  private async replay(ops: Op[], data: Record<string, unknown>): Promise<Reply> {
    const reply = jsonReply(200, {});
    if (this.ctx.charge === undefined && !asksCapacity(data)) return reply;
    const keys = await this.keysOf(ops);
    const items = Array.isArray(keys) ? await this.read(ops, keys) : undefined;
    if (!Array.isArray(items)) return reply;
    return settle(reply, data, replayCharges(await this.transacted(ops, items)), this.ctx.charge, true);
  }

  /** The ops with what their charges need: table schema, images before and after. */
  private async transacted(ops: Op[], before: (DynamoDbItem | undefined)[], after = before): Promise<TransactedItem[]> {
    const items: TransactedItem[] = [];
    for (const [i, op] of ops.entries()) {
      const schema = (await this.ctx.catalog.schema(op.table)) ?? { keyNames: [], indexes: [] };
      const written = op.kind === "Put" ? (op.params.Item as DynamoDbItem) : undefined;
      items.push({ table: op.table, schema, requestPart: written ?? op.params.Key, written, before: before[i], after: after[i] });
    }
    return items;
  }

  /** Restores items from their snapshots (in reverse order of application). */
  private async undo(snapshots: { table: string; key: DynamoDbItem; item?: DynamoDbItem }[]): Promise<void> {
    for (const { table, key, item } of snapshots) {
      const reply = item ? await this.ctx.call("PutItem", { TableName: table, Item: item }) : await this.ctx.call("DeleteItem", { TableName: table, Key: key });
      if (reply.status !== 200) throw new Error(`could not undo a cancelled transaction on ${table}: ${reply.body}`);
    }
  }
}
