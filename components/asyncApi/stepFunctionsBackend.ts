/**
 * Backend `stepfunctions`: one execution of the job's state machine (components/jobStateMachine.ts)
 * per job. Submit starts it; cancel stops it (STANDARD: Express executions cannot be stopped, so a
 * cancelled job's late result is discarded instead). STANDARD executions that fail are forwarded to
 * the failures bus (failures.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { ENV } from "../../lambdas/shared/env";
import { startExecutionStatement, stopExecutionStatement, type PolicyStatement } from "../iam/policies";
import { JobStateMachine } from "../jobStateMachine";
import type { BackendInputs, BackendParts } from "./backend";
import { routeFailures } from "./failures";

export function createStepFunctionsBackend(name: string, parent: pulumi.Resource, inputs: BackendInputs): BackendParts {
  const { settings } = inputs;
  const workflow = new JobStateMachine(
    `${name}-workflow`,
    {
      job: inputs.job,
      store: inputs.store,
      workflowType: settings.workflowType,
      jobTimeoutSeconds: settings.jobTimeoutSeconds,
      worker: settings.worker,
      fargate: inputs.fargateWorker,
      logRetentionInDays: settings.logRetentionInDays,
    },
    { parent },
  );
  const workflowType = workflow.workflowType;
  const startEnv = workflow.arn.apply((arn): Record<string, string> => ({ [ENV.STATE_MACHINE_ARN]: arn, [ENV.WORKFLOW_TYPE]: workflowType }));
  const startStatements = workflow.arn.apply((arn) => [startExecutionStatement(arn)]);
  // Express executions cannot be stopped: a cancelled job's late result is discarded instead.
  const cancelStatements: pulumi.Output<PolicyStatement[]> = workflowType === "STANDARD" ? workflow.arn.apply((arn) => [stopExecutionStatement(arn)]) : pulumi.output([]);
  const failureRouting = inputs.failures
    ? routeFailures(name, parent, inputs.failures, { kind: "stepfunctions", stateMachineArn: workflow.arn }, settings.failureRecording)
    : undefined;
  return { startEnv, startStatements, cancelStatements, workflow, failureRouting };
}
