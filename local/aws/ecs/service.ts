/**
 * The local ECS service: clusters, revisioned task definitions, images (build contexts, see
 * dockerfile.ts) and Fargate tasks whose containers run as local Node processes (task.ts). The
 * same operations are served over HTTP with the ECS JSON protocol (http.ts).
 *
 * Operations (ECS API, awsJson1_1, target prefix `AmazonEC2ContainerServiceV20141113`):
 * - RunTask: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html
 * - StopTask: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html
 * - DescribeTasks: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html
 * - ListTasks: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html
 * - DescribeTaskDefinition: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTaskDefinition.html
 * Any other target answers `UnknownOperationException` (400), as the awsJson protocols do:
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html
 *
 * In process only (the resource monitor declares what the program declares): clusters
 * (CreateCluster), task definitions (RegisterTaskDefinition) and images (a build context per URI).
 * - https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCluster.html
 * - https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html
 *
 * Containers find the task metadata endpoint v4 in `ECS_CONTAINER_METADATA_URI_V4` (metadata.ts):
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-metadata-endpoint-v4-fargate.html
 *
 * Everything lives in memory: after a restart, clusters, task definitions and images are declared
 * again by the resource monitor, and tasks that were running are simply gone (their processes are
 * stopped with the service). Stopped tasks stay describable for an hour, as on ECS.
 */
import * as http from "node:http";
import { close, listen } from "../protocols/listen";
import { Ecs } from "./ecs";
import { ecsRequestHandler } from "./http";
import type { EcsServiceOptions, LocalEcsService } from "./types";

export async function startEcsService(options: EcsServiceOptions): Promise<LocalEcsService> {
  const ecs = new Ecs(options);
  const server = http.createServer(ecsRequestHandler(ecs, (taskId, container, what) => ecs.metadata(taskId, container, what), options.log ?? (() => undefined)));
  const { endpoint } = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  ecs.endpoint = endpoint;
  return {
    endpoint,
    stop: () => ecs.stop(() => close(server)),
    createCluster: (name) => ecs.createCluster(name),
    registerTaskDefinition: (input) => ecs.registerTaskDefinition(input),
    registerImage: (imageUri, contextDir) => ecs.registerImage(imageUri, contextDir),
    runTask: (input) => ecs.runTask(input),
    stopTask: (input) => ecs.stopTask(input),
    describeTasks: (input) => ecs.describeTasks(input),
    listTasks: (input) => ecs.listTasks(input),
    describeTaskDefinition: (input) => ecs.describeTaskDefinition(input),
    waitForTaskStopped: (taskArn) => ecs.waitForTaskStopped(taskArn),
  };
}
