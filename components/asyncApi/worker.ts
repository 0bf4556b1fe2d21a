import * as pulumi from "@pulumi/pulumi";
import { workerSpec } from "../handlers";
import { recordStatements, resultStatement, type PolicyStatement } from "../iam/policies";
import { jobWorkerNeeds, workerTimeoutSeconds, type JobArgs } from "../job";
import { BundledFunction } from "../lambda/bundledFunction";
import type { ResultStore } from "../resultStore";

/** What every Lambda-fed backend (`lambda`, `stream`) is built from. */
export interface WorkerBackendArgs {
  job: JobArgs;
  store: ResultStore;
  /** The handlers' environment. */
  environment: pulumi.Input<Record<string, string>>;
  jobTimeoutSeconds: number;
  logRetentionInDays: number;
}

/**
 * The worker function of a Lambda-fed backend (`lambda`, `stream`): the job bundled with its
 * wrapper, the job's time plus a margin, and a role that writes job records and results, plus
 * what its event source needs (`extraStatements`).
 */
export function createJobWorker(
  name: string,
  parent: pulumi.Resource,
  args: WorkerBackendArgs & { handler: "asyncWorker" | "streamWorker"; extraStatements: pulumi.Input<PolicyStatement[]> },
): BundledFunction {
  const { job, store } = args;
  const needs = jobWorkerNeeds(name, job, args.jobTimeoutSeconds, parent);
  return new BundledFunction(
    `${name}-worker`,
    {
      description: `Runs the ${job.name} job`,
      handler: workerSpec(args.handler, job),
      environment: pulumi.all([args.environment, needs.environment]).apply(([env, more]): Record<string, string> => ({ ...env, ...more })),
      timeoutSeconds: workerTimeoutSeconds(args.jobTimeoutSeconds),
      memorySize: job.memorySize ?? 512,
      logRetentionInDays: args.logRetentionInDays,
      policyStatements: pulumi
        .all([store.recordLocation, store.bucketArn, pulumi.output(args.extraStatements), needs.statements])
        .apply(([location, bucketArn, extra, more]) => [...recordStatements(location, "readWrite"), resultStatement(bucketArn, "write"), ...(extra as PolicyStatement[]), ...more]),
    },
    { parent },
  );
}
