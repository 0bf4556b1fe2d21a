import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { STATUS_TIMEOUT_SECONDS } from "../lambdas/api/longPoll";
import { ENV, startAllowanceSeconds } from "../lambdas/shared/env";
import type { AuthMode, Backend, StoreKind, WorkerKind } from "../lambdas/shared/types";
import { describeImportLimits, importLimits } from "./api/importLimits";
import { buildApiDocument } from "./api/openapi";
import type { AsyncApiArgs } from "./asyncApi/args";
import { createAuthResources } from "./asyncApi/auth";
import { createFailureChannel, failureRecordingSettings, routeFailures, type FailureChannel } from "./asyncApi/failures";
import { createGateway } from "./asyncApi/gateway";
import { createLambdaBackend } from "./asyncApi/lambdaBackend";
import { createResultReader } from "./asyncApi/resultReader";
import { createJobEvents } from "./asyncApi/jobEvents";
import { createWebhooks } from "./asyncApi/webhooks";
import { createStreamBackend, streamWorkerSettings } from "./asyncApi/streamBackend";
import { streamSubmitIntegration } from "./api/streamSubmit";
import type { ApiGatewayIntegration } from "./api/openapiTypes";
import { assumeRoleStatement, invokeFunctionStatement, listStatements, recordStatements, resultStatement, startExecutionStatement, stopExecutionStatement, type PolicyStatement } from "./iam/policies";
import { handlerSpec, submitSpec } from "./handlers";
import { validateJob, validateJobTimeout } from "./job";
import { BundledFunction } from "./lambda/bundledFunction";
import { JobStateMachine } from "./jobStateMachine";
import { ResultStore } from "./resultStore";

/** The status function's memory: it mostly waits (long polls) on the store. */
export const STATUS_MEMORY_MB = 128;

export type { AsyncApiArgs, FailureRecordingArgs, LambdaWorkerArgs, StreamWorkerArgs } from "./asyncApi/args";

type Route = "submit" | "list" | "status" | "cancel";
const ROUTES: Record<Route, { method: string; path: string; description: string }> = {
  submit: { method: "POST", path: "/jobs", description: "POST /jobs: checks and records a job, then starts it" },
  list: { method: "GET", path: "/jobs", description: "GET /jobs: lists the caller's jobs from the store's owner index" },
  status: { method: "GET", path: "/jobs/*", description: "GET /jobs/{jobId}: reads a job from the store" },
  cancel: { method: "DELETE", path: "/jobs/*", description: "DELETE /jobs/{jobId}: cancels a job" },
};

/**
 * An asynchronous job API: `POST /jobs` answers `202` with a job id at once, the job runs in the
 * background (Step Functions or an asynchronous Lambda), `GET /jobs/{id}` reads its status and
 * result from the store, `DELETE /jobs/{id}` cancels it. One REST API (regional) defined by one
 * OpenAPI document, with auth, throttling, CORS and access logs.
 */
/** The components an AsyncApi is made of (see the getters). */
interface AsyncApiParts {
  store: ResultStore;
  eventsPublisher: BundledFunction;
  webhookDelivery: BundledFunction;
  functions: { submit?: BundledFunction; list: BundledFunction; status: BundledFunction; cancel: BundledFunction };
  workflow?: JobStateMachine;
  worker?: BundledFunction;
  failureRecorder?: BundledFunction;
}

const PARTS = new WeakMap<object, AsyncApiParts>();
const partsOf = (api: object): AsyncApiParts => PARTS.get(api)!;

