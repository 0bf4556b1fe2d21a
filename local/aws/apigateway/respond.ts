/**
 * The last step of every request: the answer goes out with API Gateway's request-id headers,
 * the request is metered (API calls only) and logged; a rejection goes out as the API's gateway
 * response for its type.
 */
import type { ServerResponse } from "node:http";
import type { CompiledApi } from "./document";
import { requestContextOf, type Answer, type Exchange } from "./exchange";
import { renderGatewayResponse, type GatewayError } from "./gatewayResponses";
import type { GatewaySettings } from "./options";
import { decodePathParameters } from "./proxy";
import { countGatewayRequest } from "../../usage/apigateway";

export function send(settings: GatewaySettings, res: ServerResponse, x: Exchange, answer: Answer, errorType?: string): void {
  const { status, headers, body } = answer;
  const out: Array<[string, string]> = [...headers, ["x-amzn-RequestId", x.requestId], ["x-amz-apigw-id", x.extendedRequestId]];
  out.push(["Content-Length", String(body.length)]);
  if (!res.headersSent) {
    res.statusCode = status;
    for (const [name, value] of out) {
      const prior = res.getHeader(name);
      res.setHeader(name, prior === undefined ? value : ([] as string[]).concat(prior as string | string[], value));
    }
  }
  res.end(x.method === "HEAD" ? undefined : body);
  if (settings.meter && x.stage && !x.local) {
    const route = x.route;
    countGatewayRequest(settings.meter, {
      method: x.method,
      resourcePath: route?.resource.path ?? x.path,
      pathParameters: route?.pathParameters ?? {},
      status,
      body,
      rejectedAs: errorType,
    });
  }
  const took = Date.now() - x.t0;
  settings.log(`${x.sourceIp} "${x.method} ${x.url}" ${status} ${body.length} ${took}ms ${x.requestId}${errorType ? ` ${errorType}` : ""}${x.note ? ` ${x.note}` : ""}`);
}

/** Answers with the gateway response of `api` (AWS's default one when there is no API) for the error. */
export function sendGatewayResponse(settings: GatewaySettings, res: ServerResponse, x: Exchange, error: GatewayError, api: CompiledApi | undefined): void {
  const params = x.route ? decodePathParameters(x.route.pathParameters) : {};
  const rendered = renderGatewayResponse(api?.gatewayResponses, error, {
    headers: x.headers,
    query: x.query,
    pathParameters: params,
    context: requestContextOf(x, settings) as unknown as Record<string, unknown>,
  });
  send(settings, res, x, { status: rendered.status, headers: Object.entries(rendered.headers), body: Buffer.from(rendered.body, "utf8") }, error.type);
}
