/**
 * The "Step Functions Execution Status Change" events that AWS sends to the default EventBridge bus
 * for STANDARD executions, when one starts (RUNNING) and when it ends.
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html
 */
import type { EventsSink } from "../types";
import type { Execution } from "./model";

/** The `detail-type` of Step Functions' execution events. */
export const EXECUTION_STATUS_CHANGE = "Step Functions Execution Status Change";

/** The execution's status change, on the default bus (best effort, as on AWS). */
export function publishStatusChange(sink: EventsSink, execution: Execution, log: (line: string) => void): void {
  const ended = execution.status !== "RUNNING";
  const detail = {
    executionArn: execution.arn,
    stateMachineArn: execution.machine.arn,
    name: execution.name,
    status: execution.status,
    startDate: execution.startDate.getTime(),
    stopDate: ended ? (execution.stopDate ?? new Date()).getTime() : null,
    input: execution.input,
    output: execution.status === "SUCCEEDED" ? (execution.output ?? null) : null,
    inputDetails: { included: true },
    outputDetails: execution.status === "SUCCEEDED" ? { included: true } : null,
    error: execution.error ?? null,
    cause: execution.cause ?? null,
    redriveCount: 0,
  };
  sink
    .publish("default", { source: "aws.states", detailType: EXECUTION_STATUS_CHANGE, detail, resources: [execution.arn], time: ended ? execution.stopDate : execution.startDate })
    .catch((err) => log(`sfn: the ${execution.status} event of ${execution.name} was not delivered: ${(err as Error).message}`));
}
