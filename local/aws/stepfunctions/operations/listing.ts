/**
 * The API operations that list and page: ListExecutions (STANDARD state machines only),
 * GetExecutionHistory and ListStateMachines.
 */
import { SfnError } from "../errors";
import type { HistoryEvent } from "../history";
import { expectArnType } from "../model";
import type { ExecutionStatus } from "../types";
import { optionalString, page, requiredString, standardExecution } from "./shared";
import type { SfnOperation } from "./shared";

/** A history event without its `input` / `output` (GetExecutionHistory with includeExecutionData false). */
function withoutData(event: HistoryEvent): HistoryEvent {
  const copy: HistoryEvent = { ...event };
  for (const [key, value] of Object.entries(copy)) {
    if (key.endsWith("EventDetails") && typeof value === "object" && value !== null) {
      const details = { ...(value as Record<string, unknown>) };
      delete details.input;
      delete details.output;
      copy[key] = details;
    }
  }
  return copy;
}

const listExecutions: SfnOperation = (sfn, body) => {
  const stateMachineArn = requiredString(body, "stateMachineArn");
  expectArnType(stateMachineArn, "stateMachine");
  if (sfn.machineOf(stateMachineArn).type !== "STANDARD") {
    throw new SfnError("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine");
  }
  const status = optionalString(body, "statusFilter") as ExecutionStatus | undefined;
  const all = sfn.listExecutions(stateMachineArn, status).map((e) => ({
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: e.startDate,
    stopDate: e.stopDate,
    redriveCount: 0,
  }));
  const { page: executionsPage, nextToken } = page(all, body);
  return { executions: executionsPage, nextToken };
};

const getExecutionHistory: SfnOperation = (sfn, body) => {
  const execution = standardExecution(sfn, body);
  const includeData = body.includeExecutionData !== false;
  let events = execution.events.map((e) => (includeData ? e : withoutData(e)));
  if (body.reverseOrder === true) events = [...events].reverse();
  const { page: eventsPage, nextToken } = page(events, body);
  return { events: eventsPage, nextToken };
};

const listStateMachines: SfnOperation = (sfn, body) => {
  const all = [...sfn.machines.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((m) => ({ stateMachineArn: m.arn, name: m.name, type: m.type, creationDate: m.creationDate }));
  const { page: machinesPage, nextToken } = page(all, body);
  return { stateMachines: machinesPage, nextToken };
};

export const listingOperations: Record<string, SfnOperation> = {
  ListExecutions: listExecutions,
  GetExecutionHistory: getExecutionHistory,
  ListStateMachines: listStateMachines,
};
