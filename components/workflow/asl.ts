/**
 * The Amazon States Language (JSONPath) shapes the definition is built from: JSON values, the
 * state types the job's state machine uses, and the definition itself.
 */

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface AslRetrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: "FULL" | "NONE";
}

export interface AslCatcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
}

export interface AslTaskState {
  Type: "Task";
  Comment?: string;
  Resource: string;
  Parameters?: JsonObject;
  ResultSelector?: JsonObject;
  ResultPath?: string | null;
  TimeoutSeconds?: number;
  HeartbeatSeconds?: number;
  Retry?: AslRetrier[];
  Catch?: AslCatcher[];
  /** The next state, or `End: true` for the last (a Task may end the execution). */
  Next?: string;
  End?: true;
}

export type AslChoiceRule = JsonObject;

export interface AslChoiceState {
  Type: "Choice";
  Comment?: string;
  Choices: Array<AslChoiceRule & { Next: string }>;
  Default: string;
}

export interface AslPassState {
  Type: "Pass";
  Comment?: string;
  Result?: JsonValue;
  ResultPath?: string | null;
  Next: string;
}

export interface AslSucceedState {
  Type: "Succeed";
  Comment?: string;
}

export interface AslFailState {
  Type: "Fail";
  Comment?: string;
  Error: string;
  Cause: string;
}

export type AslState = AslTaskState | AslChoiceState | AslPassState | AslSucceedState | AslFailState;

/** A state machine definition as `aws.sfn.StateMachine` takes it (after `JSON.stringify`). */
export interface AslDefinition {
  Comment: string;
  StartAt: string;
  TimeoutSeconds: number;
  States: Record<string, AslState>;
}
