/**
 * Request validation (`x-amazon-apigateway-request-validators`): required parameters here, the
 * body against the method's model in bodyValidation.ts.
 */
import type { MethodSpec } from "./document";

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
