/**
 * Starting one task of RunTask: each container's plan (the command its image's Dockerfile runs, or
 * why it cannot start), its environment (as Fargate sets it, plus the local cloud's SDK endpoints),
 * the task's log file and cost meter, and the LocalTask that runs the processes (task.ts).
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { meterContainerLine, meterStoppedTask, taskJobIds } from "../../usage/ecs";
import { LOCAL_REGION } from "../types";
import { containerCommand, DockerfileError } from "./dockerfile";
import { ARN_PREFIX, type ClusterRecord, type EcsRegistry, type TaskRecord } from "./registry";
import { LocalTask, type ContainerPlan } from "./task";
import type { EcsServiceOptions, EcsTaskDefinition, RunTaskInput } from "./types";
import { optionalString, type checkOverrides } from "./validate";

const FARGATE_PLATFORM_VERSION = "1.4.0";

type ContainerDefinition = EcsTaskDefinition["containerDefinitions"][number];
export type TaskOverrides = ReturnType<typeof checkOverrides>;

/** What launching needs of the service. */
export interface LaunchContext {
  options: EcsServiceOptions;
  log: (line: string) => void;
  registry: EcsRegistry;
  /** The containers' HOME (see the service's runtimeDir). */
  runtimeDir: string;
  /** The service's endpoint: the task metadata endpoint is under it. */
  endpoint: string;
}

function containerPlan(images: ReadonlyMap<string, string>, c: ContainerDefinition, command: string[] | undefined, env: Record<string, string>): ContainerPlan {
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

/** A container's environment: Fargate's, the local cloud's, the definition's, then the override's. */
function containerEnvironment(ctx: LaunchContext, id: string, c: ContainerDefinition, overrideEnv: Array<{ name: string; value: string }>): Record<string, string> {
  const { options, runtimeDir } = ctx;
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOSTNAME: `ip-10-0-0-${1 + (parseInt(id.slice(0, 2), 16) % 250)}.ec2.internal`,
    HOME: runtimeDir,
    LANG: "C.UTF-8",
    AWS_CONFIG_FILE: path.join(runtimeDir, "aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(runtimeDir, "aws-credentials"),
    ...(options.nodePath?.length ? { NODE_PATH: options.nodePath.join(path.delimiter) } : {}),
    ...options.environment(),
    ...Object.fromEntries(c.environment.map((p) => [p.name, p.value])),
    ...Object.fromEntries(overrideEnv.map((p) => [p.name, p.value])),
    ECS_CONTAINER_METADATA_URI_V4: `${ctx.endpoint}/v4/${id}/${encodeURIComponent(c.name)}`,
    AWS_EXECUTION_ENV: "AWS_ECS_FARGATE",
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
  };
}

function logStream(stateDir: string | undefined, family: string, id: string): fs.WriteStream | undefined {
  if (!stateDir) return undefined;
  const dir = path.join(stateDir, "logs", family);
  fs.mkdirSync(dir, { recursive: true });
  return fs.createWriteStream(path.join(dir, `${id}.log`), { flags: "a" });
}

/** Starts one task of `def` in `cluster` and keeps it in the registry; the task's processes start on the next tick. */
export function launchTask(ctx: LaunchContext, input: RunTaskInput, cluster: ClusterRecord, def: EcsTaskDefinition, overrides: TaskOverrides): LocalTask {
  const { options, log } = ctx;
  const id = randomBytes(16).toString("hex");
  const arn = `${ARN_PREFIX}:task/${cluster.name}/${id}`;
  const short = `${def.family} ${id.slice(0, 8)}`;
  const plans = def.containerDefinitions.map((c) => {
    const override = overrides.containerOverrides.find((o) => o.name === c.name);
    return containerPlan(ctx.registry.images, c, override?.command ?? c.command, containerEnvironment(ctx, id, c, override?.environment ?? []));
  });
  const file = logStream(options.stateDir, def.family, id);
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
  ctx.registry.tasks.set(arn, record);
  void task.stopped.then(() => {
    record.stoppedAt = Date.now();
    file?.end();
    meterStoppedTask(options.meter, def.family, task.describe(), jobIds);
  });
  return task;
}
