/**
 * The public face of the local Step Functions service: its options, and the in-process calls it
 * answers besides the API (`LocalStepFunctionsService`), with the shapes they take and give.
 */
import type { EcsTaskRunner } from "../ecs/types";
import type { EventsSink, LambdaService, StepFunctionsService } from "../types";
import type { UsageMeter } from "../../usage/meter";
import type { HistoryEvent } from "./history";

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";

export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  /** JSON text. */
  input: string;
  /** JSON text (SUCCEEDED). */
  output?: string;
  error?: string;
  cause?: string;
}

export interface StartExecutionInput {
  stateMachineArn: string;
  /** Default: a random UUID. */
  name?: string;
  /** JSON text; default `{}`. */
  input?: string;
}

export interface StartExecutionOutput {
  executionArn: string;
  startDate: Date;
}

export interface StepFunctionsServiceOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  lambda: Pick<LambdaService, "invoke">;
  /** The local DynamoDB endpoint, read at each DynamoDB Task. */
  dynamodbEndpoint: () => string;
  log?: (line: string) => void;
  /**
   * Where "Step Functions Execution Status Change" events go (to the `default` bus), as AWS sends
   * them for STANDARD executions: when one starts (RUNNING) and when it ends (SUCCEEDED, FAILED,
   * TIMED_OUT, ABORTED). None are sent while the service stops. Read at each event.
   */
  events?: () => EventsSink | undefined;
  /**
   * The local ECS service that `arn:aws:states:::ecs:runTask[.sync|.waitForTaskToken]` Tasks run
   * on; read at each such Task (services start in some order). Without it, those Tasks fail with
   * a States.Runtime error saying so.
   */
  ecs?: () => EcsTaskRunner | undefined;
  /** The cost meter: STANDARD state transitions, EXPRESS requests and GB-seconds (usage.ts). */
  meter?: UsageMeter;
}

export interface LocalStepFunctionsService extends StepFunctionsService {
  /** StartExecution (same rules and errors as the API). */
  startExecution(input: StartExecutionInput): StartExecutionOutput;
  /** Any execution, EXPRESS ones included; throws `SfnError` ExecutionDoesNotExist. */
  describeExecution(executionArn: string): ExecutionDescription;
  /** StopExecution; EXPRESS executions can be stopped this way too (not through the API). */
  stopExecution(executionArn: string, options?: { error?: string; cause?: string }): { stopDate: Date };
  /** Newest first. */
  listExecutions(stateMachineArn: string, statusFilter?: ExecutionStatus): ExecutionDescription[];
  getExecutionHistory(executionArn: string): HistoryEvent[];
  /** Resolves when the execution has ended (or rejects after `timeoutMs`, default 60 s). */
  waitForExecution(executionArn: string, timeoutMs?: number): Promise<ExecutionDescription>;
  /** SendTaskSuccess: `output` is JSON text. Throws `SfnError` (InvalidToken, TaskDoesNotExist, TaskTimedOut, InvalidOutput). */
  sendTaskSuccess(taskToken: string, output: string): void;
  /** SendTaskFailure: the waiting state fails with `error` and `cause`. */
  sendTaskFailure(taskToken: string, failure?: { error?: string; cause?: string }): void;
  /** SendTaskHeartbeat: restarts the waiting state's HeartbeatSeconds clock. */
  sendTaskHeartbeat(taskToken: string): void;
}
