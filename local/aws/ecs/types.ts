/**
 * The local ECS service's public types. Requests and responses use the ECS API's own (camelCase,
 * awsJson1_1) shapes, so the in-process methods and the HTTP protocol share them; timestamps are
 * `Date`s in process and epoch seconds on the wire.
 */
import type { RunningService } from "../types";
import type { UsageMeter } from "../../usage/meter";

export interface EcsServiceOptions {
  /** When set, each task's container output is also written to `<stateDir>/logs/<family>/<taskId>.log`. */
  stateDir?: string;
  /** The local cloud's SDK environment (`sdkEnvironment(...)`), read each time a container starts. */
  environment: () => Record<string, string>;
  /** Every line a container prints, prefixed `[ecs <family> <taskId8>/<container>] `, and the service's own notes. */
  log?: (line: string) => void;
  /** Port of the ECS API on 127.0.0.1 (0 or absent: a free one). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** A container's stop timeout when its definition sets none (ECS: 30). @default 30 */
  defaultStopTimeoutSeconds?: number;
  /**
   * NODE_PATH for containers. Absent by default: an image carries its own dependencies (an esbuild
   * bundle), and a bundle that forgot one should fail here as it would on Fargate.
   */
  nodePath?: string[];
  /** The cost meter: each task's Fargate vCPU and memory seconds when it stops, and its containers' log bytes (./usage.ts). */
  meter?: UsageMeter;
}

/** `{name, value}`, as ECS takes environment variables. */
export interface KeyValuePair {
  name: string;
  value: string;
}

export interface ContainerDefinitionInput {
  name: string;
  /** An image URI registered with `registerImage`. */
  image: string;
  environment?: KeyValuePair[];
  /** @default true */
  essential?: boolean;
  /** SIGTERM → SIGKILL grace on stop (ECS `stopTimeout`). @default the service's defaultStopTimeoutSeconds */
  stopTimeoutSeconds?: number;
  /** Replaces the image's CMD (ECS `command`). */
  command?: string[];
}

export interface TaskDefinitionInput {
  family: string;
  cpu?: string | number;
  memory?: string | number;
  taskRoleArn?: string;
  executionRoleArn?: string;
  containers: ContainerDefinitionInput[];
}

/** DescribeTaskDefinition's `taskDefinition` (the fields the local service knows). */
export interface EcsTaskDefinition {
  taskDefinitionArn: string;
  family: string;
  revision: number;
  status: "ACTIVE";
  cpu?: string;
  memory?: string;
  taskRoleArn?: string;
  executionRoleArn?: string;
  networkMode: "awsvpc";
  requiresCompatibilities: ["FARGATE"];
  compatibilities: ["EC2", "FARGATE"];
  containerDefinitions: Array<{
    name: string;
    image: string;
    essential: boolean;
    environment: KeyValuePair[];
    stopTimeout: number;
    command?: string[];
  }>;
  registeredAt: Date;
}

export interface AwsVpcConfiguration {
  subnets: string[];
  securityGroups?: string[];
  assignPublicIp?: "ENABLED" | "DISABLED";
}

export interface ContainerOverride {
  name: string;
  environment?: KeyValuePair[];
  command?: string[];
  /** Accepted and ignored. */
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
}

export interface TaskOverride {
  containerOverrides?: ContainerOverride[];
  cpu?: string;
  memory?: string;
  taskRoleArn?: string;
  executionRoleArn?: string;
}

export interface RunTaskInput {
  /** Name or ARN. @default "default" */
  cluster?: string;
  /** `family`, `family:revision` or the task definition ARN. */
  taskDefinition: string;
  /** FARGATE only (absent is taken as FARGATE). */
  launchType?: string;
  /** Validated for shape (awsvpc: at least one subnet), otherwise ignored. */
  networkConfiguration?: { awsvpcConfiguration?: AwsVpcConfiguration };
  overrides?: TaskOverride;
  /** 1..10. @default 1 */
  count?: number;
  startedBy?: string;
  /** @default `family:<family>` */
  group?: string;
  platformVersion?: string;
  tags?: Array<{ key: string; value?: string }>;
  /** Anything else the API takes (capacityProviderStrategy, propagateTags, ...) is accepted and ignored. */
  [ignored: string]: unknown;
}