export class AsyncApi extends pulumi.ComponentResource {
  /** Base URL of the API, no trailing slash: routes are `${apiUrl}/jobs`. */
  public readonly apiUrl: pulumi.Output<string>;
  public readonly backend: Backend;
  /** Where the job's code runs. */
  public readonly workerKind: WorkerKind;
  /** worker `fargate`: the ECS cluster the job tasks run in. */
  public readonly clusterName?: pulumi.Output<string>;
  public readonly storeKind: StoreKind;
  public readonly auth: AuthMode;
  public readonly restApi: aws.apigateway.RestApi;
  public readonly stage: aws.apigateway.Stage;
  /** auth `iam`: ARN of a role allowed to call exactly this API's routes. */
  public readonly invokeRoleArn?: pulumi.Output<string>;
  /** auth `apiKey`: the key's id. */
  public readonly apiKeyId?: pulumi.Output<string>;
  /** auth `apiKey`: the key's value (secret). */
  public readonly apiKeyValue?: pulumi.Output<string>;
  public readonly stateMachineArn?: pulumi.Output<string>;
  public readonly jobsTableName?: pulumi.Output<string>;
  public readonly resultsBucketName: pulumi.Output<string>;
  /** The role whose sessions sign `resultUrl`s (read-only on `results/*`; assumed by the status function). */
  public readonly resultReaderRole: aws.iam.Role;
  /** The bus failure events reach (Lambda destinations; forwarded Step Functions status changes). */
  public readonly failureBusArn?: pulumi.Output<string>;
  /** The rule on that bus that sends them to the recorder: `FilterArns` of a replay. */
  public readonly failureRuleArn?: pulumi.Output<string>;
  /** The archive of failure events: `--event-source-arn` of `aws events start-replay`. */
  public readonly failureArchiveArn?: pulumi.Output<string>;
  /** Where failures that could not be delivered or recorded end (SQS, encrypted). */
  public readonly deadLetterQueueUrl?: pulumi.Output<string>;
  /** The bus of job events: every status change, source `async-api`, detail-type `Job Status Change`. */
  public readonly jobEventsBusArn: pulumi.Output<string>;
  /** Job status changes the events publisher gave up on (SQS). */
  public readonly jobEventsDeadLetterQueueUrl: pulumi.Output<string>;
  /** The webhook signing secret, `whsec_<base64>` (secret). */
  public readonly webhookSecret: pulumi.Output<string>;
  /** Webhook deliveries given up on (SQS): refused addresses, and retries past 24 hours. */
  public readonly webhookDeadLetterQueueUrl: pulumi.Output<string>;

  // The components it is made of are getters, not fields: Pulumi's schema inference (for other
  // languages) takes every field as an output, and it cannot describe this package's own components.
  /** The store: created, or the existing one named by `resultStore`. */
  get store(): ResultStore {
    return partsOf(this).store;
  }
  /** The route handlers; backend `stream` has no submit function (API Gateway writes the job itself). */
  get functions(): { submit?: BundledFunction; list: BundledFunction; status: BundledFunction; cancel: BundledFunction } {
    return partsOf(this).functions;
  }
  /** backend `stepfunctions`. */
  get workflow(): JobStateMachine | undefined {
    return partsOf(this).workflow;
  }
  /** backend `lambda`: the worker invoked asynchronously; backend `stream`: the worker the table's stream feeds. */
  get worker(): BundledFunction | undefined {
    return partsOf(this).worker;
  }
  /** Puts every job status change on the job events bus (from the table's stream, or the bucket's notifications). */
  get eventsPublisher(): BundledFunction {
    return partsOf(this).eventsPublisher;
  }
  /** POSTs ended jobs to their `Callback-Url`. */
  get webhookDelivery(): BundledFunction {
    return partsOf(this).webhookDelivery;
  }
  /**
   * Records jobs that ended without a recorded outcome, from the failures bus (absent for EXPRESS
   * workflows: Step Functions sends no status-change events for them).
   */
  get failureRecorder(): BundledFunction | undefined {
    return partsOf(this).failureRecorder;
  }

