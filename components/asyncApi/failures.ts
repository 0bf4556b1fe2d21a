import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Backend, WorkflowType } from "../../lambdas/shared/types";
import { executionFailurePattern, workerFailurePattern, type EventPattern } from "../events/failureEvents";
import { handlerSpec } from "../handlers";
import { deadLetterQueuePolicy, document, putEventsStatement, recordStatements, sendMessageStatement, serviceTrustPolicy } from "../iam/policies";
import { BundledFunction } from "../lambda/bundledFunction";
import type { ResultStore } from "../resultStore";
import type { FailureRecordingArgs } from "./args";
import { integerSettings } from "./settings";

/** Lambda's limit on `maximumEventAgeInSeconds` of an async invocation. */
const LAMBDA_MAX_EVENT_AGE_SECONDS = 21600;

/** SQS keeps a message at most 14 days: the dead-letter queue keeps them that long. */
export const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600;

export const FAILURE_RECORDING_DEFAULTS: Readonly<Required<FailureRecordingArgs>> = {
  archiveRetentionDays: 7,
  deliveryRetryAttempts: 185,
  deliveryMaximumEventAgeSeconds: 3600,
  recorderRetryAttempts: 2,
};

/** The arguments with their defaults, checked against EventBridge's and Lambda's limits. */
export function failureRecordingSettings(self: string, args: FailureRecordingArgs = {}): Required<FailureRecordingArgs> {
  return integerSettings(self, "failureRecording", FAILURE_RECORDING_DEFAULTS, args, {
    archiveRetentionDays: [0, 3650],
    deliveryRetryAttempts: [0, 185],
    deliveryMaximumEventAgeSeconds: [60, 86400],
    recorderRetryAttempts: [0, 2],
  });
}

/** The first half, made before the backend (the Lambda worker needs the bus as its destination). */
export interface FailureChannel {
  /** The custom bus `<name>-failures` that failure events reach. */
  bus: aws.cloudwatch.EventBus;
  /** Encrypted (SSE-SQS); failures that could not be delivered or recorded end here. */
  deadLetterQueue: aws.sqs.Queue;
  /** The failure recorder (lambdas/worker/failureDestination.ts). */
  recorder: BundledFunction;
  /** The recorder's own async settings: retries, then its destination record to the dead-letter queue. */
  recorderInvokeConfig: aws.lambda.FunctionEventInvokeConfig;
}

/** What produces the failure events: the worker function (backend lambda) or the state machine (backend stepfunctions). */
export type FailureSource = { kind: "lambda"; workerFunctionArn: pulumi.Input<string> } | { kind: "stepfunctions"; stateMachineArn: pulumi.Input<string> };

/** The second half: the rule that sends failure events to the recorder, and the archive replays read from. */
export interface FailureRouting {
  /** The rule on the failures bus (its pattern is the archive's too). */
  rule: aws.cloudwatch.EventRule;
  target: aws.cloudwatch.EventTarget;
  archive: aws.cloudwatch.EventArchive;
  queuePolicy: aws.sqs.QueuePolicy;
  /** backend stepfunctions: the default-bus rule that forwards the execution status changes to the failures bus. */
  executionRule?: aws.cloudwatch.EventRule;
  executionTarget?: aws.cloudwatch.EventTarget;
  /** The role that rule forwards with (events:PutEvents on the failures bus only). */
  forwardRole?: aws.iam.Role;
}

/**
 * Whether the API records failures through the failures bus: the Lambda backend, and STANDARD
 * workflows (EXPRESS executions send no status-change events; backend `stream` records failed
 * deliveries from an SQS queue of its own).
 */
export function recordsFailures(backend: Backend, workflowType: WorkflowType): boolean {
  return backend === "lambda" || (backend === "stepfunctions" && workflowType === "STANDARD");
}

export function createFailureChannel(
  name: string,
  parent: pulumi.Resource,
  args: { store: ResultStore; environment: pulumi.Input<Record<string, string>>; logRetentionInDays: number; settings: Required<FailureRecordingArgs> },
): FailureChannel {
  const bus = new aws.cloudwatch.EventBus(`${name}-failures`, { description: "Jobs that ended without a recorded outcome, for the failure recorder and replays" }, { parent });
  const deadLetterQueue = new aws.sqs.Queue(
    `${name}-failures-dlq`,
    { sqsManagedSseEnabled: true, messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS },
    { parent },
  );
  const recorder = new BundledFunction(
    `${name}-failure-recorder`,
    {
      description: "Records jobs that ended without a recorded outcome (worker crashes, timeouts, failed executions)",
      handler: handlerSpec("failureDestination"),
      environment: args.environment,
      logRetentionInDays: args.logRetentionInDays,
      policyStatements: pulumi
        .all([args.store.recordLocation, deadLetterQueue.arn])
        .apply(([location, queueArn]) => [
          ...recordStatements(location, "readWrite"),
          // Lambda sends the recorder's own on-failure destination record with the recorder's role.
          sendMessageStatement("DeadLetterUnrecordedFailures", queueArn),
        ]),
    },
    { parent },
  );
  // EventBridge invokes the recorder asynchronously: a recorder that throws is not a failed
  // delivery (EventBridge's dead-letter queue never sees it) but Lambda's to retry and then to
  // send to this destination. So both paths end in the same queue.
  const recorderInvokeConfig = new aws.lambda.FunctionEventInvokeConfig(
    `${name}-failure-recorder-invoke-config`,
    {
      functionName: recorder.functionName,
      maximumRetryAttempts: args.settings.recorderRetryAttempts,
      // Lambda keeps an async event at most 6 hours (EventBridge retries a delivery up to 24).
      maximumEventAgeInSeconds: Math.min(args.settings.deliveryMaximumEventAgeSeconds, LAMBDA_MAX_EVENT_AGE_SECONDS),
      destinationConfig: { onFailure: { destination: deadLetterQueue.arn } },
    },
    { parent },
  );
  return { bus, deadLetterQueue, recorder, recorderInvokeConfig };
}

