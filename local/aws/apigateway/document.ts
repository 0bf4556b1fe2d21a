/**
 * A deployed REST API document, compiled for serving: resources and their methods, the auth each
 * method needs, request validation, gateway responses and binary media types, as API Gateway
 * imports them from an OpenAPI 3.0 (or Swagger 2.0) body.
 */
import { createHash } from "node:crypto";

/** One integration response (`responses.<selection pattern>`). */
export interface IntegrationResponseSpec {
  statusCode: string;
  responseParameters?: Record<string, string>;
  responseTemplates?: Record<string, string>;
}

/** The integration of one method (`x-amazon-apigateway-integration`). */
export interface IntegrationSpec {
  type: string;
  httpMethod?: string;
  uri?: string;
  /** The role API Gateway assumes to call an AWS service (`aws` integrations). */
  credentials?: string;
  passthroughBehavior?: string;
  /** `integration.request.header.X` → `method.request.header.Y`, `'static'`, `context.x`, … */
  requestParameters?: Record<string, string>;
  requestTemplates?: Record<string, string>;
  /** Keyed by selection pattern (a regex over the backend's status code for `aws`/`mock`), or `default`. */
  responses?: Record<string, IntegrationResponseSpec>;
  timeoutInMillis?: number;
}

export interface ParameterSpec {
  name: string;
  in: "path" | "query" | "header" | string;
  required?: boolean;
}

/** The gateway response of one type (`x-amazon-apigateway-gateway-responses`). */
export interface GatewayResponseSpec {
  statusCode?: string;
  responseParameters?: Record<string, string>;
  responseTemplates?: Record<string, string>;
}

export interface MethodSpec {
  /** Upper case; `ANY` for `x-amazon-apigateway-any-method`. */
  httpMethod: string;
  /** SigV4 (a security scheme with `x-amazon-apigateway-authtype: awsSigv4`). */
  iam: boolean;
  /** An API key in `x-api-key` (an `apiKey` scheme without an authtype). */
  apiKeyRequired: boolean;
  /** Security schemes the method names that the local gateway cannot check (e.g. Lambda authorizers). */
  unsupportedAuth: string[];
  parameters: ParameterSpec[];
  validateParameters: boolean;
  validateBody: boolean;
  /** JSON Schemas of the request body, by media type (refs resolved against `components.schemas`). */
  bodySchemas: Record<string, Record<string, unknown>>;
  integration?: IntegrationSpec;
}

export interface ResourceSpec {
  /** `/jobs/{jobId}` */
  path: string;
  /** A stable 6-character id, as API Gateway gives each resource. */
  id: string;
  segments: string[];
  methods: Map<string, MethodSpec>;
}

export interface CompiledApi {
  title: string;
  resources: ResourceSpec[];
  gatewayResponses: Record<string, GatewayResponseSpec>;
  binaryMediaTypes: string[];
  apiKeySource: "HEADER" | "AUTHORIZER";
  /** Schemas the body validation resolves refs against. */
  schemas: Record<string, unknown>;
}

export interface RouteMatch {
  resource: ResourceSpec;
  method: MethodSpec;
  /** Raw (still percent-encoded) values. */
  pathParameters: Record<string, string>;
}

type Json = Record<string, any>;

const HTTP_METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "x-amazon-apigateway-any-method"];

function resourceId(apiPath: string): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const digest = createHash("sha256").update(apiPath).digest();
  let id = "";
  for (let i = 0; i < 6; i++) id += alphabet[digest[i] % alphabet.length];
  return id;
}

function resolveRef(doc: Json, value: any): any {
  let current = value;
  for (let depth = 0; depth < 10 && current && typeof current === "object" && typeof current.$ref === "string"; depth++) {
    const ref: string = current.$ref;
    if (!ref.startsWith("#/")) return current;
    let target: any = doc;
    for (const part of ref.slice(2).split("/")) target = target?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    if (target === undefined) throw new Error(`Unresolvable $ref ${ref}`);
    current = target;
  }
  return current;
}

