import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { putEventsStatement, recordStatements, resultStatement } from "../iam/policies";
import { workerSpec } from "../handlers";
import { workerTimeoutSeconds, type JobArgs } from "../job";
import { BundledFunction } from "../lambda/bundledFunction";
import type { ResultStore } from "../resultStore";
import type { LambdaWorkerArgs } from "./args";

export interface LambdaBackend {
  worker: BundledFunction;
  invokeConfig: aws.lambda.FunctionEventInvokeConfig;
}

/**
 * Backend `lambda`: a worker invoked asynchronously (`InvocationType: Event`) that records its own
 * outcome. Crashes, timeouts and events too old to run go to its on-failure destination: the
 * failures bus (components/asyncApi/failures.ts), whose rule has the failure recorder record them.
 */
export function createLambdaBackend(
  name: string,
  parent: pulumi.Resource,
  args: {
    job: JobArgs;
    store: ResultStore;
    environment: pulumi.Input<Record<string, string>>;
    jobTimeoutSeconds: number;
    logRetentionInDays: number;
    options: LambdaWorkerArgs;
    /** The failures bus: the worker's on-failure destination. */
    failureBusArn: pulumi.Input<string>;
  },
): LambdaBackend {
  const { job, store } = args;
  const retries = args.options.maximumRetryAttempts ?? 2;
  const maxAge = args.options.maximumEventAgeSeconds ?? 3600;
  if (!Number.isInteger(retries) || retries < 0 || retries > 2) throw new Error(`AsyncApi ${name}: lambdaWorker.maximumRetryAttempts must be 0, 1 or 2, got ${retries}`);
  if (!Number.isInteger(maxAge) || maxAge < 60 || maxAge > 21600) throw new Error(`AsyncApi ${name}: lambdaWorker.maximumEventAgeSeconds must be from 60 to 21600, got ${maxAge}`);

  const worker = new BundledFunction(
    `${name}-worker`,
    {
      description: `Runs the ${job.name} job`,
      handler: workerSpec("asyncWorker", job),
      environment: args.environment,
      timeoutSeconds: workerTimeoutSeconds(args.jobTimeoutSeconds),
      memorySize: job.memorySize ?? 512,
      logRetentionInDays: args.logRetentionInDays,
      policyStatements: pulumi
        .all([store.recordLocation, store.bucketArn, args.failureBusArn])
        .apply(([location, bucketArn, busArn]) => [
          ...recordStatements(location, "readWrite"),
          resultStatement(bucketArn, "write"),
          // Lambda sends on-failure destination records with the worker's own role.
          putEventsStatement("SendFailuresToBus", busArn),
        ]),
    },
    { parent },
  );

  const invokeConfig = new aws.lambda.FunctionEventInvokeConfig(
    `${name}-worker-invoke-config`,
    {
      functionName: worker.functionName,
      maximumRetryAttempts: retries,
      maximumEventAgeInSeconds: maxAge,
      destinationConfig: { onFailure: { destination: args.failureBusArn } },
    },
    { parent },
  );
  return { worker, invokeConfig };
}
