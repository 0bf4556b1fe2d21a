import Ajv from "ajv-draft-04";
import type { ErrorObject } from "ajv-draft-04";

const MAX_NAME = 100;

function clip(name: string): string {
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, "?");
  return clean.length > MAX_NAME ? `${clean.slice(0, MAX_NAME)}…` : clean;
}

/** `/a/0/b` → `a.0.b` (JSON Pointer unescaped), clipped. */
function fieldOf(instancePath: string): string {
  if (!instancePath) return "";
  const parts = instancePath
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  return clip(parts.join("."));
}

/** One ajv error as a human message that names the failing field. */
export function describe(error: ErrorObject): string {
  const field = fieldOf(error.instancePath);
  const prefix = field ? `${field}: ` : "";
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return `${prefix}missing required property '${clip(String(params.missingProperty))}'`;
    case "additionalProperties":
      return `${prefix}property '${clip(String(params.additionalProperty))}' is not allowed`;
    default:
      return `${field || "body"}: ${error.message ?? "is invalid"}`;
  }
}

/** Checks a value; answers `undefined` when valid, else a message naming the failing field. */
export type Validator = (value: unknown) => string | undefined;

/** Compiles a draft-04 JSON Schema (once: call this at cold start, not per request). */
export function compileSchema(schema: object): Validator {
  const ajv = new Ajv({ allErrors: false, strict: false });
  const validate = ajv.compile(schema);
  return (value) => {
    if (validate(value)) return undefined;
    const first = validate.errors?.[0];
    return first ? describe(first) : "body: is invalid";
  };
}