  constructor(name: string, args: AsyncApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("async-api:index:AsyncApi", name, {}, opts);
    const own = {} as AsyncApiParts;
    PARTS.set(this, own);
    const self = `AsyncApi ${name}`;
    validateJob(self, args.job);
    this.backend = args.backend ?? "stepfunctions";
    this.auth = args.auth ?? "iam";
    const jobTimeoutSeconds = args.jobTimeoutSeconds ?? 900;
    const worker = args.worker ?? "lambda";
    if (worker !== "lambda" && worker !== "fargate") throw new Error(`${self}: worker must be "lambda" or "fargate", got "${worker}"`);
    if (worker === "fargate" && this.backend !== "stepfunctions") throw new Error(`${self}: worker "fargate" needs backend "stepfunctions" (backend is "${this.backend}")`);
    if (worker === "fargate" && (args.workflowType ?? "STANDARD") !== "STANDARD") throw new Error(`${self}: worker "fargate" needs workflowType "STANDARD"`);
    if (args.fargateWorker && worker !== "fargate") throw new Error(`${self}: fargateWorker applies only to worker "fargate"`);
    this.workerKind = worker;
    validateJobTimeout(self, jobTimeoutSeconds, worker);
    const corsOrigins = args.corsOrigins ?? [];
    const stageName = args.stageName ?? "v1";
    const throttle = args.throttle ?? { rateLimit: 100, burstLimit: 200 };
    const logRetentionInDays = args.logRetentionInDays ?? 30;
    if (!["stepfunctions", "lambda", "stream"].includes(this.backend)) throw new Error(`${self}: backend must be "stepfunctions", "lambda" or "stream", got "${this.backend}"`);
    if (this.backend === "stream" && (args.store ?? "dynamodb") !== "dynamodb") throw new Error(`${self}: backend "stream" needs store "dynamodb" (the jobs table's stream feeds the worker), got store "${args.store}"`);
    if (this.backend === "stream" && args.resultStore && args.resultStore.tableStreamArn === undefined) throw new Error(`${self}: backend "stream" needs a resultStore with a table stream (resultStore.tableStreamArn, view type NEW_AND_OLD_IMAGES)`);
    if (!["iam", "apiKey", "none"].includes(this.auth)) throw new Error(`${self}: auth must be "iam", "apiKey" or "none", got "${this.auth}"`);
    if (args.store && args.resultStore) throw new Error(`${self}: give either store (to create a ResultStore) or resultStore (to use one), not both`);
    if (args.workflowType && this.backend !== "stepfunctions") throw new Error(`${self}: workflowType applies only to backend "stepfunctions"`);
    if (args.lambdaWorker && this.backend !== "lambda") throw new Error(`${self}: lambdaWorker applies only to backend "lambda"`);
    if (args.streamWorker && this.backend !== "stream") throw new Error(`${self}: streamWorker applies only to backend "stream"`);
    if (args.failureRecording && this.backend === "stream") throw new Error(`${self}: failureRecording applies only to backends "stepfunctions" and "lambda" (backend "stream" records failed deliveries from an SQS queue)`);
    const streamSettings = streamWorkerSettings(self, args.streamWorker);
    const failureSettings = failureRecordingSettings(self, args.failureRecording);
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(stageName)) throw new Error(`${self}: stageName must be 1-128 of A-Z a-z 0-9 _ -, got "${stageName}"`);

    const existing = args.resultStore;
    own.store = new ResultStore(
      `${name}-store`,
      existing
        ? { kind: existing.kind ?? "dynamodb", resultTtlMinutes: args.resultTtlMinutes, jobTimeoutSeconds, existing: { bucketName: existing.bucketName, tableName: existing.tableName, tableStreamArn: existing.tableStreamArn } }
        : {
            kind: args.store ?? "dynamodb",
            resultTtlMinutes: args.resultTtlMinutes,
            jobTimeoutSeconds,
            // The job events publisher compares each write's old image with its new one.
            ...((args.store ?? "dynamodb") === "dynamodb" ? { streamViewType: "NEW_AND_OLD_IMAGES" as const } : {}),
          },
      { parent: this },
    );
    this.storeKind = own.store.kind;
    const store = own.store;

