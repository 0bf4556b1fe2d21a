/**
 * `arn:aws:states:::ecs:runTask[.sync|.waitForTaskToken]` against the local ECS service.
 *
 * The state's resolved Parameters are Step Functions' PascalCase form of the RunTask request
 * (`Cluster`, `TaskDefinition`, `NetworkConfiguration.AwsvpcConfiguration`,
 * `Overrides.ContainerOverrides[{Name, Environment[{Name, Value}]}]`, ...): the keys are turned
 * into the API's camelCase and handed to `runTask`. A RunTask error is named `ECS.<Exception>`
 * (`ECS.InvalidParameterException`, `ECS.ClusterNotFoundException`, ...). A response with
 * `failures` and no task fails a `.sync` or `.waitForTaskToken` state with `AmazonECS.Unknown`
 * ("Run Amazon ECS or Fargate tasks with Step Functions": "If a non-empty Failures field is
 * encountered, the task is failed with an AmazonECS.Unknown error"); request-response returns it.
 *
 * - request-response: the result is the RunTask response (PascalCase).
 * - `.waitForTaskToken`: the token (`$$.Task.Token` in the Parameters) is claimed before RunTask,
 *   so a container may answer at once; the result is SendTaskSuccess's output, SendTaskFailure
 *   fails the state with its error and cause; `HeartbeatSeconds` without a SendTaskHeartbeat fails
 *   it with `States.HeartbeatTimeout`. The task is *not* stopped when the state ends (as on AWS).
 * - `.sync`: waits for the task to stop; every essential container exiting 0 is success (the
 *   result is the described task), anything else `States.TaskFailed` with the task as Cause. The
 *   task is stopped when the execution is stopped or the state times out.
 */
import { randomUUID } from "node:crypto";
import type { EcsTaskRunner, RunTaskInput, RunTaskOutput } from "../ecs/types";
import { runtimeError, taskError, UncatchableError } from "./errors";
import type { TaskTokens } from "./taskTokens";

export type EcsPattern = "request" | "sync" | "waitForTaskToken";

export interface EcsIntegration {
  kind: "ecs:runTask";
  resource: string;
  pattern: EcsPattern;
  /** The state's HeartbeatSeconds (`.waitForTaskToken`). */
  heartbeatSeconds?: number;
  /** The state's TimeoutSeconds: the engine fails the state; this closes the token / stops the task. */
  timeoutSeconds?: number;
}

/** What a local Task handler is told besides its input. */
export interface TaskContext {
  executionArn: string;
  stateName: string;
  /** Aborted when the execution ends (stopped, timed out) while the handler runs. */
  signal: AbortSignal;
}

export interface EcsDependencies {
  ecs: () => EcsTaskRunner | undefined;
  tokens: TaskTokens;
  log: (line: string) => void;
}

const RESOURCE = /^arn:aws(?:-[a-z]+)*:states:::ecs:runTask(\.sync|\.waitForTaskToken)?$/;

/** The RunTask parameters Step Functions takes for ecs:runTask. */
const PARAMETERS = new Set([
  "Cluster",
  "TaskDefinition",
  "LaunchType",
  "NetworkConfiguration",
  "Overrides",
  "Count",
  "PlatformVersion",
  "Group",
  "StartedBy",
  "Tags",
  "PropagateTags",
  "ReferenceId",
  "EnableECSManagedTags",
  "EnableExecuteCommand",
  "CapacityProviderStrategy",
  "PlacementConstraints",
  "PlacementStrategy",
  "VolumeConfigurations",
]);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** The integration a Resource names, or undefined when it is not ecs:runTask. */
export function ecsIntegration(resource: string, state: Json): EcsIntegration | undefined {
  const m = RESOURCE.exec(resource);
  if (!m) return undefined;
  const pattern: EcsPattern = m[1] === ".sync" ? "sync" : m[1] === ".waitForTaskToken" ? "waitForTaskToken" : "request";
  return {
    kind: "ecs:runTask",
    resource,
    pattern,
    ...(typeof state.HeartbeatSeconds === "number" ? { heartbeatSeconds: state.HeartbeatSeconds } : {}),
    ...(typeof state.TimeoutSeconds === "number" ? { timeoutSeconds: state.TimeoutSeconds } : {}),
  };
}

