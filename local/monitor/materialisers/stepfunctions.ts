/** Step Functions state machines, on the local Step Functions. */
import { arn, type MaterialiserContext, type Materialisers } from "./context";

export function stepFunctionsMaterialisers(ctx: MaterialiserContext): Materialisers {
  return {
    "aws:sfn/stateMachine:StateMachine": async (name, inputs) => {
      const machine = ctx.physicalName(name, inputs, 80);
      const machineArn = arn("states", `stateMachine:${machine}`);
      await ctx.services.stepfunctions.createStateMachine({ name: machine, arn: machineArn, definition: inputs.definition, type: inputs.type ?? "STANDARD", roleArn: inputs.roleArn });
      return { id: machineArn, state: { name: machine, arn: machineArn } };
    },
  };
}
