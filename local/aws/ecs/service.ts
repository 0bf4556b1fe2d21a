/**
 * The local ECS service: clusters, revisioned task definitions, images (build contexts, see
 * dockerfile.ts) and Fargate tasks whose containers run as local Node processes (task.ts). The
 * same operations are served over HTTP with the ECS JSON protocol (http.ts).
 *
 * Everything lives in memory: after a restart, clusters, task definitions and images are declared
 * again by the resource monitor, and tasks that were running are simply gone (their processes are
 * stopped with the service). Stopped tasks stay describable for an hour, as on ECS.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { close, listen } from "../protocols/listen";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "../types";
import { containerCommand, DockerfileError } from "./dockerfile";
import { clientException, EcsError, invalidParameter } from "./errors";
import { ecsRequestHandler } from "./http";
import { LocalTask } from "./task";
import { meterContainerLine, meterStoppedTask, taskJobIds } from "../../usage/ecs";
import type { ContainerPlan } from "./task";
import type {
  ContainerDefinitionInput,
  EcsServiceOptions,
  EcsTask,
  EcsTaskDefinition,
  ListTasksInput,
  LocalEcsService,
  RunTaskInput,
  RunTaskOutput,
  TaskDefinitionInput,
} from "./types";
import { checkCount, checkLaunchType, checkNetworkConfiguration, checkOverrides, keyValuePairs, optionalString } from "./validate";
import { fargateTaskSizeError } from "../../../components/fargate/taskSize";

const ARN_PREFIX = `arn:aws:ecs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}`;
const NAME = /^[A-Za-z0-9_-]{1,255}$/;
/** ECS keeps stopped tasks describable for about an hour. */
const STOPPED_RETENTION_MS = 60 * 60_000;
/** The longest a container gets to stop when the service itself stops. */
const SHUTDOWN_GRACE_MS = 2_000;
const FARGATE_PLATFORM_VERSION = "1.4.0";

interface ClusterRecord {
  name: string;
  arn: string;
}

interface TaskRecord {
  task: LocalTask;
  cluster: ClusterRecord;
  taskDefinition: EcsTaskDefinition;
  startedBy?: string;
  stoppedAt?: number;
}

