import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { putEventsStatement } from "../iam/policies";
import type { BundledFunction } from "../lambda/bundledFunction";
import type { LambdaWorkerArgs } from "./args";
import { createJobWorker, type WorkerBackendArgs } from "./worker";

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
  args: WorkerBackendArgs & {
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

  const worker = createJobWorker(name, parent, {
    handler: "asyncWorker",
    job,
    store,
    environment: args.environment,
    jobTimeoutSeconds: args.jobTimeoutSeconds,
    logRetentionInDays: args.logRetentionInDays,
    // Lambda sends on-failure destination records with the worker's own role.
    extraStatements: pulumi.output(args.failureBusArn).apply((busArn) => [putEventsStatement("SendFailuresToBus", busArn)]),
  });

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
