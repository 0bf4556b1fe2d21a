/**
 * SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat: the answers to a `.waitForTaskToken`
 * Task, checked as the API checks them (lengths, token format, JSON output) before they reach the
 * waiting attempt through its token (taskTokens.ts).
 */
import { SfnError, taskError } from "./errors";
import type { TaskTokens } from "./taskTokens";

/** SendTaskSuccess/SendTaskFailure limits (characters). */
const MAX_TOKEN_CHARS = 2048;
const MAX_OUTPUT_CHARS = 256 * 1024;
const MAX_ERROR_CHARS = 256;
const MAX_CAUSE_CHARS = 32768;

function checkLength(field: string, value: string, max: number): void {
  if (value.length > max) {
    throw new SfnError("ValidationException", `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${max}`);
  }
}

function checkToken(tokens: TaskTokens, taskToken: string): void {
  if (typeof taskToken !== "string" || taskToken === "") {
    throw new SfnError("ValidationException", "1 validation error detected: Value null at 'taskToken' failed to satisfy constraint: Member must not be null");
  }
  checkLength("taskToken", taskToken, MAX_TOKEN_CHARS);
  tokens.checkFormat(taskToken);
}

export function sendTaskSuccess(tokens: TaskTokens, taskToken: string, output: string): void {
  checkToken(tokens, taskToken);
  if (typeof output !== "string") {
    throw new SfnError("ValidationException", "1 validation error detected: Value null at 'output' failed to satisfy constraint: Member must not be null");
  }
  checkLength("output", output, MAX_OUTPUT_CHARS);
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch (err) {
    throw new SfnError("InvalidOutput", `Invalid Output: '${(err as Error).message}'`);
  }
  tokens.succeed(taskToken, parsed);
}

export function sendTaskFailure(tokens: TaskTokens, taskToken: string, failure: { error?: string; cause?: string } = {}): void {
  checkToken(tokens, taskToken);
  checkLength("error", failure.error ?? "", MAX_ERROR_CHARS);
  checkLength("cause", failure.cause ?? "", MAX_CAUSE_CHARS);
  tokens.fail(taskToken, taskError(failure.error ?? "", failure.cause ?? ""));
}

export function sendTaskHeartbeat(tokens: TaskTokens, taskToken: string): void {
  checkToken(tokens, taskToken);
  tokens.heartbeat(taskToken);
}
