/** Every Step Functions API operation the local service serves, by name, bound to one service. */
import type { AwsJsonOperation } from "../../protocols/awsJson";
import type { StepFunctions } from "../stepFunctions";
import { executionOperations } from "./executions";
import { listingOperations } from "./listing";
import type { SfnOperation } from "./shared";
import { stateMachineOperations } from "./stateMachines";
import { taskTokenOperations } from "./taskTokens";

const OPERATIONS: Readonly<Record<string, SfnOperation>> = {
  ...taskTokenOperations,
  ...executionOperations,
  ...listingOperations,
  ...stateMachineOperations,
};

export function stepFunctionsOperations(sfn: StepFunctions): Record<string, AwsJsonOperation> {
  return Object.fromEntries(Object.entries(OPERATIONS).map(([name, operation]) => [name, (body: Record<string, unknown>) => operation(sfn, body)]));
}
