/**
 * The local API Gateway (REST, v1): serves the program's OpenAPI document at
 * `http://<publicHost>:<port>/<stage>/...` as API Gateway would — routes, IAM (SigV4) and API-key
 * auth, request validation, Lambda proxy, mock and AWS service (`aws`) integrations, gateway
 * responses — and invokes the functions on the local Lambda service.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import type { ApiGatewayService, LambdaService, LocalApiKey } from "../types";
import { runAwsIntegration, type AwsEndpoints } from "./awsIntegration";
import { compileApi, matchRoute, type CompiledApi, type MethodSpec, type RouteMatch } from "./document";
import { renderGatewayResponse, type GatewayError } from "./gatewayResponses";
import type { MethodRequest } from "./integrationRequest";
import { runMockIntegration } from "./mock";
import { executeApiArns, LambdaPermissions } from "./permissions";
import { extendedRequestId, requestIdFor } from "./requestIds";
import { buildProxyEvent, clfTime, decodePathParameters, emptyIdentity, headerMaps, parseProxyResponse, queryMaps, type ProxyIdentity, type ProxyRequestContext } from "./proxy";
import { verifySigV4 } from "./sigv4";
import { bodyValidationError } from "./bodyValidation";
import { missingParameters } from "./validation";
import { close, listen } from "../protocols/listen";
import type { UsageMeter } from "../../usage/meter";
import { countGatewayRequest } from "../../usage/apigateway";

export type { AwsEndpoints } from "./awsIntegration";

/** API Gateway's payload limit. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** API Gateway's default (and, for REST APIs, usual maximum) integration timeout. */
export const INTEGRATION_TIMEOUT_MS = 29_000;
// Beyond this the gateway stops reading and closes the connection.
const HARD_BODY_LIMIT = 5 * MAX_REQUEST_BYTES;

export interface ApiGatewayServiceOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Where the server listens; default 127.0.0.1. */
  host?: string;
  /** Host name in invoke URLs; default `localhost`. */
  publicHost?: string;
  lambda: Pick<LambdaService, "invoke">;
  accountId: string;
  region: string;
  /** One access-log line per request. */
  log?: (line: string) => void;
  /** The integration timeout (default 29 s, as API Gateway's). */
  integrationTimeoutMs?: number;
  /** The gateway's clock, in epoch ms (SigV4 date checks). */
  now?: () => number;
  /**
   * Local endpoints of the AWS services that `aws` integrations call, keyed by the service name
   * in the integration URI (`arn:aws:apigateway:<region>:dynamodb:action/PutItem` → `dynamodb`).
   * Read at each call, so services may start after the gateway. Absent: `aws` integrations
   * answer 500 (API_CONFIGURATION_ERROR).
   */
  awsEndpoints?: () => AwsEndpoints;
  /**
   * Local only: the browser console's files, served at `GET /<stage>/console/` of every stage
   * (no auth). Default: the repository's `console/`; `null` turns the route off.
   */
  consoleDir?: string | null;
  /** The cost meter: counts `apigateway.requests` as API Gateway bills them (usage.ts). */
  meter?: UsageMeter;
  /**
   * Local only: when set, `GET /__local/usage` (at the server's root, outside any stage, no auth)
   * answers 200 with this value as JSON. Not counted by the meter.
   */
  usage?: () => unknown;
}

/** Where the gateway serves `options.usage`. */
export const USAGE_PATH = "/__local/usage";

export interface LocalApiGatewayService extends ApiGatewayService {
  port: number;
}

interface Stage {
  apiId: string;
  name: string;
  /**
   * Where the stage is served: `<stage>`, or `<apiId>/<stage>` when another REST API of the
   * program already has a stage of that name (on AWS each API has its own host; here one port
   * serves them all, so the second is mounted below its id, as a custom domain's base path would be).
   */
  key: string;
  deploymentId: string;
  api: CompiledApi;
}

interface Exchange {
  requestId: string;
  extendedRequestId: string;
  started: number;
  /** Wall clock at arrival (for the access log's duration, whatever `options.now` says). */
  t0: number;
  method: string;
  url: string;
  rawPath: string;
  rawQuery: string;
  pairs: Array<[string, string]>;
  headers: Record<string, string>;
  query: Record<string, string>;
  sourceIp: string;
  protocol: string;
  stage?: Stage;
  route?: RouteMatch;
  /** Path below the stage, as sent. */
  path: string;
  identity: ProxyIdentity;
  /** Appended to the access-log line. */
  note?: string;
  /** A local-only route (console files, the usage report): not an API call, not metered. */
  local?: boolean;
}

