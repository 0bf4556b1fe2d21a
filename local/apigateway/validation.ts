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
  const headerNames = new Set(Object.keys(req.headers).map((k) => k.toLowerCase()));
  for (const p of method.parameters) {
    if (!p.required) continue;
    const present =
      p.in === "header"
        ? headerNames.has(p.name.toLowerCase())
        : p.in === "query"
          ? Object.prototype.hasOwnProperty.call(req.query, p.name)
          : p.in === "path"
            ? (req.pathParameters[p.name] ?? "") !== ""
            : true;
    if (!present) missing.push(p.name);
  }
  return missing;
}
