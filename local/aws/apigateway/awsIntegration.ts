/**
 * The `aws` (non-proxy AWS service) integration of a REST API, for services that speak the AWS
 * JSON protocol (`X-Amz-Target: <prefix>.<Action>`): the request template's output is POSTed,
 * SigV4-signed, to the local endpoint of the service named in the integration URI
 * (`arn:aws:apigateway:<region>:<service>:action/<Action>`), and the service's status code
 * selects the integration response.
 *
 * Like API Gateway, the gateway does not look at what the template rendered: a body that is not
 * JSON reaches the service, which answers 400 (`SerializationException`), and that answer goes
 * through the integration responses like any other.
 */
import { request as httpRequest } from "node:http";
import { SignatureV4 } from "@smithy/signature-v4";
import { LOCAL_CREDENTIALS } from "../types";
import type { IntegrationSpec } from "./document";
import type { GatewayResponseType } from "./gatewayResponses";
import { chooseRequestTemplate, renderIntegrationRequest, type MethodRequest } from "./integrationRequest";
import { buildMethodResponse, type BackendResponse } from "./integrationResponse";
import { applyHeaderMappings, setHeader } from "./parameterMapping";
import { NodeSha256 } from "./sigv4";

/**
 * Local endpoints of the AWS services `aws` integrations may call, keyed by the service name in
 * the integration URI (`dynamodb`, later e.g. `states`, `events`, `sqs`). Read at each call.
 */
export type AwsEndpoints = Partial<Record<string, string>>;

/** How to call one JSON-protocol service. Adding a service = one entry here plus its endpoint. */
interface JsonProtocol {
  /** `X-Amz-Target: <targetPrefix>.<Action>` */
  targetPrefix: string;
  contentType: string;
  /** SigV4 service name. */
  signingName: string;
}

export const AWS_JSON_SERVICES: Readonly<Record<string, JsonProtocol>> = {
  dynamodb: { targetPrefix: "DynamoDB_20120810", contentType: "application/x-amz-json-1.0", signingName: "dynamodb" },
};

export interface AwsIntegrationUri {
  region: string;
  service: string;
  /** `action/<Action>` URIs; `path/...` ones have `path` instead. */
  action?: string;
  path?: string;
}

/** `arn:aws:apigateway:us-east-1:dynamodb:action/PutItem` → its parts; `undefined` for anything else. */
export function parseAwsIntegrationUri(uri: string | undefined): AwsIntegrationUri | undefined {
  const m = /^arn:aws[\w-]*:apigateway:([a-z0-9-]+):([A-Za-z0-9.-]+):(action|path)\/(.+)$/.exec(uri ?? "");
  if (!m) return undefined;
  const [, region, service, kind, rest] = m;
  return kind === "action" ? { region, service: service.toLowerCase(), action: rest } : { region, service: service.toLowerCase(), path: rest };
}

/** An IAM role (or `arn:aws:iam::*:user/*`, the caller's own credentials), as API Gateway accepts in `credentials`. */
const CREDENTIALS_ARN = /^arn:aws[\w-]*:iam::(\d{12}|\*):(role|user)\/.+$/;

export interface AwsIntegrationEnv {
  endpoints: AwsEndpoints;
  /** The API's id (API Gateway's User-Agent to the service names it). */
  apiId: string;
  /** Integration timeout in ms. */
  timeoutMs: number;
}

export type AwsIntegrationResult =
  | { ok: true; status: number; headers: Record<string, string>; body: string; note: string }
  | { ok: false; type: GatewayResponseType; reason: string };

const fail = (type: GatewayResponseType, reason: string): AwsIntegrationResult => ({ ok: false, type, reason });

class Timeout extends Error {}

