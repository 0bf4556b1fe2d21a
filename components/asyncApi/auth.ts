import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AuthMode } from "../../lambdas/shared/types";
import { accountTrustPolicy, document, invokeApiStatement } from "../iam/policies";

export interface AuthResources {
  /** auth `iam`: a role allowed to call exactly this API's routes. */
  invokerRole?: aws.iam.Role;
  /** auth `apiKey`: the key, its usage plan and their link. */
  apiKey?: aws.apigateway.ApiKey;
  usagePlan?: aws.apigateway.UsagePlan;
}

/** The resources an auth mode needs once the stage exists. */
export function createAuthResources(
  name: string,
  parent: pulumi.Resource,
  args: { auth: AuthMode; restApi: aws.apigateway.RestApi; stage: aws.apigateway.Stage; throttle: { rateLimit: number; burstLimit: number } },
): AuthResources {
  if (args.auth === "iam") {
    const account = aws.getCallerIdentityOutput({}, { parent }).accountId;
    const invokerRole = new aws.iam.Role(
      `${name}-invoker`,
      {
        description: "Assume this role to call the job API (SigV4, service execute-api)",
        assumeRolePolicy: account.apply((id) => JSON.stringify(accountTrustPolicy(id))),
      },
      { parent },
    );
    new aws.iam.RolePolicy(
      `${name}-invoker-policy`,
      {
        role: invokerRole.id,
        policy: pulumi.all([args.restApi.executionArn, args.stage.stageName]).apply(([arn, stage]) => JSON.stringify(document(invokeApiStatement(arn, stage)))),
      },
      { parent },
    );
    return { invokerRole };
  }
  if (args.auth === "apiKey") {
    const apiKey = new aws.apigateway.ApiKey(`${name}-key`, { description: "Key for the job API (header x-api-key)", enabled: true }, { parent });
    const usagePlan = new aws.apigateway.UsagePlan(
      `${name}-usage-plan`,
      {
        apiStages: [{ apiId: args.restApi.id, stage: args.stage.stageName }],
        throttleSettings: { rateLimit: args.throttle.rateLimit, burstLimit: args.throttle.burstLimit },
      },
      { parent },
    );
    new aws.apigateway.UsagePlanKey(`${name}-usage-plan-key`, { keyId: apiKey.id, keyType: "API_KEY", usagePlanId: usagePlan.id }, { parent });
    return { apiKey, usagePlan };
  }
  return {};
}