    const baseEnv = store.environment.apply((env) => ({
      ...env,
      [ENV.BACKEND]: this.backend,
      [ENV.AUTH]: this.auth,
      [ENV.JOB_TIMEOUT_SECONDS]: String(jobTimeoutSeconds),
      [ENV.WORKER]: worker,
      [ENV.CORS_ORIGINS]: JSON.stringify(corsOrigins),
    }));

    // Job events, from the store's change feed (CONTRACT.md, "Events").
    const events = createJobEvents(name, this, { store, environment: baseEnv, logRetentionInDays });
    own.eventsPublisher = events.publisher;
    this.jobEventsBusArn = events.bus.arn;
    this.jobEventsDeadLetterQueueUrl = events.deadLetterQueue.url;

    // Where a job's failure goes when recording it failed too: the failures bus, its recorder, its
    // archive and the dead-letter queue (STANDARD workflows and the Lambda backend: EXPRESS
    // executions send no status-change events).
    let failures: FailureChannel | undefined;
    if (this.backend === "lambda" || (this.backend === "stepfunctions" && (args.workflowType ?? "STANDARD") === "STANDARD")) {
      failures = createFailureChannel(name, this, { store, environment: baseEnv, logRetentionInDays, settings: failureSettings });
    }

    // What starts and stops jobs, per backend.
    let startEnv: pulumi.Output<Record<string, string>>;
    let startStatements: pulumi.Output<PolicyStatement[]>;
    let cancelStatements: pulumi.Output<PolicyStatement[]> = pulumi.output([]);
    let submitIntegration: pulumi.Output<ApiGatewayIntegration> | undefined;
    if (this.backend === "stream") {
      const backend = createStreamBackend(name, this, { job: args.job, store, environment: baseEnv, jobTimeoutSeconds, logRetentionInDays, settings: streamSettings });
      own.worker = backend.worker;
      this.deadLetterQueueUrl = backend.deadLetterQueue.url;
      startEnv = pulumi.output<Record<string, string>>({});
      startStatements = pulumi.output<PolicyStatement[]>([]);
      const region = aws.getRegionOutput({}, { parent: this }).region;
      const auth = this.auth;
      const recordLifetimeSeconds = startAllowanceSeconds(this.backend) + jobTimeoutSeconds + store.resultTtlMinutes * 60;
      submitIntegration = pulumi
        .all([store.tableName!, backend.gatewayRole.arn, region])
        .apply(([tableName, credentialsRoleArn, r]) => streamSubmitIntegration({ tableName, credentialsRoleArn, region: r, auth, recordLifetimeSeconds, corsOrigins }));
    } else if (this.backend === "stepfunctions") {
      const workflow = (own.workflow = new JobStateMachine(
        `${name}-workflow`,
        { job: args.job, store, workflowType: args.workflowType ?? "STANDARD", jobTimeoutSeconds, worker, fargate: args.fargateWorker, logRetentionInDays },
        { parent: this },
      ));
      const workflowType = workflow.workflowType;
      this.stateMachineArn = workflow.arn;
      startEnv = workflow.arn.apply((arn): Record<string, string> => ({ [ENV.STATE_MACHINE_ARN]: arn, [ENV.WORKFLOW_TYPE]: workflowType }));
      startStatements = workflow.arn.apply((arn) => [startExecutionStatement(arn)]);
      // Express executions cannot be stopped: a cancelled job's late result is discarded instead.
      if (workflowType === "STANDARD") cancelStatements = workflow.arn.apply((arn) => [stopExecutionStatement(arn)]);
      if (failures) {
        const routing = routeFailures(name, this, failures, { kind: "stepfunctions", stateMachineArn: workflow.arn }, failureSettings);
        this.failureRuleArn = routing.rule.arn;
        this.failureArchiveArn = routing.archive.arn;
      }
    } else {
      const backend = createLambdaBackend(name, this, {
        job: args.job,
        store,
        environment: baseEnv,
        jobTimeoutSeconds,
        logRetentionInDays,
        options: args.lambdaWorker ?? {},
        failureBusArn: failures!.bus.arn,
      });
      own.worker = backend.worker;
      const routing = routeFailures(name, this, failures!, { kind: "lambda", workerFunctionArn: backend.worker.arn }, failureSettings);
      this.failureRuleArn = routing.rule.arn;
      this.failureArchiveArn = routing.archive.arn;
      startEnv = backend.worker.functionName.apply((fn): Record<string, string> => ({ [ENV.WORKER_FUNCTION_NAME]: fn }));
      startStatements = backend.worker.arn.apply((arn) => [invokeFunctionStatement("StartJobs", [arn])]);
    }

