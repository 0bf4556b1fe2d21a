/**
 * What the local ECS service knows, in memory: clusters, task definition revisions per family,
 * images (URI → build context directory) and tasks (running, and stopped ones for an hour), with
 * the lookups the operations share (a cluster, a task definition or a task by name or ARN).
 */
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "../types";
import { EcsError, invalidParameter } from "./errors";
import type { LocalTask } from "./task";
import type { EcsTaskDefinition } from "./types";

export const ARN_PREFIX = `arn:aws:ecs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}`;
/** ECS keeps stopped tasks describable for about an hour. */
const STOPPED_RETENTION_MS = 60 * 60_000;

export interface ClusterRecord {
  name: string;
  arn: string;
}

export interface TaskRecord {
  task: LocalTask;
  cluster: ClusterRecord;
  taskDefinition: EcsTaskDefinition;
  startedBy?: string;
  stoppedAt?: number;
}

export class EcsRegistry {
  readonly clusters = new Map<string, ClusterRecord>();
  readonly families = new Map<string, EcsTaskDefinition[]>();
  /** Image URI → its build context directory. */
  readonly images = new Map<string, string>();
  /** Task ARN → task. */
  readonly tasks = new Map<string, TaskRecord>();

  clusterOf(ref: unknown = "default"): ClusterRecord {
    if (ref === null) ref = "default";
    if (typeof ref !== "string") throw invalidParameter("cluster must be a string.");
    const name = ref.startsWith("arn:") ? (/^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/(.+)$/.exec(ref)?.[1] ?? "") : ref;
    const cluster = this.clusters.get(name);
    if (!cluster) throw new EcsError("ClusterNotFoundException", "Cluster not found.");
    return cluster;
  }

  /** `family`, `family:revision` or an ARN; undefined when there is no such task definition. */
  findTaskDefinition(ref: unknown): EcsTaskDefinition | undefined {
    if (typeof ref !== "string" || ref === "") return undefined;
    const spec = ref.startsWith("arn:") ? (/^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/(.+)$/.exec(ref)?.[1] ?? "") : ref;
    const m = /^([A-Za-z0-9_-]+)(?::(\d+))?$/.exec(spec);
    if (!m) return undefined;
    const revisions = this.families.get(m[1]);
    if (!revisions?.length) return undefined;
    return m[2] === undefined ? revisions[revisions.length - 1] : revisions[Number(m[2]) - 1];
  }

  taskIn(cluster: ClusterRecord, ref: string): TaskRecord | undefined {
    const arn = ref.startsWith("arn:") ? ref : `${ARN_PREFIX}:task/${cluster.name}/${ref}`;
    const record = this.tasks.get(arn);
    return record?.cluster === cluster ? record : undefined;
  }

  /** The task whose id (the last part of its ARN) is `taskId`. */
  taskById(taskId: string): TaskRecord | undefined {
    return [...this.tasks.values()].find((r) => r.task.id === taskId);
  }

  pruneStopped(now = Date.now()): void {
    for (const [arn, record] of this.tasks) if (record.stoppedAt !== undefined && now - record.stoppedAt > STOPPED_RETENTION_MS) this.tasks.delete(arn);
  }
}
