/**
 * The integration request of a non-proxy integration (`aws`, `mock`): which request template the
 * method request's Content-Type selects, what `passthroughBehavior` does when none does, and the
 * rendered body.
 */
import type { IntegrationSpec } from "./document";
import { renderTemplate, type RequestOverride, type VtlContextInput } from "./vtl";

/** The method request, as templates see it. */
export interface MethodRequest {
  headers: Record<string, string>;
  query: Record<string, string>;
  /** Decoded. */
  pathParams: Record<string, string>;
  body: string;
  context: VtlContextInput;
  stageVariables?: Record<string, string>;
}

export type RequestTemplateChoice =
  | { kind: "template"; contentType: string; template: string }
  /** No template applies and the body goes to the backend as it came. */
  | { kind: "passthrough"; contentType: string }
  /** UNSUPPORTED_MEDIA_TYPE (415). */
  | { kind: "unsupported"; contentType: string };

function lookupCi(map: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  const key = Object.keys(map).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : map[key];
}

/** `application/json; charset=utf-8` → `application/json`. */
export function mediaType(value: string | undefined): string {
  return (value ?? "").split(";")[0].trim().toLowerCase();
}

/**
 * The template for the request's Content-Type (none = `application/json`, as API Gateway assumes).
 * Without one: `when_no_match` (the default) passes the body through, `when_no_templates` does so
 * only if the integration has no templates at all, and `never` rejects it with 415.
 */
export function chooseRequestTemplate(integration: IntegrationSpec, headers: Record<string, string>): RequestTemplateChoice {
  const templates = integration.requestTemplates ?? {};
  const contentType = mediaType(lookupCi(headers, "content-type")) || "application/json";
  const hit = Object.entries(templates).find(([type]) => type.toLowerCase() === contentType);
  if (hit) return { kind: "template", contentType, template: hit[1] };
  const passthrough = String(integration.passthroughBehavior ?? "when_no_match").toLowerCase();
  if (passthrough === "never" || (passthrough === "when_no_templates" && Object.keys(templates).length > 0)) return { kind: "unsupported", contentType };
  return { kind: "passthrough", contentType };
}

/**
 * The integration request body for `choice`, and what the template set in
 * `$context.requestOverride`. Throws `VtlError` when the template fails (API Gateway: 500,
 * "Unable to transform request").
 */
export function renderIntegrationRequest(
  choice: Exclude<RequestTemplateChoice, { kind: "unsupported" }>,
  req: MethodRequest,
): { body: string; requestOverride: RequestOverride } {
  if (choice.kind === "passthrough") return { body: req.body, requestOverride: { header: {}, path: {}, querystring: {} } };
  const rendered = renderTemplate(choice.template, {
    body: req.body,
    headers: req.headers,
    pathParams: req.pathParams,
    query: req.query,
    context: req.context,
    stageVariables: req.stageVariables,
  });
  return { body: rendered.output, requestOverride: rendered.requestOverride };
}