/** A request that ends in a gateway response. */
class Rejection extends Error {
  constructor(
    readonly error: GatewayError,
    readonly note?: string,
  ) {
    super(error.message ?? error.type);
  }
}

function pairHeaders(raw: string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i], raw[i + 1]]);
  return pairs;
}

function headerCi(headers: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  const key = Object.keys(headers).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : headers[key];
}

function readBody(req: IncomingMessage): Promise<{ body: Buffer; tooLarge: boolean; aborted: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const finish = (aborted: boolean) => {
      if (done) return;
      done = true;
      resolve({ body: total > MAX_REQUEST_BYTES ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge: total > MAX_REQUEST_BYTES, aborted });
    };
    req.on("data", (chunk: Buffer) => {
      total += chunk.length;
      if (total <= MAX_REQUEST_BYTES) chunks.push(chunk);
      else chunks.length = 0;
      if (total > HARD_BODY_LIMIT) {
        req.pause();
        finish(true);
      }
    });
    req.on("end", () => finish(false));
    req.on("error", () => finish(true));
    req.on("close", () => finish(true));
  });
}

/** Local only: the browser console's static files (`console/` at the repository's root). */
export const CONSOLE_DIR = path.resolve(__dirname, "..", "..", "..", "console");
const CONSOLE_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};
const CONSOLE_CSP = "default-src 'self'; connect-src 'self' http: https:; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * `GET /<stage>/console[/<file>]`, local only: a regular file directly in `dir` (name of letters,
 * digits, `._-`, not starting with a dot; known extensions only), `index.html` for the folder
 * itself, a redirect from `/console` to `/console/`. Anything else under `/console` is a 404, so
 * no `..`, encoded or not, leaves the folder. `undefined` when the path is not under `/console`.
 */
export async function consoleAsset(dir: string, belowStage: string, rawQuery: string): Promise<{ status: number; headers: Array<[string, string]>; body: Buffer } | undefined> {
  let decoded: string | undefined;
  try {
    decoded = decodeURIComponent(belowStage);
  } catch {
    /* malformed escape */
  }
  const target = decoded ?? belowStage;
  if (target !== "/console" && !target.startsWith("/console/")) return undefined;
  const notFound = {
    status: 404,
    headers: [["Content-Type", "application/json; charset=utf-8"]] as Array<[string, string]>,
    body: Buffer.from(JSON.stringify({ error: { code: "NotFound", message: "No such console file." } })),
  };
  if (decoded === undefined) return notFound;
  if (target === "/console") return { status: 302, headers: [["Location", `console/${rawQuery ? `?${rawQuery}` : ""}`]], body: Buffer.alloc(0) };
  const name = target.slice("/console/".length) || "index.html";
  const type = CONSOLE_TYPES[path.extname(name).toLowerCase()];
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name) || !type) return notFound;
  const file = path.join(dir, name);
  if (path.dirname(file) !== dir) return notFound;
  try {
    if (!(await fsp.lstat(file)).isFile()) return notFound;
    const body = await fsp.readFile(file);
    const headers: Array<[string, string]> = [
      ["Content-Type", type],
      ["Cache-Control", "no-cache"],
      ["X-Content-Type-Options", "nosniff"],
      ["Referrer-Policy", "no-referrer"],
    ];
    if (type.startsWith("text/html")) headers.push(["Content-Security-Policy", CONSOLE_CSP]);
    return { status: 200, headers, body };
  } catch {
    return notFound;
  }
}

function hostOf(domainName: string): string {
  return domainName.replace(/^\[([^\]]*)\].*$/, "$1").replace(/:\d+$/, "");
}