/** Reads the document's security schemes into what the gateway enforces. */
function authOf(doc: Json, security: Array<Record<string, string[]>> | undefined) {
  const schemes: Json = doc.components?.securitySchemes ?? doc.securityDefinitions ?? {};
  let iam = false;
  let apiKeyRequired = false;
  const unsupported: string[] = [];
  for (const requirement of security ?? []) {
    for (const name of Object.keys(requirement)) {
      const scheme = schemes[name];
      const authType = String(scheme?.["x-amazon-apigateway-authtype"] ?? "").toLowerCase();
      if (authType === "awssigv4") iam = true;
      else if (scheme?.type === "apiKey" && scheme.in === "header" && String(scheme.name).toLowerCase() === "x-api-key" && !scheme["x-amazon-apigateway-authorizer"]) {
        apiKeyRequired = true;
      } else unsupported.push(name);
    }
  }
  return { iam, apiKeyRequired, unsupported };
}

/**
 * Compiles an API document. Throws for a body that is not JSON or has no `paths`.
 */
export function compileApi(body: string): CompiledApi {
  let doc: Json;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    throw new Error(`The REST API body is not JSON: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== "object" || typeof doc.paths !== "object" || doc.paths === null) {
    throw new Error("The REST API body has no `paths`");
  }
  const validators: Json = doc["x-amazon-apigateway-request-validators"] ?? {};
  const defaultValidator: string | undefined = doc["x-amazon-apigateway-request-validator"];
  const schemas: Json = doc.components?.schemas ?? doc.definitions ?? {};

  const resources: ResourceSpec[] = [];
  for (const [apiPath, rawItem] of Object.entries<Json>(doc.paths)) {
    const item = resolveRef(doc, rawItem) as Json;
    const normalized = apiPath === "/" ? "/" : `/${apiPath.replace(/^\/+|\/+$/g, "")}`;
    const pathLevelParams: ParameterSpec[] = (item.parameters ?? []).map((p: unknown) => resolveRef(doc, p));
    const methods = new Map<string, MethodSpec>();
    for (const key of HTTP_METHODS) {
      const op = item[key] as Json | undefined;
      if (!op) continue;
      const httpMethod = key === "x-amazon-apigateway-any-method" ? "ANY" : key.toUpperCase();
      // "API Gateway doesn't use root level security defined in the OpenAPI specification"
      // ("Amazon API Gateway important notes for REST APIs"): an operation without its own is open.
      const { iam, apiKeyRequired, unsupported } = authOf(doc, op.security);
      const validatorName: string | undefined = op["x-amazon-apigateway-request-validator"] ?? defaultValidator;
      const validator = validatorName ? validators[validatorName] : undefined;
      const params = new Map<string, ParameterSpec>();
      for (const p of [...pathLevelParams, ...(op.parameters ?? []).map((x: unknown) => resolveRef(doc, x))]) {
        if (p && typeof p.name === "string") params.set(`${p.in}:${p.name}`, { name: p.name, in: p.in, required: p.required === true });
      }
      // Swagger 2.0 bodies are `in: body` parameters; OpenAPI 3 ones are `requestBody`.
      const bodySchemas: Record<string, Record<string, unknown>> = {};
      const requestBody = resolveRef(doc, op.requestBody);
      for (const [mediaType, content] of Object.entries<Json>(requestBody?.content ?? {})) {
        if (content?.schema) bodySchemas[mediaType.toLowerCase()] = content.schema;
      }
      const swaggerBody = (op.parameters ?? []).map((x: unknown) => resolveRef(doc, x)).find((p: Json) => p?.in === "body");
      if (swaggerBody?.schema) for (const mediaType of op.consumes ?? doc.consumes ?? ["application/json"]) bodySchemas[String(mediaType).toLowerCase()] = swaggerBody.schema;

      checkResponseHeaderMappings(doc, apiPath, httpMethod, op);
      methods.set(httpMethod, {
        httpMethod,
        iam,
        apiKeyRequired: apiKeyRequired || op["x-amazon-apigateway-api-key-required"] === true,
        unsupportedAuth: unsupported,
        parameters: [...params.values()].filter((p) => p.in !== "body"),
        validateParameters: validator?.validateRequestParameters === true,
        validateBody: validator?.validateRequestBody === true,
        bodySchemas,
        integration: op["x-amazon-apigateway-integration"],
      });
    }
    resources.push({
      path: normalized,
      id: resourceId(normalized),
      segments: normalized === "/" ? [] : normalized.slice(1).split("/"),
      methods,
    });
  }
  const source = String(doc["x-amazon-apigateway-api-key-source"] ?? "HEADER").toUpperCase();
  return {
    title: String(doc.info?.title ?? ""),
    resources,
    gatewayResponses: doc["x-amazon-apigateway-gateway-responses"] ?? {},
    binaryMediaTypes: (doc["x-amazon-apigateway-binary-media-types"] ?? []).map((t: unknown) => String(t).toLowerCase()),
    apiKeySource: source === "AUTHORIZER" ? "AUTHORIZER" : "HEADER",
    schemas,
  };
}

// Literal segments beat `{param}`, which beats `{greedy+}`.
function matchSegments(template: string[], actual: string[]): { score: number[]; params: Record<string, string> } | undefined {
  const params: Record<string, string> = {};
  const score: number[] = [];
  for (let i = 0; i < template.length; i++) {
    const t = template[i];
    const greedy = /^\{(.+)\+\}$/.exec(t);
    if (greedy) {
      if (i !== template.length - 1 || actual.length <= i) return undefined;
      params[greedy[1]] = actual.slice(i).join("/");
      score.push(0);
      return { score, params };
    }
    if (i >= actual.length) return undefined;
    const param = /^\{(.+)\}$/.exec(t);
    if (param) {
      if (actual[i] === "") return undefined;
      params[param[1]] = actual[i];
      score.push(1);
    } else if (t === actual[i]) score.push(2);
    else return undefined;
  }
  return template.length === actual.length ? { score, params } : undefined;
}

function better(a: number[], b: number[]): boolean {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? -1;
    const y = b[i] ?? -1;
    if (x !== y) return x > y;
  }
  return false;
}

/**
 * Finds the resource for `path` (relative to the stage, still percent-encoded; one trailing slash
 * is ignored) and its method (`ANY` when the method itself is not defined). `undefined` when
 * either is missing: API Gateway answers both with MISSING_AUTHENTICATION_TOKEN.
 */
export function matchRoute(api: CompiledApi, path: string, httpMethod: string): RouteMatch | undefined {
  const trimmed = path.length > 1 ? path.replace(/\/$/, "") : path;
  const actual = trimmed === "/" || trimmed === "" ? [] : trimmed.replace(/^\//, "").split("/");
  let best: { resource: ResourceSpec; score: number[]; params: Record<string, string> } | undefined;
  for (const resource of api.resources) {
    const m = matchSegments(resource.segments, actual);
    if (!m) continue;
    if (!resource.methods.has(httpMethod.toUpperCase()) && !resource.methods.has("ANY")) continue;
    if (!best || better(m.score, best.score)) best = { resource, ...m };
  }
  if (!best) return undefined;
  const method = best.resource.methods.get(httpMethod.toUpperCase()) ?? best.resource.methods.get("ANY")!;
  return { resource: best.resource, method, pathParameters: best.params };
}

/**
 * API Gateway refuses to import an integration response that maps `method.response.header.X`
 * when the method response for its status code does not declare the header X ("Invalid mapping
 * expression parameter specified"). Declared headers are the response's `headers` (OpenAPI 3 and
 * Swagger 2 alike), matched without regard to case.
 */
function checkResponseHeaderMappings(doc: Json, apiPath: string, httpMethod: string, op: Json): void {
  const integration = op["x-amazon-apigateway-integration"];
  if (!integration || String(integration.type ?? "").toLowerCase() === "aws_proxy") return;
  for (const [pattern, response] of Object.entries<Json>(integration.responses ?? {})) {
    const declared = Object.keys(resolveRef(doc, op.responses?.[String(response?.statusCode)])?.headers ?? {}).map((h) => h.toLowerCase());
    for (const key of Object.keys(response?.responseParameters ?? {})) {
      const header = /^method\.response\.header\.(.+)$/.exec(key)?.[1];
      if (header && !declared.includes(header.toLowerCase())) {
        throw new Error(
          `Invalid mapping expression parameter specified: ${key} (${httpMethod} ${apiPath}, integration response "${pattern}" → ${response.statusCode}: the method response declares no ${header} header)`,
        );
      }
    }
  }
}
