/** The API operations that describe a state machine: DescribeStateMachine and DescribeStateMachineForExecution. */
import { expectArnType } from "../model";
import { requiredString, standardExecution } from "./shared";
import type { SfnOperation } from "./shared";

const describeStateMachine: SfnOperation = (sfn, body) => {
  const arn = requiredString(body, "stateMachineArn");
  expectArnType(arn, "stateMachine");
  const machine = sfn.machineOf(arn);
  return {
    stateMachineArn: machine.arn,
    name: machine.name,
    status: "ACTIVE",
    definition: machine.definitionText,
    roleArn: machine.roleArn,
    type: machine.type,
    creationDate: machine.creationDate,
    loggingConfiguration: { level: "OFF", includeExecutionData: false },
    tracingConfiguration: { enabled: false },
  };
};

const describeStateMachineForExecution: SfnOperation = (sfn, body) => {
  const machine = standardExecution(sfn, body).machine;
  return { stateMachineArn: machine.arn, name: machine.name, definition: machine.definitionText, roleArn: machine.roleArn, updateDate: machine.creationDate };
};

export const stateMachineOperations: Record<string, SfnOperation> = {
  DescribeStateMachine: describeStateMachine,
  DescribeStateMachineForExecution: describeStateMachineForExecution,
};
