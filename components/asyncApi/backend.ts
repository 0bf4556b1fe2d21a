/**
 * What starts and stops jobs, per backend: `stepfunctions` (a state machine per job,
 * stepFunctionsBackend.ts), `lambda` (a worker invoked asynchronously, lambdaBackend.ts) or
 * `stream` (API Gateway writes the job; the table's stream feeds the worker, streamBackend.ts).
 * Each answers the same parts: what the route handlers start and stop jobs with, and the worker,
 * workflow and failure routing it made.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ENV, startAllowanceSeconds } from "../../lambdas/shared/env";
import { streamSubmitIntegration } from "../api/streamSubmit";
import type { ApiGatewayIntegration } from "../api/openapiTypes";
import type { FargateWorkerOptions } from "../fargateWorker";
import { invokeFunctionStatement, type PolicyStatement } from "../iam/policies";
import type { JobArgs } from "../job";
import type { JobStateMachine } from "../jobStateMachine";
import type { BundledFunction } from "../lambda/bundledFunction";
import type { ResultStore } from "../resultStore";
import type { LambdaWorkerArgs } from "./args";
import { routeFailures, type FailureChannel, type FailureRouting } from "./failures";
import { createLambdaBackend } from "./lambdaBackend";
import { createStepFunctionsBackend } from "./stepFunctionsBackend";
import { createStreamBackend } from "./streamBackend";
import type { AsyncApiSettings } from "./validateArgs";

export interface BackendInputs {
  job: JobArgs;
  settings: AsyncApiSettings;
  store: ResultStore;
  /** Every handler's environment. */
  environment: pulumi.Output<Record<string, string>>;
  /** backend `lambda`, and `stepfunctions` STANDARD: where failures go (see failures.ts). */
  failures?: FailureChannel;
  /** backend `lambda`: the worker's async invocation settings. */
  lambdaWorker?: LambdaWorkerArgs;
  /** worker `fargate`: the task's options. */
  fargateWorker?: FargateWorkerOptions;
}

export interface BackendParts {
  /** What the submit function needs in its environment to start a job. */
  startEnv: pulumi.Output<Record<string, string>>;
  /** What the submit function may do to start a job. */
  startStatements: pulumi.Output<PolicyStatement[]>;
  /** What the cancel function may do to stop one. */
  cancelStatements: pulumi.Output<PolicyStatement[]>;
  /** backend `stream`: API Gateway writes the job itself (no submit function). */
  submitIntegration?: pulumi.Output<ApiGatewayIntegration>;
  /** backend `lambda` and `stream`: the worker function. */
  worker?: BundledFunction;
  /** backend `stepfunctions`: the state machine. */
  workflow?: JobStateMachine;
  /** backend `stream`: failed deliveries its recorder could not record. */
  deadLetterQueueUrl?: pulumi.Output<string>;
  /** The rule and archive of the failures bus, when the backend records failures. */
  failureRouting?: FailureRouting;
}

export function createBackend(name: string, parent: pulumi.Resource, inputs: BackendInputs): BackendParts {
  if (inputs.settings.backend === "stream") return streamParts(name, parent, inputs);
  if (inputs.settings.backend === "stepfunctions") return createStepFunctionsBackend(name, parent, inputs);
  return lambdaParts(name, parent, inputs);
}

function streamParts(name: string, parent: pulumi.Resource, inputs: BackendInputs): BackendParts {
  const { settings, store } = inputs;
  const { jobTimeoutSeconds, logRetentionInDays, auth, corsOrigins } = settings;
  const backend = createStreamBackend(name, parent, { job: inputs.job, store, environment: inputs.environment, jobTimeoutSeconds, logRetentionInDays, settings: settings.streamWorker });
  const region = aws.getRegionOutput({}, { parent }).region;
  const recordLifetimeSeconds = startAllowanceSeconds(settings.backend) + jobTimeoutSeconds + store.resultTtlMinutes * 60;
  const submitIntegration = pulumi
    .all([store.tableName!, backend.gatewayRole.arn, region])
    .apply(([tableName, credentialsRoleArn, r]) => streamSubmitIntegration({ tableName, credentialsRoleArn, region: r, auth, recordLifetimeSeconds, corsOrigins }));
  return {
    startEnv: pulumi.output<Record<string, string>>({}),
    startStatements: pulumi.output<PolicyStatement[]>([]),
    cancelStatements: pulumi.output([]),
    submitIntegration,
    worker: backend.worker,
    deadLetterQueueUrl: backend.deadLetterQueue.url,
  };
}

function lambdaParts(name: string, parent: pulumi.Resource, inputs: BackendInputs): BackendParts {
  const { settings, store } = inputs;
  const failures = inputs.failures!;
  const backend = createLambdaBackend(name, parent, {
    job: inputs.job,
    store,
    environment: inputs.environment,
    jobTimeoutSeconds: settings.jobTimeoutSeconds,
    logRetentionInDays: settings.logRetentionInDays,
    options: inputs.lambdaWorker ?? {},
    failureBusArn: failures.bus.arn,
  });
  const failureRouting = routeFailures(name, parent, failures, { kind: "lambda", workerFunctionArn: backend.worker.arn }, settings.failureRecording);
  return {
    startEnv: backend.worker.functionName.apply((fn): Record<string, string> => ({ [ENV.WORKER_FUNCTION_NAME]: fn })),
    startStatements: backend.worker.arn.apply((arn) => [invokeFunctionStatement("StartJobs", [arn])]),
    cancelStatements: pulumi.output([]),
    worker: backend.worker,
    failureRouting,
  };
}