/** Why a state using ecs:runTask cannot run locally (checked when the state machine is created). */
export function ecsDefinitionProblem(integration: EcsIntegration, state: Json): string | undefined {
  if (state.HeartbeatSecondsPath !== undefined) return "HeartbeatSecondsPath is not supported locally: use HeartbeatSeconds";
  if (state.TimeoutSecondsPath !== undefined && integration.pattern !== "request") {
    return "TimeoutSecondsPath is not supported locally with .sync / .waitForTaskToken: use TimeoutSeconds";
  }
  const parameters = state.Parameters;
  if (!isObject(parameters)) return "ecs:runTask needs Parameters (Cluster, TaskDefinition, NetworkConfiguration, ...)";
  for (const key of Object.keys(parameters)) {
    const field = key.endsWith(".$") ? key.slice(0, -2) : key;
    if (!PARAMETERS.has(field)) return `the field "${field}" is not supported by Step Functions for ecs:runTask`;
  }
  return undefined;
}

/** `{Cluster: {AwsvpcConfiguration: ...}}` → `{cluster: {awsvpcConfiguration: ...}}` (keys only). */
export function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), camelKeys(v)]));
}

/** The API's camelCase → Step Functions' PascalCase output; dates as epoch milliseconds. */
export function pascalKeys(value: unknown): unknown {
  if (value instanceof Date) return value.getTime();
  if (Array.isArray(value)) return value.map(pascalKeys);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), pascalKeys(v)]),
  );
}

function ecsCause(message: string, code: string, status = 400): string {
  return `${message} (Service: AmazonECS; Status Code: ${status}; Error Code: ${code}; Request ID: ${randomUUID()}; Proxy: null)`;
}

/** A RunTask/StopTask failure as Step Functions names it: `ECS.<Exception>`. */
function ecsApiError(err: unknown): Error {
  const e = (err ?? {}) as { code?: unknown; name?: unknown; message?: unknown; statusCode?: unknown };
  const code = typeof e.code === "string" && /^[A-Z]\w*$/.test(e.code) ? e.code : "AmazonECSException";
  const status = typeof e.statusCode === "number" ? e.statusCode : code === "AmazonECSException" ? 500 : 400;
  return taskError(`ECS.${code}`, ecsCause(typeof e.message === "string" ? e.message : String(err), code, status));
}

async function runTask(ecs: EcsTaskRunner, request: RunTaskInput, pattern: EcsPattern): Promise<RunTaskOutput> {
  let output: RunTaskOutput;
  try {
    output = await ecs.runTask(request);
  } catch (err) {
    throw ecsApiError(err);
  }
  if (pattern !== "request" && output.failures.length > 0) {
    throw taskError("AmazonECS.Unknown", `RunTask answered with failures: ${JSON.stringify(pascalKeys(output.failures))}`);
  }
  if (output.tasks.length === 0 && pattern !== "request") throw taskError("AmazonECS.Unknown", "RunTask started no task");
  return output;
}

/** The handler of one ecs:runTask state. */
export function ecsRunTaskHandler(integration: EcsIntegration, deps: EcsDependencies): (input: unknown, ctx: TaskContext) => Promise<unknown> {
  const label = integration.resource.replace(/^arn:[^:]+:states:::/, "");
  return async (input, ctx) => {
    const ecs = deps.ecs();
    if (!ecs) throw runtimeError(`${label}: the local cloud runs no ECS service (the Step Functions service was started without \`ecs\`)`);
    if (!isObject(input)) throw runtimeError(`${label} needs Parameters (Cluster, TaskDefinition, NetworkConfiguration, ...)`);
    const request = camelKeys(input) as RunTaskInput;
    switch (integration.pattern) {
      case "request":
        return pascalKeys(await runTask(ecs, request, "request"));
      case "waitForTaskToken":
        return waitForToken(ecs, request, input, ctx, integration, deps, label);
      case "sync":
        return runToCompletion(ecs, request, ctx, integration);
    }
  };
}