export async function startEcsService(options: EcsServiceOptions): Promise<LocalEcsService> {
  const log = options.log ?? (() => undefined);
  const defaultStopTimeout = options.defaultStopTimeoutSeconds ?? 30;
  const clusters = new Map<string, ClusterRecord>();
  const families = new Map<string, EcsTaskDefinition[]>();
  const images = new Map<string, string>();
  const tasks = new Map<string, TaskRecord>();
  let stopping: Promise<void> | undefined;
  // Keep the developer's ~/.aws files out of the containers (they could name other endpoints or credentials).
  // HOME is this (empty) directory; AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE name files that are never written.
  // Without a state directory, the runtime directory is a temporary one of this service's own, removed by stop().
  const runtimeDir = options.stateDir ? path.join(options.stateDir, "runtime") : fs.mkdtempSync(path.join(os.tmpdir(), "async-api-ecs-runtime-"));
  fs.mkdirSync(runtimeDir, { recursive: true });

  // -------------------------------------------------------------------------------------------
  // Lookups

  function clusterOf(ref: unknown = "default"): ClusterRecord {
    if (ref === null) ref = "default";
    if (typeof ref !== "string") throw invalidParameter("cluster must be a string.");
    const name = ref.startsWith("arn:") ? (/^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/(.+)$/.exec(ref)?.[1] ?? "") : ref;
    const cluster = clusters.get(name);
    if (!cluster) throw new EcsError("ClusterNotFoundException", "Cluster not found.");
    return cluster;
  }

  /** `family`, `family:revision` or an ARN; undefined when there is no such task definition. */
  function findTaskDefinition(ref: unknown): EcsTaskDefinition | undefined {
    if (typeof ref !== "string" || ref === "") return undefined;
    const spec = ref.startsWith("arn:") ? (/^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/(.+)$/.exec(ref)?.[1] ?? "") : ref;
    const m = /^([A-Za-z0-9_-]+)(?::(\d+))?$/.exec(spec);
    if (!m) return undefined;
    const revisions = families.get(m[1]);
    if (!revisions?.length) return undefined;
    return m[2] === undefined ? revisions[revisions.length - 1] : revisions[Number(m[2]) - 1];
  }

  function taskIn(cluster: ClusterRecord, ref: string): TaskRecord | undefined {
    const arn = ref.startsWith("arn:") ? ref : `${ARN_PREFIX}:task/${cluster.name}/${ref}`;
    const record = tasks.get(arn);
    return record?.cluster === cluster ? record : undefined;
  }

  function pruneStopped(now = Date.now()): void {
    for (const [arn, record] of tasks) if (record.stoppedAt !== undefined && now - record.stoppedAt > STOPPED_RETENTION_MS) tasks.delete(arn);
  }

  function checkRunning(): void {
    if (stopping) throw new EcsError("ServerException", "The local ECS service is stopped", 500);
  }

  // -------------------------------------------------------------------------------------------
  // Declarations (the resource monitor)

  function createCluster(name: string): { arn: string } {
    if (!NAME.test(name)) throw new Error(`ECS cluster name ${JSON.stringify(name)}: up to 255 letters, digits, hyphens and underscores`);
    const existing = clusters.get(name);
    if (existing) return { arn: existing.arn };
    const cluster = { name, arn: `${ARN_PREFIX}:cluster/${name}` };
    clusters.set(name, cluster);
    log(`ecs: created cluster ${name}`);
    return { arn: cluster.arn };
  }

  function containerDefinition(c: ContainerDefinitionInput, where: string): EcsTaskDefinition["containerDefinitions"][number] {
    if (!c || typeof c.name !== "string" || !NAME.test(c.name)) throw new Error(`${where}: a container needs a name (letters, digits, hyphens, underscores)`);
    if (typeof c.image !== "string" || c.image === "") throw new Error(`${where}: container ${c.name} needs an image`);
    const stopTimeout = c.stopTimeoutSeconds ?? defaultStopTimeout;
    if (typeof stopTimeout !== "number" || !(stopTimeout >= 0) || stopTimeout > 120) throw new Error(`${where}: container ${c.name}: stopTimeoutSeconds must be 0..120`);
    if (c.command !== undefined && (!Array.isArray(c.command) || !c.command.every((a) => typeof a === "string"))) {
      throw new Error(`${where}: container ${c.name}: command must be a list of strings`);
    }
    let environment;
    try {
      environment = keyValuePairs(c.environment, "environment");
    } catch (err) {
      throw new Error(`${where}: container ${c.name}: ${(err as Error).message}`);
    }
    return { name: c.name, image: c.image, essential: c.essential ?? true, environment, stopTimeout, ...(c.command ? { command: [...c.command] } : {}) };
  }

  function registerTaskDefinition(input: TaskDefinitionInput): { arn: string } {
    const where = `ECS task definition ${input?.family}`;
    if (typeof input?.family !== "string" || !NAME.test(input.family)) throw new Error(`${where}: the family must be up to 255 letters, digits, hyphens and underscores`);
    if (!Array.isArray(input.containers) || input.containers.length === 0 || input.containers.length > 10) throw new Error(`${where}: 1 to 10 containers`);
    const containerDefinitions = input.containers.map((c) => containerDefinition(c, where));
    const names = containerDefinitions.map((c) => c.name);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate) throw new Error(`${where}: two containers are named ${duplicate}`);
    if (!containerDefinitions.some((c) => c.essential)) throw new Error(`${where}: at least one container must be essential`);
    // Fargate runs only its task sizes (AWS, "Troubleshoot Amazon ECS task definition invalid CPU or memory errors").
    if (input.cpu !== undefined || input.memory !== undefined) {
      const sizeError = fargateTaskSizeError(Number(input.cpu), Number(input.memory));
      if (sizeError) throw clientException(`No Fargate configuration exists for given values: ${sizeError}`);
    }
    const revisions = families.get(input.family) ?? [];
    const revision = revisions.length + 1;
    const definition: EcsTaskDefinition = {
      taskDefinitionArn: `${ARN_PREFIX}:task-definition/${input.family}:${revision}`,
      family: input.family,
      revision,
      status: "ACTIVE",
      ...(input.cpu !== undefined ? { cpu: String(input.cpu) } : {}),
      ...(input.memory !== undefined ? { memory: String(input.memory) } : {}),
      ...(input.taskRoleArn ? { taskRoleArn: input.taskRoleArn } : {}),
      ...(input.executionRoleArn ? { executionRoleArn: input.executionRoleArn } : {}),
      networkMode: "awsvpc",
      requiresCompatibilities: ["FARGATE"],
      compatibilities: ["EC2", "FARGATE"],
      containerDefinitions,
      registeredAt: new Date(),
    };
    families.set(input.family, [...revisions, definition]);
    log(`ecs: registered task definition ${input.family}:${revision} (${names.join(", ")})`);
    return { arn: definition.taskDefinitionArn };
  }

  function registerImage(imageUri: string, contextDir: string): void {
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
    images.set(imageUri, dir);
    log(`ecs: image ${imageUri} is ${dir} (FROM ${from}; runs with the local Node ${process.version})`);
  }

  // -------------------------------------------------------------------------------------------
  // Tasks

  function plan(c: EcsTaskDefinition["containerDefinitions"][number], command: string[] | undefined, env: Record<string, string>): ContainerPlan {
    const base = { name: c.name, image: c.image, essential: c.essential, stopTimeoutMs: c.stopTimeout * 1000 };
    const contextDir = images.get(c.image);
    if (!contextDir) {
      const known = [...images.keys()];
      return {
        ...base,
        env,
        command: { error: `CannotPullContainerError: the image ${c.image} is not registered with the local ECS (registered: ${known.length ? known.join(", ") : "none"})` },
      };
    }
    try {
      const resolved = containerCommand(contextDir, command);
      return { ...base, command: resolved, env: { ...resolved.env, ...env } };
    } catch (err) {
      if (!(err instanceof DockerfileError)) throw err;
      return { ...base, env, command: { error: `CannotStartContainerError: ${err.message}` } };
    }
  }

  function logStream(family: string, id: string): fs.WriteStream | undefined {
    if (!options.stateDir) return undefined;
    const dir = path.join(options.stateDir, "logs", family);
    fs.mkdirSync(dir, { recursive: true });
    return fs.createWriteStream(path.join(dir, `${id}.log`), { flags: "a" });
  }

  function startOne(input: RunTaskInput, cluster: ClusterRecord, def: EcsTaskDefinition, overrides: ReturnType<typeof checkOverrides>): LocalTask {
    const id = randomBytes(16).toString("hex");
    const arn = `${ARN_PREFIX}:task/${cluster.name}/${id}`;
    const short = `${def.family} ${id.slice(0, 8)}`;
    const plans = def.containerDefinitions.map((c) => {
      const override = overrides.containerOverrides.find((o) => o.name === c.name);
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
        HOSTNAME: `ip-10-0-0-${1 + (parseInt(id.slice(0, 2), 16) % 250)}.ec2.internal`,
        HOME: runtimeDir,
        LANG: "C.UTF-8",
        AWS_CONFIG_FILE: path.join(runtimeDir, "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE: path.join(runtimeDir, "aws-credentials"),
        ...(options.nodePath?.length ? { NODE_PATH: options.nodePath.join(path.delimiter) } : {}),
        ...options.environment(),
        ...Object.fromEntries(c.environment.map((p) => [p.name, p.value])),
        ...Object.fromEntries((override?.environment ?? []).map((p) => [p.name, p.value])),
        ECS_CONTAINER_METADATA_URI_V4: `${endpoint}/v4/${id}/${encodeURIComponent(c.name)}`,
        AWS_EXECUTION_ENV: "AWS_ECS_FARGATE",
        AWS_REGION: LOCAL_REGION,
        AWS_DEFAULT_REGION: LOCAL_REGION,
      };
      return plan(c, override?.command ?? c.command, env);
    });
    const file = logStream(def.family, id);
    const jobIds = options.meter ? taskJobIds(overrides) : [];
    const task = new LocalTask(
      {
        id,
        arn,
        clusterArn: cluster.arn,
        taskDefinition: def,
        overrides,
        group: optionalString(input.group, "group", 255) ?? `family:${def.family}`,
        startedBy: optionalString(input.startedBy, "startedBy", 128),
        platformVersion: typeof input.platformVersion === "string" && input.platformVersion !== "LATEST" ? input.platformVersion : FARGATE_PLATFORM_VERSION,
        tags: Array.isArray(input.tags) ? input.tags : [],
      },
      plans,
      {
        line(container, text) {
          log(`[ecs ${short}/${container}] ${text}`);
          file?.write(`${container}\t${text}\n`);
          meterContainerLine(options.meter, def.family, jobIds, text);
        },
        note(text) {
          log(`ecs: task ${short}: ${text}`);
        },
      },
    );
    const record: TaskRecord = { task, cluster, taskDefinition: def, startedBy: optionalString(input.startedBy, "startedBy", 128) };
    tasks.set(arn, record);
    void task.stopped.then(() => {
      record.stoppedAt = Date.now();
      file?.end();
      meterStoppedTask(options.meter, def.family, task.describe(), jobIds);
    });
    return task;
  }

  async function runTask(input: RunTaskInput): Promise<RunTaskOutput> {
    checkRunning();
    if (typeof input !== "object" || input === null) throw invalidParameter("RunTask needs a request.");
    checkLaunchType(input);
    const cluster = clusterOf(input.cluster);
    if (typeof input.taskDefinition !== "string" || input.taskDefinition === "") throw invalidParameter("taskDefinition can not be blank.");
    const def = findTaskDefinition(input.taskDefinition);
    if (!def) throw invalidParameter("TaskDefinition not found.");
    checkNetworkConfiguration(input.networkConfiguration);
    const overrides = checkOverrides(input.overrides, def.containerDefinitions.map((c) => c.name));
    const count = checkCount(input.count);
    optionalString(input.startedBy, "startedBy", 128);
    optionalString(input.group, "group", 255);
    pruneStopped();
    const started = Array.from({ length: count }, () => startOne(input, cluster, def, overrides));
    return { tasks: started.map((t) => t.describe()), failures: [] };
  }

  async function stopTask(input: { cluster?: string; task: string; reason?: string }): Promise<{ task: EcsTask }> {
    const cluster = clusterOf(input?.cluster);
    if (typeof input.task !== "string" || input.task === "") throw invalidParameter("task can not be blank.");
    const reason = optionalString(input.reason, "reason", 255);
    const record = taskIn(cluster, input.task);
    if (!record) throw invalidParameter("The referenced task was not found.");
    void record.task.stop("UserInitiated", reason ?? "Task stopped by user");
    return { task: record.task.describe() };
  }

  function describeTasks(input: { cluster?: string; tasks: string[] }) {
    const cluster = clusterOf(input?.cluster);
    if (!Array.isArray(input.tasks) || input.tasks.length === 0) throw invalidParameter("Tasks cannot be empty.");
    if (input.tasks.length > 100) throw invalidParameter("Tasks cannot have more than 100 elements.");
    const out: ReturnType<LocalEcsService["describeTasks"]> = { tasks: [], failures: [] };
    for (const ref of input.tasks) {
      const record = typeof ref === "string" ? taskIn(cluster, ref) : undefined;
      if (record) out.tasks.push(record.task.describe());
      else out.failures.push({ arn: String(ref), reason: "MISSING" });
    }
    return out;
  }

  function listTasks(input: ListTasksInput = {}) {
    const cluster = clusterOf(input.cluster);
    const desired = input.desiredStatus ?? "RUNNING";
    if (!["RUNNING", "STOPPED", "PENDING"].includes(desired)) throw invalidParameter("desiredStatus must be RUNNING, PENDING or STOPPED.");
    const max = input.maxResults ?? 100;
    if (!Number.isInteger(max) || max < 1 || max > 100) throw invalidParameter("maxResults must be between 1 and 100.");
    let start = 0;
    if (input.nextToken !== undefined && input.nextToken !== null) {
      start = Number(Buffer.from(String(input.nextToken), "base64url").toString("utf8"));
      if (!Number.isInteger(start) || start < 0) throw invalidParameter("Invalid nextToken.");
    }
    const all = [...tasks.values()]
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

  function describeTaskDefinition(input: { taskDefinition: string }) {
    const def = findTaskDefinition(input?.taskDefinition);
    if (!def) throw clientException("Unable to describe task definition.");
    return { taskDefinition: structuredClone(def), tags: [] as [] };
  }

  async function waitForTaskStopped(taskArn: string): Promise<EcsTask> {
    const record = tasks.get(taskArn);
    if (!record) throw invalidParameter(`The referenced task was not found: ${taskArn}`);
    await record.task.stopped;
    return record.task.describe();
  }

  /** Task metadata endpoint v4 (`ECS_CONTAINER_METADATA_URI_V4`, `/task` below it). */
  function metadata(taskId: string, containerName: string, what: "container" | "task"): unknown {
    const record = [...tasks.values()].find((r) => r.task.id === taskId);
    if (!record) return undefined;
    const task = record.task.describe();
    const def = record.taskDefinition;
    const container = (c: EcsTask["containers"][number]) => ({
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
    });
    const own = task.containers.find((c) => c.name === containerName);
    if (!own) return undefined;
    if (what === "container") return container(own);
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
      Containers: task.containers.map(container),
    };
  }

  const api = { runTask, stopTask, describeTasks, listTasks, describeTaskDefinition };
  const server = http.createServer(ecsRequestHandler(api, metadata, log));
  const { endpoint } = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");

  async function stop(): Promise<void> {
    stopping ??= (async () => {
      const running = [...tasks.values()].filter((r) => r.task.lastStatus !== "STOPPED");
      await Promise.all(running.map((r) => r.task.stop("ServiceSchedulerInitiated", "The local ECS service stopped", SHUTDOWN_GRACE_MS)));
      await close(server);
      if (!options.stateDir) fs.rmSync(runtimeDir, { recursive: true, force: true });
    })();
    return stopping;
  }

  return {
    endpoint,
    stop,
    createCluster,
    registerTaskDefinition,
    registerImage,
    runTask,
    stopTask,
    describeTasks,
    listTasks,
    describeTaskDefinition,
    waitForTaskStopped,
  };
}