export function routeFailures(name: string, parent: pulumi.Resource, channel: FailureChannel, source: FailureSource, settings: Required<FailureRecordingArgs>): FailureRouting {
  const pattern: pulumi.Output<EventPattern> =
    source.kind === "lambda" ? pulumi.output(source.workerFunctionArn).apply(workerFailurePattern) : pulumi.output(source.stateMachineArn).apply(executionFailurePattern);
  const patternText = pattern.apply((p) => JSON.stringify(p));

  const rule = new aws.cloudwatch.EventRule(
    `${name}-failures-rule`,
    { eventBusName: channel.bus.name, eventPattern: patternText, description: "Sends failure events to the failure recorder" },
    { parent },
  );
  const permission = new aws.lambda.Permission(
    `${name}-failure-recorder-permission`,
    { action: "lambda:InvokeFunction", function: channel.recorder.functionName, principal: "events.amazonaws.com", sourceArn: rule.arn },
    { parent },
  );
  const target = new aws.cloudwatch.EventTarget(
    `${name}-failures-target`,
    {
      rule: rule.name,
      eventBusName: channel.bus.name,
      arn: channel.recorder.arn,
      retryPolicy: { maximumRetryAttempts: settings.deliveryRetryAttempts, maximumEventAgeInSeconds: settings.deliveryMaximumEventAgeSeconds },
      deadLetterConfig: { arn: channel.deadLetterQueue.arn },
    },
    { parent, dependsOn: [permission] },
  );
  // The archive keeps what the rule matches: replaying it (to this rule) re-runs the recording.
  const archive = new aws.cloudwatch.EventArchive(
    `${name}-failures-archive`,
    {
      eventSourceArn: channel.bus.arn,
      eventPattern: patternText,
      retentionDays: settings.archiveRetentionDays,
      description: "Failure events, for `aws events start-replay` to the failures rule",
    },
    { parent },
  );

  let executionRule: aws.cloudwatch.EventRule | undefined;
  let executionTarget: aws.cloudwatch.EventTarget | undefined;
  let forwardRole: aws.iam.Role | undefined;
  const deadLetterSources: pulumi.Output<string>[] = [rule.arn];
  if (source.kind === "stepfunctions") {
    // Step Functions sends its status changes to the default bus only: forward the ones that matter
    // to the failures bus, so both backends share one rule, one archive and one replay command.
    const account = aws.getCallerIdentityOutput({}, { parent }).accountId;
    forwardRole = new aws.iam.Role(
      `${name}-execution-failures-role`,
      { assumeRolePolicy: account.apply((id) => JSON.stringify(serviceTrustPolicy("events.amazonaws.com", id))), description: "Forwards failed job executions to the failures bus" },
      { parent },
    );
    const forwardPolicy = new aws.iam.RolePolicy(
      `${name}-execution-failures-policy`,
      { role: forwardRole.id, policy: channel.bus.arn.apply((busArn) => JSON.stringify(document(putEventsStatement("ForwardToFailuresBus", busArn)))) },
      { parent },
    );
    executionRule = new aws.cloudwatch.EventRule(
      `${name}-execution-failures`,
      { eventPattern: patternText, description: "Job executions that ended FAILED, TIMED_OUT or ABORTED, forwarded to the failures bus" },
      { parent },
    );
    executionTarget = new aws.cloudwatch.EventTarget(
      `${name}-execution-failures-target`,
      {
        rule: executionRule.name,
        arn: channel.bus.arn,
        roleArn: forwardRole.arn,
        // Bus targets take no retry policy (EventBridge retries them itself) but do take a dead-letter queue.
        deadLetterConfig: { arn: channel.deadLetterQueue.arn },
      },
      { parent, dependsOn: [forwardPolicy] },
    );
    deadLetterSources.push(executionRule.arn);
  }

  const queuePolicy = new aws.sqs.QueuePolicy(
    `${name}-failures-dlq-policy`,
    {
      queueUrl: channel.deadLetterQueue.url,
      policy: pulumi.all([channel.deadLetterQueue.arn, pulumi.all(deadLetterSources)]).apply(([queueArn, ruleArns]) => JSON.stringify(deadLetterQueuePolicy(queueArn, ruleArns))),
    },
    { parent },
  );
  return { rule, target, archive, queuePolicy, executionRule, executionTarget, forwardRole };
}
