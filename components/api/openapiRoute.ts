import { allowOriginTemplate } from "./cors";
import type { OpenApiDocument, OperationObject } from "./openapiTypes";

/** Where the API serves its own public OpenAPI document. */
export const OPENAPI_PATH = "/openapi.json";

/** How the public document describes this route itself. */
export function openapiOperationDoc(): OperationObject {
  return {
    operationId: "getOpenApiDocument",
    summary: "This API's OpenAPI document",
    description: "The public OpenAPI 3.0 document of this API (no AWS extensions). Needs no credentials.",
    security: [],
    responses: { "200": { description: "The document.", content: { "application/json": { schema: { type: "object" } } } } },
  } as OperationObject;
}

/**
 * `GET /openapi.json`: an API Gateway mock integration that answers the public document. The
 * document is put in a Velocity unparsed block (`#[[ ... ]]#`), so `$` and `#` in it (e.g.
 * `$ref`, patterns) are sent as they are rather than evaluated.
 */
export function openapiOperation(publicDocument: OpenApiDocument, corsOrigins: readonly string[] = []): OperationObject {
  const text = JSON.stringify(publicDocument);
  if (text.includes("]]#")) throw new Error("the public API document cannot contain ']]#' (it ends a Velocity unparsed block)");
  // Browsers on an allowed origin (e.g. the console) may read it too.
  const cors = corsOrigins.length > 0 ? `#set($context.responseOverride.header.Vary = 'Origin')##\n${allowOriginTemplate(corsOrigins)}\n` : "";
  return {
    ...openapiOperationDoc(),
    "x-amazon-apigateway-integration": {
      type: "mock",
      passthroughBehavior: "when_no_match",
      requestTemplates: { "application/json": '{"statusCode": 200}' },
      responses: { default: { statusCode: "200", responseTemplates: { "application/json": `${cors}#[[${text}]]#` } } },
    },
  } as OperationObject;
}
