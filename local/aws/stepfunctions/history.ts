/**
 * GetExecutionHistory events from aws-local-stepfunctions' event log, in AWS's shapes (a useful
 * subset: execution start/end, state entered/exited, Task failures, Map iterations).
 */
import type { StateMachine } from "aws-local-stepfunctions";
import type { TaskIntegration } from "./integrations";

/** One event of the engine's log (the library does not export the type). */
export type EngineEvent = ReturnType<StateMachine["run"]>["eventLogs"] extends AsyncGenerator<infer E> ? E : never;

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: string]: unknown;
}

const json = (value: unknown): string => JSON.stringify(value ?? null);
const text = (value: unknown): string | undefined => (value === undefined ? undefined : typeof value === "string" ? value : json(value));

export interface HistoryContext {
  roleArn: string;
  tasks: ReadonlyMap<string, TaskIntegration>;
  /** The StopExecution error and cause of an aborted execution. */
  stopped?: () => { error?: string; cause?: string };
}

function taskResource(integration: TaskIntegration | undefined): { resourceType: string; resource: string } {
  if (!integration) return { resourceType: "unknown", resource: "unknown" };
  if (integration.kind === "dynamodb") return { resourceType: "dynamodb", resource: integration.action };
  if (integration.kind === "ecs:runTask") {
    return { resourceType: "ecs", resource: integration.pattern === "request" ? "runTask" : `runTask.${integration.pattern}` };
  }
  return { resourceType: "lambda", resource: integration.kind === "lambda:invoke" ? "invoke" : integration.resource };
}

export type HistoryEventBody = { timestamp: Date; type: string; [details: string]: unknown };

/** The AWS event for one engine event, or undefined for those AWS has no counterpart of. */
export function historyEvent(event: EngineEvent, ctx: HistoryContext): HistoryEventBody | undefined {
  const timestamp = new Date(event.timestamp);
  switch (event.type) {
    case "ExecutionStarted":
      return {
        timestamp,
        type: "ExecutionStarted",
        executionStartedEventDetails: { input: json(event.input), inputDetails: { truncated: false }, roleArn: ctx.roleArn },
      };
    case "ExecutionSucceeded":
      return { timestamp, type: "ExecutionSucceeded", executionSucceededEventDetails: { output: json(event.output), outputDetails: { truncated: false } } };
    case "ExecutionFailed":
      return { timestamp, type: "ExecutionFailed", executionFailedEventDetails: { error: event.Error, cause: text(event.Cause) } };
    case "ExecutionAborted":
      return { timestamp, type: "ExecutionAborted", executionAbortedEventDetails: { ...ctx.stopped?.() } };
    case "ExecutionTimeout":
      return { timestamp, type: "ExecutionTimedOut", executionTimedOutEventDetails: { error: "States.Timeout" } };
    case "StateEntered":
      return {
        timestamp,
        type: `${event.state.type}StateEntered`,
        stateEnteredEventDetails: { name: event.state.name, input: json(event.state.input), inputDetails: { truncated: false } },
      };
    case "StateExited":
      return {
        timestamp,
        type: `${event.state.type}StateExited`,
        stateExitedEventDetails: { name: event.state.name, output: json(event.state.output), outputDetails: { truncated: false } },
      };
    case "StateFailed": {
      if (event.state.type !== "Task" || event.Error === "ExecutionStopped") return undefined;
      const integration = ctx.tasks.get(event.state.name);
      if (integration?.kind === "lambda:function") {
        return { timestamp, type: "LambdaFunctionFailed", lambdaFunctionFailedEventDetails: { error: event.Error, cause: text(event.Cause) } };
      }
      return { timestamp, type: "TaskFailed", taskFailedEventDetails: { ...taskResource(integration), error: event.Error, cause: text(event.Cause) } };
    }
    case "MapIterationStarted":
    case "MapIterationSucceeded":
    case "MapIterationFailed": {
      const key = `${event.type[0].toLowerCase()}${event.type.slice(1)}EventDetails`;
      return { timestamp, type: event.type, [key]: { name: event.parentState.name, index: event.index } };
    }
    default:
      return undefined;
  }
}
