/**
 * Reading a fault from its JSON (`POST /_local/faults`): each kind's fields checked, defaults
 * filled in, and `function` resolved to exactly one of the stack's function names. A fault that
 * does not check out is a BadFault (400) saying why.
 */
import type { InjectedDynamoDbError } from "../aws/dynamodb";
import { BadFault, type Fault } from "./types";

const DYNAMODB_CODES: readonly InjectedDynamoDbError[] = ["InternalServerError", "ProvisionedThroughputExceededException", "ThrottlingException"];

/** `value` as an integer from `min` to `max` (`fallback` when absent and there is one), or a BadFault naming it. */
export function integer(value: unknown, name: string, min: number, max: number, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) throw new BadFault(`${name} must be an integer from ${min} to ${max}`);
  return value;
}

/** The function `text` names: a function's name, or text in exactly one function's name. */
function resolveFunction(text: unknown, functionNames: () => string[]): string {
  if (typeof text !== "string" || !text) throw new BadFault("function must name a function (or a unique part of its name)");
  const names = functionNames();
  if (names.includes(text)) return text;
  const matches = names.filter((n) => n.includes(text));
  if (matches.length === 1) return matches[0];
  throw new BadFault(matches.length ? `'${text}' names several functions: ${matches.join(", ")}` : `no function name contains '${text}' (functions: ${names.join(", ")})`);
}

export function parseFault(input: unknown, functionNames: () => string[]): Fault {
  if (!input || typeof input !== "object" || Array.isArray(input)) throw new BadFault("a fault is a JSON object with a kind");
  const f = input as Record<string, unknown>;
  const fn = (text: unknown) => resolveFunction(text, functionNames);
  switch (f.kind) {
    case "dynamodbWrites":
    case "dynamodbReads": {
      const code = (f.code ?? "InternalServerError") as InjectedDynamoDbError;
      if (!DYNAMODB_CODES.includes(code)) throw new BadFault(`code must be one of ${DYNAMODB_CODES.join(", ")}`);
      return { kind: f.kind, count: integer(f.count, "count", 0, 10_000), code, ...(f.function !== undefined ? { function: fn(f.function) } : {}) };
    }
    case "s3Writes":
    case "s3Reads": {
      const status = f.status ?? 503;
      if (status !== 500 && status !== 503) throw new BadFault("status must be 500 or 503");
      return { kind: f.kind, count: integer(f.count, "count", 0, 10_000), status, ...(f.function !== undefined ? { function: fn(f.function) } : {}) };
    }
    case "duplicateDelivery":
      if (f.sameRequestId !== undefined && typeof f.sameRequestId !== "boolean") throw new BadFault("sameRequestId must be a boolean");
      return { kind: "duplicateDelivery", function: fn(f.function), sameRequestId: f.sameRequestId !== false, delayMs: integer(f.delayMs, "delayMs", 0, 600_000, 0) };
    case "workerCrash":
    case "workerHang": {
      if (f.jobId !== undefined && (typeof f.jobId !== "string" || f.jobId.length === 0 || f.jobId.length > 256)) throw new BadFault("jobId must be a non-empty string (at most 256 characters)");
      const fault: Fault = { kind: f.kind, function: fn(f.function), count: integer(f.count, "count", 1, 1000, 1), afterMs: integer(f.afterMs, "afterMs", 0, 600_000, 200) };
      if (typeof f.jobId === "string") fault.jobId = f.jobId;
      return fault;
    }
    default:
      throw new BadFault("kind must be one of dynamodbWrites, dynamodbReads, s3Writes, s3Reads, duplicateDelivery, workerCrash, workerHang");
  }
}
