import type { OperationObject } from "./openapiTypes";

export { CORS_EXPOSE_HEADERS } from "../../lambdas/shared/http";

/**
 * Request headers a browser may send: the contract's plus those SigV4 and API keys need (the
 * SigV4 signers, @smithy/signature-v4 included, add X-Amz-Content-Sha256 by default).
 */
export const CORS_ALLOW_HEADERS = "Content-Type,Authorization,X-Amz-Date,X-Amz-Security-Token,X-Amz-Content-Sha256,X-Api-Key,Idempotency-Key,Callback-Url";

/** How long (seconds) a browser may cache a preflight answer. */
export const CORS_MAX_AGE_SECONDS = 600;

// Scheme and authority only: no path, quote, backslash or whitespace, so an origin is safe both
// inside a VTL single-quoted literal and inside a `'...'` static header value.
const ORIGIN = /^https?:\/\/[^\s'"\\/]+$/;

/**
 * Checks the configured origins and removes duplicates. Throws, naming `corsOrigins`, for one that
 * is not `http(s)://host[:port]`.
 */
export function validateCorsOrigins(corsOrigins: readonly string[]): string[] {
  for (const origin of corsOrigins) {
    if (typeof origin !== "string" || !ORIGIN.test(origin)) {
      throw new Error(
        `corsOrigins: ${JSON.stringify(origin)} is not an origin like "https://app.example.com" or ` +
          `"http://localhost:5173" (scheme and host[:port] only: no path, quotes or whitespace)`,
      );
    }
  }
  return [...new Set(corsOrigins)];
}

/**
 * VTL for the preflight's integration response: sets `Access-Control-Allow-Origin` to the
 * request's `Origin` only when it equals one of the allowed origins, and always to that literal,
 * never to the request's text. Origins are single-quoted VTL literals, which VTL never
 * interpolates. The body is `{}`.
 */
export function preflightResponseTemplate(origins: readonly string[]): string {
  return `${allowOriginTemplate(origins)}\n{}`;
}

/**
 * VTL that sets `Access-Control-Allow-Origin` to the request's `Origin` when it is one of
 * `origins`, for mock integrations; it prints nothing itself.
 */
export function allowOriginTemplate(origins: readonly string[]): string {
  const lines = [
    "#set($origin = $input.params('Origin'))##",
    // Over HTTP/2 the header arrives as `origin`; a null reference is tested through "$!origin".
    `#if("$!origin" == "")#set($origin = $input.params('origin'))#end##`,
  ];
  origins.forEach((origin, i) => {
    const literal = `'${origin}'`;
    lines.push(
      `#${i === 0 ? "if" : "elseif"}($origin == ${literal})##`,
      `#set($context.responseOverride.header.Access-Control-Allow-Origin = ${literal})##`,
    );
  });
  lines.push("#end##");
  return lines.join("\n");
}

/** The OPTIONS (CORS preflight) operation of a resource whose methods are `methods`. */
export function preflightOperation(origins: readonly string[], methods: readonly string[]): OperationObject {
  const allowMethods = [...methods, "OPTIONS"].map((m) => m.toUpperCase()).sort().join(",");
  const header = (description: string) => ({ description, schema: { type: "string" } });
  return {
    summary: "CORS preflight",
    // Browsers send preflights without credentials: no SigV4, no API key.
    security: [],
    responses: {
      "200": {
        description: "Preflight answer; Access-Control-Allow-Origin only for an allowed Origin.",
        headers: {
          "Access-Control-Allow-Origin": header("The request's Origin, when it is allowed."),
          "Access-Control-Allow-Methods": header("Methods of this resource."),
          "Access-Control-Allow-Headers": header("Request headers a browser may send."),
          "Access-Control-Max-Age": header("Seconds the answer may be cached."),
          Vary: header("Origin: the answer depends on it."),
        },
      },
    },
    "x-amazon-apigateway-integration": {
      type: "mock",
      requestTemplates: { "application/json": '{"statusCode": 200}' },
      passthroughBehavior: "when_no_match",
      responses: {
        default: {
          statusCode: "200",
          responseParameters: {
            "method.response.header.Access-Control-Allow-Methods": `'${allowMethods}'`,
            "method.response.header.Access-Control-Allow-Headers": `'${CORS_ALLOW_HEADERS}'`,
            "method.response.header.Access-Control-Max-Age": `'${CORS_MAX_AGE_SECONDS}'`,
            "method.response.header.Vary": "'Origin'",
          },
          responseTemplates: { "application/json": preflightResponseTemplate(origins) },
        },
      },
    },
  };
}
