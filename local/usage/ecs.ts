/**
 * What the local ECS counts for the cost meter (local/usage), as AWS Fargate bills it
 * (https://aws.amazon.com/fargate/pricing/): a task's vCPU and memory "from the time you start to
 * download your container image until the Amazon ECS Task terminates, rounded up to the nearest
 * second", with a one-minute minimum. The local task's `pullStartedAt` is when its processes are
 * spawned, its `stoppedAt` when the last one exited; a task that never got that far (its image is
 * not registered, its Dockerfile cannot run) pulled nothing and is not counted.
 *
 * Logs (https://aws.amazon.com/cloudwatch/pricing/, ingestion per byte): each line a container
 * prints, as the awslogs driver sends it (one log event per line, its bytes without the newline).
 *
 * Jobs: the task's overrides, where the Step Functions task names its job: `jobId` fields
 * (`jobIdsInJson`) and environment variables named like `*JOB_ID` (`ASYNC_API_JOB_ID`).
 */
import type { UsageMeter } from "./meter";
import { jobIdsInJson } from "./jobIds";
import type { EcsTask, TaskOverride } from "../aws/ecs/types";

/** Fargate bills at least a minute per task. */
export const FARGATE_MINIMUM_SECONDS = 60;

/** Billed seconds of a task running from `startMs` to `stopMs`: rounded up to the second, at least a minute. */
export function fargateBilledSeconds(startMs: number, stopMs: number): number {
  return Math.max(FARGATE_MINIMUM_SECONDS, Math.ceil(Math.max(0, stopMs - startMs) / 1000));
}

/** vCPU-seconds and GB-seconds of a task size (CPU units, 1024 a vCPU; memory in MiB, 1024 a GB) for `seconds`. */
export function fargateUnits(cpuUnits: number, memoryMiB: number, seconds: number): { vcpuSeconds: number; gbSeconds: number } {
  return { vcpuSeconds: (cpuUnits / 1024) * seconds, gbSeconds: (memoryMiB / 1024) * seconds };
}

const JOB_ID_VARIABLE = /(^|_)JOB_?ID$/i;

/** The jobs a task runs for, read from its overrides (`jobId` fields, `*JOB_ID` environment variables). */
export function taskJobIds(overrides: TaskOverride | undefined): string[] {
  if (!overrides) return [];
  const fromVariables = (overrides.containerOverrides ?? []).flatMap((c) =>
    (c.environment ?? []).filter((v) => JOB_ID_VARIABLE.test(v.name)).flatMap((v) => jobIdsInJson(JSON.stringify({ jobId: v.value }))),
  );
  return [...new Set([...jobIdsInJson(JSON.stringify(overrides)), ...fromVariables])];
}

/** Counts a stopped task's vCPU and memory (nothing when it never started, or has no task size). */
export function meterStoppedTask(meter: UsageMeter | undefined, family: string, task: EcsTask, jobIds: string[]): void {
  if (!meter || !task.pullStartedAt || !task.stoppedAt) return;
  const cpu = Number(task.cpu);
  const memory = Number(task.memory);
  // Fargate task definitions always have a task size (the local ECS checks it when one is given).
  if (!(cpu > 0) || !(memory > 0)) return;
  const seconds = fargateBilledSeconds(task.pullStartedAt.getTime(), task.stoppedAt.getTime());
  const units = fargateUnits(cpu, memory, seconds);
  const options = { jobIds, source: `ecs:${family}` };
  meter.count("fargate.vcpuSeconds", units.vcpuSeconds, options);
  meter.count("fargate.gbSeconds", units.gbSeconds, options);
}

/** Counts one line a container printed (a CloudWatch log event through the awslogs driver). */
export function meterContainerLine(meter: UsageMeter | undefined, family: string, jobIds: string[], text: string): void {
  meter?.count("logs.ingestedBytes", Buffer.byteLength(text), { jobIds, source: `ecs:${family}` });
}