    const apiEnv = pulumi.all([baseEnv, startEnv]).apply(([a, b]): Record<string, string> => ({ ...a, ...b }));
    const routeStatements: Record<Route, pulumi.Output<PolicyStatement[]>> = {
      submit: pulumi.all([store.recordLocation, startStatements]).apply(([location, start]) => [...recordStatements(location, "submit"), ...start]),
      list: store.recordLocation.apply((location) => listStatements(location)),
      status: pulumi.all([store.recordLocation, store.bucketArn]).apply(([location, bucketArn]) => [...recordStatements(location, "read"), resultStatement(bucketArn, "read")]),
      cancel: pulumi.all([store.recordLocation, cancelStatements]).apply(([location, stop]) => [...recordStatements(location, "readWrite"), ...stop]),
    };
    // The result-reader role trusts the roles of the status and webhook delivery functions alone,
    // and they sign as it. The delivery function comes later: its role's ARN is filled in then.
    let resultReader: aws.iam.Role | undefined;
    let deliveryRoleArn!: (arn: pulumi.Output<string>) => void;
    const laterDeliveryRoleArn = pulumi.output(new Promise<pulumi.Output<string>>((resolve) => (deliveryRoleArn = resolve)));
    const signAsReader = (reader: aws.iam.Role) => ({
      environment: reader.arn.apply((arn): Record<string, string> => ({ [ENV.RESULT_READER_ROLE_ARN]: arn })),
      policyStatements: reader.arn.apply((arn) => [assumeRoleStatement("SignResultUrls", arn)]),
    });
    const signResultUrls = (role: aws.iam.Role) => {
      resultReader = createResultReader(name, this, { resultsBucketArn: store.bucketArn, signerRoleArns: [role.arn, laterDeliveryRoleArn] });
      return signAsReader(resultReader);
    };
    const specs = { submit: submitSpec(args.job), list: handlerSpec("list"), status: handlerSpec("status"), cancel: handlerSpec("cancel") };
    const fns = {} as Record<Route, BundledFunction>;
    const routes = (Object.keys(ROUTES) as Route[]).filter((route) => !(route === "submit" && submitIntegration));
    for (const route of routes) {
      fns[route] = new BundledFunction(
        `${name}-${route}`,
        {
          description: ROUTES[route].description,
          handler: specs[route],
          environment: apiEnv,
          logRetentionInDays,
          // GET /jobs/{id}?wait=N holds the request up to 20 s (lambdas/api/longPoll.ts).
          // A long poll bills its memory for the whole wait, about the job's length per awaited job:
          // at 128 MB it costs what polling by Retry-After does (npm run bench:cost, README "What a job costs").
          ...(route === "status" ? { timeoutSeconds: STATUS_TIMEOUT_SECONDS, memorySize: STATUS_MEMORY_MB } : {}),
          policyStatements: routeStatements[route],
          // The status function signs resultUrls as a role that trusts its role alone.
          withRole: route === "status" ? signResultUrls : undefined,
        },
        { parent: this },
      );
    }
    own.functions = fns;
    this.resultReaderRole = resultReader!;

