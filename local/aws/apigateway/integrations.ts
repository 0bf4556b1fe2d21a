/**
 * The integration step of a request: by the method's integration type, the Lambda proxy
 * (`aws_proxy`, lambdaProxyIntegration.ts), `mock` or AWS service (`aws`) integration makes the
 * answer; any other type, or none, is the API's configuration error.
 */
import type { ApiGateway, Stage } from "./controlPlane";
import { runAwsIntegration } from "./awsIntegration";
import type { MethodSpec } from "./document";
import { forwardedFor, Rejection, requestContextOf, type Answer, type Exchange } from "./exchange";
import type { MethodRequest } from "./integrationRequest";
import { invokeLambdaProxy } from "./lambdaProxyIntegration";
import { runMockIntegration } from "./mock";
import { integrationLimit, type GatewaySettings } from "./options";
import { decodePathParameters } from "./proxy";

export async function integrate(settings: GatewaySettings, gateway: ApiGateway, x: Exchange, method: MethodSpec, body: Buffer, stage: Stage): Promise<Answer> {
  const integration = method.integration;
  const type = String(integration?.type ?? "").toLowerCase();
  if (type === "aws_proxy") return invokeLambdaProxy(settings, gateway, x, method, body, stage);
  if (type === "mock") return invokeMock(settings, x, method, body);
  if (type === "aws") return invokeAws(settings, x, method, body, stage);
  const route = x.route!;
  throw new Rejection(
    { type: "API_CONFIGURATION_ERROR" },
    integration ? `integration type ${integration.type} of ${x.method} ${route.resource.path} is not supported by the local gateway` : `${x.method} ${route.resource.path} has no integration`,
  );
}

function invokeMock(settings: GatewaySettings, x: Exchange, method: MethodSpec, body: Buffer): Answer {
  const result = runMockIntegration(method.integration!, methodRequest(settings, x, body));
  if (!result.ok) {
    if (result.unsupportedMediaType) throw new Rejection({ type: "UNSUPPORTED_MEDIA_TYPE" }, result.reason);
    throw new Rejection({ type: "API_CONFIGURATION_ERROR" }, `mock integration: ${result.reason}`);
  }
  return { status: result.status, headers: Object.entries(result.headers), body: Buffer.from(result.body, "utf8") };
}

async function invokeAws(settings: GatewaySettings, x: Exchange, method: MethodSpec, body: Buffer, stage: Stage): Promise<Answer> {
  const integration = method.integration!;
  const result = await runAwsIntegration(integration, methodRequest(settings, x, body), {
    endpoints: settings.awsEndpoints?.() ?? {},
    apiId: stage.apiId,
    timeoutMs: integrationLimit(settings, integration),
  });
  if (!result.ok) throw new Rejection({ type: result.type }, result.reason);
  x.note = `(${result.note})`;
  return { status: result.status, headers: Object.entries(result.headers), body: Buffer.from(result.body, "utf8") };
}

/** The method request as mapping templates and parameter mappings see it. */
function methodRequest(settings: GatewaySettings, x: Exchange, body: Buffer): MethodRequest {
  // API Gateway adds these to every method request (proxy events and $input.params() alike).
  const forwarded: Record<string, string> = {};
  for (const [name, value] of Object.entries(x.headers)) if (!/^x-forwarded-(for|port|proto)$/i.test(name)) forwarded[name] = value;
  forwarded["X-Forwarded-For"] = forwardedFor(x);
  forwarded["X-Forwarded-Port"] = String(settings.port);
  forwarded["X-Forwarded-Proto"] = "http";
  return {
    headers: forwarded,
    query: x.query,
    pathParams: decodePathParameters(x.route!.pathParameters),
    body: body.toString("utf8"),
    context: requestContextOf(x, settings) as unknown as MethodRequest["context"],
  };
}
