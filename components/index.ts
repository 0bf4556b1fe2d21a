export { AsyncApi, type AsyncApiArgs, type FailureRecordingArgs, type LambdaWorkerArgs } from "./asyncApi";
export { JobStateMachine, type JobStateMachineArgs } from "./jobStateMachine";
export { ResultStore, type ResultStoreArgs } from "./resultStore";
export { BundledFunction, type BundledFunctionArgs } from "./lambda/bundledFunction";
export type { JobArgs } from "./job";
export { FargateWorker, type FargateWorkerArgs, type FargateWorkerOptions, type FargateNetworkArgs } from "./fargateWorker";
export type { JobContext, JobDefinition } from "../lambdas/jobs/types";
