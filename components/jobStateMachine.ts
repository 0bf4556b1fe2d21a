import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { FargateWorker, FargateWorkerOptions } from "./fargateWorker";
import type { JobArgs } from "./job";
import { createExecutionRole } from "./jobStateMachine/executionRole";
import { jobStateMachineSettings } from "./jobStateMachine/settings";
import { createStateMachine } from "./jobStateMachine/stateMachine";
import { createRecorder, createWorker, workerEnvironment } from "./jobStateMachine/workers";
import type { BundledFunction } from "./lambda/bundledFunction";
import type { ResultStore } from "./resultStore";

export interface JobStateMachineArgs {
  /** The job the state machine runs. */
  job: JobArgs;
  /** Where job records and results live. */
  store: ResultStore;
  /**
   * `STANDARD` (up to a year, exactly-once, can be stopped on cancel) or `EXPRESS` (up to 5
   * minutes, cheaper at high volume, cannot be stopped: a cancelled job's result is discarded).
   * See https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html
   * @default "STANDARD"
   */
  workflowType?: "STANDARD" | "EXPRESS";
  /**
   * Seconds a job may run before it is TIMED_OUT (1 to 900 with the Lambda worker, up to
   * 31536000 (a year) with the Fargate worker; EXPRESS: 300).
   * @default 900
   */
  jobTimeoutSeconds?: number;
  /**
   * Where the job's code runs: a Lambda function (up to 15 minutes), or an ECS Fargate task (up to
   * a year; STANDARD only), started with `.waitForTaskToken`.
   * See https://docs.aws.amazon.com/step-functions/latest/dg/connect-ecs.html
   * @default "lambda"
   */
  worker?: "lambda" | "fargate";
  /** Options of the Fargate worker (`worker: "fargate"` only). */
  fargate?: FargateWorkerOptions;
  /**
   * Days CloudWatch keeps the Fargate worker's logs.
   * @default 30
   */
  logRetentionInDays?: number;
  /**
   * Retries of the worker invoke on transient Lambda errors (throttles, service errors).
   * @default { maxAttempts: 3, intervalSeconds: 2, backoffRate: 2 }
   */
  workerRetry?: { maxAttempts: number; intervalSeconds: number; backoffRate: number };
}

/**
 * The Step Functions workflow around a job: mark it RUNNING, run the worker Lambda (retrying
 * transient errors), record SUCCEEDED / FAILED / TIMED_OUT. Records are written with direct
 * DynamoDB integrations (no helper Lambda) on a DynamoDB store, and by a small recorder Lambda
 * on an S3 store. Every write is conditional, so a cancel or a timeout that came first wins.
 */
export class JobStateMachine extends pulumi.ComponentResource {
  public readonly stateMachine: aws.sfn.StateMachine;
  /** The Lambda worker (`worker: "lambda"`). */
  public readonly worker?: BundledFunction;
  /** The Fargate worker (`worker: "fargate"`). */
  public readonly fargateWorker?: FargateWorker;
  public readonly workerKind: "lambda" | "fargate";
  /** The recorder function (S3 store only). */
  public readonly recorder?: BundledFunction;
  public readonly role: aws.iam.Role;
  public readonly arn: pulumi.Output<string>;
  public readonly workflowType: "STANDARD" | "EXPRESS";
  /** EXPRESS only: where the executions' errors are logged (EXPRESS executions keep no history). */
  public readonly logGroup?: aws.cloudwatch.LogGroup;

  constructor(name: string, args: JobStateMachineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("async-api:index:JobStateMachine", name, {}, opts);
    const self = `JobStateMachine ${name}`;
    const settings = jobStateMachineSettings(self, args);
    this.workerKind = settings.workerKind;
    this.workflowType = settings.workflowType;
    const store = args.store;

    const env = workerEnvironment(self, this, args, settings);
    const workers = createWorker(name, this, args, settings, env);
    this.worker = workers.worker;
    this.fargateWorker = workers.fargateWorker;
    this.recorder = createRecorder(name, this, store, env.storeEnv);

    const invoked = [this.worker?.arn, this.recorder?.arn].filter((arn): arn is pulumi.Output<string> => arn !== undefined);
    const execution = createExecutionRole(name, this, {
      job: args.job,
      store,
      workflowType: this.workflowType,
      logRetentionInDays: args.logRetentionInDays,
      invoked,
      fargate: this.fargateWorker,
    });
    this.role = execution.role;
    this.logGroup = execution.logGroup;

    this.stateMachine = createStateMachine(name, this, {
      store,
      workflowType: this.workflowType,
      jobTimeoutSeconds: settings.jobTimeoutSeconds,
      workerRetry: args.workerRetry,
      worker: this.worker,
      fargate: this.fargateWorker,
      recorder: this.recorder,
      execution,
      workerStatements: env.workerStatements,
    });
    this.arn = this.stateMachine.arn;
    this.registerOutputs({ arn: this.arn });
  }
}
