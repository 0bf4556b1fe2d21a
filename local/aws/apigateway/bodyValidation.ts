/**
 * Request body validation (`validateRequestBody: true`): the body against the method's model for
 * its content type, as API Gateway does it — draft-04, formats not checked — with failures worded
 * as API Gateway's `$context.error.validationErrorString` words them (`[msg, msg]`).
 *
 * ajv decides whether the body is valid; the wording and the choice of which failures to report
 * come from fgeReport.ts, which walks the schema the way API Gateway's validator does.
 */
import Ajv from "ajv-draft-04";
import type { ValidateFunction } from "ajv-draft-04";
import type { MethodSpec } from "./document";
import { fgeMessages } from "./fgeReport";

/** The validation error string of a body that is not JSON at all (local wording: AWS's is not documented). */
export const INVALID_JSON_MESSAGE = "[Invalid input: the body is not valid JSON]";

const compiled = new WeakMap<object, ValidateFunction>();

/** The document's schemas, where refs in models (`#/components/schemas/X`, `#/definitions/X`) point. */
function rootOf(schemas: Record<string, unknown>) {
  return { components: { schemas }, definitions: schemas };
}

/**
 * The model as the gateway's validator applies it: "The maxItems and minItems tags are not
 * included in simple request validation" ("Amazon API Gateway important notes for REST APIs").
 */
function asValidated(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(asValidated);
  if (typeof schema !== "object" || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "minItems" || key === "maxItems") continue;
    if (key === "enum" || key === "const" || key === "default") out[key] = value;
    else if ((key === "properties" || key === "patternProperties" || key === "definitions") && value && typeof value === "object" && !Array.isArray(value)) {
      // Names of properties, not keywords: a property may be called minItems.
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, asValidated(sub)]));
    } else out[key] = asValidated(value);
  }
  return out;
}

function validatorFor(schema: Record<string, unknown>, schemas: Record<string, unknown>): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, logger: false });
    validate = ajv.compile({ allOf: [asValidated(schema)], ...(asValidated(rootOf(schemas)) as object) });
    compiled.set(schema, validate);
  }
  return validate;
}

/**
 * Validates a body against the method's model for its content type (no content type: JSON).
 * Returns undefined when valid or when there is no model for the type, else the validation error
 * string, e.g. `[object has missing required properties (["seconds"])]`.
 */
export function bodyValidationError(method: MethodSpec, schemas: Record<string, unknown>, contentType: string | undefined, body: string): string | undefined {
  const type = (contentType ?? "").split(";")[0].trim().toLowerCase() || "application/json";
  const schema = method.bodySchemas[type];
  if (!schema) return undefined;
  const validate = validatorFor(schema, schemas);
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return INVALID_JSON_MESSAGE;
  }
  if (validate(value)) return undefined;
  const messages = fgeMessages(schema, value, rootOf(schemas));
  // Where the two validators disagree (a keyword the walk does not know), ajv's own words.
  if (messages.length === 0) messages.push(...(validate.errors ?? []).map((e) => `${e.instancePath || "instance"} ${e.message ?? "is invalid"}`));
  return `[${messages.join(", ")}]`;
}
