/**
 * A method's authentication, in API Gateway's order: IAM (SigV4 of the whole request, the access
 * key id becoming the caller's identity), then the API key (`x-api-key`, enabled, and in a usage
 * plan of the stage). Fails with the gateway response API Gateway gives (MISSING_AUTHENTICATION_TOKEN,
 * INVALID_SIGNATURE, INVALID_API_KEY, AUTHORIZER_CONFIGURATION_ERROR).
 */
import type { ApiGateway, Stage } from "./controlPlane";
import type { MethodSpec } from "./document";
import { headerCi, Rejection, type Exchange } from "./exchange";
import type { GatewaySettings } from "./options";
import { verifySigV4 } from "./sigv4";

export async function authenticate(settings: GatewaySettings, gateway: ApiGateway, x: Exchange, method: MethodSpec, body: Buffer, stage: Stage): Promise<void> {
  if (method.unsupportedAuth.length > 0) {
    throw new Rejection({ type: "AUTHORIZER_CONFIGURATION_ERROR" }, `security scheme(s) ${method.unsupportedAuth.join(", ")} are not supported by the local gateway`);
  }
  if (method.iam) await authenticateIam(settings, x, body);
  if (method.apiKeyRequired) checkApiKey(gateway, x, stage);
}

async function authenticateIam(settings: GatewaySettings, x: Exchange, body: Buffer): Promise<void> {
  const result = await verifySigV4(
    { method: x.method, rawPath: x.rawPath, rawQuery: x.rawQuery, headers: x.pairs, body },
    { region: settings.region, service: "execute-api", now: settings.now() },
  );
  if (!result.ok) {
    if (result.reason === "missing") throw new Rejection({ type: "MISSING_AUTHENTICATION_TOKEN" });
    throw new Rejection({ type: "INVALID_SIGNATURE", message: result.message, errorType: result.errorType }, result.reason);
  }
  Object.assign(x.identity, {
    accountId: settings.accountId,
    accessKey: result.accessKeyId,
    caller: result.accessKeyId,
    user: result.accessKeyId,
    userArn: `arn:aws:iam::${settings.accountId}:user/${result.accessKeyId}`,
  });
}

function checkApiKey(gateway: ApiGateway, x: Exchange, stage: Stage): void {
  if (stage.api.apiKeySource !== "HEADER") {
    throw new Rejection({ type: "INVALID_API_KEY" }, "api key source AUTHORIZER is not supported by the local gateway");
  }
  const value = headerCi(x.headers, "x-api-key");
  const key = value === undefined ? undefined : gateway.apiKeyWithValue(value);
  const planned = key !== undefined && gateway.isKeyPlannedFor(key.id, stage);
  if (!key || !key.enabled || !planned) {
    throw new Rejection({ type: "INVALID_API_KEY" }, value === undefined ? "no x-api-key" : !key ? "unknown key" : !key.enabled ? "key disabled" : "key not in a usage plan of this stage");
  }
  x.identity.apiKey = key.value;
  x.identity.apiKeyId = key.id;
}
