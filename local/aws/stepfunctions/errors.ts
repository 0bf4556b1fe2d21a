/**
 * The errors of the local Step Functions service: `SfnError` is an API error (what the SDKs read);
 * a Task error's `name` is what Retry/Catch `ErrorEquals` match and its `message` is the `Cause`.
 */
import { AwsApiError } from "../protocols/apiError";

/** A Step Functions API error: `code` is the `__type` the SDKs read (`ExecutionDoesNotExist`, ...). */
export class SfnError extends AwsApiError {}

/** A Task failure as Step Functions reports it: `name` is the Error, `message` the Cause. */
export function taskError(name: string, cause: string): Error {
  const err = new Error(cause);
  err.name = name;
  return err;
}

/**
 * An error the engine neither retries nor catches (aws-local-stepfunctions reads `isRetryable` and
 * `isCatchable`): `States.Runtime` problems, and the end of an execution that was stopped.
 */
export class UncatchableError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
  get isRetryable(): boolean {
    return false;
  }
  get isCatchable(): boolean {
    return false;
  }
}

export const runtimeError = (message: string): UncatchableError => new UncatchableError("States.Runtime", message);
