/**
 * Condition expressions evaluated by dynalite's own parser and evaluator, without writing.
 *
 * A transaction must check every item's condition before it changes anything, and a
 * `ConditionCheck` must never change its item; dynalite only evaluates conditions inside its write
 * actions. Its validation modules (which parse `ConditionExpression` into `_condition`) and
 * `db.checkConditional` are internal files of dynalite 4.0.0 (it has no `exports` map); this module
 * is the one place that depends on them.
 */
import type { DynamoDbItem } from "../types";
import { errorReply, jsonReply } from "./protocol";
import type { Reply } from "./protocol";

interface ActionValidation {
  types: Record<string, unknown>;
  custom?: (data: Record<string, unknown>, store: unknown) => string | undefined;
}
interface Validations {
  checkTypes(data: Record<string, unknown>, types: Record<string, unknown>): Record<string, unknown>;
  checkValidations(data: Record<string, unknown>, types: Record<string, unknown>, custom: ActionValidation["custom"], store: unknown): void;
}
interface Db {
  checkConditional(data: Record<string, unknown>, item: DynamoDbItem | undefined): unknown;
}

/* eslint-disable @typescript-eslint/no-require-imports */
const validations = require("dynalite/validations") as Validations;
const actionValidations: Record<WriteAction, ActionValidation> = {
  PutItem: require("dynalite/validations/putItem") as ActionValidation,
  UpdateItem: require("dynalite/validations/updateItem") as ActionValidation,
  DeleteItem: require("dynalite/validations/deleteItem") as ActionValidation,
};
const db = require("dynalite/db") as Db;
/* eslint-enable @typescript-eslint/no-require-imports */

export type WriteAction = "PutItem" | "UpdateItem" | "DeleteItem";

/** What dynalite's validators read of its store (the item size limit: 400 KB, as on AWS). */
const STORE = { options: { maxItemSize: 400 * 1024 } };

/** A request validated as dynalite validates `action`; opaque, for `conditionHolds`. */
export type ParsedWrite = { readonly parsed: Record<string, unknown> };

/** Validates `params` as the single-item `action`: the parsed request, or dynalite's error reply. */
export function validateWrite(action: WriteAction, params: Record<string, unknown>): ParsedWrite | { error: Reply } {
  const { types, custom } = actionValidations[action];
  try {
    const data = validations.checkTypes(JSON.parse(JSON.stringify(params)) as Record<string, unknown>, types);
    validations.checkValidations(data, types, custom, STORE);
    return { parsed: data };
  } catch (err) {
    const e = err as { statusCode?: number; body?: { __type?: string; message?: string; Message?: string } };
    if (!e.statusCode || !e.body) throw err;
    const type = e.body.__type ?? "";
    if (type.endsWith("#ValidationException")) return { error: errorReply(e.statusCode, "ValidationException", e.body.message ?? "") };
    return { error: jsonReply(e.statusCode, e.body) };
  }
}

/** Whether the request's condition (`ConditionExpression` or legacy `Expected`) holds for `item` (absent = no item). */
export function conditionHolds(write: ParsedWrite, item: DynamoDbItem | undefined): boolean {
  return db.checkConditional(write.parsed, item) == null;
}
