/**
 * What the Step Functions API operations share: reading the request's fields (with the validation
 * errors AWS answers), the STANDARD-only execution lookup, and `nextToken` paging.
 */
import { SfnError } from "../errors";
import { expectArnType } from "../model";
import type { Execution } from "../model";
import type { StepFunctions } from "../stepFunctions";

export type Body = Record<string, unknown>;

/** One API operation: the service and the request's JSON object in, the answer out. */
export type SfnOperation = (sfn: StepFunctions, body: Body) => unknown;

export function requiredString(body: Body, key: string): string {
  const value = body[key];
  if (typeof value !== "string" || value === "") {
    throw new SfnError("ValidationException", `1 validation error detected: Value null at '${key}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

export function optionalString(body: Body, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new SfnError("SerializationException", `${key} must be a string`);
  return value;
}

/** STANDARD-only actions refuse EXPRESS execution ARNs as AWS does. */
export function standardExecution(sfn: StepFunctions, body: Body): Execution {
  const arn = requiredString(body, "executionArn");
  expectArnType(arn, "execution");
  return sfn.executionOf(arn);
}

/** `nextToken` paging over an in-memory list. */
export function page<T>(items: T[], body: Body, defaultSize = 100): { page: T[]; nextToken?: string } {
  const max = body.maxResults === undefined || body.maxResults === 0 ? defaultSize : Number(body.maxResults);
  if (!Number.isInteger(max) || max < 0 || max > 1000) {
    throw new SfnError("ValidationException", `1 validation error detected: Value '${String(body.maxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`);
  }
  let start = 0;
  if (body.nextToken !== undefined && body.nextToken !== null) {
    const decoded = Number(Buffer.from(String(body.nextToken), "base64url").toString("utf8"));
    if (!Number.isInteger(decoded) || decoded < 0 || decoded > items.length) throw new SfnError("InvalidToken", "Invalid Token: 'Invalid token'");
    start = decoded;
  }
  const slice = items.slice(start, start + max);
  const next = start + max;
  return next < items.length ? { page: slice, nextToken: Buffer.from(String(next), "utf8").toString("base64url") } : { page: slice };
}
