import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { rejectionItems } from "../api/streamSubmit";
import { handlerSpec } from "../handlers";
import {
  document,
  gatewaySubmitStatement,
  queueConsumeStatement,
  recordStatements,
  sendMessageStatement,
  serviceTrustPolicy,
  streamReadStatement,
  streamRecordsStatement,
  listStreamsStatement,
} from "../iam/policies";
import { BundledFunction } from "../lambda/bundledFunction";
import type { StreamWorkerArgs } from "./args";
import { DEAD_LETTER_RETENTION_SECONDS } from "./failures";
import { integerSettings } from "./settings";
import { createJobWorker, type WorkerBackendArgs } from "./worker";

/**
 * The mapping's filter: only new job records start a job (not idempotency or error records, nor
 * deletes, which have no NewImage). DynamoDB mappings filter on the record's `dynamodb` key only
 * (AWS, "Using event filtering with a DynamoDB event source"), so "new" is a job that is PENDING:
 * every later write moves it on (RUNNING, CANCELLED, …). The worker also skips anything but INSERT.
 */
export const JOB_INSERT_FILTER = { dynamodb: { NewImage: { kind: { S: ["job"] }, status: { S: ["PENDING"] } } } } as const;

export const STREAM_WORKER_DEFAULTS: Readonly<Required<StreamWorkerArgs>> = { maximumRetryAttempts: 2, maximumRecordAgeSeconds: 3600, parallelizationFactor: 10 };

/** The stream failure recorder's timeout; SQS hides a message it is working on for 6 times that, as Lambda advises. */
const RECORDER_TIMEOUT_SECONDS = 60;

export interface StreamBackend {
  /** The role API Gateway writes new jobs with. */
  gatewayRole: aws.iam.Role;
  /** The `error/<reason>` items the submit template answers rejections from. */
  rejectionItems: aws.dynamodb.TableItem[];
  worker: BundledFunction;
  mapping: aws.lambda.EventSourceMapping;
  /** The mapping's on-failure destination. */
  failureQueue: aws.sqs.Queue;
  /** Failures the recorder could not record after 5 receives (replay: `aws sqs start-message-move-task`). */
  deadLetterQueue: aws.sqs.Queue;
  failureRecorder: BundledFunction;
}

/** The settings with their defaults, checked against Lambda's limits. */
export function streamWorkerSettings(self: string, args: StreamWorkerArgs = {}): Required<StreamWorkerArgs> {
  return integerSettings(self, "streamWorker", STREAM_WORKER_DEFAULTS, args, {
    maximumRetryAttempts: [0, 10000],
    maximumRecordAgeSeconds: [60, 604800],
    parallelizationFactor: [1, 10],
  });
}

/**
 * Backend `stream`: API Gateway writes PENDING job records straight into the jobs table (see
 * components/api/streamSubmit.ts); the table's stream, filtered to inserted jobs, feeds the worker
 * one record per batch; a delivery the mapping gives up on goes to an SQS queue whose recorder
 * reads the record back from the stream and records the job FAILED.
 */
export function createStreamBackend(
  name: string,
  parent: pulumi.Resource,
  args: WorkerBackendArgs & {
    settings: Required<StreamWorkerArgs>;
  },
): StreamBackend {
  const { job, store, settings } = args;
  if (!store.tableName || !store.tableArn || !store.tableStreamArn) throw new Error(`AsyncApi ${name}: backend "stream" needs a DynamoDB ResultStore with a stream (streamViewType)`);
  const tableArn = store.tableArn;
  const streamArn = store.tableStreamArn;

  const items = Object.entries(rejectionItems()).map(
    ([reason, item]) =>
      new aws.dynamodb.TableItem(`${name}-reject-${reason.toLowerCase()}`, { tableName: store.tableName!, hashKey: "pk", item: JSON.stringify(item) }, { parent }),
  );

  // No aws:SourceAccount condition: API Gateway does not set it when it assumes an integration's
  // credentials role, and the assume would fail.
  const gatewayRole = new aws.iam.Role(
    `${name}-submit-role`,
    { description: "Lets API Gateway record new jobs in the jobs table", assumeRolePolicy: JSON.stringify(serviceTrustPolicy("apigateway.amazonaws.com")) },
    { parent },
  );
  new aws.iam.RolePolicy(`${name}-submit-policy`, { role: gatewayRole.id, policy: tableArn.apply((arn) => JSON.stringify(document(gatewaySubmitStatement(arn)))) }, { parent });

  const deadLetterQueue = new aws.sqs.Queue(`${name}-stream-failures-dlq`, { sqsManagedSseEnabled: true, messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS }, { parent });
  const failureQueue = new aws.sqs.Queue(
    `${name}-stream-failures`,
    {
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
      visibilityTimeoutSeconds: 6 * RECORDER_TIMEOUT_SECONDS,
      redrivePolicy: deadLetterQueue.arn.apply((arn) => JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: 5 })),
    },
    { parent },
  );

  const worker = createJobWorker(name, parent, {
    handler: "streamWorker",
    job,
    store,
    environment: args.environment,
    jobTimeoutSeconds: args.jobTimeoutSeconds,
    logRetentionInDays: args.logRetentionInDays,
    // The mapping reads the stream, and sends its on-failure records, with the function's role.
    extraStatements: pulumi
      .all([streamArn, failureQueue.arn])
      .apply(([stream, queueArn]) => [streamReadStatement(stream), listStreamsStatement(), sendMessageStatement("SendFailedDeliveries", queueArn)]),
  });

  const mapping = new aws.lambda.EventSourceMapping(
    `${name}-worker-mapping`,
    {
      eventSourceArn: streamArn,
      functionName: worker.arn,
      // Records written before the mapping was enabled are jobs too.
      startingPosition: "TRIM_HORIZON",
      batchSize: 1,
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: settings.maximumRetryAttempts,
      maximumRecordAgeInSeconds: settings.maximumRecordAgeSeconds,
      parallelizationFactor: settings.parallelizationFactor,
      filterCriteria: { filters: [{ pattern: JSON.stringify(JOB_INSERT_FILTER) }] },
      destinationConfig: { onFailure: { destinationArn: failureQueue.arn } },
    },
    { parent, dependsOn: [worker] },
  );

  const failureRecorder = new BundledFunction(
    `${name}-stream-failure-recorder`,
    {
      description: "Records jobs whose stream delivery failed (worker crashes, timeouts, records too old)",
      handler: handlerSpec("streamFailures"),
      environment: args.environment,
      timeoutSeconds: RECORDER_TIMEOUT_SECONDS,
      logRetentionInDays: args.logRetentionInDays,
      policyStatements: pulumi
        .all([store.recordLocation, streamArn, failureQueue.arn])
        .apply(([location, stream, queueArn]) => [
          ...recordStatements(location, "readWrite"),
          streamRecordsStatement(stream),
          queueConsumeStatement("ConsumeFailedDeliveries", queueArn),
        ]),
    },
    { parent },
  );
  new aws.lambda.EventSourceMapping(
    `${name}-stream-failures-mapping`,
    { eventSourceArn: failureQueue.arn, functionName: failureRecorder.arn, batchSize: 10, functionResponseTypes: ["ReportBatchItemFailures"] },
    { parent, dependsOn: [failureRecorder] },
  );

  return { gatewayRole, rejectionItems: items, worker, mapping, failureQueue, deadLetterQueue, failureRecorder };
}
