import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ENV } from "../../lambdas/shared/env";
import { JOB_EVENT_DETAIL_TYPE, JOB_EVENT_SOURCE } from "../../lambdas/shared/jobEvents";
import { TERMINAL_STATUSES } from "../../lambdas/shared/types";
import { SECRET_PREFIX } from "../../lambdas/shared/webhooks/signature";
import { handlerSpec } from "../handlers";
import { eventRuleQueuePolicy, queueConsumeStatement, readSecretStatement, recordStatements, resultStatement, sendMessageStatement, type PolicyStatement } from "../iam/policies";
import { BundledFunction } from "../lambda/bundledFunction";
import type { ResultStore } from "../resultStore";
import { DEAD_LETTER_RETENTION_SECONDS } from "./failures";

/** A delivery waits 10 s for its receiver; a batch of five fits in the timeout. */
const DELIVERY_TIMEOUT_SECONDS = 60;
const DELIVERY_BATCH_SIZE = 5;

/** The job events a webhook is sent for: a job reaching a terminal status. */
export function terminalEventPattern(): Record<string, unknown> {
  return { source: [JOB_EVENT_SOURCE], "detail-type": [JOB_EVENT_DETAIL_TYPE], detail: { status: [...TERMINAL_STATUSES] } };
}

export interface Webhooks {
  /** `whsec_<base64 of 32 random bytes>`, kept in Secrets Manager. */
  secretValue: pulumi.Output<string>;
  secret: aws.secretsmanager.Secret;
  /** Deliveries waiting (the terminal events, and retries sent back with a delay). */
  queue: aws.sqs.Queue;
  /** Deliveries given up on: refused addresses, and retries past 24 hours. */
  deadLetterQueue: aws.sqs.Queue;
  delivery: BundledFunction;
}

/**
 * Signed webhooks (CONTRACT.md, "Webhooks"): a rule of the job events bus queues every terminal
 * event; the delivery function POSTs the job to its `Callback-Url`, signed with the stack's secret
 * (Standard Webhooks), and retries through the queue with growing delays (SQS DelaySeconds, at
 * most 15 minutes) for at least 24 hours, then leaves the delivery in the dead-letter queue.
 * Delivery reads the job and never writes it, so a slow or failing receiver cannot touch a job or
 * its worker.
 */
export function createWebhooks(
  name: string,
  parent: pulumi.Resource,
  args: {
    store: ResultStore;
    bus: aws.cloudwatch.EventBus;
    environment: pulumi.Input<Record<string, string>>;
    logRetentionInDays: number;
    /** The role the delivery function signs large results' URLs as (it trusts this function's role). */
    withRole: (role: aws.iam.Role) => { environment: pulumi.Output<Record<string, string>>; policyStatements: pulumi.Output<PolicyStatement[]> };
  },
): Webhooks {
  const { store, bus } = args;
  const bytes = new random.RandomBytes(`${name}-webhook-secret-bytes`, { length: 32 }, { parent });
  const secretValue = pulumi.secret(pulumi.interpolate`${SECRET_PREFIX}${bytes.base64}`);
  const secret = new aws.secretsmanager.Secret(`${name}-webhook-secret`, { description: "Signs the job API's webhooks (Standard Webhooks, whsec_…)", recoveryWindowInDays: 7 }, { parent });
  new aws.secretsmanager.SecretVersion(`${name}-webhook-secret-value`, { secretId: secret.id, secretString: secretValue }, { parent });

  const deadLetterQueue = new aws.sqs.Queue(`${name}-webhooks-dlq`, { sqsManagedSseEnabled: true, messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS }, { parent });
  const queue = new aws.sqs.Queue(
    `${name}-webhooks`,
    {
      sqsManagedSseEnabled: true,
      visibilityTimeoutSeconds: 6 * DELIVERY_TIMEOUT_SECONDS,
      // Longer than the retry window: a retry waits on this queue.
      messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
      // A message the function failed on (a crash, not a failed delivery) 5 times.
      redrivePolicy: deadLetterQueue.arn.apply((arn) => JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: 5 })),
    },
    { parent },
  );
  const rule = new aws.cloudwatch.EventRule(
    `${name}-webhooks`,
    { description: "Jobs that ended, for their webhooks", eventBusName: bus.name, eventPattern: JSON.stringify(terminalEventPattern()) },
    { parent },
  );
  new aws.cloudwatch.EventTarget(`${name}-webhooks-target`, { rule: rule.name, eventBusName: bus.name, arn: queue.arn }, { parent });
  new aws.sqs.QueuePolicy(
    `${name}-webhooks-policy`,
    { queueUrl: queue.url, policy: pulumi.all([queue.arn, rule.arn]).apply(([queueArn, ruleArn]) => JSON.stringify(eventRuleQueuePolicy("EndedJobs", queueArn, [ruleArn]))) },
    { parent },
  );

  const environment = pulumi
    .all([args.environment, queue.url, deadLetterQueue.url, secret.arn])
    .apply(([env, queueUrl, dlqUrl, secretArn]): Record<string, string> => ({
      ...env,
      [ENV.WEBHOOK_QUEUE_URL]: queueUrl,
      [ENV.WEBHOOK_DEAD_LETTER_QUEUE_URL]: dlqUrl,
      [ENV.WEBHOOK_SECRET_ARN]: secretArn,
    }));
  const delivery = new BundledFunction(
    `${name}-webhook-delivery`,
    {
      description: "POSTs each ended job to its Callback-Url, signed; retries through its queue",
      handler: handlerSpec("webhookDelivery"),
      environment,
      timeoutSeconds: DELIVERY_TIMEOUT_SECONDS,
      logRetentionInDays: args.logRetentionInDays,
      policyStatements: pulumi
        .all([store.recordLocation, store.bucketArn, queue.arn, deadLetterQueue.arn, secret.arn])
        .apply(([location, bucketArn, queueArn, dlqArn, secretArn]) => [
          ...recordStatements(location, "read"),
          resultStatement(bucketArn, "read"),
          queueConsumeStatement("ConsumeDeliveries", queueArn),
          sendMessageStatement("RetryDeliveries", queueArn),
          sendMessageStatement("GiveUpDeliveries", dlqArn),
          readSecretStatement(secretArn),
        ]),
      withRole: args.withRole,
    },
    { parent },
  );
  new aws.lambda.EventSourceMapping(
    `${name}-webhooks-mapping`,
    { eventSourceArn: queue.arn, functionName: delivery.arn, batchSize: DELIVERY_BATCH_SIZE, functionResponseTypes: ["ReportBatchItemFailures"] },
    { parent, dependsOn: [delivery] },
  );
  return { secretValue, secret, queue, deadLetterQueue, delivery };
}
