/**
 * The local ECS service's logic, one method per operation: the monitor's declarations (clusters,
 * task definitions, images) and the ECS API's RunTask, StopTask, DescribeTasks, ListTasks and
 * DescribeTaskDefinition, plus the task metadata lookup and the service's shutdown. The HTTP
 * protocol is http.ts; starting a task's processes is launch.ts and task.ts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { containerCommand, DockerfileError } from "./dockerfile";
import { clientException, EcsError, invalidParameter } from "./errors";
import { launchTask } from "./launch";
import { taskMetadata } from "./metadata";
import { ARN_PREFIX, EcsRegistry } from "./registry";
import { NAME, taskDefinitionOf } from "./taskDefinition";
import type { DescribeTasksOutput, EcsServiceOptions, EcsTask, EcsTaskDefinition, ListTasksInput, RunTaskInput, RunTaskOutput, TaskDefinitionInput } from "./types";
import { checkCount, checkLaunchType, checkNetworkConfiguration, checkOverrides, optionalString } from "./validate";

/** The longest a container gets to stop when the service itself stops. */
const SHUTDOWN_GRACE_MS = 2_000;

export class Ecs {
  readonly registry = new EcsRegistry();
  /** The service's endpoint, set once its server listens (containers find their metadata under it). */
  endpoint = "";
  private readonly log: (line: string) => void;
  private readonly defaultStopTimeout: number;
  private readonly runtimeDir: string;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: EcsServiceOptions) {
    this.log = options.log ?? (() => undefined);
    this.defaultStopTimeout = options.defaultStopTimeoutSeconds ?? 30;
    // Keep the developer's ~/.aws files out of the containers (they could name other endpoints or credentials).
    // HOME is this (empty) directory; AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE name files that are never written.
    // Without a state directory, the runtime directory is a temporary one of this service's own, removed by stop().
    this.runtimeDir = options.stateDir ? path.join(options.stateDir, "runtime") : fs.mkdtempSync(path.join(os.tmpdir(), "async-api-ecs-runtime-"));
    fs.mkdirSync(this.runtimeDir, { recursive: true });
  }

  // -------------------------------------------------------------------------------------------
  // Declarations (the resource monitor)

  createCluster(name: string): { arn: string } {
    if (!NAME.test(name)) throw new Error(`ECS cluster name ${JSON.stringify(name)}: up to 255 letters, digits, hyphens and underscores`);
    const existing = this.registry.clusters.get(name);
    if (existing) return { arn: existing.arn };
    const cluster = { name, arn: `${ARN_PREFIX}:cluster/${name}` };
    this.registry.clusters.set(name, cluster);
    this.log(`ecs: created cluster ${name}`);
    return { arn: cluster.arn };
  }

  registerTaskDefinition(input: TaskDefinitionInput): { arn: string } {
    const revisions = (typeof input?.family === "string" && this.registry.families.get(input.family)) || [];
    const definition = taskDefinitionOf(input, revisions.length + 1, this.defaultStopTimeout);
    this.registry.families.set(definition.family, [...revisions, definition]);
    this.log(`ecs: registered task definition ${definition.family}:${definition.revision} (${definition.containerDefinitions.map((c) => c.name).join(", ")})`);
    return { arn: definition.taskDefinitionArn };
  }

  registerImage(imageUri: string, contextDir: string): void {
    if (typeof imageUri !== "string" || imageUri === "") throw new Error("registerImage: an image URI is needed");
    const dir = path.resolve(contextDir);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`image ${imageUri}: the build context ${dir} is not a directory`);
    let from: string;
    try {
      from = containerCommand(dir).from;
    } catch (err) {
      if (err instanceof DockerfileError) throw new Error(`image ${imageUri} cannot run locally: ${err.message}`);
      throw err;
    }
    this.registry.images.set(imageUri, dir);
    this.log(`ecs: image ${imageUri} is ${dir} (FROM ${from}; runs with the local Node ${process.version})`);
  }

  // -------------------------------------------------------------------------------------------
  // The ECS API

  async runTask(input: RunTaskInput): Promise<RunTaskOutput> {
    if (this.stopping) throw new EcsError("ServerException", "The local ECS service is stopped", 500);
    if (typeof input !== "object" || input === null) throw invalidParameter("RunTask needs a request.");
    checkLaunchType(input);
    const cluster = this.registry.clusterOf(input.cluster);
    if (typeof input.taskDefinition !== "string" || input.taskDefinition === "") throw invalidParameter("taskDefinition can not be blank.");
    const def = this.registry.findTaskDefinition(input.taskDefinition);
    if (!def) throw invalidParameter("TaskDefinition not found.");
    checkNetworkConfiguration(input.networkConfiguration);
    const overrides = checkOverrides(input.overrides, def.containerDefinitions.map((c) => c.name));
    const count = checkCount(input.count);
    optionalString(input.startedBy, "startedBy", 128);
    optionalString(input.group, "group", 255);
    this.registry.pruneStopped();
    const context = { options: this.options, log: this.log, registry: this.registry, runtimeDir: this.runtimeDir, endpoint: this.endpoint };
    const started = Array.from({ length: count }, () => launchTask(context, input, cluster, def, overrides));
    return { tasks: started.map((t) => t.describe()), failures: [] };
  }

  async stopTask(input: { cluster?: string; task: string; reason?: string }): Promise<{ task: EcsTask }> {
    const cluster = this.registry.clusterOf(input?.cluster);
    if (typeof input.task !== "string" || input.task === "") throw invalidParameter("task can not be blank.");
    const reason = optionalString(input.reason, "reason", 255);
    const record = this.registry.taskIn(cluster, input.task);
    if (!record) throw invalidParameter("The referenced task was not found.");
    void record.task.stop("UserInitiated", reason ?? "Task stopped by user");
    return { task: record.task.describe() };
  }

  describeTasks(input: { cluster?: string; tasks: string[] }): DescribeTasksOutput {
    const cluster = this.registry.clusterOf(input?.cluster);
    if (!Array.isArray(input.tasks) || input.tasks.length === 0) throw invalidParameter("Tasks cannot be empty.");
    if (input.tasks.length > 100) throw invalidParameter("Tasks cannot have more than 100 elements.");
    const out: DescribeTasksOutput = { tasks: [], failures: [] };
    for (const ref of input.tasks) {
      const record = typeof ref === "string" ? this.registry.taskIn(cluster, ref) : undefined;
      if (record) out.tasks.push(record.task.describe());
      else out.failures.push({ arn: String(ref), reason: "MISSING" });
    }
    return out;
  }

  listTasks(input: ListTasksInput = {}): { taskArns: string[]; nextToken?: string } {
    const cluster = this.registry.clusterOf(input.cluster);
    const desired = input.desiredStatus ?? "RUNNING";
    if (!["RUNNING", "STOPPED", "PENDING"].includes(desired)) throw invalidParameter("desiredStatus must be RUNNING, PENDING or STOPPED.");
    const max = input.maxResults ?? 100;
    if (!Number.isInteger(max) || max < 1 || max > 100) throw invalidParameter("maxResults must be between 1 and 100.");
    let start = 0;
    if (input.nextToken !== undefined && input.nextToken !== null) {
      start = Number(Buffer.from(String(input.nextToken), "base64url").toString("utf8"));
      if (!Number.isInteger(start) || start < 0) throw invalidParameter("Invalid nextToken.");
    }
    const all = [...this.registry.tasks.values()]
      .filter((r) => r.cluster === cluster)
      .filter((r) => r.task.desiredStatus === desired)
      .filter((r) => input.family === undefined || r.taskDefinition.family === input.family)
      .filter((r) => input.startedBy === undefined || r.startedBy === input.startedBy)
      .filter((r) => input.launchType === undefined || input.launchType === "FARGATE")
      .map((r) => r.task.arn);
    const page = all.slice(start, start + max);
    const next = start + max;
    return next < all.length ? { taskArns: page, nextToken: Buffer.from(String(next)).toString("base64url") } : { taskArns: page };
  }

  describeTaskDefinition(input: { taskDefinition: string }): { taskDefinition: EcsTaskDefinition; tags: [] } {
    const def = this.registry.findTaskDefinition(input?.taskDefinition);
    if (!def) throw clientException("Unable to describe task definition.");
    return { taskDefinition: structuredClone(def), tags: [] as [] };
  }

  // -------------------------------------------------------------------------------------------
  // The local cloud's own

  async waitForTaskStopped(taskArn: string): Promise<EcsTask> {
    const record = this.registry.tasks.get(taskArn);
    if (!record) throw invalidParameter(`The referenced task was not found: ${taskArn}`);
    await record.task.stopped;
    return record.task.describe();
  }

  /** Task metadata endpoint v4 (`ECS_CONTAINER_METADATA_URI_V4`, `/task` below it); undefined when unknown. */
  metadata(taskId: string, containerName: string, what: "container" | "task"): unknown {
    const record = this.registry.taskById(taskId);
    return record ? taskMetadata(record, containerName, what) : undefined;
  }

  /** Stops every running task (within SHUTDOWN_GRACE_MS), then `closeServer`; RunTask is refused from now on. */
  stop(closeServer: () => Promise<void>): Promise<void> {
    this.stopping ??= (async () => {
      const running = [...this.registry.tasks.values()].filter((r) => r.task.lastStatus !== "STOPPED");
      await Promise.all(running.map((r) => r.task.stop("ServiceSchedulerInitiated", "The local ECS service stopped", SHUTDOWN_GRACE_MS)));
      await closeServer();
      if (!this.options.stateDir) fs.rmSync(this.runtimeDir, { recursive: true, force: true });
    })();
    return this.stopping;
  }
}
