import type { ApiHandler } from "../shared/api";
import { compileSchema } from "../shared/validation";
import { createSubmitCore } from "./submitCore";

export { createPrecompiledSubmitHandler, createSubmitCore } from "./submitCore";

export interface SubmitOptions {
  /** The job's input schema (draft-04), compiled here, at run time. */
  schema: object;
  /** Epoch milliseconds (tests pass a fake clock). */
  now?: () => number;
}

/** POST /jobs with a schema compiled at run time (tests, and programs that bundle it themselves). */
export function createSubmitHandler(options: SubmitOptions): ApiHandler {
  return createSubmitCore({ validate: compileSchema(options.schema), ...(options.now ? { now: options.now } : {}) });
}
