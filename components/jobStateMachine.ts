import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ENV } from "../lambdas/shared/env";
import { FargateWorker, type FargateWorkerOptions } from "./fargateWorker";
import {
  document,
  invokeFunctionStatement,
  recordStatements,
  resultStatement,
  runTaskStatements,
  sendTaskResultStatement,
  serviceTrustPolicy,
  stateMachineRecordStatement,
  type PolicyStatement,
  logDeliveryStatement,
} from "./iam/policies";
import { handlerSpec, workerSpec } from "./handlers";
import { jobWorkerNeeds, validateJob, validateJobTimeout, workerTimeoutSeconds, type JobArgs } from "./job";
import { BundledFunction } from "./lambda/bundledFunction";
import type { ResultStore } from "./resultStore";
import { buildStateMachineDefinition } from "./workflow/definition";

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
    validateJob(self, args.job);
    this.workerKind = args.worker ?? "lambda";
    if (this.workerKind !== "lambda" && this.workerKind !== "fargate") throw new Error(`${self}: worker must be "lambda" or "fargate", got "${this.workerKind}"`);
    if (args.fargate && this.workerKind !== "fargate") throw new Error(`${self}: fargate options apply only to worker "fargate"`);
    const jobTimeoutSeconds = args.jobTimeoutSeconds ?? 900;
    validateJobTimeout(self, jobTimeoutSeconds, this.workerKind);
    this.workflowType = args.workflowType ?? "STANDARD";
    if (this.workerKind === "fargate" && this.workflowType !== "STANDARD") throw new Error(`${self}: worker "fargate" needs workflowType "STANDARD" (EXPRESS workflows cannot wait for a task token)`);
    const store = args.store;

    const storeEnv = store.environment.apply((env) => ({
      ...env,
      [ENV.BACKEND]: "stepfunctions",
      [ENV.WORKER]: this.workerKind,
      [ENV.JOB_TIMEOUT_SECONDS]: String(jobTimeoutSeconds),
    }));
    const needs = jobWorkerNeeds(self, args.job, jobTimeoutSeconds, this);
    const workerEnv = pulumi.all([storeEnv, needs.environment]).apply(([env, more]): Record<string, string> => ({ ...env, ...more }));
    const workerStatements = pulumi
      .all([store.recordLocation, store.bucketArn, needs.statements])
      .apply(([location, bucketArn, more]): PolicyStatement[] => [...recordStatements(location, "read"), resultStatement(bucketArn, "write"), ...more]);

    if (this.workerKind === "lambda") {
      this.worker = new BundledFunction(
        `${name}-worker`,
        {
          description: `Runs the ${args.job.name} job for the state machine`,
          handler: workerSpec("stepFunctionsWorker", args.job),
          environment: workerEnv,
          timeoutSeconds: workerTimeoutSeconds(jobTimeoutSeconds),
          memorySize: args.job.memorySize ?? 512,
          policyStatements: workerStatements,
        },
        { parent: this },
      );
    } else {
      this.fargateWorker = new FargateWorker(
        `${name}-fargate`,
        { ...(args.fargate ?? {}), job: args.job, environment: workerEnv, logRetentionInDays: args.logRetentionInDays },
        { parent: this },
      );
    }
    const fargate = this.fargateWorker;

    if (store.kind === "s3") {
      this.recorder = new BundledFunction(
        `${name}-recorder`,
        {
          description: "Records job status changes for the state machine",
          handler: handlerSpec("recorder"),
          environment: storeEnv,
          policyStatements: store.recordLocation.apply((location) => recordStatements(location, "readWrite")),
        },
        { parent: this },
      );
    }

    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    this.role = new aws.iam.Role(
      `${name}-role`,
      { assumeRolePolicy: account.apply((id) => JSON.stringify(serviceTrustPolicy("states.amazonaws.com", id))), description: `Runs the ${args.job.name} job workflow` },
      { parent: this },
    );
    const invoked = [this.worker?.arn, this.recorder?.arn].filter((arn): arn is pulumi.Output<string> => arn !== undefined);
    const region = aws.getRegionOutput({}, { parent: this }).region;
    const runTask: pulumi.Output<PolicyStatement[]> = fargate
      ? pulumi
          .all([region, account, fargate.family, fargate.cluster.arn, fargate.taskRole.arn, fargate.executionRole.arn])
          .apply(([r, a, family, clusterArn, taskRoleArn, executionRoleArn]) =>
            runTaskStatements({ taskDefinitionArnPattern: `arn:aws:ecs:${r}:${a}:task-definition/${family}:*`, clusterArn, roleArns: [taskRoleArn, executionRoleArn] }),
          )
      : pulumi.output([]);
    // EXPRESS executions keep no history: without logs, an execution that failed to record a job
    // would leave no trace, and Step Functions sends no status-change events for them either
    // ("Logging in CloudWatch Logs"; LoggingConfiguration's level is OFF by default). ERROR only,
    // without execution data, so job inputs and results stay out of the logs.
    this.logGroup =
      this.workflowType === "EXPRESS"
        ? new aws.cloudwatch.LogGroup(`${name}-logs`, { retentionInDays: args.logRetentionInDays ?? 30 }, { parent: this })
        : undefined;
    const policy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: this.role.id,
        policy: pulumi.all([pulumi.all(invoked), store.tableArn ?? pulumi.output(""), runTask]).apply(([functionArns, tableArn, run]) =>
          JSON.stringify(
            document(
              ...(functionArns.length ? [invokeFunctionStatement("InvokeJobFunctions", functionArns)] : []),
              ...(tableArn ? [stateMachineRecordStatement(tableArn)] : []),
              ...run,
              ...(this.logGroup ? [logDeliveryStatement()] : []),
            ),
          ),
        ),
      },
      { parent: this },
    );

    const fargateTask = fargate
      ? pulumi.all([fargate.cluster.arn, fargate.family, fargate.subnetIds, fargate.securityGroupIds]).apply(([cluster, taskDefinition, subnets, securityGroups]) => ({
          cluster,
          taskDefinition,
          containerName: fargate.containerName,
          subnets,
          securityGroups,
          assignPublicIp: fargate.assignPublicIp,
          heartbeatSeconds: fargate.heartbeatSeconds,
        }))
      : pulumi.output(undefined);
    const definition = pulumi
      .all([this.worker?.arn ?? pulumi.output(undefined), store.tableName ?? pulumi.output(undefined), this.recorder?.arn ?? pulumi.output(undefined), fargateTask])
      .apply(([workerFunctionArn, tableName, recorderFunctionArn, task]) =>
        JSON.stringify(
          buildStateMachineDefinition({
            store: store.kind,
            workerFunctionArn,
            fargateTask: task,
            tableName,
            recorderFunctionArn,
            jobTimeoutSeconds,
            workflowType: this.workflowType,
            workerRetry: args.workerRetry,
          }),
        ),
      );

    const taskPolicy = fargate
      ? new aws.iam.RolePolicy(
          `${name}-task-policy`,
          { role: fargate.taskRole.id, policy: workerStatements.apply((statements) => JSON.stringify(document(...statements, sendTaskResultStatement()))) },
          { parent: this },
        )
      : undefined;
    this.stateMachine = new aws.sfn.StateMachine(
      `${name}-state-machine`,
      {
        type: this.workflowType,
        roleArn: this.role.arn,
        definition,
        loggingConfiguration: this.logGroup ? { level: "ERROR", includeExecutionData: false, logDestination: pulumi.interpolate`${this.logGroup.arn}:*` } : undefined,
      },
      // The task definition, and what its task may do, must exist before an execution can run it.
      { parent: this, dependsOn: fargate && taskPolicy ? [policy, fargate, taskPolicy] : [policy] },
    );
    this.arn = this.stateMachine.arn;
    this.registerOutputs({ arn: this.arn });
  }
}
