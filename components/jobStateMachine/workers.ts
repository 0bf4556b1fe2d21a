/**
 * What runs inside the workflow: the job's worker (a Lambda function, or a Fargate task) with the
 * environment and permissions it needs, and the recorder function that writes job records on an
 * S3 store.
 */
import * as pulumi from "@pulumi/pulumi";
import { ENV } from "../../lambdas/shared/env";
import { FargateWorker } from "../fargateWorker";
import { handlerSpec, workerSpec } from "../handlers";
import { recordStatements, resultStatement, type PolicyStatement } from "../iam/policies";
import { jobWorkerNeeds, workerTimeoutSeconds } from "../job";
import { BundledFunction } from "../lambda/bundledFunction";
import type { JobStateMachineArgs } from "../jobStateMachine";
import type { ResultStore } from "../resultStore";
import type { JobStateMachineSettings } from "./settings";

/** The environment and permissions of the workflow's functions and task. */
export interface WorkerEnvironment {
  /** The store's environment, with the backend, worker and job timeout (the recorder's). */
  storeEnv: pulumi.Output<Record<string, string>>;
  /** The worker's: the store's plus what the job needs. */
  workerEnv: pulumi.Output<Record<string, string>>;
  /** The worker's permissions: read job records, write results, and what the job needs. */
  workerStatements: pulumi.Output<PolicyStatement[]>;
}

export function workerEnvironment(self: string, parent: pulumi.Resource, args: JobStateMachineArgs, settings: JobStateMachineSettings): WorkerEnvironment {
  const store = args.store;
  const storeEnv = store.environment.apply((env): Record<string, string> => ({
    ...env,
    [ENV.BACKEND]: "stepfunctions",
    [ENV.WORKER]: settings.workerKind,
    [ENV.JOB_TIMEOUT_SECONDS]: String(settings.jobTimeoutSeconds),
  }));
  const needs = jobWorkerNeeds(self, args.job, settings.jobTimeoutSeconds, parent);
  const workerEnv = pulumi.all([storeEnv, needs.environment]).apply(([env, more]): Record<string, string> => ({ ...env, ...more }));
  const workerStatements = pulumi
    .all([store.recordLocation, store.bucketArn, needs.statements])
    .apply(([location, bucketArn, more]): PolicyStatement[] => [...recordStatements(location, "read"), resultStatement(bucketArn, "write"), ...more]);
  return { storeEnv, workerEnv, workerStatements };
}

/** The job's worker: `<name>-worker` (a Lambda function) or `<name>-fargate` (a Fargate task). */
export function createWorker(
  name: string,
  parent: pulumi.Resource,
  args: JobStateMachineArgs,
  settings: JobStateMachineSettings,
  env: WorkerEnvironment,
): { worker?: BundledFunction; fargateWorker?: FargateWorker } {
  if (settings.workerKind === "lambda") {
    const worker = new BundledFunction(
      `${name}-worker`,
      {
        description: `Runs the ${args.job.name} job for the state machine`,
        handler: workerSpec("stepFunctionsWorker", args.job),
        environment: env.workerEnv,
        timeoutSeconds: workerTimeoutSeconds(settings.jobTimeoutSeconds),
        memorySize: args.job.memorySize ?? 512,
        policyStatements: env.workerStatements,
      },
      { parent },
    );
    return { worker };
  }
  const fargateWorker = new FargateWorker(
    `${name}-fargate`,
    { ...(args.fargate ?? {}), job: args.job, environment: env.workerEnv, logRetentionInDays: args.logRetentionInDays },
    { parent },
  );
  return { fargateWorker };
}

/** store s3: the recorder function the state machine writes job records with (none on DynamoDB). */
export function createRecorder(name: string, parent: pulumi.Resource, store: ResultStore, storeEnv: pulumi.Output<Record<string, string>>): BundledFunction | undefined {
  if (store.kind !== "s3") return undefined;
  return new BundledFunction(
    `${name}-recorder`,
    {
      description: "Records job status changes for the state machine",
      handler: handlerSpec("recorder"),
      environment: storeEnv,
      policyStatements: store.recordLocation.apply((location) => recordStatements(location, "readWrite")),
    },
    { parent },
  );
}
