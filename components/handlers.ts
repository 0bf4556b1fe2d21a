import * as path from "path";
import type { JobArgs } from "./job";
import type { HandlerSpec } from "./lambda/bundle";
import { compiledSchemaModule } from "./lambda/schemaValidator";

const HANDLERS_DIR = path.resolve(__dirname, "..", "lambdas");

/**
 * Every Lambda handler of the project: its module under `lambdas/` (no extension: the TypeScript
 * source in this tree, the compiled JavaScript in the installed package) and its factory.
 */
export const HANDLERS = {
  submit: { module: "api/submitCore", factory: "createPrecompiledSubmitHandler" },
  list: { module: "api/list", factory: "createListHandler" },
  status: { module: "api/status", factory: "createStatusHandler" },
  cancel: { module: "api/cancel", factory: "createCancelHandler" },
  asyncWorker: { module: "worker/asyncWorker", factory: "createAsyncWorker" },
  stepFunctionsWorker: { module: "worker/stepFunctionsWorker", factory: "createStepFunctionsWorker" },
  recorder: { module: "worker/recorder", factory: "createRecorder" },
  failureDestination: { module: "worker/failureDestination", factory: "createFailureDestination" },
  streamWorker: { module: "worker/streamWorker", factory: "createStreamWorker" },
  streamFailures: { module: "worker/streamFailures", factory: "createStreamFailureRecorder" },
  containerWorker: { module: "worker/containerWorker", factory: "createContainerWorker" },
  tablePublisher: { module: "events/tablePublisher", factory: "createTablePublisher" },
  bucketPublisher: { module: "events/bucketPublisher", factory: "createBucketPublisher" },
  webhookDelivery: { module: "webhooks/delivery", factory: "createWebhookDelivery" },
} as const;

export type HandlerName = keyof typeof HANDLERS;

/** The bundle spec of a handler that takes no arguments. */
export function handlerSpec(name: HandlerName): HandlerSpec {
  return { module: path.join(HANDLERS_DIR, HANDLERS[name].module), factory: HANDLERS[name].factory };
}

/** The bundle spec of a worker, with the job's module imported as its argument. */
export function workerSpec(name: "asyncWorker" | "stepFunctionsWorker" | "streamWorker" | "containerWorker", job: JobArgs): HandlerSpec {
  // A job given as a function: the worker runs the job that invokes it (its ARN is in the environment).
  const module = job.module ?? path.join(HANDLERS_DIR, "jobs", "invokeFunction");
  const exportName = job.module === undefined ? "invokeFunctionJob" : (job.exportName ?? "default");
  return { ...handlerSpec(name), args: [{ module, exportName }] };
}

/** The submit handler's spec: the job's input schema, compiled now (components/lambda/schemaValidator.ts). */
export function submitSpec(job: JobArgs): HandlerSpec {
  return { ...handlerSpec("submit"), args: [{ module: compiledSchemaModule(job.schema), exportName: "default" }] };
}
