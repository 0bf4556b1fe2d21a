/**
 * The checked settings of an AsyncApi: its arguments with their defaults, each refused value or
 * combination an error that names the component (`AsyncApi <name>: …`). Checked in this order, so
 * the first error of several stays the one it always was.
 */
import type { AuthMode, Backend, WorkerKind, WorkflowType } from "../../lambdas/shared/types";
import { validateJob, validateJobTimeout } from "../job";
import type { AsyncApiArgs, FailureRecordingArgs, StreamWorkerArgs, ThrottleArgs } from "./args";
import { failureRecordingSettings } from "./failures";
import { streamWorkerSettings } from "./streamBackend";

export interface AsyncApiSettings {
  /** `AsyncApi <name>`, as errors name the component. */
  self: string;
  backend: Backend;
  auth: AuthMode;
  worker: WorkerKind;
  /** backend `stepfunctions`: the workflow's type (`STANDARD` unless given). */
  workflowType: WorkflowType;
  jobTimeoutSeconds: number;
  corsOrigins: string[];
  stageName: string;
  throttle: ThrottleArgs;
  logRetentionInDays: number;
  streamWorker: Required<StreamWorkerArgs>;
  failureRecording: Required<FailureRecordingArgs>;
}

export function validateArgs(self: string, args: AsyncApiArgs): AsyncApiSettings {
  validateJob(self, args.job);
  const backend = args.backend ?? "stepfunctions";
  const auth = args.auth ?? "iam";
  const jobTimeoutSeconds = args.jobTimeoutSeconds ?? 900;
  const worker = args.worker ?? "lambda";
  checkWorker(self, args, backend, worker);
  validateJobTimeout(self, jobTimeoutSeconds, worker);
  const corsOrigins = args.corsOrigins ?? [];
  const stageName = args.stageName ?? "v1";
  const throttle = args.throttle ?? { rateLimit: 100, burstLimit: 200 };
  const logRetentionInDays = args.logRetentionInDays ?? 30;
  checkBackend(self, args, backend, auth);
  const streamWorker = streamWorkerSettings(self, args.streamWorker);
  const failureRecording = failureRecordingSettings(self, args.failureRecording);
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(stageName)) throw new Error(`${self}: stageName must be 1-128 of A-Z a-z 0-9 _ -, got "${stageName}"`);
  const workflowType = args.workflowType ?? "STANDARD";
  return { self, backend, auth, worker, workflowType, jobTimeoutSeconds, corsOrigins, stageName, throttle, logRetentionInDays, streamWorker, failureRecording };
}

/** Where the job's code runs, and what that needs of the backend. */
function checkWorker(self: string, args: AsyncApiArgs, backend: Backend, worker: WorkerKind): void {
  if (worker !== "lambda" && worker !== "fargate") throw new Error(`${self}: worker must be "lambda" or "fargate", got "${worker}"`);
  if (worker === "fargate" && backend !== "stepfunctions") throw new Error(`${self}: worker "fargate" needs backend "stepfunctions" (backend is "${backend}")`);
  if (worker === "fargate" && (args.workflowType ?? "STANDARD") !== "STANDARD") throw new Error(`${self}: worker "fargate" needs workflowType "STANDARD"`);
  if (args.fargateWorker && worker !== "fargate") throw new Error(`${self}: fargateWorker applies only to worker "fargate"`);
}

/** The backend, the store and the auth mode, and the options that apply to one backend only. */
function checkBackend(self: string, args: AsyncApiArgs, backend: Backend, auth: AuthMode): void {
  if (!["stepfunctions", "lambda", "stream"].includes(backend)) throw new Error(`${self}: backend must be "stepfunctions", "lambda" or "stream", got "${backend}"`);
  if (backend === "stream" && (args.store ?? "dynamodb") !== "dynamodb") throw new Error(`${self}: backend "stream" needs store "dynamodb" (the jobs table's stream feeds the worker), got store "${args.store}"`);
  if (backend === "stream" && args.resultStore && args.resultStore.tableStreamArn === undefined) throw new Error(`${self}: backend "stream" needs a resultStore with a table stream (resultStore.tableStreamArn, view type NEW_AND_OLD_IMAGES)`);
  if (!["iam", "apiKey", "none"].includes(auth)) throw new Error(`${self}: auth must be "iam", "apiKey" or "none", got "${auth}"`);
  if (args.store && args.resultStore) throw new Error(`${self}: give either store (to create a ResultStore) or resultStore (to use one), not both`);
  if (args.workflowType && backend !== "stepfunctions") throw new Error(`${self}: workflowType applies only to backend "stepfunctions"`);
  if (args.lambdaWorker && backend !== "lambda") throw new Error(`${self}: lambdaWorker applies only to backend "lambda"`);
  if (args.streamWorker && backend !== "stream") throw new Error(`${self}: streamWorker applies only to backend "stream"`);
  if (args.failureRecording && backend === "stream") throw new Error(`${self}: failureRecording applies only to backends "stepfunctions" and "lambda" (backend "stream" records failed deliveries from an SQS queue)`);
}
