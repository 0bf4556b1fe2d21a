/**
 * The `mock` integration: the request template chooses a status code, which selects an
 * integration response; its static response parameters and its (VTL) response template make the
 * answer, with `$context.responseOverride` applied last.
 */
import type { IntegrationSpec } from "./document";
import { chooseRequestTemplate, renderIntegrationRequest, type MethodRequest } from "./integrationRequest";
import { buildMethodResponse } from "./integrationResponse";

export type MockRequest = MethodRequest;

export type MockResult =
  | { ok: true; status: number; headers: Record<string, string>; body: string }
  /** `unsupportedMediaType`: passthrough `never` and no template for the content type (UNSUPPORTED_MEDIA_TYPE). */
  | { ok: false; unsupportedMediaType?: boolean; reason: string };

/** Runs a mock integration. */
export function runMockIntegration(integration: IntegrationSpec, req: MockRequest): MockResult {
  const choice = chooseRequestTemplate(integration, req.headers);
  if (choice.kind === "unsupported") return { ok: false, unsupportedMediaType: true, reason: `no request template for ${choice.contentType}` };

  let integrationRequest: string;
  try {
    integrationRequest = renderIntegrationRequest(choice, req).body;
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

  // A mock integration response has no body: `$input` reads the method request's parameters only.
  const response = buildMethodResponse(integration.responses, { status: statusCode, headers: {}, body: "" }, req);
  if (!response.ok) return { ok: false, reason: response.noMatch ? `no integration response for status ${statusCode}` : response.reason };
  return response;
}
