/**
 * worker fargate: the ECS cluster, the ECR repository and image (its build context is what a local
 * task runs), the network (nothing to emulate), and the task definition, on the local ECS.
 */
import * as path from "path";
import type { LocalEcsService } from "../../aws/ecs";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "../../aws/types";
import { arn, type MaterialiserContext, type Materialisers } from "./context";

function ecs(ctx: MaterialiserContext, resource: string): LocalEcsService {
  if (!ctx.services.ecs) throw new Error(`${resource}: the local cloud has no ECS service`);
  return ctx.services.ecs;
}

export function ecsMaterialisers(ctx: MaterialiserContext): Materialisers {
  return {
    "aws:ecs/cluster:Cluster": async (name, inputs) => {
      const cluster = ctx.physicalName(name, inputs, 255);
      const { arn: clusterArn } = ecs(ctx, name).createCluster(cluster);
      return { id: clusterArn, state: { name: cluster, arn: clusterArn } };
    },
    "aws:ecr/repository:Repository": async (name, inputs) => {
      const repository = ctx.physicalName(name, inputs, 256).toLowerCase();
      return { id: repository, state: { name: repository, arn: arn("ecr", `repository/${repository}`), repositoryUrl: `${LOCAL_ACCOUNT_ID}.dkr.ecr.${LOCAL_REGION}.amazonaws.com/${repository}`, registryId: LOCAL_ACCOUNT_ID } };
    },
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": ctx.accepted,
    "awsx:ecr:Image": async (name, inputs) => {
      if (typeof inputs.context !== "string") throw new Error(`image ${name}: the local cloud needs a build context directory`);
      const imageUri = `${inputs.repositoryUrl}:${inputs.imageTag ?? "latest"}`;
      ecs(ctx, name).registerImage(imageUri, path.resolve(ctx.projectDir, inputs.context));
      return { id: imageUri, state: { imageUri } };
    },
    "awsx:ec2:DefaultVpc": async () => ({ id: "vpc-local", state: { vpcId: "vpc-local", publicSubnetIds: ["subnet-local-a", "subnet-local-b"], privateSubnetIds: [] } }),
    "aws:ec2/securityGroup:SecurityGroup": async (name) => {
      const id = `sg-${ctx.shortId(name)}`;
      return { id, state: { arn: arn("ec2", `security-group/${id}`) } };
    },
    "awsx:ecs:FargateTaskDefinition": async (name, inputs) => {
      const containers = inputs.container ? [inputs.container] : Object.entries(inputs.containers ?? {}).map(([key, c]: [string, any]) => ({ name: key, ...c }));
      const { arn: taskDefinitionArn } = ecs(ctx, name).registerTaskDefinition({
        family: inputs.family ?? ctx.physicalName(name, {}, 255),
        cpu: inputs.cpu,
        memory: inputs.memory,
        taskRoleArn: inputs.taskRole?.roleArn,
        executionRoleArn: inputs.executionRole?.roleArn,
        containers: containers.map((c: any) => ({ name: c.name, image: c.image, environment: c.environment, essential: c.essential, stopTimeoutSeconds: c.stopTimeout, command: c.command })),
      });
      return { id: taskDefinitionArn, state: {} };
    },
  };
}
