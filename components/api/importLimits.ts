/**
 * What API Gateway's REST API import does not support in a document, as AWS lists it ("Amazon API
 * Gateway important notes for REST APIs": models are JSON Schema draft 4; `additionalProperties`
 * and `anyOf` are not supported in models; `discriminator`, `example`, `exclusiveMinimum`, `oneOf`
 * and `readOnly` are not supported; `int32`/`int64`/`decimal` number formats are not supported;
 * `deprecated` is dropped; "The `default` keyword is not supported"; "The `maxItems` and `minItems`
 * tags are not included in simple request validation"). Such a feature makes the import raise a warning (which rolled back the
 * whole import while the stack set `failOnWarnings`) or is ignored, so a model that the gateway
 * validates (backend `stream`) may not enforce it. A pure function: the component reports what it
 * finds with `pulumi.log.warn`; `pulumi up` goes on.
 */

/** One unsupported feature in the document: where (a JSON pointer) and what. */
export interface ImportLimit {
  pointer: string;
  feature: string;
}

const UNSUPPORTED_IN_SCHEMAS = ["additionalProperties", "anyOf", "default", "discriminator", "example", "exclusiveMinimum", "maxItems", "minItems", "oneOf", "readOnly"] as const;
/** Keywords whose value maps names to schemas (a property may be called `default`). */
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "definitions"]);
const UNSUPPORTED_FORMATS = ["int32", "int64", "decimal"];

const escape = (key: string) => key.replace(/~/g, "~0").replace(/\//g, "~1");

function walkSchema(schema: unknown, pointer: string, found: ImportLimit[]): void {
  if (typeof schema !== "object" || schema === null) return;
  if (Array.isArray(schema)) {
    schema.forEach((item, i) => walkSchema(item, `${pointer}/${i}`, found));
    return;
  }
  const s = schema as Record<string, unknown>;
  for (const keyword of UNSUPPORTED_IN_SCHEMAS) {
    // additionalProperties: true is the default, which changes nothing.
    if (keyword in s && !(keyword === "additionalProperties" && s[keyword] === true)) found.push({ pointer: `${pointer}/${keyword}`, feature: keyword });
  }
  if (typeof s.format === "string" && UNSUPPORTED_FORMATS.includes(s.format) && (s.type === "number" || s.type === "integer")) {
    found.push({ pointer: `${pointer}/format`, feature: `format ${s.format}` });
  }
  for (const [key, value] of Object.entries(s)) {
    if (key === "enum" || key === "const" || key === "default" || key === "example") continue; // values, not schemas
    if (typeof value !== "object" || value === null) continue;
    if (SCHEMA_MAPS.has(key) && !Array.isArray(value)) {
      for (const [name, sub] of Object.entries(value as Record<string, unknown>)) walkSchema(sub, `${pointer}/${key}/${escape(name)}`, found);
    } else walkSchema(value, `${pointer}/${escape(key)}`, found);
  }
}

/** The documented-unsupported features in an OpenAPI document's models and operations. */
export function importLimits(document: Record<string, unknown>): ImportLimit[] {
  const found: ImportLimit[] = [];
  const schemas = (document.components as { schemas?: Record<string, unknown> } | undefined)?.schemas ?? {};
  for (const [name, schema] of Object.entries(schemas)) walkSchema(schema, `/components/schemas/${escape(name)}`, found);
  const paths = (document.paths ?? {}) as Record<string, Record<string, unknown>>;
  for (const [route, item] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(item ?? {})) {
      if (typeof operation === "object" && operation !== null && (operation as { deprecated?: unknown }).deprecated !== undefined) {
        found.push({ pointer: `/paths/${escape(route)}/${method}/deprecated`, feature: "deprecated" });
      }
    }
  }
  return found;
}

/** One line for `pulumi up`'s output. */
export function describeImportLimits(limits: ImportLimit[], gatewayValidatesBody: boolean): string | undefined {
  if (limits.length === 0) return undefined;
  const list = limits.map((l) => `${l.feature} at ${l.pointer}`).join("; ");
  return (
    `API Gateway's REST import does not support ${list} ("Amazon API Gateway important notes for REST APIs"): it may warn or drop them.` +
    (gatewayValidatesBody ? " On backend stream the gateway validates the body with that model, so it may not enforce them." : " The submit function validates the input with the full schema.")
  );
}
