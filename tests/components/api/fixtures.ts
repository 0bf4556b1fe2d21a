import { Validator } from "@seriousme/openapi-schema-validator";
import type { AuthMode } from "../../../lambdas/shared/types";
import { timerSchema } from "../../../lambdas/jobs/timer";
import { buildApiDocument, type ApiDocumentArgs, type OpenApiDocument } from "../../../components/api/openapi";

const fn = (name: string) =>
  `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${name}/invocations`;

export const INTEGRATIONS = { submit: fn("submit"), list: fn("list"), status: fn("status"), cancel: fn("cancel") };

export const AUTH_MODES: AuthMode[] = ["iam", "apiKey", "none"];
export const CORS_CASES: Record<string, string[]> = {
  "no CORS": [],
  "one origin": ["https://app.example.com"],
  "two origins": ["https://app.example.com", "http://localhost:5173"],
};

export function args(overrides: Partial<ApiDocumentArgs> = {}): ApiDocumentArgs {
  return { title: "async-api-test", auth: "iam", jobSchema: timerSchema, integrations: INTEGRATIONS, corsOrigins: [], ...overrides };
}

export function build(overrides: Partial<ApiDocumentArgs> = {}): OpenApiDocument {
  return buildApiDocument(args(overrides));
}

/** Validates against the OpenAPI 3.0 JSON Schema; resolves to the errors (empty when valid). */
export async function openApiErrors(doc: unknown): Promise<string> {
  const result = await new Validator().validate(JSON.parse(JSON.stringify(doc)));
  return result.valid ? "" : JSON.stringify(result.errors, null, 2);
}

/** The preflight response template of a path. */
export function preflightTemplate(doc: OpenApiDocument, path: string): string {
  const template = doc.paths[path]?.options?.["x-amazon-apigateway-integration"]?.responses?.default?.responseTemplates?.["application/json"];
  if (typeof template !== "string") throw new Error(`no preflight template on ${path}`);
  return template;
}