    // Webhooks, from the job events bus (CONTRACT.md, "Webhooks").
    const webhooks = createWebhooks(name, this, {
      store,
      bus: events.bus,
      environment: apiEnv,
      logRetentionInDays,
      withRole: (role) => {
        deliveryRoleArn(role.arn);
        return signAsReader(resultReader!);
      },
    });
    own.webhookDelivery = webhooks.delivery;
    this.webhookSecret = webhooks.secretValue;
    this.webhookDeadLetterQueueUrl = webhooks.deadLetterQueue.url;

    const submitRoute: pulumi.Output<string | ApiGatewayIntegration> = submitIntegration ?? fns.submit.invokeArn;
    const body = pulumi.all([submitRoute, fns.list.invokeArn, fns.status.invokeArn, fns.cancel.invokeArn]).apply(([submit, list, status, cancel]) => {
      const document = buildApiDocument({ title: name, auth: this.auth, jobSchema: args.job.schema, integrations: { submit, list, status, cancel }, corsOrigins });
      const caution = describeImportLimits(importLimits(document as unknown as Record<string, unknown>), this.backend === "stream");
      if (caution) void pulumi.log.warn(caution, this);
      return JSON.stringify(document);
    });
    const gateway = createGateway(name, this, {
      body,
      stageName,
      throttle,
      logRetentionInDays,
      manageAccountRole: args.manageApiGatewayAccountRole ?? false,
      accessLogs: args.accessLogs ?? args.manageApiGatewayAccountRole ?? false,
      description: `Asynchronous ${args.job.name} job API`,
    });
    this.restApi = gateway.restApi;
    this.stage = gateway.stage;

    for (const route of routes) {
      new aws.lambda.Permission(
        `${name}-${route}-permission`,
        {
          action: "lambda:InvokeFunction",
          function: fns[route].functionName,
          principal: "apigateway.amazonaws.com",
          sourceArn: pulumi.interpolate`${gateway.restApi.executionArn}/*/${ROUTES[route].method}${ROUTES[route].path}`,
        },
        { parent: this },
      );
    }

    const authResources = createAuthResources(name, this, { auth: this.auth, restApi: gateway.restApi, stage: gateway.stage, throttle });
    this.invokeRoleArn = authResources.invokerRole?.arn;
    this.apiKeyId = authResources.apiKey?.id;
    this.apiKeyValue = authResources.apiKey ? pulumi.secret(authResources.apiKey.value) : undefined;

    this.apiUrl = gateway.stage.invokeUrl.apply((url) => url.replace(/\/+$/, ""));
    this.jobsTableName = store.tableName;
    this.clusterName = own.workflow?.fargateWorker?.cluster.name;
    this.resultsBucketName = store.bucketName;
    own.failureRecorder = failures?.recorder;
    this.failureBusArn = failures?.bus.arn;
    this.deadLetterQueueUrl ??= failures?.deadLetterQueue.url;
    this.registerOutputs({
      apiUrl: this.apiUrl,
      invokeRoleArn: this.invokeRoleArn,
      apiKeyId: this.apiKeyId,
      stateMachineArn: this.stateMachineArn,
      clusterName: this.clusterName,
      jobsTableName: this.jobsTableName,
      resultsBucketName: this.resultsBucketName,
      failureBusArn: this.failureBusArn,
      failureRuleArn: this.failureRuleArn,
      failureArchiveArn: this.failureArchiveArn,
      deadLetterQueueUrl: this.deadLetterQueueUrl,
      jobEventsBusArn: this.jobEventsBusArn,
      jobEventsDeadLetterQueueUrl: this.jobEventsDeadLetterQueueUrl,
      webhookSecret: this.webhookSecret,
      webhookDeadLetterQueueUrl: this.webhookDeadLetterQueueUrl,
    });
  }

}
