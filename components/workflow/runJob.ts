/**
 * The states that run the job and read its outcome: RunJob (a Lambda invoke, or an ECS Fargate
 * task that answers with its task token), CheckOutcome (which record write the outcome asks for)
 * and InvalidOutcome (a worker that answered something else).
 */
import { ENV, FARGATE_START_SECONDS } from "../../lambdas/shared/env";
import type { AslCatcher, AslChoiceRule, AslState, AslTaskState, JsonObject } from "./asl";
import { ECS_RUN_TASK_WAIT_FOR_TOKEN, fargateRunJobTimeoutSeconds, ECS_TRANSIENT_ERRORS, INVALID_OUTCOME_ERROR, LAMBDA_INVOKE, LAMBDA_TRANSIENT_ERRORS, runJobTimeoutSeconds, STATE } from "./constants";
import { retrier } from "./retrier";
import type { FargateTaskArgs, StateMachineDefinitionArgs, WorkerOutcome, WorkerRetry } from "./types";

const present = (path: string, test: JsonObject): AslChoiceRule[] => [
  { Variable: path, IsPresent: true },
  { Variable: path, ...test },
];

/**
 * A missed heartbeat (the Fargate container died) is a crash, not a timeout. It comes first:
 * `States.Timeout` also matches a missed heartbeat, and the first catcher that matches wins
 * ("Error handling in Step Functions": States.Timeout, States.HeartbeatTimeout). A worker function
 * that Lambda stopped at a timeout of its own (`Sandbox.Timedout`: its timeout, or the 10 s of its
 * init phase; AWS, "Troubleshoot invocation issues in Lambda") did not finish in time: TIMED_OUT.
 */
const RUN_JOB_CATCH: AslCatcher[] = [
  { ErrorEquals: ["States.HeartbeatTimeout"], Next: STATE.RecordCrashed, ResultPath: "$.failure" },
  { ErrorEquals: ["States.Timeout", "Sandbox.Timedout"], Next: STATE.RecordTimedOut, ResultPath: "$.failure" },
  { ErrorEquals: ["States.ALL"], Next: STATE.RecordCrashed, ResultPath: "$.failure" },
];

/**
 * RunJob on `worker=fargate`: start the task with the job id and this state's task token as
 * environment overrides (never the input: overrides are limited to 8 KiB, and the task reads the
 * input from the store), then wait for the container's SendTaskSuccess, whose output is the same
 * outcome the Lambda worker answers. No heartbeat for `heartbeatSeconds`: the container died
 * (`States.HeartbeatTimeout`, recorded as a crash). The state's timeout adds the task's start-up
 * to the job's own time; the container stops the job itself at `jobTimeoutSeconds`.
 */
function fargateRunJobState(task: FargateTaskArgs, jobTimeoutSeconds: number, workerRetry: WorkerRetry): AslTaskState {
  return {
    Type: "Task",
    Comment: "Run the job as an ECS Fargate task; the container answers with SendTaskSuccess and sends heartbeats",
    Resource: ECS_RUN_TASK_WAIT_FOR_TOKEN,
    Parameters: {
      Cluster: task.cluster,
      TaskDefinition: task.taskDefinition,
      LaunchType: "FARGATE",
      NetworkConfiguration: {
        AwsvpcConfiguration: { Subnets: task.subnets, SecurityGroups: task.securityGroups, AssignPublicIp: task.assignPublicIp ? "ENABLED" : "DISABLED" },
      },
      Overrides: {
        ContainerOverrides: [
          {
            Name: task.containerName,
            Environment: [
              { Name: ENV.TASK_JOB_ID, "Value.$": "$.jobId" },
              { Name: ENV.TASK_TOKEN, "Value.$": "$$.Task.Token" },
            ],
          },
        ],
      },
    },
    ResultSelector: { "outcome.$": "$" },
    ResultPath: "$.run",
    TimeoutSeconds: fargateRunJobTimeoutSeconds(jobTimeoutSeconds),
    // Step Functions counts the heartbeat from the task's start: the first one comes only once the
    // container runs, so the task's start-up is allowed on top (and it must stay below the timeout).
    HeartbeatSeconds: Math.min(task.heartbeatSeconds + FARGATE_START_SECONDS, fargateRunJobTimeoutSeconds(jobTimeoutSeconds) - 1),
    Retry: [retrier(ECS_TRANSIENT_ERRORS, workerRetry)],
    Catch: RUN_JOB_CATCH,
    Next: STATE.CheckOutcome,
  };
}

/** RunJob on `worker=lambda`: invoke the worker function, which answers the job's outcome. */
function lambdaRunJobState(workerFunctionArn: string, jobTimeoutSeconds: number, workerRetry: WorkerRetry): AslTaskState {
  return {
    Type: "Task",
    Comment: "Run the job: the worker returns its outcome (job errors included) and never throws them",
    Resource: LAMBDA_INVOKE,
    Parameters: { FunctionName: workerFunctionArn, Payload: { "jobId.$": "$.jobId" } },
    ResultSelector: { "outcome.$": "$.Payload" },
    ResultPath: "$.run",
    TimeoutSeconds: runJobTimeoutSeconds(jobTimeoutSeconds),
    Retry: [retrier(LAMBDA_TRANSIENT_ERRORS, workerRetry)],
    Catch: RUN_JOB_CATCH,
    Next: STATE.CheckOutcome,
  };
}

/** RunJob, CheckOutcome and InvalidOutcome, in that order. */
export function runJobStates(args: StateMachineDefinitionArgs, workerRetry: WorkerRetry): Record<string, AslState> {
  const outcome = "$.run.outcome";
  const isOutcome = (value: WorkerOutcome["outcome"]) => present(`${outcome}.outcome`, { StringEquals: value });
  const isString = (field: string) => present(`${outcome}.${field}`, { IsString: true });
  const isNumber = (field: string) => present(`${outcome}.${field}`, { IsNumeric: true });

  return {
    [STATE.RunJob]: args.fargateTask
      ? fargateRunJobState(args.fargateTask, args.jobTimeoutSeconds, workerRetry)
      : lambdaRunJobState(args.workerFunctionArn!, args.jobTimeoutSeconds, workerRetry),
    [STATE.CheckOutcome]: {
      Type: "Choice",
      Choices: [
        { And: [...isOutcome("SUCCEEDED"), ...isString("result"), ...isNumber("resultSize"), ...isNumber("expiresAt")], Next: STATE.RecordSucceededInline },
        { And: [...isOutcome("SUCCEEDED"), ...isString("resultRef"), ...isNumber("resultSize"), ...isNumber("expiresAt")], Next: STATE.RecordSucceededRef },
        { And: [...isOutcome("FAILED"), ...isString("error.code"), ...isString("error.message"), ...isNumber("expiresAt")], Next: STATE.RecordFailed },
        { And: isOutcome("TIMED_OUT"), Next: STATE.RecordTimedOut },
        { And: isOutcome("DISCARDED"), Next: STATE.Discarded },
      ],
      Default: STATE.InvalidOutcome,
    },
    [STATE.InvalidOutcome]: {
      Type: "Pass",
      Comment: "The worker answered something that is not an outcome: record the job FAILED",
      Result: { Error: INVALID_OUTCOME_ERROR },
      ResultPath: "$.failure",
      Next: STATE.RecordCrashed,
    },
  };
}
