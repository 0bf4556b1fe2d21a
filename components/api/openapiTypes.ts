/** The shapes of the OpenAPI 3.0 document the API is built from (the subset this project writes). */

/** A JSON Schema (draft-04, as API Gateway models are) or an OpenAPI `$ref` to one. */
export type SchemaObject = Record<string, unknown>;

/** `x-amazon-apigateway-integration`: how API Gateway reaches the backend of one operation. */
export interface ApiGatewayIntegration {
  type: "aws_proxy" | "mock" | "aws";
  httpMethod?: string;
  uri?: string;
  /** `aws` integrations: the role API Gateway assumes to call the service. */
  credentials?: string;
  requestParameters?: Record<string, string>;
  passthroughBehavior: "when_no_match" | "when_no_templates" | "never";
  requestTemplates?: Record<string, string>;
  responses?: Record<
    string,
    {
      statusCode: string;
      responseParameters?: Record<string, string>;
      responseTemplates?: Record<string, string>;
    }
  >;
}

export interface HeaderObject {
  description?: string;
  schema: SchemaObject;
}

export interface ResponseObject {
  description: string;
  headers?: Record<string, HeaderObject>;
  content?: Record<string, { schema: SchemaObject }>;
}

export interface ParameterObject {
  name: string;
  in: "path" | "query" | "header";
  required: boolean;
  description?: string;
  schema: SchemaObject;
}

/** An operation; `x-amazon-apigateway-*` keys are the API Gateway parts. */
export interface OperationObject {
  operationId?: string;
  summary?: string;
  description?: string;
  parameters?: ParameterObject[];
  requestBody?: { required: boolean; description?: string; content: Record<string, { schema: SchemaObject }> };
  responses: Record<string, ResponseObject>;
  /** The request validator for this operation (overrides the document's default). */
  "x-amazon-apigateway-request-validator"?: string;
  security?: Array<Record<string, string[]>>;
  "x-amazon-apigateway-integration"?: ApiGatewayIntegration;
}

export type HttpMethod = "get" | "post" | "delete" | "options";
export type PathItemObject = Partial<Record<HttpMethod, OperationObject>>;

export interface SecuritySchemeObject {
  type: "apiKey";
  name: string;
  in: "header";
  description?: string;
  "x-amazon-apigateway-authtype"?: string;
}

/** `x-amazon-apigateway-gateway-responses` entry: what API Gateway answers when it rejects a request itself. */
export interface GatewayResponse {
  statusCode?: string;
  responseParameters: Record<string, string>;
  responseTemplates: Record<string, string>;
}

export interface RequestValidator {
  validateRequestParameters: boolean;
  validateRequestBody: boolean;
}

/** The whole document: plain JSON, ready for `aws.apigateway.RestApi`'s `body` after `JSON.stringify`. */
export interface OpenApiDocument {
  openapi: "3.0.1";
  info: { title: string; version: string; description?: string };
  paths: Record<string, PathItemObject>;
  components: {
    schemas: Record<string, SchemaObject>;
    securitySchemes?: Record<string, SecuritySchemeObject>;
  };
  "x-amazon-apigateway-request-validators"?: Record<string, RequestValidator>;
  "x-amazon-apigateway-request-validator"?: string;
  "x-amazon-apigateway-gateway-responses"?: Record<string, GatewayResponse>;
  "x-amazon-apigateway-api-key-source"?: "HEADER" | "AUTHORIZER";
}
