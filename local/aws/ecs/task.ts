/**
 * One running task: its containers' processes and ECS's lifecycle for them.
 *
 * PROVISIONING (RunTask answered) → PENDING (processes spawning) → RUNNING (all spawned) →
 * STOPPING (an essential container exited, or StopTask: the others get SIGTERM, then SIGKILL after
 * their stop timeout) → STOPPED (every process gone). A container that cannot start (its image is
 * not registered, its Dockerfile cannot run locally) stops the task with `TaskFailedToStart`.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { ContainerProcess } from "./container";
import type { ContainerCommand } from "./dockerfile";
import type { ContainerOverride, EcsContainer, EcsTask, EcsTaskDefinition, StopCode, TaskOverride, TaskStatus } from "./types";

/** What one container of a new task runs, decided by the service. */
export interface ContainerPlan {
  name: string;
  image: string;
  essential: boolean;
  stopTimeoutMs: number;
  /** The command, or why it cannot start (`CannotPullContainerError: ...`). */
  command: ContainerCommand | { error: string };
  env: Record<string, string>;
}

export interface TaskInit {
  id: string;
  arn: string;
  clusterArn: string;
  taskDefinition: EcsTaskDefinition;
  overrides: TaskOverride & { containerOverrides: ContainerOverride[] };
  group: string;
  startedBy?: string;
  platformVersion: string;
  tags: Array<{ key: string; value?: string }>;
}

export interface TaskHooks {
  /** One line a container printed. */
  line(container: string, text: string): void;
  /** A note of the service's own about this task. */
  note(text: string): void;
}

interface Slot {
  plan: ContainerPlan;
  description: EcsContainer;
  process?: ContainerProcess;
  exited: boolean;
}

export class LocalTask {
  readonly arn: string;
  readonly id: string;
  private readonly description: EcsTask;
  private readonly slots: Slot[];
  private stopping?: Promise<void>;
  private resolveStopped!: () => void;
  /** Resolves when the task is STOPPED. */
  readonly stopped: Promise<void> = new Promise((resolve) => (this.resolveStopped = resolve));

  constructor(
    init: TaskInit,
    plans: ContainerPlan[],
    private readonly hooks: TaskHooks,
  ) {
    this.arn = init.arn;
    this.id = init.id;
    const def = init.taskDefinition;
    this.description = {
      taskArn: init.arn,
      clusterArn: init.clusterArn,
      taskDefinitionArn: def.taskDefinitionArn,
      group: init.group,
      ...(init.startedBy !== undefined ? { startedBy: init.startedBy } : {}),
      launchType: "FARGATE",
      platformVersion: init.platformVersion,
      platformFamily: "Linux",
      cpu: init.overrides.cpu ?? def.cpu,
      memory: init.overrides.memory ?? def.memory,
      lastStatus: "PROVISIONING",
      desiredStatus: "RUNNING",
      connectivity: "CONNECTED",
      availabilityZone: "us-east-1a",
      containers: [],
      overrides: { ...init.overrides, inferenceAcceleratorOverrides: [] },
      createdAt: new Date(),
      tags: init.tags,
      attachments: [],
      enableExecuteCommand: false,
      ephemeralStorage: { sizeInGiB: 20 },
      version: 1,
    };
    const arnPrefix = init.clusterArn.replace(":cluster/", ":container/");
    this.slots = plans.map((plan) => ({
      plan,
      exited: false,
      description: {
        containerArn: `${arnPrefix}/${init.id}/${randomUUID()}`,
        taskArn: init.arn,
        name: plan.name,
        image: plan.image,
        runtimeId: `${init.id}-${randomBytes(5).toString("hex")}`,
        lastStatus: "PENDING",
        essential: plan.essential,
        networkInterfaces: [],
        healthStatus: "UNKNOWN",
      },
    }));
    this.description.containers = this.slots.map((s) => s.description);
    setImmediate(() => this.start());
  }

  get lastStatus(): TaskStatus {
    return this.description.lastStatus;
  }

  get desiredStatus(): EcsTask["desiredStatus"] {
    return this.description.desiredStatus;
  }

