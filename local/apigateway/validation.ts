/**
 * Request validation (`x-amazon-apigateway-request-validators`): required parameters, and the
 * body against the method's model (draft-04, as API Gateway models are).
 */
import Ajv from "ajv-draft-04";
import type { ValidateFunction } from "ajv-draft-04";
import type { MethodSpec } from "./document";

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

const compiled = new WeakMap<object, ValidateFunction>();

/**
 * Validates a body against the method's model for its content type (no content type: JSON).
 * Returns undefined when valid or when there is no model, else the validation error string.
 */
export function bodyValidationError(method: MethodSpec, schemas: Record<string, unknown>, contentType: string | undefined, body: string): string | undefined {
  const type = (contentType ?? "").split(";")[0].trim().toLowerCase() || "application/json";
  const schema = method.bodySchemas[type];
  if (!schema) return undefined;
  let validate = compiled.get(schema);
  if (!validate) {
    // Refs are `#/components/schemas/X` (or `#/definitions/X`): hang the document's schemas where they point.
    const root = { allOf: [schema], components: { schemas }, definitions: schemas };
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, logger: false });
    validate = ajv.compile(root);
    compiled.set(schema, validate);
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return "[Invalid input: the body is not valid JSON]";
  }
  if (validate(value)) return undefined;
  return `[${(validate.errors ?? []).map((e) => `${e.instancePath || "instance"} ${e.message ?? "is invalid"}`).join(", ")}]`;
}
