/**
 * The state machine itself: its definition (components/workflow/definition.ts) from the ARNs and
 * names of what it runs, and, on the Fargate worker, what the task may do, made before it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { FargateWorker } from "../fargateWorker";
import { document, sendTaskResultStatement, type PolicyStatement } from "../iam/policies";
import type { BundledFunction } from "../lambda/bundledFunction";
import type { ResultStore } from "../resultStore";
import { buildStateMachineDefinition, type WorkerRetry } from "../workflow/definition";
import type { ExecutionRole } from "./executionRole";

export interface StateMachineArgs {
  store: ResultStore;
  workflowType: "STANDARD" | "EXPRESS";
  jobTimeoutSeconds: number;
  workerRetry?: WorkerRetry;
  worker?: BundledFunction;
  fargate?: FargateWorker;
  recorder?: BundledFunction;
  execution: ExecutionRole;
  /** The worker's permissions (the Fargate task role's policy holds them). */
  workerStatements: pulumi.Output<PolicyStatement[]>;
}

/** The definition as JSON text, once the ARNs and names it names are known. */
function definitionText(args: StateMachineArgs): pulumi.Output<string> {
  const { store, fargate } = args;
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
  return pulumi
    .all([args.worker?.arn ?? pulumi.output(undefined), store.tableName ?? pulumi.output(undefined), args.recorder?.arn ?? pulumi.output(undefined), fargateTask])
    .apply(([workerFunctionArn, tableName, recorderFunctionArn, task]) =>
      JSON.stringify(
        buildStateMachineDefinition({
          store: store.kind,
          workerFunctionArn,
          fargateTask: task,
          tableName,
          recorderFunctionArn,
          jobTimeoutSeconds: args.jobTimeoutSeconds,
          workflowType: args.workflowType,
          workerRetry: args.workerRetry,
        }),
      ),
    );
}

export function createStateMachine(name: string, parent: pulumi.Resource, args: StateMachineArgs): aws.sfn.StateMachine {
  const { fargate, execution } = args;
  const definition = definitionText(args);
  const taskPolicy = fargate
    ? new aws.iam.RolePolicy(
        `${name}-task-policy`,
        { role: fargate.taskRole.id, policy: args.workerStatements.apply((statements) => JSON.stringify(document(...statements, sendTaskResultStatement()))) },
        { parent },
      )
    : undefined;
  return new aws.sfn.StateMachine(
    `${name}-state-machine`,
    {
      type: args.workflowType,
      roleArn: execution.role.arn,
      definition,
      loggingConfiguration: execution.logGroup
        ? { level: "ERROR", includeExecutionData: false, logDestination: pulumi.interpolate`${execution.logGroup.arn}:*` }
        : undefined,
    },
    // The task definition, and what its task may do, must exist before an execution can run it.
    { parent, dependsOn: fargate && taskPolicy ? [execution.policy, fargate, taskPolicy] : [execution.policy] },
  );
}
