/**
 * The integration response of a non-proxy integration (`aws`, `mock`): the backend's status code
 * selects a response by pattern, whose `responseParameters` and (VTL) `responseTemplates` make the
 * method response, with `$context.responseOverride` applied last.
 */
import type { IntegrationResponseSpec } from "./document";
import type { MethodRequest } from "./integrationRequest";
import { mediaType } from "./integrationRequest";
import { javaRegex } from "./javaMethods";
import { applyHeaderMappings, setHeader } from "./parameterMapping";
import { renderTemplate, VtlError } from "./vtl";

/** What the backend answered. */
export interface BackendResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type MethodResponse =
  | { ok: true; status: number; headers: Record<string, string>; body: string }
  /** `noMatch`: no pattern matched and there is no `default` (API_CONFIGURATION_ERROR). Otherwise a template failed. */
  | { ok: false; noMatch?: boolean; reason: string };

/**
 * The response whose selection pattern matches `selector` in full (a Java regex; for AWS and mock
 * integrations the selector is the backend's status code), else `default`, else none.
 */
export function selectIntegrationResponse(responses: Record<string, IntegrationResponseSpec> | undefined, selector: string): IntegrationResponseSpec | undefined {
  const all = responses ?? {};
  for (const [pattern, spec] of Object.entries(all)) {
    if (pattern === "default") continue;
    try {
      const re = javaRegex(pattern);
      if (new RegExp(`^(?:${re.source})$`, re.flags).test(selector)) return spec;
    } catch {
      /* an invalid pattern matches nothing */
    }
  }
  return all.default;
}

function pickTemplate(templates: Record<string, string>, accept: string | undefined): [string, string] | undefined {
  const entries = Object.entries(templates);
  for (const wanted of (accept ?? "").split(",").map(mediaType)) {
    const hit = entries.find(([type]) => type.toLowerCase() === wanted);
    if (hit) return hit;
  }
  return entries.find(([type]) => type.toLowerCase() === "application/json") ?? entries[0];
}

function lookupCi(map: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  const key = Object.keys(map).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : map[key];
}

/**
 * Builds the method response from the backend's answer. The response template follows the
 * client's Accept, then `application/json`, then the first; without one the backend's body
 * passes through. `$input` in the template is the backend's body; `$input.params()` are still
 * the method request's.
 */
export function buildMethodResponse(responses: Record<string, IntegrationResponseSpec> | undefined, backend: BackendResponse, req: MethodRequest): MethodResponse {
  const selected = selectIntegrationResponse(responses, String(backend.status));
  if (!selected) {
    return { ok: false, noMatch: true, reason: `No match for output mapping and no default output mapping configured. Endpoint Response Status Code: ${backend.status}` };
  }
  const status = Number(selected.statusCode);
  if (!Number.isInteger(status) || status < 100 || status > 599) return { ok: false, reason: `integration response statusCode ${JSON.stringify(selected.statusCode)} is not an HTTP status` };

  const headers: Record<string, string> = {};
  applyHeaderMappings(selected.responseParameters, "method.response.header.", {
    method: { headers: req.headers, query: req.query, path: req.pathParams, body: req.body },
    integrationResponse: { headers: backend.headers, body: backend.body },
    context: req.context as Record<string, unknown>,
    stageVariables: req.stageVariables,
  }, headers);

  const template = pickTemplate(selected.responseTemplates ?? {}, lookupCi(req.headers, "accept"));
  let body = backend.body;
  let finalStatus = status;
  if (template) {
    try {
      const rendered = renderTemplate(template[1], {
        body: backend.body,
        headers: req.headers,
        pathParams: req.pathParams,
        query: req.query,
        context: req.context,
        stageVariables: req.stageVariables,
      });
      body = rendered.output;
      if (rendered.responseOverride.status !== undefined) finalStatus = rendered.responseOverride.status;
      for (const [name, value] of Object.entries(rendered.responseOverride.header)) setHeader(headers, name, value);
    } catch (e) {
      return { ok: false, reason: `Unable to transform response: ${e instanceof VtlError ? e.message : String(e)}` };
    }
  }
  if (lookupCi(headers, "content-type") === undefined) headers["Content-Type"] = template ? template[0] : "application/json";
  return { ok: true, status: finalStatus, headers, body };
}
