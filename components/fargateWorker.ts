import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { ENV } from "../lambdas/shared/env";
import { prepareBuildContext } from "./fargate/buildContext";
import { workerSpec } from "./handlers";
import { document, ecrPullStatements, logStreamStatement, serviceTrustPolicy } from "./iam/policies";
import type { JobArgs } from "./job";
import { fargateTaskSizeError } from "./fargate/taskSize";
import { taskFamily } from "./fargate/taskFamily";

/** CPU architecture of a Fargate task and its image. */
export const FargateArchitecture = { X86_64: "X86_64", ARM64: "ARM64" } as const;
export type FargateArchitecture = (typeof FargateArchitecture)[keyof typeof FargateArchitecture];

/** The network a worker task runs in: the default VPC's public subnets, or subnets of your own. */
export interface FargateNetworkArgs {
  /**
   * Subnets for the task (at least one). A task in a private subnet needs a route to the AWS
   * APIs, or it cannot pull its image and its job fails only at the heartbeat timeout: a NAT
   * gateway, or these VPC endpoints ("Amazon ECR interface VPC endpoints (AWS PrivateLink)"):
   * interface `ecr.api`, `ecr.dkr`, `logs` and `states` (private DNS on, their security group
   * open to the task's on 443), and gateway `s3` (image layers, and the results bucket) and
   * `dynamodb` (store `dynamodb`). STS is not needed: task credentials come from the task's own
   * credentials endpoint.
   * @example vpc.privateSubnetIds
   */
  subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Security groups for the task (egress to the AWS APIs is all it needs). Required with `subnetIds`. */
  securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Give the task a public IP: needed in public subnets without a NAT gateway.
   * @default false
   */
  assignPublicIp?: boolean;
}

/** Options of the Fargate worker (`worker: "fargate"`). */
export interface FargateWorkerOptions {
  /**
   * CPU units of the task (1024 = 1 vCPU): 256, 512, 1024, 2048, 4096, 8192 or 16384.
   * See https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
   * @default 1024
   */
  cpu?: number;
  /**
   * Memory of the task in MiB. With `cpu` it must be one of Fargate's task sizes (checked when the
   * component is built, before any image is): 256 → 512, 1024 or 2048; 512 → 1024 to 4096;
   * 1024 → 2048 to 8192; 2048 → 4096 to 16384; 4096 → 8192 to 30720 (steps of 1024);
   * 8192 → 16384 to 61440 (steps of 4096); 16384 → 32768 to 122880 (steps of 8192).
   * See https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
   * @default 2048
   * @example { cpu: 2048, memory: 8192 }
   */
  memory?: number;
  /**
   * Where tasks run. By default, the account's default VPC (`awsx.ec2.DefaultVpc`), its public
   * subnets, a public IP and a security group of this stack that allows egress only.
   * @default the default VPC
   * @example { subnetIds: vpc.privateSubnetIds, securityGroupIds: [sg.id] }
   */
  network?: FargateNetworkArgs;
  /**
   * How often, at most, the container must show it is alive: it sends a heartbeat every third of
   * this. A task that stops sending them is dead (`States.HeartbeatTimeout`) and its job is
   * recorded FAILED, **at most this + 240 seconds after its last heartbeat**: Step Functions has
   * one heartbeat window per task, counted from the task's start (before the container runs), so
   * the window also holds the task's start-up allowance (placement and the image pull, 240 s) for
   * the whole run. A container that dies one hour in is noticed 60 + 240 s later by default. A
   * task that ECS stops (StopTask, Fargate task retirement) says so at once: `WorkerStopped`.
   * @default 60
   */
  heartbeatSeconds?: number;
  /**
   * CloudWatch Container Insights on the cluster: task CPU and memory metrics, billed as
   * CloudWatch custom metrics.
   * @default true
   */
  containerInsights?: boolean;
  /**
   * CPU architecture of the image and the task. The image is built on the deploying machine:
   * `ARM64` needs an arm64 machine or Docker's emulation there.
   * @default "X86_64"
   */
  architecture?: FargateArchitecture;
}

export interface FargateWorkerArgs extends FargateWorkerOptions {
  /** The job the container runs (the same module as the Lambda worker's). */
  job: JobArgs;
  /** The handlers' environment (store, timeouts). */
  environment: pulumi.Input<Record<string, string>>;
  /**
   * Days CloudWatch keeps the containers' logs.
   * @default 30
   */
  logRetentionInDays?: number;
}

export const FARGATE_DEFAULTS = { cpu: 1024, memory: 2048, heartbeatSeconds: 60, architecture: "X86_64" } as const;

/** The container's name in the task definition (the state machine overrides its environment). */
export const WORKER_CONTAINER = "worker";

/**
 * The ECS side of `worker=fargate`: a cluster (Container Insights on), the worker image built from
 * the job's own code (`awsx.ecr.Image` from a prepared build context: an esbuild bundle of
 * lambdas/worker/containerWorker.ts with the job, on a Node.js 22 image), the task definition
 * (`awsx.ecs.FargateTaskDefinition`) with its own execution and task roles, the network and a log
 * group. The task role gets its permissions from the state machine (JobStateMachine), which is the
 * only thing allowed to run the task and the only one the task may answer.
 */
export class FargateWorker extends pulumi.ComponentResource {
  public readonly cluster: aws.ecs.Cluster;
  public readonly repository: aws.ecr.Repository;
  public readonly image: awsx.ecr.Image;
  public readonly taskDefinition: awsx.ecs.FargateTaskDefinition;
  public readonly taskRole: aws.iam.Role;
  public readonly executionRole: aws.iam.Role;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  /** The family (its latest revision is what the state machine runs). */
  public readonly family: pulumi.Output<string>;
  public readonly containerName = WORKER_CONTAINER;
  public readonly subnetIds: pulumi.Output<string[]>;
  public readonly securityGroupIds: pulumi.Output<string[]>;
  public readonly assignPublicIp: boolean;
  public readonly heartbeatSeconds: number;

