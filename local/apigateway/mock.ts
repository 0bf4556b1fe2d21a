/**
 * The `mock` integration: the request template chooses a status code, which selects an
 * integration response; its static response parameters and its (VTL) response template make the
 * answer, with `$context.responseOverride` applied last.
 */
import type { IntegrationSpec } from "./document";
import { renderTemplate, type VtlContextInput } from "./vtl";

export interface MockRequest {
  headers: Record<string, string>;
  query: Record<string, string>;
  pathParams: Record<string, string>;
  body: string;
  context: VtlContextInput;
  stageVariables?: Record<string, string>;
}

export type MockResult =
  | { ok: true; status: number; headers: Record<string, string>; body: string }
  /** `unsupportedMediaType`: passthrough `never` and no template for the content type (UNSUPPORTED_MEDIA_TYPE). */
  | { ok: false; unsupportedMediaType?: boolean; reason: string };

function lookupCi(map: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  const key = Object.keys(map).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : map[key];
}

function mediaType(value: string | undefined): string {
  return (value ?? "").split(";")[0].trim().toLowerCase();
}

function pickByType(templates: Record<string, string>, wanted: string): [string, string] | undefined {
  return Object.entries(templates).find(([type]) => type.toLowerCase() === wanted);
}

/** Runs a mock integration. */
export function runMockIntegration(integration: IntegrationSpec, req: MockRequest): MockResult {
  const templates = integration.requestTemplates ?? {};
  // A request without Content-Type is treated as application/json.
  const contentType = mediaType(lookupCi(req.headers, "content-type")) || "application/json";
  const template = pickByType(templates, contentType);
  const passthrough = (integration.passthroughBehavior ?? "when_no_match").toLowerCase();
  if (!template) {
    const hasTemplates = Object.keys(templates).length > 0;
    if (passthrough === "never" || (passthrough === "when_no_templates" && hasTemplates)) {
      return { ok: false, unsupportedMediaType: true, reason: `no request template for ${contentType}` };
    }
  }
  const vtlReq = { body: req.body, headers: req.headers, pathParams: req.pathParams, query: req.query, context: req.context, stageVariables: req.stageVariables };

  let integrationRequest: string;
  try {
    integrationRequest = template ? renderTemplate(template[1], vtlReq).output : req.body;
  } catch (e) {
    return { ok: false, reason: `request template failed: ${(e as Error).message}` };
  }
  let statusCode: number;
  try {
    const parsed = JSON.parse(integrationRequest.trim() === "" ? "{}" : integrationRequest);
    statusCode = parsed?.statusCode === undefined ? 200 : Number(parsed.statusCode);
  } catch {
    return { ok: false, reason: "Unable to parse statusCode from the mock integration request" };
  }
  if (!Number.isInteger(statusCode)) return { ok: false, reason: "the mock integration request's statusCode is not an integer" };

  // Selection patterns are regular expressions over the status code; `default` catches the rest.
  const responses = integration.responses ?? {};
  let selected = Object.entries(responses).find(([pattern]) => {
    if (pattern === "default") return false;
    try {
      return new RegExp(`^(?:${pattern})$`).test(String(statusCode));
    } catch {
      return false;
    }
  })?.[1];
  selected ??= responses.default;
  if (!selected) return { ok: false, reason: `no integration response for status ${statusCode}` };

  const status = Number(selected.statusCode);
  const headers: Record<string, string> = {};
  for (const [target, expression] of Object.entries(selected.responseParameters ?? {})) {
    const m = /^method\.response\.header\.(.+)$/.exec(target);
    if (!m) continue;
    const literal = /^'(.*)'$/s.exec(expression.trim());
    if (literal) headers[m[1]] = literal[1];
    else {
      const param = /^method\.request\.(header|querystring|path)\.(.+)$/.exec(expression.trim());
      const value = param ? (param[1] === "header" ? lookupCi(req.headers, param[2]) : param[1] === "querystring" ? req.query[param[2]] : req.pathParams[param[2]]) : undefined;
      if (value !== undefined) headers[m[1]] = value;
    }
  }

  // The response template follows the client's Accept, then application/json, then the first.
  const responseTemplates = selected.responseTemplates ?? {};
  let responseTemplate: [string, string] | undefined;
  for (const wanted of (lookupCi(req.headers, "accept") ?? "").split(",").map(mediaType)) {
    responseTemplate = pickByType(responseTemplates, wanted);
    if (responseTemplate) break;
  }
  responseTemplate ??= pickByType(responseTemplates, "application/json") ?? Object.entries(responseTemplates)[0];

  let body = "";
  let finalStatus = status;
  if (responseTemplate) {
    try {
      // A mock integration response has no body: `$input` reads the method request's parameters.
      const rendered = renderTemplate(responseTemplate[1], { ...vtlReq, body: "" });
      body = rendered.output;
      if (rendered.responseOverride.status !== undefined) finalStatus = rendered.responseOverride.status;
      for (const [name, value] of Object.entries(rendered.responseOverride.header)) {
        const existing = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
        if (existing) delete headers[existing];
        headers[name] = value;
      }
    } catch (e) {
      return { ok: false, reason: `response template failed: ${(e as Error).message}` };
    }
    if (!Object.keys(headers).some((k) => k.toLowerCase() === "content-type")) headers["Content-Type"] = responseTemplate[0];
  } else if (!Object.keys(headers).some((k) => k.toLowerCase() === "content-type")) {
    headers["Content-Type"] = "application/json";
  }
  return { ok: true, status: finalStatus, headers, body };
}
