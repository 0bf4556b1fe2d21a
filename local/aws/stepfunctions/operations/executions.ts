/**
 * The API operations on executions: StartExecution, StartSyncExecution (EXPRESS state machines
 * only), DescribeExecution and StopExecution (STANDARD executions only, as on AWS).
 */
import { expressBilledMs } from "../../../usage/stepfunctions";
import { SfnError } from "../errors";
import { describe, expectArnType } from "../model";
import { optionalString, requiredString, standardExecution } from "./shared";
import type { SfnOperation } from "./shared";

/** StartSyncExecution waits past the EXPRESS 5-minute cap, so the engine's timeout answers first. */
const SYNC_WAIT_MS = 5 * 60_000 + 10_000;

const startExecution: SfnOperation = (sfn, body) =>
  sfn.startExecution({
    stateMachineArn: requiredString(body, "stateMachineArn"),
    name: optionalString(body, "name"),
    input: optionalString(body, "input"),
  });

const startSyncExecution: SfnOperation = async (sfn, body) => {
  const stateMachineArn = requiredString(body, "stateMachineArn");
  expectArnType(stateMachineArn, "stateMachine");
  if (sfn.machineOf(stateMachineArn).type !== "EXPRESS") {
    throw new SfnError("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine");
  }
  const started = sfn.startExecution({ stateMachineArn, name: optionalString(body, "name"), input: optionalString(body, "input") });
  const done = await sfn.waitForExecution(started.executionArn, SYNC_WAIT_MS);
  return {
    ...done,
    inputDetails: { included: true },
    ...(done.output !== undefined ? { outputDetails: { included: true } } : {}),
    billingDetails: { billedMemoryUsedInMB: 64, billedDurationInMilliseconds: expressBilledMs((done.stopDate?.getTime() ?? 0) - done.startDate.getTime()) },
  };
};

const describeExecution: SfnOperation = (sfn, body) => {
  const out = describe(standardExecution(sfn, body));
  return {
    ...out,
    inputDetails: { included: true },
    ...(out.output !== undefined ? { outputDetails: { included: true } } : {}),
    redriveCount: 0,
    redriveStatus: "NOT_REDRIVABLE",
  };
};

const stopExecution: SfnOperation = (sfn, body) => {
  const execution = standardExecution(sfn, body);
  return sfn.stopExecution(execution.arn, { error: optionalString(body, "error"), cause: optionalString(body, "cause") });
};

export const executionOperations: Record<string, SfnOperation> = {
  StartExecution: startExecution,
  StartSyncExecution: startSyncExecution,
  DescribeExecution: describeExecution,
  StopExecution: stopExecution,
};