export type TaskStatus = "PROVISIONING" | "PENDING" | "RUNNING" | "STOPPING" | "STOPPED";
export type StopCode = "EssentialContainerExited" | "UserInitiated" | "TaskFailedToStart" | "ServiceSchedulerInitiated";

export interface EcsContainer {
  containerArn: string;
  taskArn: string;
  name: string;
  image: string;
  runtimeId: string;
  lastStatus: TaskStatus;
  /** Set once the process exited (Docker's convention: 128 + signal number when killed). */
  exitCode?: number;
  /** Why the container stopped or failed to start (`CannotStartContainerError: ...`). */
  reason?: string;
  /** The container definition's `essential` (not in ECS's answer; `.sync` reads it). */
  essential: boolean;
  networkInterfaces: [];
  healthStatus: "UNKNOWN";
}

/** DescribeTasks' task, as ECS answers it. */
export interface EcsTask {
  taskArn: string;
  clusterArn: string;
  taskDefinitionArn: string;
  group: string;
  startedBy?: string;
  launchType: "FARGATE";
  platformVersion: string;
  platformFamily: "Linux";
  cpu?: string;
  memory?: string;
  lastStatus: TaskStatus;
  desiredStatus: "RUNNING" | "STOPPED";
  connectivity: "CONNECTED";
  availabilityZone: string;
  containers: EcsContainer[];
  overrides: TaskOverride & { containerOverrides: ContainerOverride[]; inferenceAcceleratorOverrides: [] };
  createdAt: Date;
  connectivityAt?: Date;
  pullStartedAt?: Date;
  pullStoppedAt?: Date;
  startedAt?: Date;
  stoppingAt?: Date;
  executionStoppedAt?: Date;
  stoppedAt?: Date;
  stopCode?: StopCode;
  stoppedReason?: string;
  tags: Array<{ key: string; value?: string }>;
  attachments: [];
  enableExecuteCommand: false;
  ephemeralStorage: { sizeInGiB: 20 };
  version: number;
}

export interface Failure {
  arn?: string;
  reason: string;
  detail?: string;
}

export interface RunTaskOutput {
  tasks: EcsTask[];
  failures: Failure[];
}

export interface DescribeTasksOutput {
  tasks: EcsTask[];
  failures: Failure[];
}

export interface ListTasksInput {
  /** @default "default" */
  cluster?: string;
  family?: string;
  startedBy?: string;
  /** @default "RUNNING" (as ECS: tasks whose desired status is RUNNING) */
  desiredStatus?: "RUNNING" | "STOPPED" | "PENDING";
  launchType?: string;
  maxResults?: number;
  nextToken?: string;
}

export interface LocalEcsService extends RunningService {
  /** Creates a cluster (or keeps an existing one). */
  createCluster(name: string): { arn: string };
  /** Registers the next revision of the family: `arn:aws:ecs:<region>:<account>:task-definition/<family>:<rev>`. */
  registerTaskDefinition(input: TaskDefinitionInput): { arn: string };
  /**
   * Maps an image URI to its build context: a directory holding the `Dockerfile` (its CMD is what a
   * container runs, exec form `["node", "<file>", ...]` only) and the files it copies. Throws a
   * clear Error when the Dockerfile cannot run locally.
   */
  registerImage(imageUri: string, contextDir: string): void;
  runTask(input: RunTaskInput): Promise<RunTaskOutput>;
  /** SIGTERM to every container, SIGKILL after its stop timeout; answers the task (STOPPING or STOPPED). */
  stopTask(input: { cluster?: string; task: string; reason?: string }): Promise<{ task: EcsTask }>;
  describeTasks(input: { cluster?: string; tasks: string[] }): DescribeTasksOutput;
  listTasks(input?: ListTasksInput): { taskArns: string[]; nextToken?: string };
  describeTaskDefinition(input: { taskDefinition: string }): { taskDefinition: EcsTaskDefinition; tags: [] };
  /** Resolves with the task once it is STOPPED (at once when it already is); throws for an unknown task. */
  waitForTaskStopped(taskArn: string): Promise<EcsTask>;
}

/** What the local Step Functions service needs of ECS (`ecs:runTask` integrations). */
export type EcsTaskRunner = Pick<LocalEcsService, "runTask" | "stopTask" | "waitForTaskStopped">;
