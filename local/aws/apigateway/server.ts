/**
 * The local API Gateway (REST, v1): serves the program's OpenAPI document at
 * `http://<publicHost>:<port>/<stage>/...` as API Gateway would — routes, IAM (SigV4) and API-key
 * auth, request validation, Lambda proxy, mock and AWS service (`aws`) integrations, gateway
 * responses — and invokes the functions on the local Lambda service.
 *
 * Control-plane operations (controlPlane.ts, as the local cloud calls them):
 * - PutRestApi / ImportRestApi (an OpenAPI 3.0 or Swagger 2.0 body; document.ts)
 * - CreateDeployment
 * - CreateStage (served at `/<stage>`, or `/<apiId>/<stage>` when another API has that stage name)
 * - CreateApiKey, CreateUsagePlan, CreateUsagePlanKey
 * - Lambda AddPermission for `apigateway.amazonaws.com` (checked before each Lambda invocation)
 *
 * Data plane (executeApi.ts): the execute-api request pipeline — find stage → route →
 * authenticate (authenticate.ts) → validate (validation.ts) → integrate (integrations.ts) →
 * respond (respond.ts), with gateway responses (gatewayResponses.ts), CORS as the document
 * declares it, and two local-only routes: the console's files (consoleRoute.ts) and `/__local/usage`.
 * An unknown stage, path or method answers MISSING_AUTHENTICATION_TOKEN (403), as API Gateway does.
 *
 * AWS documentation followed:
 * - https://docs.aws.amazon.com/apigateway/latest/api/API_ImportRestApi.html
 * - https://docs.aws.amazon.com/apigateway/latest/api/API_PutRestApi.html
 * - https://docs.aws.amazon.com/apigateway/latest/api/API_CreateDeployment.html
 * - https://docs.aws.amazon.com/apigateway/latest/api/API_CreateStage.html
 * - https://docs.aws.amazon.com/apigateway/latest/api/API_CreateApiKey.html
 * - https://docs.aws.amazon.com/apigateway/latest/api/API_CreateUsagePlan.html
 * - https://docs.aws.amazon.com/apigateway/latest/api/API_CreateUsagePlanKey.html
 * - https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
 * - https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html
 * - https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
 * - https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html
 * - https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html
 * - https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-key-source.html
 */
import { createServer } from "node:http";
import { close, listen } from "../protocols/listen";
import { ApiGateway } from "./controlPlane";
import { ExecuteApi } from "./executeApi";
import { resolveSettings, type ApiGatewayServiceOptions, type LocalApiGatewayService } from "./options";

export type { AwsEndpoints } from "./awsIntegration";
export { CONSOLE_DIR, consoleAsset } from "./consoleRoute";
export { INTEGRATION_TIMEOUT_MS, MAX_REQUEST_BYTES, USAGE_PATH, type ApiGatewayServiceOptions, type LocalApiGatewayService } from "./options";

/** Starts the local API Gateway. */
export async function startApiGatewayService(options: ApiGatewayServiceOptions): Promise<LocalApiGatewayService> {
  const settings = resolveSettings(options);
  const gateway = new ApiGateway(() => `http://${settings.publicHost}:${settings.port}`, settings.log);
  const executeApi = new ExecuteApi(settings, gateway);
  const server = createServer((req, res) => {
    executeApi.handle(req, res).catch((e) => {
      settings.log(`local API Gateway failed on ${req.method} ${req.url}: ${(e as Error)?.stack ?? String(e)}`);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader("Content-Type", "application/json");
        res.end(JSON.stringify({ message: "Internal server error" }));
      } else res.end();
    });
  });
  server.keepAliveTimeout = 5_000;
  settings.port = (await listen(server, options.port ?? 0, settings.host)).port;
  const endpointHost = settings.host.includes(":") ? `[${settings.host}]` : settings.host;

  return {
    endpoint: `http://${endpointHost}:${settings.port}`,
    port: settings.port,
    async stop() {
      await close(server);
    },
    putRestApi: (apiId, body) => gateway.putRestApi(apiId, body),
    createDeployment: (apiId, deploymentId) => gateway.createDeployment(apiId, deploymentId),
    createStage: (apiId, stageName, deploymentId) => gateway.createStage(apiId, stageName, deploymentId),
    createApiKey: (key) => gateway.createApiKey(key),
    createUsagePlan: (planId, stages) => gateway.createUsagePlan(planId, stages),
    addUsagePlanKey: (planId, keyId) => gateway.addUsagePlanKey(planId, keyId),
    addLambdaPermission: (functionNameOrArn, sourceArn) => gateway.addLambdaPermission(functionNameOrArn, sourceArn),
  };
}
