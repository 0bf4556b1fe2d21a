import * as crypto from "crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { apiGatewayLoggingStatements, document, serviceTrustPolicy } from "../iam/policies";

/** JSON access-log lines; the fields are API Gateway's `$context` variables. */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  caller: "$context.identity.caller",
  requestTime: "$context.requestTime",
  httpMethod: "$context.httpMethod",
  resourcePath: "$context.resourcePath",
  status: "$context.status",
  responseLength: "$context.responseLength",
  responseLatency: "$context.responseLatency",
  integrationLatency: "$context.integrationLatency",
  errorType: "$context.error.responseType",
});

export interface GatewayArgs {
  /** The OpenAPI document (with its x-amazon-apigateway extensions) as JSON text. */
  body: pulumi.Input<string>;
  stageName: string;
  throttle: { rateLimit: number; burstLimit: number };
  logRetentionInDays: number;
  /** Set the account's API Gateway CloudWatch role (one setting per account and region) to a role of this stack's own. */
  manageAccountRole: boolean;
  /** The stage writes access logs (needs the account's CloudWatch role: set once, or by `manageAccountRole`). */
  accessLogs: boolean;
  description: string;
}

/** A regional REST API from one OpenAPI document, redeployed whenever the document changes. */
export function createGateway(name: string, parent: pulumi.Resource, args: GatewayArgs) {
  const restApi = new aws.apigateway.RestApi(
    `${name}-api`,
    // failOnWarnings stays off (AWS's default): a warning of the import (an unsupported keyword in a
    // job's schema, see components/api/importLimits.ts, reported at construction) would otherwise roll
    // back the whole import during `pulumi up`.
    { body: args.body, description: args.description, endpointConfiguration: { types: "REGIONAL" }, putRestApiMode: "overwrite", failOnWarnings: false },
    { parent },
  );
  const deployment = new aws.apigateway.Deployment(
    `${name}-deployment`,
    {
      restApi: restApi.id,
      description: "Deployment of the API document",
      // A new deployment (and so a live stage update) every time the document changes.
      triggers: { documentSha256: pulumi.output(args.body).apply((b) => crypto.createHash("sha256").update(b).digest("hex")) },
    },
    { parent },
  );

  const accessLogs = args.accessLogs ? new aws.cloudwatch.LogGroup(`${name}-access-logs`, { retentionInDays: args.logRetentionInDays }, { parent }) : undefined;
  const stageDependsOn: pulumi.Resource[] = [];
  if (args.manageAccountRole) {
    // One setting per account and region, shared by every API there: another stack may rely on it,
    // so it stays when this stack is destroyed (retainOnDelete). It names a role whose policy must
    // be in place first, or API Gateway refuses the early log deliveries.
    const region = aws.getRegionOutput({}, { parent }).region;
    const account = aws.getCallerIdentityOutput({}, { parent }).accountId;
    const role = new aws.iam.Role(
      `${name}-apigw-logs-role`,
      { description: "Lets API Gateway write access logs in this region", assumeRolePolicy: JSON.stringify(serviceTrustPolicy("apigateway.amazonaws.com")) },
      { parent },
    );
    const policy = new aws.iam.RolePolicy(
      `${name}-apigw-logs-policy`,
      {
        role: role.id,
        policy: pulumi.all([region, account]).apply(([r, a]) => JSON.stringify(document(...apiGatewayLoggingStatements(r, a)))),
      },
      { parent },
    );
    stageDependsOn.push(new aws.apigateway.Account(`${name}-apigw-account`, { cloudwatchRoleArn: role.arn }, { parent, dependsOn: [policy], retainOnDelete: true }));
  }

  const stage = new aws.apigateway.Stage(
    `${name}-stage`,
    {
      restApi: restApi.id,
      deployment: deployment.id,
      stageName: args.stageName,
      ...(accessLogs ? { accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT } } : {}),
    },
    { parent, dependsOn: stageDependsOn },
  );
  new aws.apigateway.MethodSettings(
    `${name}-method-settings`,
    {
      restApi: restApi.id,
      stageName: stage.stageName,
      methodPath: "*/*",
      settings: { metricsEnabled: true, throttlingRateLimit: args.throttle.rateLimit, throttlingBurstLimit: args.throttle.burstLimit },
    },
    { parent },
  );
  return { restApi, deployment, stage, accessLogs };
}