  constructor(name: string, args: FargateWorkerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("async-api:index:FargateWorker", name, {}, opts);
    const self = `FargateWorker ${name}`;
    const cpu = args.cpu ?? FARGATE_DEFAULTS.cpu;
    const memory = args.memory ?? FARGATE_DEFAULTS.memory;
    this.heartbeatSeconds = args.heartbeatSeconds ?? FARGATE_DEFAULTS.heartbeatSeconds;
    const architecture = args.architecture ?? FARGATE_DEFAULTS.architecture;
    const sizeError = fargateTaskSizeError(cpu, memory);
    if (sizeError) throw new Error(`${self}: ${sizeError}`);
    if (!Number.isInteger(this.heartbeatSeconds) || this.heartbeatSeconds < 10 || this.heartbeatSeconds > 3600) {
      throw new Error(`${self}: heartbeatSeconds must be a whole number from 10 to 3600, got ${this.heartbeatSeconds}`);
    }
    if (args.network && (!args.network.subnetIds || !args.network.securityGroupIds)) {
      throw new Error(`${self}: network needs both subnetIds and securityGroupIds (or leave network out for the default VPC)`);
    }

    this.cluster = new aws.ecs.Cluster(
      `${name}-cluster`,
      { settings: [{ name: "containerInsights", value: args.containerInsights === false ? "disabled" : "enabled" }] },
      { parent: this },
    );
    this.logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { retentionInDays: args.logRetentionInDays ?? 30 }, { parent: this });

    this.repository = new aws.ecr.Repository(
      `${name}-repo`,
      { forceDelete: true, imageScanningConfiguration: { scanOnPush: true }, imageTagMutability: "MUTABLE" },
      { parent: this },
    );
    new aws.ecr.LifecyclePolicy(
      `${name}-repo-lifecycle`,
      {
        repository: this.repository.name,
        policy: JSON.stringify({
          rules: [{ rulePriority: 1, description: "Keep the last 10 images", selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 10 }, action: { type: "expire" } }],
        }),
      },
      { parent: this },
    );
    const build = prepareBuildContext(workerSpec("containerWorker", args.job));
    this.image = new awsx.ecr.Image(
      `${name}-image`,
      { repositoryUrl: this.repository.repositoryUrl, context: build.context, platform: architecture === "ARM64" ? "linux/arm64" : "linux/amd64", imageTag: build.digest.slice(0, 16) },
      { parent: this },
    );

    if (args.network) {
      this.subnetIds = pulumi.output(args.network.subnetIds);
      this.securityGroupIds = pulumi.output(args.network.securityGroupIds);
      this.assignPublicIp = args.network.assignPublicIp ?? false;
    } else {
      const vpc = new awsx.ec2.DefaultVpc(`${name}-vpc`, {}, { parent: this });
      const securityGroup = new aws.ec2.SecurityGroup(
        `${name}-sg`,
        {
          vpcId: vpc.vpcId,
          description: "Job worker tasks: no inbound traffic; outbound HTTPS to ECR, the store and Step Functions",
          egress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"], description: "HTTPS to the AWS APIs" }],
        },
        { parent: this },
      );
      this.subnetIds = vpc.publicSubnetIds;
      this.securityGroupIds = securityGroup.id.apply((id) => [id]);
      this.assignPublicIp = true;
    }

    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const trust = account.apply((id) => JSON.stringify(serviceTrustPolicy("ecs-tasks.amazonaws.com", id)));
    this.executionRole = new aws.iam.Role(`${name}-execution-role`, { assumeRolePolicy: trust, description: "Lets ECS pull the worker image and write its logs" }, { parent: this });
    const executionPolicy = new aws.iam.RolePolicy(
      `${name}-execution-policy`,
      {
        role: this.executionRole.id,
        policy: pulumi
          .all([this.repository.arn, this.logGroup.arn])
          .apply(([repositoryArn, logGroupArn]) => JSON.stringify(document(...ecrPullStatements(repositoryArn), logStreamStatement(logGroupArn)))),
      },
      { parent: this },
    );
    this.taskRole = new aws.iam.Role(`${name}-task-role`, { assumeRolePolicy: trust, description: `Runs the ${args.job.name} job` }, { parent: this });

    this.family = pulumi.output(taskFamily(pulumi.getProject(), pulumi.getStack(), `${name}-task`));
    const environment = pulumi.output(args.environment).apply((env) =>
      Object.entries({ ...env, [ENV.HEARTBEAT_SECONDS]: String(this.heartbeatSeconds) })
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, value]) => ({ name: key, value })),
    );
    this.taskDefinition = new awsx.ecs.FargateTaskDefinition(
      `${name}-task`,
      {
        family: this.family,
        cpu: String(cpu),
        memory: String(memory),
        runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: architecture },
        executionRole: { roleArn: this.executionRole.arn },
        taskRole: { roleArn: this.taskRole.arn },
        logGroup: { existing: { name: this.logGroup.name } },
        container: { name: WORKER_CONTAINER, image: this.image.imageUri, essential: true, environment, stopTimeout: 30 },
      },
      { parent: this, dependsOn: [executionPolicy] },
    );
    this.registerOutputs({ clusterName: this.cluster.name, family: this.family, imageUri: this.image.imageUri });
  }
}
