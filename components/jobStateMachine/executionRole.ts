/**
 * The role the state machine runs as: it invokes the workflow's functions, writes job records
 * (DynamoDB), runs the Fargate task and delivers the EXPRESS workflow's logs, and nothing else.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { FargateWorker } from "../fargateWorker";
import { document, invokeFunctionStatement, logDeliveryStatement, runTaskStatements, serviceTrustPolicy, stateMachineRecordStatement, type PolicyStatement } from "../iam/policies";
import type { JobArgs } from "../job";
import type { ResultStore } from "../resultStore";

export interface ExecutionRole {
  role: aws.iam.Role;
  policy: aws.iam.RolePolicy;
  /** EXPRESS only: where the executions' errors are logged (EXPRESS executions keep no history). */
  logGroup?: aws.cloudwatch.LogGroup;
}

export function createExecutionRole(
  name: string,
  parent: pulumi.Resource,
  args: {
    job: JobArgs;
    store: ResultStore;
    workflowType: "STANDARD" | "EXPRESS";
    logRetentionInDays?: number;
    /** The functions the state machine invokes (the Lambda worker, the recorder). */
    invoked: pulumi.Output<string>[];
    fargate?: FargateWorker;
  },
): ExecutionRole {
  const { store, fargate } = args;
  const account = aws.getCallerIdentityOutput({}, { parent }).accountId;
  const role = new aws.iam.Role(
    `${name}-role`,
    { assumeRolePolicy: account.apply((id) => JSON.stringify(serviceTrustPolicy("states.amazonaws.com", id))), description: `Runs the ${args.job.name} job workflow` },
    { parent },
  );
  const region = aws.getRegionOutput({}, { parent }).region;
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
  const logGroup =
    args.workflowType === "EXPRESS" ? new aws.cloudwatch.LogGroup(`${name}-logs`, { retentionInDays: args.logRetentionInDays ?? 30 }, { parent }) : undefined;
  const policy = new aws.iam.RolePolicy(
    `${name}-policy`,
    {
      role: role.id,
      policy: pulumi.all([pulumi.all(args.invoked), store.tableArn ?? pulumi.output(""), runTask]).apply(([functionArns, tableArn, run]) =>
        JSON.stringify(
          document(
            ...(functionArns.length ? [invokeFunctionStatement("InvokeJobFunctions", functionArns)] : []),
            ...(tableArn ? [stateMachineRecordStatement(tableArn)] : []),
            ...run,
            ...(logGroup ? [logDeliveryStatement()] : []),
          ),
        ),
      ),
    },
    { parent },
  );
  return { role, policy, logGroup };
}
