/**
 * The Lambda proxy integration (`aws_proxy`) as the gateway runs it: the function must have
 * granted API Gateway `lambda:InvokeFunction` for the request's execute-api ARN; the version 1.0
 * event (proxy.ts) is sent RequestResponse within the integration timeout, and the function's
 * answer becomes the response — or INTEGRATION_FAILURE, INTEGRATION_TIMEOUT, REQUEST_TOO_LARGE,
 * or a 502 for a malformed proxy response, as API Gateway answers them.
 */
import { randomBytes } from "node:crypto";
import type { ApiGateway, Stage } from "./controlPlane";
import type { MethodSpec } from "./document";
import { forwardedFor, headerCi, Rejection, requestContextOf, type Answer, type Exchange } from "./exchange";
import { integrationLimit, type GatewaySettings } from "./options";
import { executeApiArns } from "./permissions";
import { buildProxyEvent, parseProxyResponse } from "./proxy";
import type { InvokeResult } from "../types";

export async function invokeLambdaProxy(settings: GatewaySettings, gateway: ApiGateway, x: Exchange, method: MethodSpec, body: Buffer, stage: Stage): Promise<Answer> {
  const integration = method.integration!;
  const uri = /^arn:aws[\w-]*:apigateway:[^:]+:lambda:path\/\d{4}-\d{2}-\d{2}\/functions\/(.+)\/invocations$/.exec(integration.uri ?? "");
  if (!uri) throw new Rejection({ type: "API_CONFIGURATION_ERROR" }, `aws_proxy integration URI is not a Lambda invocation URI: ${integration.uri}`);
  const functionArn = uri[1];
  checkPermission(settings, gateway, x, stage, functionArn);
  const event = proxyEvent(settings, x, body, stage);
  const outcome = await invokeWithin(settings, functionArn, JSON.stringify(event), integrationLimit(settings, integration));
  let response;
  try {
    response = parseProxyResponse(outcome.payload, { accept: headerCi(x.headers, "accept"), binaryMediaTypes: stage.api.binaryMediaTypes });
  } catch (e) {
    throw new Rejection({ type: "DEFAULT_5XX", status: 502 }, `Execution failed due to configuration error: Malformed Lambda proxy response (${(e as Error).message})`);
  }
  return response;
}

function checkPermission(settings: GatewaySettings, gateway: ApiGateway, x: Exchange, stage: Stage, functionArn: string): void {
  const sourceArns = executeApiArns({
    region: settings.region,
    accountId: settings.accountId,
    apiId: stage.apiId,
    stage: stage.name,
    httpMethod: x.method,
    resourcePath: x.route!.resource.path,
    path: x.path,
  });
  if (!gateway.mayInvoke(functionArn, sourceArns)) {
    throw new Rejection(
      { type: "API_CONFIGURATION_ERROR" },
      `Execution failed due to configuration error: Invalid permissions on Lambda function (no lambda:InvokeFunction permission for apigateway.amazonaws.com matches ${sourceArns[0]})`,
    );
  }
}

/** The version 1.0 proxy event, with the headers API Gateway adds (trace id, forwarding). */
function proxyEvent(settings: GatewaySettings, x: Exchange, body: Buffer, stage: Stage) {
  const eventHeaders: Array<[string, string]> = x.pairs.filter(([k]) => !/^x-forwarded-(for|port|proto)$/i.test(k) && k.toLowerCase() !== "x-amzn-trace-id");
  eventHeaders.push(
    ["X-Amzn-Trace-Id", `Root=1-${Math.floor(x.started / 1000).toString(16)}-${randomBytes(12).toString("hex")}`],
    ["X-Forwarded-For", forwardedFor(x)],
    ["X-Forwarded-Port", String(settings.port)],
    ["X-Forwarded-Proto", "http"],
  );
  const route = x.route!;
  return buildProxyEvent({
    resourcePath: route.resource.path,
    path: x.path,
    httpMethod: x.method,
    headers: eventHeaders,
    rawQuery: x.rawQuery,
    pathParameters: route.pathParameters,
    body,
    binaryMediaTypes: stage.api.binaryMediaTypes,
    requestContext: requestContextOf(x, settings),
  });
}

/** Invokes the function RequestResponse; what does not answer 200 without a function error within `limit` ms is a rejection. */
async function invokeWithin(settings: GatewaySettings, functionArn: string, payload: string, limit: number): Promise<InvokeResult> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), limit);
  });
  const invocation = settings.lambda.invoke(functionArn, payload, "RequestResponse");
  let outcome: Awaited<typeof invocation> | "timeout";
  try {
    outcome = await Promise.race([invocation, timedOut]);
  } catch (e) {
    // Over Lambda's 6 MB invoke payload limit: AWS answers the client 413, not a gateway error.
    if ((e as { statusCode?: number }).statusCode === 413 || (e as Error).name === "RequestTooLargeException") {
      throw new Rejection({ type: "REQUEST_TOO_LARGE" }, `Lambda refused the request payload: ${(e as Error).message}`);
    }
    throw new Rejection({ type: "INTEGRATION_FAILURE" }, `Lambda invoke failed: ${(e as Error).message ?? String(e)}`);
  } finally {
    clearTimeout(timer);
  }
  if (outcome === "timeout") {
    invocation.catch(() => {});
    throw new Rejection({ type: "INTEGRATION_TIMEOUT" }, `Execution failed due to a timeout error (${limit} ms)`);
  }
  if (outcome.statusCode !== 200) {
    throw new Rejection({ type: "INTEGRATION_FAILURE" }, `Lambda invoke answered ${outcome.statusCode}: ${outcome.payload.slice(0, 200)}`);
  }
  if (outcome.functionError) {
    let detail = outcome.payload;
    try {
      const p = JSON.parse(outcome.payload);
      detail = `${p.errorType ?? "Error"}: ${p.errorMessage ?? ""}`;
    } catch {
      /* keep the raw payload */
    }
    throw new Rejection({ type: "INTEGRATION_FAILURE" }, `Lambda function error (${detail.slice(0, 200)})`);
  }
  return outcome;
}
