/**
 * IAM roles (assumable on the local STS) and their inline and managed policies (accepted: the local
 * cloud enforces no IAM for functions).
 */
import { LOCAL_ACCOUNT_ID } from "../../aws/types";
import type { MaterialiserContext, Materialisers } from "./context";

export function iamMaterialisers(ctx: MaterialiserContext): Materialisers {
  return {
    "aws:iam/role:Role": async (name, inputs) => {
      const role = ctx.physicalName(name, inputs);
      ctx.services.sts?.createRole(`arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${role}`);
      return { id: role, state: { name: role, arn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${role}`, uniqueId: `AROA${ctx.shortId(name).toUpperCase()}` } };
    },
    "aws:iam/rolePolicy:RolePolicy": async (name, inputs) => ({ id: `${inputs.role}:${ctx.physicalName(name, inputs)}`, state: {} }),
    // A managed policy on a role: the local cloud enforces no IAM for functions.
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": async (name, inputs) => ({ id: `${inputs.role}-${ctx.shortId(name)}`, state: {} }),
  };
}