  /** A copy of the task as DescribeTasks answers it. */
  describe(): EcsTask {
    return structuredClone(this.description);
  }

  private changed(status?: TaskStatus): void {
    if (status) this.description.lastStatus = status;
    this.description.version++;
  }

  private start(): void {
    if (this.description.desiredStatus === "STOPPED") return this.finish(); // stopped before it started
    const failed = this.slots.find((s) => "error" in s.plan.command);
    if (failed) {
      const reason = (failed.plan.command as { error: string }).error;
      for (const s of this.slots) {
        s.exited = true;
        s.description.lastStatus = "STOPPED";
        if (s === failed) s.description.reason = reason;
      }
      this.description.desiredStatus = "STOPPED";
      this.description.stopCode = "TaskFailedToStart";
      this.description.stoppedReason = reason;
      this.description.stoppingAt = new Date();
      this.hooks.note(`container ${failed.plan.name} cannot start: ${reason}`);
      return this.finish();
    }
    this.description.pullStartedAt = this.description.pullStoppedAt = new Date();
    this.changed("PENDING");
    for (const slot of this.slots) {
      const command = slot.plan.command as ContainerCommand;
      const proc = new ContainerProcess(command, slot.plan.env, (text) => this.hooks.line(slot.plan.name, text));
      slot.process = proc;
      void proc.exited.then((exit) => this.onExit(slot, exit.exitCode, exit.startError));
    }
    void Promise.all(this.slots.map((s) => s.process!.started)).then((started) => {
      if (!started.every(Boolean) || this.description.lastStatus !== "PENDING") return;
      const now = new Date();
      this.description.startedAt = this.description.connectivityAt = now;
      for (const s of this.slots) if (!s.exited) s.description.lastStatus = "RUNNING";
      this.changed("RUNNING");
      this.hooks.note(`running (${this.slots.map((s) => `${s.plan.name}: pid ${s.process!.pid}`).join(", ")})`);
    });
  }

  private onExit(slot: Slot, exitCode: number, startError?: string): void {
    slot.exited = true;
    slot.description.lastStatus = "STOPPED";
    if (startError) slot.description.reason = `CannotStartContainerError: ${startError}`;
    else slot.description.exitCode = exitCode;
    this.changed();
    this.hooks.note(`container ${slot.plan.name} exited${startError ? ` (could not start: ${startError})` : ` with code ${exitCode}`}`);
    if (startError && this.description.desiredStatus === "RUNNING") {
      void this.stop("TaskFailedToStart", slot.description.reason!);
    } else if (slot.plan.essential && this.description.desiredStatus === "RUNNING") {
      void this.stop("EssentialContainerExited", "Essential container in task exited");
    }
    if (this.slots.every((s) => s.exited)) this.finish();
  }

  /** Stops every container (SIGTERM, SIGKILL after its stop timeout); resolves when STOPPED. */
  stop(stopCode: StopCode, reason: string, maxWaitMs?: number): Promise<void> {
    if (this.stopping) return this.stopping;
    this.description.desiredStatus = "STOPPED";
    this.description.stopCode = stopCode;
    this.description.stoppedReason = reason;
    this.description.stoppingAt = new Date();
    if (this.description.lastStatus !== "STOPPED") this.changed("STOPPING");
    for (const s of this.slots) {
      if (s.process && !s.exited) void s.process.stop(Math.min(s.plan.stopTimeoutMs, maxWaitMs ?? Infinity));
    }
    this.stopping = this.stopped;
    return this.stopping;
  }

  private finish(): void {
    if (this.description.lastStatus === "STOPPED") return;
    const now = new Date();
    this.description.desiredStatus = "STOPPED";
    this.description.executionStoppedAt = now;
    this.description.stoppedAt = now;
    this.description.stoppingAt ??= now;
    for (const s of this.slots) s.description.lastStatus = "STOPPED";
    this.changed("STOPPED");
    const codes = this.slots.map((s) => `${s.plan.name}=${s.description.exitCode ?? "-"}`).join(", ");
    this.hooks.note(`stopped: ${this.description.stopCode ?? "?"} (${this.description.stoppedReason ?? ""}); exit codes ${codes}`);
    this.resolveStopped();
  }
}

