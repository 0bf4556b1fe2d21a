import Ajv from "ajv-draft-04";
import { validatorOf, type Validator } from "./validationMessages";

export { describe, validatorOf, type CompiledSchema, type Validator } from "./validationMessages";

/** Compiles a draft-04 JSON Schema at run time (tests; the stack compiles it when it is built: components/lambda/schemaValidator.ts). */
export function compileSchema(schema: object): Validator {
  const ajv = new Ajv({ allErrors: false, strict: false });
  return validatorOf(ajv.compile(schema));
}
