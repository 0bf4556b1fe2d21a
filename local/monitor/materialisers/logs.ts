/** CloudWatch log groups: named as AWS names them; the local cloud keeps the logs itself (no emulator). */
import { arn, type MaterialiserContext, type Materialisers } from "./context";

export function logsMaterialisers(ctx: MaterialiserContext): Materialisers {
  return {
    "aws:cloudwatch/logGroup:LogGroup": async (name, inputs) => {
      const group = ctx.physicalName(name, inputs, 512);
      return { id: group, state: { name: group, arn: arn("logs", `log-group:${group}`) } };
    },
  };
}
