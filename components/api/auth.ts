import type { AuthMode } from "../../lambdas/shared/types";
import type { OpenApiDocument, SecuritySchemeObject } from "./openapiTypes";

/** Name of the security scheme each auth mode uses (none for `none`). */
export const SECURITY_SCHEME_NAMES = { iam: "sigv4", apiKey: "api_key" } as const;

/** `components.securitySchemes` for an auth mode (`undefined` for `none`). */
export function securitySchemes(auth: AuthMode): Record<string, SecuritySchemeObject> | undefined {
  switch (auth) {
    case "iam":
      return {
        [SECURITY_SCHEME_NAMES.iam]: {
          type: "apiKey",
          name: "Authorization",
          in: "header",
          description: "AWS Signature Version 4 for service execute-api.",
          "x-amazon-apigateway-authtype": "awsSigv4",
        },
      };
    case "apiKey":
      return {
        [SECURITY_SCHEME_NAMES.apiKey]: {
          type: "apiKey",
          name: "x-api-key",
          in: "header",
          description: "The stack's API key.",
        },
      };
    case "none":
      return undefined;
  }
}

/** The `security` requirement of a job route (`undefined` for `none`: the route is open). */
export function routeSecurity(auth: AuthMode): Array<Record<string, string[]>> | undefined {
  return auth === "none" ? undefined : [{ [SECURITY_SCHEME_NAMES[auth]]: [] }];
}

/** Top-level extensions an auth mode needs. */
export function authExtensions(auth: AuthMode): Pick<OpenApiDocument, "x-amazon-apigateway-api-key-source"> {
  // HEADER: the key comes from the client's `x-api-key` (not from a Lambda authorizer).
  return auth === "apiKey" ? { "x-amazon-apigateway-api-key-source": "HEADER" } : {};
}
