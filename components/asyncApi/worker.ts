import * as pulumi from "@pulumi/pulumi";
import { workerSpec } from "../handlers";
import { recordStatements, resultStatement, type PolicyStatement } from "../iam/policies";
import { workerTimeoutSeconds, type JobArgs } from "../job";
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
  return new BundledFunction(
    `${name}-worker`,
    {
      description: `Runs the ${job.name} job`,
      handler: workerSpec(args.handler, job),
      environment: args.environment,
      timeoutSeconds: workerTimeoutSeconds(args.jobTimeoutSeconds),
      memorySize: job.memorySize ?? 512,
      logRetentionInDays: args.logRetentionInDays,
      policyStatements: pulumi
        .all([store.recordLocation, store.bucketArn, pulumi.output(args.extraStatements)])
        .apply(([location, bucketArn, extra]) => [...recordStatements(location, "readWrite"), resultStatement(bucketArn, "write"), ...(extra as PolicyStatement[])]),
    },
    { parent },
  );
}
