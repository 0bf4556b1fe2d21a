/**
 * The outputs an AsyncApi registers (`registerOutputs`): its values a stack exports, in this order.
 * Secrets (`apiKeyValue`) and the AWS resources it exposes are fields only.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { AsyncApi } from "../asyncApi";

export const REGISTERED_OUTPUTS = [
  "apiUrl",
  "invokeRoleArn",
  "apiKeyId",
  "stateMachineArn",
  "clusterName",
  "jobsTableName",
  "resultsBucketName",
  "failureBusArn",
  "failureRuleArn",
  "failureArchiveArn",
  "deadLetterQueueUrl",
  "jobEventsBusArn",
  "jobEventsDeadLetterQueueUrl",
  "webhookSecret",
  "webhookDeadLetterQueueUrl",
] as const satisfies readonly (keyof AsyncApi)[];

export function registeredOutputs(api: AsyncApi): Record<(typeof REGISTERED_OUTPUTS)[number], pulumi.Output<string> | undefined> {
  return Object.fromEntries(REGISTERED_OUTPUTS.map((key) => [key, api[key]])) as Record<(typeof REGISTERED_OUTPUTS)[number], pulumi.Output<string> | undefined>;
}
