import { runSimulation } from "@cloud-copilot/iam-simulate";
import type { PolicyDocument } from "../../components/iam/policies";
import { ACCOUNT_ID } from "./mocks";

/**
 * IAM's answer (`Allowed`, `ImplicitlyDenied`, ...) for one action on one resource under one
 * identity policy, with the request's condition keys (e.g. `ecs:cluster`, `iam:PassedToService`).
 */
export async function simulate(policy: PolicyDocument, action: string, resource: string, contextVariables: Record<string, string> = {}): Promise<string> {
  const r: any = await runSimulation(
    {
      request: { principal: `arn:aws:iam::${ACCOUNT_ID}:role/test`, action, resource: { resource, accountId: ACCOUNT_ID }, contextVariables },
      identityPolicies: [{ name: "policy", policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (r.errors) throw new Error(`simulation error: ${JSON.stringify(r.errors)}`);
  return r.result.analysis.result;
}
