/**
 * The checks of `buildStateMachineDefinition`'s arguments: each refused argument throws an error
 * that names it and what it must be.
 */
import { DEFAULT_WORKER_RETRY, EXPRESS_MAX_SECONDS, MAX_EXPRESS_JOB_TIMEOUT_SECONDS, MAX_FARGATE_JOB_TIMEOUT_SECONDS, MAX_JOB_TIMEOUT_SECONDS } from "./constants";
import type { StateMachineDefinitionArgs } from "./types";

function fail(message: string): never {
  throw new Error(`buildStateMachineDefinition: ${message}`);
}

const isInteger = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n);
const nonEmpty = (s: unknown): s is string => typeof s === "string" && s.length > 0;

export function checkArgs(args: StateMachineDefinitionArgs): Required<Pick<StateMachineDefinitionArgs, "workerRetry">> {
  if (args.store !== "dynamodb" && args.store !== "s3") fail(`store must be "dynamodb" or "s3", not ${JSON.stringify(args.store)}`);
  if (args.workflowType !== "STANDARD" && args.workflowType !== "EXPRESS") {
    fail(`workflowType must be "STANDARD" or "EXPRESS", not ${JSON.stringify(args.workflowType)}`);
  }
  if (nonEmpty(args.workerFunctionArn) === Boolean(args.fargateTask)) fail("give workerFunctionArn (a Lambda worker) or fargateTask (an ECS task), exactly one");
  const fargate = args.fargateTask;
  if (fargate) {
    if (args.workflowType !== "STANDARD") fail("fargateTask needs workflowType STANDARD (.waitForTaskToken is not available to EXPRESS workflows)");
    for (const key of ["cluster", "taskDefinition", "containerName"] as const) if (!nonEmpty(fargate[key])) fail(`fargateTask.${key} is required`);
    if (!Array.isArray(fargate.subnets) || fargate.subnets.length === 0 || !fargate.subnets.every(nonEmpty)) fail("fargateTask.subnets must list at least one subnet id");
    if (!Array.isArray(fargate.securityGroups) || !fargate.securityGroups.every(nonEmpty)) fail("fargateTask.securityGroups must be a list of security group ids");
    if (!isInteger(fargate.heartbeatSeconds) || fargate.heartbeatSeconds < 10) fail(`fargateTask.heartbeatSeconds must be an integer of at least 10, not ${fargate.heartbeatSeconds}`);
  }
  if (args.tableName !== undefined && args.recorderFunctionArn !== undefined) {
    fail("give tableName (store dynamodb) or recorderFunctionArn (store s3), not both");
  }
  if (args.store === "dynamodb") {
    if (!nonEmpty(args.tableName)) fail("store dynamodb needs tableName (the jobs table the state machine writes to)");
  } else if (!nonEmpty(args.recorderFunctionArn)) {
    fail("store s3 needs recorderFunctionArn (the Lambda that writes job records to S3)");
  }
  const maxTimeout = fargate ? MAX_FARGATE_JOB_TIMEOUT_SECONDS : MAX_JOB_TIMEOUT_SECONDS;
  if (!isInteger(args.jobTimeoutSeconds) || args.jobTimeoutSeconds < 1 || args.jobTimeoutSeconds > maxTimeout) {
    fail(`jobTimeoutSeconds must be an integer from 1 to ${maxTimeout} (${fargate ? "a STANDARD execution's year" : "the Lambda worker's limit"}), not ${args.jobTimeoutSeconds}`);
  }
  if (args.workflowType === "EXPRESS" && args.jobTimeoutSeconds > MAX_EXPRESS_JOB_TIMEOUT_SECONDS) {
    fail(
      `jobTimeoutSeconds ${args.jobTimeoutSeconds} is too long for an EXPRESS workflow: Express workflows stop at 5 minutes ` +
        `(${EXPRESS_MAX_SECONDS} seconds), which must also hold the worker's start and the recording of the outcome. ` +
        `Use workflowType STANDARD, or a jobTimeoutSeconds of at most ${MAX_EXPRESS_JOB_TIMEOUT_SECONDS}.`,
    );
  }
  const workerRetry = args.workerRetry ?? DEFAULT_WORKER_RETRY;
  if (!isInteger(workerRetry.maxAttempts) || workerRetry.maxAttempts < 0) fail("workerRetry.maxAttempts must be an integer >= 0");
  if (!isInteger(workerRetry.intervalSeconds) || workerRetry.intervalSeconds < 1) fail("workerRetry.intervalSeconds must be an integer >= 1");
  if (typeof workerRetry.backoffRate !== "number" || !(workerRetry.backoffRate >= 1)) fail("workerRetry.backoffRate must be a number >= 1");
  return { workerRetry };
}
