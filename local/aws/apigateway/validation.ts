/**
 * Request validation (`x-amazon-apigateway-request-validators`): required parameters here, the
 * body against the method's model in bodyValidation.ts.
 */
import { bodyValidationError } from "./bodyValidation";
import type { CompiledApi, MethodSpec } from "./document";
import { headerCi, Rejection, type Exchange } from "./exchange";

export { bodyValidationError } from "./bodyValidation";

/** Names of required parameters the request lacks, as API Gateway lists them (`[a, b]`), or undefined. */
export function missingParameters(
  method: MethodSpec,
  req: { headers: Record<string, string>; query: Record<string, string>; pathParameters: Record<string, string> },
): string[] {
  const missing: string[] = [];
  // "Enable request validation in API Gateway": required parameters are "included and non-blank".
  const nonBlank = (value: string | undefined) => value !== undefined && value.trim() !== "";
  const headerValue = (name: string) => Object.entries(req.headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  for (const p of method.parameters) {
    if (!p.required) continue;
    const present =
      p.in === "header"
        ? nonBlank(headerValue(p.name))
        : p.in === "query"
          ? Object.prototype.hasOwnProperty.call(req.query, p.name) && nonBlank(req.query[p.name])
          : p.in === "path"
            ? (req.pathParameters[p.name] ?? "") !== ""
            : true;
    if (!present) missing.push(p.name);
  }
  return missing;
}

/** Rejects a request the method's validator refuses: BAD_REQUEST_PARAMETERS, then BAD_REQUEST_BODY. */
export function validateRequest(x: Exchange, method: MethodSpec, body: Buffer, api: CompiledApi): void {
  if (method.validateParameters) {
    const missing = missingParameters(method, { headers: x.headers, query: x.query, pathParameters: x.route!.pathParameters });
    if (missing.length > 0) throw new Rejection({ type: "BAD_REQUEST_PARAMETERS", message: `Missing required request parameters: [${missing.join(", ")}]` });
  }
  if (method.validateBody) {
    const problem = bodyValidationError(method, api.schemas, headerCi(x.headers, "content-type"), body.toString("utf8"));
    if (problem !== undefined) throw new Rejection({ type: "BAD_REQUEST_BODY", message: "Invalid request body", validationErrorString: problem });
  }
}
