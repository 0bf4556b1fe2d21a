/**
 * The task metadata endpoint v4's documents: `${ECS_CONTAINER_METADATA_URI_V4}` answers the
 * container's, `${ECS_CONTAINER_METADATA_URI_V4}/task` the task's (with every container), in the
 * Fargate shape.
 *
 * - https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-metadata-endpoint-v4-fargate.html
 */
import type { TaskRecord } from "./registry";
import type { EcsTask } from "./types";

function containerMetadata(record: TaskRecord, task: EcsTask, c: EcsTask["containers"][number]) {
  const def = record.taskDefinition;
  return {
    DockerId: c.runtimeId,
    Name: c.name,
    DockerName: `ecs-${def.family}-${def.revision}-${c.name}`,
    Image: c.image,
    Labels: {
      "com.amazonaws.ecs.cluster": task.clusterArn,
      "com.amazonaws.ecs.container-name": c.name,
      "com.amazonaws.ecs.task-arn": task.taskArn,
      "com.amazonaws.ecs.task-definition-family": def.family,
      "com.amazonaws.ecs.task-definition-version": String(def.revision),
    },
    DesiredStatus: task.desiredStatus,
    KnownStatus: c.lastStatus,
    ...(c.exitCode !== undefined ? { ExitCode: c.exitCode } : {}),
    Type: "NORMAL",
    ContainerARN: c.containerArn,
    Networks: [{ NetworkMode: "awsvpc", IPv4Addresses: ["127.0.0.1"] }],
  };
}

/** The container `containerName`'s document, or its task's; undefined when the task has no such container. */
export function taskMetadata(record: TaskRecord, containerName: string, what: "container" | "task"): unknown {
  const task = record.task.describe();
  const def = record.taskDefinition;
  const own = task.containers.find((c) => c.name === containerName);
  if (!own) return undefined;
  if (what === "container") return containerMetadata(record, task, own);
  return {
    Cluster: task.clusterArn,
    TaskARN: task.taskArn,
    Family: def.family,
    Revision: String(def.revision),
    DesiredStatus: task.desiredStatus,
    KnownStatus: task.lastStatus,
    Limits: { CPU: def.cpu ? Number(def.cpu) / 1024 : undefined, Memory: def.memory ? Number(def.memory) : undefined },
    PullStartedAt: task.pullStartedAt?.toISOString(),
    PullStoppedAt: task.pullStoppedAt?.toISOString(),
    AvailabilityZone: task.availabilityZone,
    LaunchType: "FARGATE",
    Containers: task.containers.map((c) => containerMetadata(record, task, c)),
  };
}
