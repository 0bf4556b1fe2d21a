/**
 * The EventBridge events that say "a job ended without its outcome being recorded", and the event
 * patterns that select them: pure functions of plain ARNs, shared by the components (rules and the
 * archive), the failure recorder's tests and the local cloud's tests.
 *
 * - backend `lambda`: the worker's asynchronous invocation finally failed (crash, timeout, event
 *   too old). Lambda puts its destination record on the failures bus as the `detail` of an event
 *   with `source: "lambda"` and `detail-type: "Lambda Function Invocation Result - Failure"`.
 * - backend `stepfunctions`: an execution ended FAILED (e.g. its `RecordingFailed` state),
 *   TIMED_OUT or ABORTED. Step Functions sends "Step Functions Execution Status Change" events
 *   (`source: "aws.states"`) to the account's default bus, for STANDARD workflows only.
 */

export const LAMBDA_DESTINATION_SOURCE = "lambda";
export const LAMBDA_FAILURE_DETAIL_TYPE = "Lambda Function Invocation Result - Failure";
export const STEP_FUNCTIONS_SOURCE = "aws.states";
export const EXECUTION_STATUS_CHANGE_DETAIL_TYPE = "Step Functions Execution Status Change";
/** Execution statuses that can end a job without a recorded outcome. */
export const UNRECORDED_EXECUTION_STATUSES = ["FAILED", "TIMED_OUT", "ABORTED"] as const;

export type EventPattern = Record<string, unknown>;

/** Failure records of this worker function (any version or alias): `detail.requestContext.functionArn` is qualified. */
export function workerFailurePattern(workerFunctionArn: string): EventPattern {
  if (!/^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:[^:]+$/.test(workerFunctionArn)) throw new Error(`workerFailurePattern: not an unqualified function ARN: ${workerFunctionArn}`);
  return {
    source: [LAMBDA_DESTINATION_SOURCE],
    "detail-type": [LAMBDA_FAILURE_DETAIL_TYPE],
    detail: { requestContext: { functionArn: [{ prefix: `${workerFunctionArn}:` }] } },
  };
}

/** Executions of this state machine that ended FAILED, TIMED_OUT or ABORTED. */
export function executionFailurePattern(stateMachineArn: string): EventPattern {
  if (!/^arn:aws[a-z-]*:states:[^:]+:\d{12}:stateMachine:[^:]+$/.test(stateMachineArn)) throw new Error(`executionFailurePattern: not a state machine ARN: ${stateMachineArn}`);
  return {
    source: [STEP_FUNCTIONS_SOURCE],
    "detail-type": [EXECUTION_STATUS_CHANGE_DETAIL_TYPE],
    detail: { stateMachineArn: [stateMachineArn], status: [...UNRECORDED_EXECUTION_STATUSES] },
  };
}
