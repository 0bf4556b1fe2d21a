/**
 * The checked settings of a JobStateMachine: its arguments with their defaults, each refused
 * combination an error that names the component.
 */
import { validateJob, validateJobTimeout } from "../job";
import type { JobStateMachineArgs } from "../jobStateMachine";

export interface JobStateMachineSettings {
  workerKind: "lambda" | "fargate";
  workflowType: "STANDARD" | "EXPRESS";
  jobTimeoutSeconds: number;
}

export function jobStateMachineSettings(self: string, args: JobStateMachineArgs): JobStateMachineSettings {
  validateJob(self, args.job);
  const workerKind = args.worker ?? "lambda";
  if (workerKind !== "lambda" && workerKind !== "fargate") throw new Error(`${self}: worker must be "lambda" or "fargate", got "${workerKind}"`);
  if (args.fargate && workerKind !== "fargate") throw new Error(`${self}: fargate options apply only to worker "fargate"`);
  const jobTimeoutSeconds = args.jobTimeoutSeconds ?? 900;
  validateJobTimeout(self, jobTimeoutSeconds, workerKind);
  const workflowType = args.workflowType ?? "STANDARD";
  if (workerKind === "fargate" && workflowType !== "STANDARD") throw new Error(`${self}: worker "fargate" needs workflowType "STANDARD" (EXPRESS workflows cannot wait for a task token)`);
  return { workerKind, workflowType, jobTimeoutSeconds };
}
