/**
 * How the local Lambda names functions: the references its callers may use (name, partial ARN,
 * ARN, each with an optional qualifier) and the ARN of a function of the local account.
 */
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "../types";

/** `name`, `name:qualifier`, `123456789012:function:name[:q]` or `arn:aws:lambda:region:acct:function:name[:q]`. */
export function parseFunctionRef(ref: string): { name: string; qualifier?: string } {
  const parts = ref.split(":");
  let rest: string[];
  if (parts[0] === "arn" && parts.length >= 7 && parts[5] === "function") rest = parts.slice(6);
  else if (parts.length >= 3 && parts[1] === "function") rest = parts.slice(2);
  else rest = parts;
  return { name: rest[0], qualifier: rest[1] || undefined };
}

/** The unqualified ARN of a function of the local account. */
export function functionArnOf(name: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${name}`;
}