/** POSTs `body` to `endpoint`, signed as the local cloud's credentials; rejects with `Timeout` after `timeoutMs`. */
async function post(endpoint: string, region: string, signingName: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<BackendResponse> {
  const url = new URL(endpoint);
  const signer = new SignatureV4({ service: signingName, region, credentials: LOCAL_CREDENTIALS, sha256: NodeSha256, applyChecksum: false });
  const signed = await signer.sign({
    method: "POST",
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname || "/",
    query: {},
    headers: { ...headers, host: url.host },
    body,
  });
  const payload = Buffer.from(body, "utf8");
  return new Promise<BackendResponse>((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: "POST", headers: { ...(signed.headers as Record<string, string>), "Content-Length": String(payload.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          clearTimeout(timer);
          const out: Record<string, string> = {};
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) out[res.rawHeaders[i]] = res.rawHeaders[i + 1];
          resolve({ status: res.statusCode ?? 502, headers: out, body: Buffer.concat(chunks).toString("utf8") });
        });
        res.on("error", (e) => {
          clearTimeout(timer);
          reject(e);
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Timeout(`no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    req.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(payload);
  });
}

/**
 * Runs an `aws` integration for one method request: template, call, integration response.
 * Failures come back as the gateway response type API Gateway would answer with.
 */
export async function runAwsIntegration(integration: IntegrationSpec, req: MethodRequest, env: AwsIntegrationEnv): Promise<AwsIntegrationResult> {
  const uri = parseAwsIntegrationUri(integration.uri);
  if (!uri) return fail("API_CONFIGURATION_ERROR", `aws integration URI is not an AWS service URI: ${integration.uri}`);
  if (typeof integration.credentials !== "string" || !CREDENTIALS_ARN.test(integration.credentials)) {
    return fail("API_CONFIGURATION_ERROR", `Execution failed due to configuration error: the aws integration has no credentials (an IAM role ARN) to call ${uri.service} with`);
  }
  const protocol = AWS_JSON_SERVICES[uri.service];
  if (!protocol || uri.action === undefined) {
    return fail("API_CONFIGURATION_ERROR", `aws integration ${integration.uri} is not supported by the local gateway (only action/<Action> URIs of ${Object.keys(AWS_JSON_SERVICES).join(", ")})`);
  }
  const endpoint = env.endpoints[uri.service];
  if (!endpoint) return fail("API_CONFIGURATION_ERROR", `the local gateway has no endpoint for ${uri.service} (option awsEndpoints)`);

  const choice = chooseRequestTemplate(integration, req.headers);
  if (choice.kind === "unsupported") return fail("UNSUPPORTED_MEDIA_TYPE", `no request template for ${choice.contentType} (passthroughBehavior ${integration.passthroughBehavior})`);
  let rendered: ReturnType<typeof renderIntegrationRequest>;
  try {
    rendered = renderIntegrationRequest(choice, req);
  } catch (e) {
    return fail("API_CONFIGURATION_ERROR", `Execution failed due to configuration error: Unable to transform request (${(e as Error).message})`);
  }

  // Non-proxy integrations forward no method request header unless a parameter maps it.
  const headers: Record<string, string> = {};
  applyHeaderMappings(integration.requestParameters, "integration.request.header.", {
    method: { headers: req.headers, query: req.query, path: req.pathParams, body: req.body },
    context: req.context as Record<string, unknown>,
    stageVariables: req.stageVariables,
  }, headers);
  for (const [name, value] of Object.entries(rendered.requestOverride.header)) setHeader(headers, name, value);
  // What the protocol needs wins over any mapping.
  for (const name of ["authorization", "host", "content-length", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"]) {
    for (const k of Object.keys(headers)) if (k.toLowerCase() === name) delete headers[k];
  }
  setHeader(headers, "Content-Type", protocol.contentType);
  setHeader(headers, "X-Amz-Target", `${protocol.targetPrefix}.${uri.action}`);
  const has = (name: string) => Object.keys(headers).some((k) => k.toLowerCase() === name.toLowerCase());
  if (!has("User-Agent")) headers["User-Agent"] = `AmazonAPIGateway_${env.apiId}`;
  if (!has("X-Amzn-Apigateway-Api-Id")) headers["X-Amzn-Apigateway-Api-Id"] = env.apiId;

  let backend: BackendResponse;
  try {
    backend = await post(endpoint, uri.region, protocol.signingName, headers, rendered.body, env.timeoutMs);
  } catch (e) {
    if (e instanceof Timeout) return fail("INTEGRATION_TIMEOUT", `Execution failed due to a timeout error (${env.timeoutMs} ms, ${uri.service}:${uri.action})`);
    return fail("INTEGRATION_FAILURE", `Execution failed due to an error calling ${uri.service} at ${endpoint}: ${(e as Error).message}`);
  }
  const note = `${uri.service}:${uri.action} answered ${backend.status}`;
  const response = buildMethodResponse(integration.responses, backend, req);
  if (!response.ok) return fail("API_CONFIGURATION_ERROR", `Execution failed due to configuration error: ${response.reason} (${note})`);
  return { ...response, note };
}