async function waitForToken(
  ecs: EcsTaskRunner,
  request: RunTaskInput,
  input: Json,
  ctx: TaskContext,
  integration: EcsIntegration,
  deps: EcsDependencies,
  label: string,
): Promise<unknown> {
  const wait = deps.tokens.claim(ctx.executionArn, input);
  if (wait.unreachable) deps.log(`sfn: ${ctx.stateName}: the Parameters of this ${label} state pass no $$.Task.Token: only its timeouts can end it`);
  const timers: NodeJS.Timeout[] = [];
  const heartbeatMs = (integration.heartbeatSeconds ?? 0) * 1000;
  if (heartbeatMs > 0) {
    let timer: NodeJS.Timeout;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => wait.fail(taskError("States.HeartbeatTimeout", `No heartbeat for ${integration.heartbeatSeconds} s (HeartbeatSeconds)`)), heartbeatMs);
      timers[0] = timer;
    };
    arm();
    wait.onHeartbeat(arm);
  }
  // The engine fails the state at TimeoutSeconds itself (with its own States.Timeout, which
  // States.TaskFailed does not match); its timer was set before this one, so it wins the race.
  if (integration.timeoutSeconds) timers.push(setTimeout(() => wait.fail(taskError("States.Timeout", "The task timed out")), integration.timeoutSeconds * 1000));
  const onAbort = () => wait.fail(new UncatchableError("ExecutionStopped", "The execution ended"));
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  if (ctx.signal.aborted) onAbort();
  try {
    const started = await runTask(ecs, request, "waitForTaskToken");
    for (const task of started.tasks) {
      // A hint for whoever waits: the container ended without answering.
      ecs.waitForTaskStopped(task.taskArn).then(
        (stopped) => {
          if (wait.closed) return;
          const codes = stopped.containers.map((c) => `${c.name}=${c.exitCode ?? c.reason ?? "?"}`).join(", ");
          deps.log(`sfn: ${ctx.stateName}: ECS task ${task.taskArn.split("/").pop()} stopped (${stopped.stopCode}; ${codes}) without SendTaskSuccess/SendTaskFailure; the state waits for its timeouts`);
        },
        () => undefined,
      );
    }
    return await wait.outcome;
  } finally {
    wait.fail(new UncatchableError("States.Runtime", "The task ended")); // closes the token when RunTask failed
    for (const t of timers) clearTimeout(t);
    ctx.signal.removeEventListener("abort", onAbort);
  }
}

async function runToCompletion(ecs: EcsTaskRunner, request: RunTaskInput, ctx: TaskContext, integration: EcsIntegration): Promise<unknown> {
  if (request.count !== undefined && request.count !== 1) throw runtimeError("ecs:runTask.sync runs one task: Count must be 1 locally");
  const started = await runTask(ecs, request, "sync");
  const taskArn = started.tasks[0].taskArn;
  const stopIt = (reason: string) => void ecs.stopTask({ cluster: started.tasks[0].clusterArn, task: taskArn, reason }).catch(() => undefined);
  const onAbort = () => stopIt("Execution stopped by Step Functions");
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  const timer = integration.timeoutSeconds ? setTimeout(() => stopIt("The state timed out"), integration.timeoutSeconds * 1000) : undefined;
  try {
    const stopped = await ecs.waitForTaskStopped(taskArn);
    const ok = stopped.stopCode !== "TaskFailedToStart" && stopped.containers.every((c) => !c.essential || c.exitCode === 0);
    if (!ok) throw taskError("States.TaskFailed", JSON.stringify(pascalKeys(stopped)));
    return pascalKeys(stopped);
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener("abort", onAbort);
  }
}
