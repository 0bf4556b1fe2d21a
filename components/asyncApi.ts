import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AuthMode, Backend, StoreKind, WorkerKind } from "../lambdas/shared/types";
import { apiDocumentBody } from "./asyncApi/apiDocument";
import type { AsyncApiArgs } from "./asyncApi/args";
import { createAuthResources } from "./asyncApi/auth";
import { createBackend } from "./asyncApi/backend";
import { createFailureChannel, recordsFailures } from "./asyncApi/failures";
import { createGateway } from "./asyncApi/gateway";
import { createJobEvents } from "./asyncApi/jobEvents";
import { registeredOutputs } from "./asyncApi/outputs";
import { resultUrlSigning } from "./asyncApi/resultUrlSigning";
import { createRouteFunctions, permitGatewayCalls, type RouteFunctions } from "./asyncApi/routes";
import { apiEnvironment, createStore, handlerEnvironment } from "./asyncApi/store";
import { validateArgs } from "./asyncApi/validateArgs";
import { createWebhooks } from "./asyncApi/webhooks";
import type { JobStateMachine } from "./jobStateMachine";
import type { BundledFunction } from "./lambda/bundledFunction";
import type { ResultStore } from "./resultStore";

export { STATUS_MEMORY_MB } from "./asyncApi/routes";
export type { AsyncApiArgs, FailureRecordingArgs, LambdaWorkerArgs, StreamWorkerArgs } from "./asyncApi/args";

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
  functions: RouteFunctions;
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
    const settings = validateArgs(`AsyncApi ${name}`, args);
    const { logRetentionInDays } = settings;
    this.backend = settings.backend;
    this.auth = settings.auth;
    this.workerKind = settings.worker;

    const store = (own.store = createStore(name, this, args, settings.jobTimeoutSeconds));
    this.storeKind = store.kind;
    const environment = handlerEnvironment(store, settings);

    // Job events, from the store's change feed (CONTRACT.md, "Events").
    const events = createJobEvents(name, this, { store, environment, logRetentionInDays });
    // Where a job's failure goes when recording it failed too: the failures bus, its recorder, its
    // archive and the dead-letter queue (STANDARD workflows and the Lambda backend: EXPRESS
    // executions send no status-change events).
    const failures = recordsFailures(settings.backend, settings.workflowType)
      ? createFailureChannel(name, this, { store, environment, logRetentionInDays, settings: settings.failureRecording })
      : undefined;
    // What starts and stops jobs, per backend.
    const backend = createBackend(name, this, { job: args.job, settings, store, environment, failures, lambdaWorker: args.lambdaWorker, fargateWorker: args.fargateWorker });

    const routeEnvironment = apiEnvironment(environment, backend.startEnv);
    const signing = resultUrlSigning(name, this, store.bucketArn);
    const functions = createRouteFunctions(name, this, { job: args.job, store, backend, environment: routeEnvironment, logRetentionInDays, signResultUrls: signing.status });
    // Webhooks, from the job events bus (CONTRACT.md, "Webhooks").
    const webhooks = createWebhooks(name, this, { store, bus: events.bus, environment: routeEnvironment, logRetentionInDays, withRole: signing.delivery });

    const gateway = createGateway(name, this, {
      body: apiDocumentBody(name, this, { job: args.job, auth: settings.auth, backend: settings.backend, corsOrigins: settings.corsOrigins, functions, submitIntegration: backend.submitIntegration }),
      stageName: settings.stageName,
      throttle: settings.throttle,
      logRetentionInDays,
      manageAccountRole: args.manageApiGatewayAccountRole ?? false,
      accessLogs: args.accessLogs ?? args.manageApiGatewayAccountRole ?? false,
      description: `Asynchronous ${args.job.name} job API`,
    });
    permitGatewayCalls(name, this, functions, gateway.restApi);
    const access = createAuthResources(name, this, { auth: settings.auth, restApi: gateway.restApi, stage: gateway.stage, throttle: settings.throttle });

    Object.assign(own, { eventsPublisher: events.publisher, webhookDelivery: webhooks.delivery, functions, workflow: backend.workflow, worker: backend.worker, failureRecorder: failures?.recorder });
    this.apiUrl = gateway.stage.invokeUrl.apply((url) => url.replace(/\/+$/, ""));
    this.restApi = gateway.restApi;
    this.stage = gateway.stage;
    this.invokeRoleArn = access.invokerRole?.arn;
    this.apiKeyId = access.apiKey?.id;
    this.apiKeyValue = access.apiKey ? pulumi.secret(access.apiKey.value) : undefined;
    this.stateMachineArn = backend.workflow?.arn;
    this.clusterName = backend.workflow?.fargateWorker?.cluster.name;
    this.jobsTableName = store.tableName;
    this.resultsBucketName = store.bucketName;
    this.resultReaderRole = signing.reader();
    this.failureBusArn = failures?.bus.arn;
    this.failureRuleArn = backend.failureRouting?.rule.arn;
    this.failureArchiveArn = backend.failureRouting?.archive.arn;
    this.deadLetterQueueUrl = backend.deadLetterQueueUrl ?? failures?.deadLetterQueue.url;
    this.jobEventsBusArn = events.bus.arn;
    this.jobEventsDeadLetterQueueUrl = events.deadLetterQueue.url;
    this.webhookSecret = webhooks.secretValue;
    this.webhookDeadLetterQueueUrl = webhooks.deadLetterQueue.url;
    this.registerOutputs(registeredOutputs(this));
  }
}
