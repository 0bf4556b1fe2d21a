import type { ErrorInfo } from "./types";

const MAX_MESSAGE = 1000;
const CODE = /^[A-Za-z][A-Za-z0-9_.]{0,63}$/;

/** An error code as a job record may keep it: an identifier-like name, else `undefined`. */
export function safeCode(name: unknown): string | undefined {
  return typeof name === "string" && CODE.test(name) ? name : undefined;
}

/**
 * A message as a job record may keep it: ARNs masked, control characters and stack lines
 * dropped, at most 1000 characters.
 */
export function safeMessage(message: unknown, fallback = "The job failed."): string {
  if (typeof message !== "string" || message.trim() === "") return fallback;
  let text = message.split("\n").filter((line) => !/^\s*at\s/.test(line)).join(" ");
  text = text.replace(/arn:[^\s"'`,;()<>\]\[{}]*/gi, "[resource]");
  text = text.replace(/[\u0000-\u001f\u007f]/g, " ").trim();
  if (text.length > MAX_MESSAGE) text = `${text.slice(0, MAX_MESSAGE - 1)}…`;
  return text || fallback;
}

/** `{code: err.name, message: err.message}` of what a job threw, made safe to show. */
export function jobErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof Error) return { code: safeCode(err.name) ?? "Error", message: safeMessage(err.message) };
  return { code: "Error", message: safeMessage(typeof err === "string" ? err : undefined) };
}
