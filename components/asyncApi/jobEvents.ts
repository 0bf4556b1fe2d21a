import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ENV } from "../../lambdas/shared/env";
import { handlerSpec } from "../handlers";
import {
  bucketPublisherStatements,
  eventRuleQueuePolicy,
  listStreamsStatement,
  putEventsStatement,
  queueConsumeStatement,
  sendMessageStatement,
  streamReadStatement,
} from "../iam/policies";
import { BundledFunction } from "../lambda/bundledFunction";
import type { ResultStore } from "../resultStore";
import { DEAD_LETTER_RETENTION_SECONDS } from "./failures";

/** The publisher's timeout; a queue hides a message it is working on for 6 times that, as Lambda advises. */
const PUBLISHER_TIMEOUT_SECONDS = 30;

/**
 * The stream records a publisher retries before they go to the dead-letter queue: as long as the
 * stream keeps them (24 hours, "Change data capture for DynamoDB Streams").
 */
const STREAM_RECORD_AGE_SECONDS = 86_400;

/** The S3 "Object Created" notifications of the job records, as EventBridge delivers them ("Using EventBridge", Amazon S3 User Guide). */
export function jobRecordNotificationPattern(bucketName: string): Record<string, unknown> {
  return { source: ["aws.s3"], "detail-type": ["Object Created"], detail: { bucket: { name: [bucketName] }, object: { key: [{ prefix: "jobs/" }] } } };
}

export interface JobEvents {
  /** Every status change of every job: source `async-api`, detail-type `Job Status Change`. */
  bus: aws.cloudwatch.EventBus;
  publisher: BundledFunction;
  /** Changes the publisher gave up on (the stream's batches, or the bucket's notifications). */
  deadLetterQueue: aws.sqs.Queue;
}

/**
 * Job events (CONTRACT.md, "Events"), published from the store's change feed so that no writer
 * can skip one. DynamoDB: the table's stream (NEW_AND_OLD_IMAGES) feeds a publisher function in
 * order, one batch at a time per shard; a batch it gives up on (after retrying for the stream's
 * 24 hours) goes to the dead-letter queue. S3: the bucket sends EventBridge a notification of every
 * job record written; a rule queues them for the publisher, which reads the record's status
 * changes; a notification received 10 times goes to the dead-letter queue.
 *
 * A function rather than EventBridge Pipes: a pipe's filter cannot compare the old image with the
 * new one, so telling a status change from a progress write would need a Lambda enrichment anyway,
 * and a pipe takes no partial batch response, which is what keeps the events of a job in order
 * when part of a batch fails.
 */
export function createJobEvents(
  name: string,
  parent: pulumi.Resource,
  args: { store: ResultStore; environment: pulumi.Input<Record<string, string>>; logRetentionInDays: number },
): JobEvents {
  const { store } = args;
  const bus = new aws.cloudwatch.EventBus(`${name}-job-events`, { description: "Every status change of every job (source async-api, detail-type Job Status Change)" }, { parent });
  const deadLetterQueue = new aws.sqs.Queue(`${name}-job-events-dlq`, { sqsManagedSseEnabled: true, messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS }, { parent });
  const environment = pulumi.all([args.environment, bus.name]).apply(([env, busName]): Record<string, string> => ({ ...env, [ENV.JOB_EVENTS_BUS]: busName }));

  if (store.kind === "dynamodb") {
    if (!store.tableStreamArn) throw new Error(`AsyncApi ${name}: job events need the jobs table's stream (an existing table: resultStore.tableStreamArn, view type NEW_AND_OLD_IMAGES)`);
    const streamArn = store.tableStreamArn;
    const publisher = new BundledFunction(
      `${name}-events-publisher`,
      {
        description: "Puts each job status change of the jobs table's stream on the job events bus",
        handler: handlerSpec("tablePublisher"),
        environment,
        timeoutSeconds: PUBLISHER_TIMEOUT_SECONDS,
        logRetentionInDays: args.logRetentionInDays,
        // The mapping reads the stream, and sends its on-failure records, with the function's role.
        policyStatements: pulumi
          .all([streamArn, bus.arn, deadLetterQueue.arn])
          .apply(([stream, busArn, dlq]) => [streamReadStatement(stream), listStreamsStatement(), putEventsStatement("PutJobEvents", busArn), sendMessageStatement("SendGivenUpBatches", dlq)]),
      },
      { parent },
    );
    new aws.lambda.EventSourceMapping(
      `${name}-events-mapping`,
      {
        eventSourceArn: streamArn,
        functionName: publisher.arn,
        startingPosition: "TRIM_HORIZON",
        batchSize: 100,
        // One batch at a time per shard: a job's events go in the order of its writes.
        parallelizationFactor: 1,
        functionResponseTypes: ["ReportBatchItemFailures"],
        maximumRetryAttempts: 10_000,
        maximumRecordAgeInSeconds: STREAM_RECORD_AGE_SECONDS,
        destinationConfig: { onFailure: { destinationArn: deadLetterQueue.arn } },
      },
      { parent, dependsOn: [publisher] },
    );
    return { bus, publisher, deadLetterQueue };
  }

  if (store.bucket) {
    new aws.s3.BucketNotification(`${name}-job-notifications`, { bucket: store.bucket.id, eventbridge: true }, { parent });
  }
  const changes = new aws.sqs.Queue(
    `${name}-job-changes`,
    {
      sqsManagedSseEnabled: true,
      visibilityTimeoutSeconds: 6 * PUBLISHER_TIMEOUT_SECONDS,
      messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
      redrivePolicy: deadLetterQueue.arn.apply((arn) => JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: 10 })),
    },
    { parent },
  );
  const rule = new aws.cloudwatch.EventRule(
    `${name}-job-changes`,
    { description: "Job records written to the jobs bucket", eventPattern: store.bucketName.apply((bucket) => JSON.stringify(jobRecordNotificationPattern(bucket))) },
    { parent },
  );
  new aws.cloudwatch.EventTarget(`${name}-job-changes-target`, { rule: rule.name, arn: changes.arn }, { parent });
  new aws.sqs.QueuePolicy(
    `${name}-job-changes-policy`,
    { queueUrl: changes.url, policy: pulumi.all([changes.arn, rule.arn]).apply(([queueArn, ruleArn]) => JSON.stringify(eventRuleQueuePolicy("JobRecordNotifications", queueArn, [ruleArn]))) },
    { parent },
  );
  const publisher = new BundledFunction(
    `${name}-events-publisher`,
    {
      description: "Puts the status changes of the job records the bucket notifies on the job events bus",
      handler: handlerSpec("bucketPublisher"),
      environment,
      timeoutSeconds: PUBLISHER_TIMEOUT_SECONDS,
      logRetentionInDays: args.logRetentionInDays,
      policyStatements: pulumi
        .all([store.bucketArn, bus.arn, changes.arn])
        .apply(([bucketArn, busArn, queueArn]) => [...bucketPublisherStatements(bucketArn), putEventsStatement("PutJobEvents", busArn), queueConsumeStatement("ConsumeJobChanges", queueArn)]),
    },
    { parent },
  );
  new aws.lambda.EventSourceMapping(
    `${name}-events-mapping`,
    { eventSourceArn: changes.arn, functionName: publisher.arn, batchSize: 10, functionResponseTypes: ["ReportBatchItemFailures"] },
    { parent, dependsOn: [publisher] },
  );
  return { bus, publisher, deadLetterQueue };
}
