/**
 * The task sizes Fargate runs (Linux): each CPU value with the memory values it allows, in MiB.
 * AWS, "Amazon ECS task definition parameters for Fargate" (Task size) and "Troubleshoot Amazon
 * ECS task definition invalid CPU or memory errors". Any other pair is refused by
 * RegisterTaskDefinition ("No Fargate configuration exists for given values"), which `pulumi up`
 * would only reach after building and pushing the image.
 */
const range = (from: number, to: number, step: number): number[] => Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);

export const FARGATE_TASK_SIZES: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [512, 1024, 2048]],
  [512, range(1024, 4096, 1024)],
  [1024, range(2048, 8192, 1024)],
  [2048, range(4096, 16384, 1024)],
  [4096, range(8192, 30720, 1024)],
  // 8 and 16 vCPU need Linux platform version 1.4.0 or later (LATEST is).
  [8192, range(16384, 61440, 4096)],
  [16384, range(32768, 122880, 8192)],
]);

const gib = (mib: number) => `${mib / 1024} GB`;

/** Why `cpu`/`memory` is not a Fargate task size, or `undefined` when it is one. */
export function fargateTaskSizeError(cpu: number, memory: number): string | undefined {
  const allowed = FARGATE_TASK_SIZES.get(cpu);
  if (!allowed) return `cpu must be one of ${[...FARGATE_TASK_SIZES.keys()].join(", ")} (CPU units; 1024 = 1 vCPU), got ${cpu}`;
  if (allowed.includes(memory)) return undefined;
  const first = allowed[0];
  const last = allowed[allowed.length - 1];
  const step = allowed.length > 1 ? allowed[1] - allowed[0] : 0;
  const choices = allowed.length <= 4 ? allowed.join(", ") : `${first} to ${last} in steps of ${step}`;
  const fits = [...FARGATE_TASK_SIZES].filter(([, mems]) => mems.includes(memory)).map(([c]) => c);
  const other = fits.length > 0 ? `; ${memory} MiB runs with cpu ${fits.join(" or ")}` : "";
  return `cpu ${cpu} runs with memory ${choices} MiB (${gib(first)} to ${gib(last)}), got memory ${memory}${other} (Fargate's task sizes)`;
}
