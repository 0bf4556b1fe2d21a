import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { ENV } from "../lambdas/shared/env";
import type { PolicyStatement } from "./iam/policies";

/** The job an API runs: its code and the JSON Schema of its input. */
export interface JobArgs {
  /**
   * Short name of the job, used in descriptions and logs.
   * @example "timer"
   */
  name: string;
  /**
   * Absolute path of the module that exports the job (a `JobDefinition` from
   * `lambdas/jobs/types.ts`). It is bundled with esbuild into the worker. Give this or
   * `functionArn`.
   * @example path.join(__dirname, "lambdas/jobs/timer.ts")
   */
  module?: string;
  /**
   * An existing Lambda function, in any runtime, that is the job: the worker invokes it
   * synchronously with `{"jobId", "input"}` and records what it returns, or its error (the error's
   * `errorType` becomes the job's `error.code`). Its timeout must be at most `jobTimeoutSeconds`
   * (checked at `pulumi up`). Give this or `module`.
   * @example myFunction.arn
   */
  functionArn?: pulumi.Input<string>;
  /**
   * The export of `module` that holds the `JobDefinition`.
   * @default "default"
   */
  exportName?: string;
  /**
   * Draft-04 JSON Schema of the job's input (API Gateway models are draft-04). Every POST body is
   * checked against it before anything runs.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any JSON: what a schema holds
  schema: Record<string, any>;
  /**
   * Memory of the worker function in MB.
   * @default 512
   */
  memorySize?: number;
}

export { workerTimeoutSeconds } from "../lambdas/shared/env";

export function validateJob(component: string, job: JobArgs): void {
  if (!job || typeof job.name !== "string" || !job.name) throw new Error(`${component}: job.name is required`);
  if ((job.module === undefined) === (job.functionArn === undefined)) {
    throw new Error(`${component}: give the job as job.module (a module to bundle) or job.functionArn (an existing Lambda function), not ${job.module === undefined ? "neither" : "both"}`);
  }
  if (job.module !== undefined && !path.isAbsolute(job.module)) throw new Error(`${component}: job.module must be an absolute path, got "${job.module}"`);
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

/** What a worker (a Lambda worker or the Fargate task) needs besides its store for this job. */
export interface JobWorkerNeeds {
  environment: pulumi.Output<Record<string, string>>;
  statements: pulumi.Output<PolicyStatement[]>;
}

/**
 * `job.functionArn`: the function's ARN in the worker's environment and `lambda:InvokeFunction` on
 * exactly it. Its timeout is read at `pulumi up` (`aws.lambda.getFunction`) and must be at most
 * the job's: a function that may run longer than the job is refused there, naming both.
 */
export function jobWorkerNeeds(component: string, job: JobArgs, jobTimeoutSeconds: number, parent: pulumi.Resource): JobWorkerNeeds {
  if (job.functionArn === undefined) return { environment: pulumi.output({} as Record<string, string>), statements: pulumi.output([] as PolicyStatement[]) };
  const arn = pulumi.output(job.functionArn);
  const timeout = aws.lambda.getFunctionOutput({ functionName: arn }, { parent }).timeout;
  return {
    environment: pulumi.all([arn, timeout]).apply(([functionArn, seconds]): Record<string, string> => {
      if (seconds > jobTimeoutSeconds) {
        throw new Error(`${component}: job.functionArn ${functionArn} has a timeout of ${seconds} s, longer than jobTimeoutSeconds (${jobTimeoutSeconds} s): lower it, or raise jobTimeoutSeconds`);
      }
      return { [ENV.JOB_FUNCTION_ARN]: functionArn };
    }),
    statements: arn.apply((functionArn) => [{ Sid: "InvokeJobFunction", Effect: "Allow" as const, Action: ["lambda:InvokeFunction"], Resource: [functionArn] }]),
  };
}
