import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv-draft-04";
import standaloneCode from "ajv/dist/standalone";

const PACKAGE_ROOT = path.resolve(__dirname, "..", "..");

/**
 * A job's input schema compiled now, when the stack is built: ajv's standalone code ("Standalone
 * validation code", ajv's documentation), a CommonJS module whose export is the validation
 * function. The submit bundle imports it, so its cold start compiles nothing and carries no ajv
 * compiler. The file goes under the package's `node_modules/.cache`, where the runtime helpers the
 * code may require (`ajv/dist/runtime/*`) resolve; its name is the hash of its code.
 */
export function compiledSchemaModule(schema: object): string {
  const ajv = new Ajv({ allErrors: false, strict: false, code: { source: true, esm: false } });
  const code = standaloneCode(ajv, ajv.compile(schema));
  const dir = path.join(PACKAGE_ROOT, "node_modules", ".cache", "async-api-validators");
  const file = path.join(dir, `${createHash("sha256").update(code).digest("hex").slice(0, 32)}.js`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, file);
  }
  return file;
}
