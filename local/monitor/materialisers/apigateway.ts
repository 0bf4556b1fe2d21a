/**
 * API Gateway REST APIs (their OpenAPI body), deployments, stages, API keys and usage plans, on the
 * local API Gateway; method settings and the account (CloudWatch role) change nothing locally.
 */
import * as crypto from "crypto";
import { arn, type MaterialiserContext, type Materialisers } from "./context";

export function apiGatewayMaterialisers(ctx: MaterialiserContext): Materialisers {
  const { apigateway } = ctx.services;
  return {
    "aws:apigateway/restApi:RestApi": async (name, inputs) => {
      const apiId = ctx.shortId(name);
      apigateway.putRestApi(apiId, inputs.body);
      return { id: apiId, state: { rootResourceId: `${apiId}root`, executionArn: arn("execute-api", apiId) } };
    },
    "aws:apigateway/deployment:Deployment": async (name, inputs) => {
      const deploymentId = `${ctx.shortId(name)}-${crypto.createHash("sha256").update(JSON.stringify(inputs.triggers ?? {})).digest("hex").slice(0, 6)}`;
      apigateway.createDeployment(inputs.restApi, deploymentId);
      return { id: deploymentId, state: {} };
    },
    "aws:apigateway/stage:Stage": async (name, inputs) => {
      const invokeUrl = apigateway.createStage(inputs.restApi, inputs.stageName, inputs.deployment);
      return {
        id: `ags-${inputs.restApi}-${inputs.stageName}`,
        state: { invokeUrl, executionArn: arn("execute-api", `${inputs.restApi}/${inputs.stageName}`) },
      };
    },
    "aws:apigateway/methodSettings:MethodSettings": ctx.accepted,
    "aws:apigateway/account:Account": ctx.accepted,
    "aws:apigateway/apiKey:ApiKey": async (name, inputs) => {
      const id = ctx.shortId(name);
      const value = inputs.value ?? crypto.createHash("sha256").update(`${ctx.stack}/${name}/key`).digest("base64url").slice(0, 40);
      apigateway.createApiKey({ id, value, enabled: inputs.enabled ?? true });
      return { id, state: { value } };
    },
    "aws:apigateway/usagePlan:UsagePlan": async (name, inputs) => {
      const id = ctx.shortId(name);
      apigateway.createUsagePlan(id, (inputs.apiStages ?? []).map((st: any) => ({ apiId: st.apiId, stage: st.stage })));
      return { id, state: {} };
    },
    "aws:apigateway/usagePlanKey:UsagePlanKey": async (name, inputs) => {
      apigateway.addUsagePlanKey(inputs.usagePlanId, inputs.keyId);
      return { id: `${inputs.usagePlanId}-${inputs.keyId}`, state: {} };
    },
  };
}
