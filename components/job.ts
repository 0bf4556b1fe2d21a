import * as path from "path";

/** The job an API runs: its code and the JSON Schema of its input. */
export interface JobArgs {
  /**
   * Short name of the job, used in descriptions and logs.
   * @example "timer"
   */
  name: string;
  /**
   * Absolute path of the module that exports the job (a `JobDefinition` from
   * `lambdas/jobs/types.ts`). It is bundled with esbuild into the worker.
   * @example path.join(__dirname, "lambdas/jobs/timer.ts")
   */
  module: string;
  /**
   * The export of `module` that holds the `JobDefinition`.
   * @default "default"
   */
  exportName?: string;
  /**
   * Draft-04 JSON Schema of the job's input (API Gateway models are draft-04). Every POST body is
   * checked against it before anything runs.
   */
  schema: Record<string, unknown>;
  /**
   * Memory of the worker function in MB.
   * @default 512
   */
  memorySize?: number;
}

export { workerTimeoutSeconds } from "../lambdas/shared/env";

export function validateJob(component: string, job: JobArgs): void {
  if (!job || typeof job.name !== "string" || !job.name) throw new Error(`${component}: job.name is required`);
  if (!path.isAbsolute(job.module)) throw new Error(`${component}: job.module must be an absolute path, got "${job.module}"`);
  if (!job.schema || typeof job.schema !== "object") throw new Error(`${component}: job.schema (a draft-04 JSON Schema) is required`);
}

export function validateJobTimeout(component: string, seconds: number, worker: "lambda" | "fargate" = "lambda"): void {
  if (worker === "fargate") {
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > 31536000) {
      throw new Error(`${component}: jobTimeoutSeconds must be a whole number from 1 to 31536000 (a year, the longest a STANDARD execution runs), got ${seconds}`);
    }
    return;
  }
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 900) {
    throw new Error(`${component}: jobTimeoutSeconds must be a whole number from 1 to 900 (Lambda's limit), got ${seconds}`);
  }
}
