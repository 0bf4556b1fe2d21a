/**
 * The names and ARNs of the local EventBridge's resources, and the checks of API input they share
 * (required strings, timestamps, event patterns).
 */
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "../types";
import { EventsApiError, type CompiledPattern } from "./model";
import { InvalidEventPattern, parsePattern } from "./pattern";

const ARN_PREFIX = `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}`;
export const busArnOf = (name: string) => `${ARN_PREFIX}:event-bus/${name}`;
export const ruleArnOf = (bus: string, name: string) => (bus === "default" ? `${ARN_PREFIX}:rule/${name}` : `${ARN_PREFIX}:rule/${bus}/${name}`);
export const archiveArnOf = (name: string) => `${ARN_PREFIX}:archive/${name}`;
export const replayArnOf = (name: string) => `${ARN_PREFIX}:replay/${name}`;

/** A bus name from a name or a bus ARN. */
export function busNameOf(ref: string | undefined): string {
  if (!ref) return "default";
  const m = /^arn:aws[a-z-]*:events:[^:]*:\d{12}:event-bus\/(.+)$/.exec(ref);
  return m ? m[1] : ref;
}

/** The items whose name starts with `prefix` (all when it is not a string), by name. */
export const byNamePrefix = <T extends { name: string }>(items: T[], prefix: unknown) =>
  items.filter((i) => typeof prefix !== "string" || i.name.startsWith(prefix)).sort((a, b) => a.name.localeCompare(b.name));

/** A request's required string field, or the ValidationException the API answers for it. */
export function requiredString(body: Record<string, any>, key: string): string {
  if (typeof body[key] !== "string" || !body[key]) throw new EventsApiError("ValidationException", `1 validation error detected: Value null at '${key}' failed to satisfy constraint: Member must not be null`);
  return body[key];
}

/** A timestamp given as a Date, epoch seconds (number or digits) or an ISO 8601 string. */
export function toDate(value: unknown, field: string): Date {
  const d = value instanceof Date ? value : typeof value === "number" ? new Date(value * 1000) : typeof value === "string" ? new Date(/^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : value) : undefined;
  if (!d || Number.isNaN(d.getTime())) throw new EventsApiError("ValidationException", `${field} is not a valid timestamp`);
  return d;
}

/** An event pattern parsed (absent when empty), or the API's InvalidEventPatternException. */
export function compilePattern(text: string | undefined): CompiledPattern | undefined {
  if (text === undefined || text === null || text === "") return undefined;
  try {
    return parsePattern(text);
  } catch (e) {
    if (e instanceof InvalidEventPattern) throw new EventsApiError("InvalidEventPatternException", e.message);
    throw e;
  }
}
