import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ENV } from "../lambdas/shared/env";
import { document, invokeFunctionStatement, recordStatements, resultStatement, serviceTrustPolicy, stateMachineRecordStatement } from "./iam/policies";
import { handlerSpec, workerSpec } from "./handlers";
import { validateJob, validateJobTimeout, workerTimeoutSeconds, type JobArgs } from "./job";
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
   * Seconds a job may run before it is TIMED_OUT (1 to 900 with the Lambda worker; EXPRESS: 300).
   * @default 900
   */
  jobTimeoutSeconds?: number;
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
  public readonly worker: BundledFunction;
  /** The recorder function (S3 store only). */
  public readonly recorder?: BundledFunction;
  public readonly role: aws.iam.Role;
  public readonly arn: pulumi.Output<string>;
  public readonly workflowType: "STANDARD" | "EXPRESS";

  constructor(name: string, args: JobStateMachineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("async-api:index:JobStateMachine", name, {}, opts);
    validateJob(`JobStateMachine ${name}`, args.job);
    const jobTimeoutSeconds = args.jobTimeoutSeconds ?? 900;
    validateJobTimeout(`JobStateMachine ${name}`, jobTimeoutSeconds);
    this.workflowType = args.workflowType ?? "STANDARD";
    const store = args.store;

    const storeEnv = store.environment.apply((env) => ({
      ...env,
      [ENV.BACKEND]: "stepfunctions",
      [ENV.JOB_TIMEOUT_SECONDS]: String(jobTimeoutSeconds),
    }));

    this.worker = new BundledFunction(
      `${name}-worker`,
      {
        description: `Runs the ${args.job.name} job for the state machine`,
        handler: workerSpec("stepFunctionsWorker", args.job),
        environment: storeEnv,
        timeoutSeconds: workerTimeoutSeconds(jobTimeoutSeconds),
        memorySize: args.job.memorySize ?? 512,
        policyStatements: pulumi
          .all([store.recordLocation, store.bucketArn])
          .apply(([location, bucketArn]) => [...recordStatements(location, "read"), resultStatement(bucketArn, "write")]),
      },
      { parent: this },
    );

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
    const invoked = this.recorder ? [this.worker.arn, this.recorder.arn] : [this.worker.arn];
    const policy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: this.role.id,
        policy: pulumi.all([pulumi.all(invoked), store.tableArn ?? pulumi.output("")]).apply(([functionArns, tableArn]) =>
          JSON.stringify(
            document(invokeFunctionStatement("InvokeJobFunctions", functionArns), ...(tableArn ? [stateMachineRecordStatement(tableArn)] : [])),
          ),
        ),
      },
      { parent: this },
    );

    const definition = pulumi
      .all([this.worker.arn, store.tableName ?? pulumi.output(undefined), this.recorder?.arn ?? pulumi.output(undefined)])
      .apply(([workerFunctionArn, tableName, recorderFunctionArn]) =>
        JSON.stringify(
          buildStateMachineDefinition({
            store: store.kind,
            workerFunctionArn,
            tableName,
            recorderFunctionArn,
            jobTimeoutSeconds,
            workflowType: this.workflowType,
            workerRetry: args.workerRetry,
          }),
        ),
      );

    this.stateMachine = new aws.sfn.StateMachine(
      `${name}-state-machine`,
      { type: this.workflowType, roleArn: this.role.arn, definition },
      { parent: this, dependsOn: [policy] },
    );
    this.arn = this.stateMachine.arn;
    this.registerOutputs({ arn: this.arn });
  }
}