/** Starts the local API Gateway. */
export async function startApiGatewayService(options: ApiGatewayServiceOptions): Promise<LocalApiGatewayService> {
  const host = options.host ?? "127.0.0.1";
  const publicHost = options.publicHost ?? "localhost";
  const log = options.log ?? (() => {});
  const now = options.now ?? Date.now;
  const timeoutMs = options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;
  const consoleDir = options.consoleDir === undefined ? CONSOLE_DIR : options.consoleDir === null ? null : path.resolve(options.consoleDir);

  const apis = new Map<string, CompiledApi>();
  const deployments = new Map<string, CompiledApi>();
  const stages = new Map<string, Stage>();
  const apiKeys = new Map<string, LocalApiKey>();
  const usagePlans = new Map<string, { stages: Array<{ apiId: string; stage: string }>; keyIds: Set<string> }>();
  const permissions = new LambdaPermissions();
  let port = 0;

  /** The gateway responses of an unknown stage: those of the only API served, if there is just one. */
  function fallbackApi(): CompiledApi | undefined {
    const served = [...stages.values()];
    return new Set(served.map((s) => s.apiId)).size === 1 ? served[served.length - 1].api : undefined;
  }

  function contextOf(x: Exchange): ProxyRequestContext {
    const domainName = headerCi(x.headers, "host") ?? `${publicHost}:${port}`;
    const stageName = x.stage?.name ?? "";
    return {
      accountId: options.accountId,
      apiId: x.stage?.apiId ?? "",
      domainName,
      domainPrefix: hostOf(domainName).split(".")[0],
      extendedRequestId: x.extendedRequestId,
      httpMethod: x.method,
      identity: x.identity,
      path: x.stage ? `/${x.stage.key}${x.path === "/" ? "/" : x.path}` : x.rawPath,
      protocol: x.protocol,
      requestId: x.requestId,
      requestTime: clfTime(x.started),
      requestTimeEpoch: x.started,
      resourceId: x.route?.resource.id ?? "",
      resourcePath: x.route?.resource.path ?? "",
      stage: stageName,
    };
  }

  function send(res: ServerResponse, x: Exchange, status: number, headers: Array<[string, string]>, body: Buffer, errorType?: string) {
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
    if (options.meter && x.stage && !x.local) {
      const route = x.route;
      countGatewayRequest(options.meter, {
        method: x.method,
        resourcePath: route?.resource.path ?? x.path,
        pathParameters: route?.pathParameters ?? {},
        status,
        body,
        rejectedAs: errorType,
      });
    }
    const took = Date.now() - x.t0;
    log(`${x.sourceIp} "${x.method} ${x.url}" ${status} ${body.length} ${took}ms ${x.requestId}${errorType ? ` ${errorType}` : ""}${x.note ? ` ${x.note}` : ""}`);
  }

  function sendGatewayResponse(res: ServerResponse, x: Exchange, error: GatewayError, api: CompiledApi | undefined) {
    const params = x.route ? decodePathParameters(x.route.pathParameters) : {};
    const rendered = renderGatewayResponse(api?.gatewayResponses, error, {
      headers: x.headers,
      query: x.query,
      pathParameters: params,
      context: contextOf(x) as unknown as Record<string, unknown>,
    });
    send(res, x, rendered.status, Object.entries(rendered.headers), Buffer.from(rendered.body, "utf8"), error.type);
  }

  async function authenticate(x: Exchange, method: MethodSpec, body: Buffer, stage: Stage): Promise<void> {
    if (method.unsupportedAuth.length > 0) {
      throw new Rejection({ type: "AUTHORIZER_CONFIGURATION_ERROR" }, `security scheme(s) ${method.unsupportedAuth.join(", ")} are not supported by the local gateway`);
    }
    if (method.iam) {
      const result = await verifySigV4(
        { method: x.method, rawPath: x.rawPath, rawQuery: x.rawQuery, headers: x.pairs, body },
        { region: options.region, service: "execute-api", now: now() },
      );
      if (!result.ok) {
        if (result.reason === "missing") throw new Rejection({ type: "MISSING_AUTHENTICATION_TOKEN" });
        throw new Rejection({ type: "INVALID_SIGNATURE", message: result.message, errorType: result.errorType }, result.reason);
      }
      Object.assign(x.identity, {
        accountId: options.accountId,
        accessKey: result.accessKeyId,
        caller: result.accessKeyId,
        user: result.accessKeyId,
        userArn: `arn:aws:iam::${options.accountId}:user/${result.accessKeyId}`,
      });
    }
    if (method.apiKeyRequired) {
      if (stage.api.apiKeySource !== "HEADER") {
        throw new Rejection({ type: "INVALID_API_KEY" }, "api key source AUTHORIZER is not supported by the local gateway");
      }
      const value = headerCi(x.headers, "x-api-key");
      const key = value === undefined ? undefined : [...apiKeys.values()].find((k) => k.value === value);
      const planned =
        key !== undefined &&
        [...usagePlans.values()].some((p) => p.keyIds.has(key.id) && p.stages.some((s) => s.apiId === stage.apiId && s.stage === stage.name));
      if (!key || !key.enabled || !planned) {
        throw new Rejection({ type: "INVALID_API_KEY" }, value === undefined ? "no x-api-key" : !key ? "unknown key" : !key.enabled ? "key disabled" : "key not in a usage plan of this stage");
      }
      x.identity.apiKey = key.value;
      x.identity.apiKeyId = key.id;
    }
  }

  function validate(x: Exchange, method: MethodSpec, body: Buffer, api: CompiledApi): void {
    if (method.validateParameters) {
      const missing = missingParameters(method, { headers: x.headers, query: x.query, pathParameters: x.route!.pathParameters });
      if (missing.length > 0) throw new Rejection({ type: "BAD_REQUEST_PARAMETERS", message: `Missing required request parameters: [${missing.join(", ")}]` });
    }
    if (method.validateBody) {
      const problem = bodyValidationError(method, api.schemas, headerCi(x.headers, "content-type"), body.toString("utf8"));
      if (problem !== undefined) throw new Rejection({ type: "BAD_REQUEST_BODY", message: "Invalid request body", validationErrorString: problem });
    }
  }

  async function invokeProxy(res: ServerResponse, x: Exchange, method: MethodSpec, body: Buffer, stage: Stage): Promise<void> {
    const integration = method.integration!;
    const uri = /^arn:aws[\w-]*:apigateway:[^:]+:lambda:path\/\d{4}-\d{2}-\d{2}\/functions\/(.+)\/invocations$/.exec(integration.uri ?? "");
    if (!uri) throw new Rejection({ type: "API_CONFIGURATION_ERROR" }, `aws_proxy integration URI is not a Lambda invocation URI: ${integration.uri}`);
    const functionArn = uri[1];
    const route = x.route!;
    const sourceArns = executeApiArns({
      region: options.region,
      accountId: options.accountId,
      apiId: stage.apiId,
      stage: stage.name,
      httpMethod: x.method,
      resourcePath: route.resource.path,
      path: x.path,
    });
    if (!permissions.allows(functionArn, sourceArns)) {
      throw new Rejection(
        { type: "API_CONFIGURATION_ERROR" },
        `Execution failed due to configuration error: Invalid permissions on Lambda function (no lambda:InvokeFunction permission for apigateway.amazonaws.com matches ${sourceArns[0]})`,
      );
    }

    const { headers } = headerMaps(x.pairs);
    const forwardedFor = headerCi(headers, "x-forwarded-for");
    const eventHeaders: Array<[string, string]> = x.pairs.filter(([k]) => !/^x-forwarded-(for|port|proto)$/i.test(k) && k.toLowerCase() !== "x-amzn-trace-id");
    eventHeaders.push(
      ["X-Amzn-Trace-Id", `Root=1-${Math.floor(x.started / 1000).toString(16)}-${randomBytes(12).toString("hex")}`],
      ["X-Forwarded-For", forwardedFor ? `${forwardedFor}, ${x.sourceIp}` : x.sourceIp],
      ["X-Forwarded-Port", String(port)],
      ["X-Forwarded-Proto", "http"],
    );
    const event = buildProxyEvent({
      resourcePath: route.resource.path,
      path: x.path,
      httpMethod: x.method,
      headers: eventHeaders,
      rawQuery: x.rawQuery,
      pathParameters: route.pathParameters,
      body,
      binaryMediaTypes: stage.api.binaryMediaTypes,
      requestContext: contextOf(x),
    });

    const limit = integrationLimit(integration);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), limit);
    });
    const invocation = options.lambda.invoke(functionArn, JSON.stringify(event), "RequestResponse");
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
    let response;
    try {
      response = parseProxyResponse(outcome.payload, { accept: headerCi(x.headers, "accept"), binaryMediaTypes: stage.api.binaryMediaTypes });
    } catch (e) {
      throw new Rejection({ type: "DEFAULT_5XX", status: 502 }, `Execution failed due to configuration error: Malformed Lambda proxy response (${(e as Error).message})`);
    }
    send(res, x, response.status, response.headers, response.body);
  }

  function invokeMock(res: ServerResponse, x: Exchange, method: MethodSpec, body: Buffer): void {
    const result = runMockIntegration(method.integration!, methodRequest(x, body));
    if (!result.ok) {
      if (result.unsupportedMediaType) throw new Rejection({ type: "UNSUPPORTED_MEDIA_TYPE" }, result.reason);
      throw new Rejection({ type: "API_CONFIGURATION_ERROR" }, `mock integration: ${result.reason}`);
    }
    send(res, x, result.status, Object.entries(result.headers), Buffer.from(result.body, "utf8"));
  }

  /** The method request as mapping templates and parameter mappings see it. */
  function methodRequest(x: Exchange, body: Buffer): MethodRequest {
    // API Gateway adds these to every method request (proxy events and $input.params() alike).
    const forwarded: Record<string, string> = {};
    for (const [name, value] of Object.entries(x.headers)) if (!/^x-forwarded-(for|port|proto)$/i.test(name)) forwarded[name] = value;
    const forwardedFor = Object.entries(x.headers).find(([k]) => k.toLowerCase() === "x-forwarded-for")?.[1];
    forwarded["X-Forwarded-For"] = forwardedFor ? `${forwardedFor}, ${x.sourceIp}` : x.sourceIp;
    forwarded["X-Forwarded-Port"] = String(port);
    forwarded["X-Forwarded-Proto"] = "http";
    return {
      headers: forwarded,
      query: x.query,
      pathParams: decodePathParameters(x.route!.pathParameters),
      body: body.toString("utf8"),
      context: contextOf(x) as unknown as MethodRequest["context"],
    };
  }

  async function invokeAws(res: ServerResponse, x: Exchange, method: MethodSpec, body: Buffer, stage: Stage): Promise<void> {
    const integration = method.integration!;
    const result = await runAwsIntegration(integration, methodRequest(x, body), {
      endpoints: options.awsEndpoints?.() ?? {},
      apiId: stage.apiId,
      timeoutMs: integrationLimit(integration),
    });
    if (!result.ok) throw new Rejection({ type: result.type }, result.reason);
    x.note = `(${result.note})`;
    send(res, x, result.status, Object.entries(result.headers), Buffer.from(result.body, "utf8"));
  }

  /** The integration timeout: the method's own `timeoutInMillis`, capped by the gateway's. */
  function integrationLimit(integration: { timeoutInMillis?: number }): number {
    return Math.min(timeoutMs, integration.timeoutInMillis && integration.timeoutInMillis > 0 ? integration.timeoutInMillis : Infinity);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = now();
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const rawPath = q < 0 ? url : url.slice(0, q);
    const rawQuery = q < 0 ? "" : url.slice(q + 1);
    const pairs = pairHeaders(req.rawHeaders);
    const { headers } = headerMaps(pairs);
    const sourceIp = (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, "");
    const x: Exchange = {
      requestId: requestIdFor(headerCi(headers, "x-amzn-requestid")),
      extendedRequestId: extendedRequestId(),
      started,
      t0: Date.now(),
      method: (req.method ?? "GET").toUpperCase(),
      url,
      rawPath,
      rawQuery,
      pairs,
      headers,
      query: queryMaps(rawQuery).query,
      sourceIp,
      protocol: `HTTP/${req.httpVersion}`,
      path: "/",
      identity: emptyIdentity(sourceIp, headerCi(headers, "user-agent") ?? null),
    };

    const { body, tooLarge, aborted } = await readBody(req);
    if (aborted && !tooLarge) {
      log(`${sourceIp} "${x.method} ${url}" aborted by the client ${x.requestId}`);
      return;
    }
    if (aborted) {
      // Too large to keep reading: answer, then drop the connection.
      res.setHeader("Connection", "close");
      res.once("finish", () => req.destroy());
    }

    if (options.usage && x.method === "GET" && rawPath === USAGE_PATH) {
      x.local = true;
      x.note = "(usage)";
      const report = Buffer.from(JSON.stringify(options.usage() ?? null));
      send(res, x, 200, [["Content-Type", "application/json; charset=utf-8"], ["Cache-Control", "no-store"]], report);
      return;
    }

    // /<stage>/<path below the stage>
    const m = /^\/([^/]*)(\/.*)?$/.exec(rawPath);
    let stageName = m?.[1] ?? "";
    try {
      stageName = decodeURIComponent(stageName);
    } catch {
      /* keep it as sent */
    }
    let stage = stages.get(stageName);
    let below = m?.[2];
    if (!stage) {
      // A stage mounted below its API's id (a second API with the same stage name).
      const mounted = /^\/([^/]+)\/([^/]+)(\/.*)?$/.exec(rawPath);
      const candidate = mounted ? stages.get(`${mounted[1]}/${mounted[2]}`) : undefined;
      if (candidate) {
        stage = candidate;
        below = mounted![3];
      }
    }
    if (!stage) {
      x.note = stageName ? `(no stage ${stageName})` : "(no stage)";
      sendGatewayResponse(res, x, { type: "MISSING_AUTHENTICATION_TOKEN" }, fallbackApi());
      return;
    }
    x.stage = stage;
    x.path = below ?? "/";
    if (consoleDir && (x.method === "GET" || x.method === "HEAD")) {
      const asset = await consoleAsset(consoleDir, x.path, rawQuery);
      if (asset) {
        x.note = "(console)";
        x.local = true;
        send(res, x, asset.status, asset.headers, asset.body);
        return;
      }
    }
    const route = matchRoute(stage.api, x.path, x.method);
    if (!route) {
      x.note = "(no route)";
      sendGatewayResponse(res, x, { type: "MISSING_AUTHENTICATION_TOKEN" }, stage.api);
      return;
    }
    x.route = route;
    try {
      if (tooLarge) throw new Rejection({ type: "REQUEST_TOO_LARGE" }, `body over ${MAX_REQUEST_BYTES} bytes`);
      await authenticate(x, route.method, body, stage);
      validate(x, route.method, body, stage.api);
      const integration = route.method.integration;
      const type = String(integration?.type ?? "").toLowerCase();
      if (type === "aws_proxy") await invokeProxy(res, x, route.method, body, stage);
      else if (type === "mock") invokeMock(res, x, route.method, body);
      else if (type === "aws") await invokeAws(res, x, route.method, body, stage);
      else {
        throw new Rejection(
          { type: "API_CONFIGURATION_ERROR" },
          integration ? `integration type ${integration.type} of ${x.method} ${route.resource.path} is not supported by the local gateway` : `${x.method} ${route.resource.path} has no integration`,
        );
      }
    } catch (e) {
      if (e instanceof Rejection) {
        x.note = e.note;
        sendGatewayResponse(res, x, e.error, stage.api);
      } else {
        x.note = `gateway error: ${(e as Error)?.stack ?? String(e)}`;
        sendGatewayResponse(res, x, { type: "DEFAULT_5XX" }, stage.api);
      }
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      log(`local API Gateway failed on ${req.method} ${req.url}: ${(e as Error)?.stack ?? String(e)}`);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader("Content-Type", "application/json");
        res.end(JSON.stringify({ message: "Internal server error" }));
      } else res.end();
    });
  });
  server.keepAliveTimeout = 5_000;
  port = (await listen(server, options.port ?? 0, host)).port;
  const endpointHost = host.includes(":") ? `[${host}]` : host;

  return {
    endpoint: `http://${endpointHost}:${port}`,
    port,
    async stop() {
      await close(server);
    },
    putRestApi(apiId, body) {
      apis.set(apiId, compileApi(body));
    },
    createDeployment(apiId, deploymentId) {
      const api = apis.get(apiId);
      if (!api) throw new Error(`createDeployment: no REST API ${apiId}`);
      deployments.set(`${apiId}/${deploymentId}`, api);
    },
    createStage(apiId, stageName, deploymentId) {
      const api = deployments.get(`${apiId}/${deploymentId}`);
      if (!api) throw new Error(`createStage: no deployment ${deploymentId} of REST API ${apiId}`);
      if (!/^[A-Za-z0-9_-]+$/.test(stageName)) throw new Error(`createStage: invalid stage name ${JSON.stringify(stageName)}`);
      const prior = stages.get(stageName);
      const key = prior && prior.apiId !== apiId ? `${apiId}/${stageName}` : stageName;
      if (key !== stageName) log(`stage ${stageName} of REST API ${apiId} is served at /${key} (REST API ${prior!.apiId} has /${stageName})`);
      stages.delete(key);
      stages.set(key, { apiId, name: stageName, key, deploymentId, api });
      return `http://${publicHost}:${port}/${key}`;
    },
    createApiKey(key) {
      apiKeys.set(key.id, { ...key });
    },
    createUsagePlan(planId, planStages) {
      const plan = usagePlans.get(planId);
      usagePlans.set(planId, { stages: planStages.map((s) => ({ ...s })), keyIds: plan?.keyIds ?? new Set() });
    },
    addUsagePlanKey(planId, keyId) {
      let plan = usagePlans.get(planId);
      if (!plan) usagePlans.set(planId, (plan = { stages: [], keyIds: new Set() }));
      plan.keyIds.add(keyId);
    },
    addLambdaPermission(functionNameOrArn, sourceArn) {
      permissions.add(functionNameOrArn, sourceArn);
    },
  };
}
