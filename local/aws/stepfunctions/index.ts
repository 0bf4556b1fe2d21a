// The local Step Functions service's public face: start it with startStepFunctionsService
// (./service.ts, whose header lists the operations it serves and the AWS pages it follows).
export { EXECUTION_STATUS_CHANGE, startStepFunctionsService, SfnError } from "./service";
export type {
  ExecutionDescription,
  ExecutionStatus,
  HistoryEvent,
  LocalStepFunctionsService,
  StartExecutionInput,
  StartExecutionOutput,
  StepFunctionsServiceOptions,
} from "./service";
export { classifyResource, SUPPORTED_RESOURCES, UnsupportedResourceError } from "./integrations";
export type { TaskHandler, TaskContext } from "./integrations";
