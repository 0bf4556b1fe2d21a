/**
 * The local Step Functions service: runs the program's state machines with aws-local-stepfunctions
 * (every Task through a local integration, see integrations.ts) and serves the Step Functions
 * JSON protocol (`POST /`, `X-Amz-Target: AWSStepFunctions.<Action>`, awsJson1_0) on a loopback
 * port, so `@aws-sdk/client-sfn` and `aws stepfunctions --endpoint-url` reach it.
 *
 * Operations (Step Functions API, awsJson1_0, target prefix `AWSStepFunctions`):
 * - StartExecution: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 * - StartSyncExecution: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartSyncExecution.html
 * - DescribeExecution: https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
 * - StopExecution: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html
 * - ListExecutions: https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html
 * - GetExecutionHistory: https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html
 * - DescribeStateMachine: https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachine.html
 * - DescribeStateMachineForExecution: https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachineForExecution.html
 * - ListStateMachines: https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListStateMachines.html
 * - SendTaskSuccess: https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html
 * - SendTaskFailure: https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskFailure.html
 * - SendTaskHeartbeat: https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskHeartbeat.html
 * Any other target answers `UnknownOperationException` (400), as the awsJson protocols do:
 * https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html
 *
 * In process only (the resource monitor declares what the program declares): CreateStateMachine
 * (stateMachines.ts), https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html
 *
 * Executions live in memory. StartExecution answers at once and the execution runs in the
 * background; STANDARD executions can be described, listed, stopped and their history read;
 * EXPRESS ones answer those calls as AWS does (InvalidArn / StateMachineTypeNotSupported), while the
 * programmatic `describeExecution` / `waitForExecution` work for both. STANDARD executions send
 * their status changes to EventBridge (statusEvents.ts).
 *
 * Callbacks: `$$.Task.Token` mints a task token (taskTokens.ts) that SendTaskSuccess,
 * SendTaskFailure and SendTaskHeartbeat answer, through the API or in process; the tokens of an
 * execution stop working when it ends.
 *
 * The module: the state and in-process operations (stepFunctions.ts), one execution's run
 * (launch.ts), the API operations (operations/), the wire (http.ts), the public types (types.ts).
 */
import "./polyfill";
import * as http from "node:http";
import { close, listen } from "../protocols/listen";
import { stepFunctionsRequestHandler } from "./http";
import { StepFunctions } from "./stepFunctions";
import type { LocalStepFunctionsService, StepFunctionsServiceOptions } from "./types";

export type { HistoryEvent } from "./history";
export { SfnError } from "./errors";
export { EXECUTION_STATUS_CHANGE } from "./statusEvents";
export type { ExecutionDescription, ExecutionStatus, LocalStepFunctionsService, StartExecutionInput, StartExecutionOutput, StepFunctionsServiceOptions } from "./types";

export async function startStepFunctionsService(options: StepFunctionsServiceOptions): Promise<LocalStepFunctionsService> {
  const sfn = new StepFunctions(options);
  const server = http.createServer(stepFunctionsRequestHandler(sfn, options.log ?? (() => undefined)));
  const { endpoint } = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  return {
    endpoint,
    stop: () => sfn.stop(() => close(server)),
    createStateMachine: (config) => sfn.createStateMachine(config),
    startExecution: (input) => sfn.startExecution(input),
    describeExecution: (arn) => sfn.describeExecution(arn),
    stopExecution: (arn, stop) => sfn.stopExecution(arn, stop),
    listExecutions: (arn, status) => sfn.listExecutions(arn, status),
    getExecutionHistory: (arn) => sfn.getExecutionHistory(arn),
    waitForExecution: (arn, timeoutMs) => sfn.waitForExecution(arn, timeoutMs),
    sendTaskSuccess: (token, output) => sfn.sendTaskSuccess(token, output),
    sendTaskFailure: (token, failure) => sfn.sendTaskFailure(token, failure),
    sendTaskHeartbeat: (token) => sfn.sendTaskHeartbeat(token),
  };
}
