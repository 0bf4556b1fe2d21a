import type { ErrorObject } from "ajv-draft-04";

/*
 * The 400 message of a schema failure, from ajv's first error. Apart from ajv itself, so the
 * submit bundle, whose validator is compiled when the stack is built, carries no ajv compiler.
 */

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

/** A validation function as ajv compiles it (also as its standalone code exports it). */
export type CompiledSchema = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/** A compiled schema as a `Validator`. */
export function validatorOf(validate: CompiledSchema): Validator {
  return (value) => {
    if (validate(value)) return undefined;
    const first = validate.errors?.[0];
    return first ? describe(first) : "body: is invalid";
  };
}
