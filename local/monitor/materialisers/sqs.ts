/** SQS standard queues (their attributes) and queue policies, on the local SQS. */
import type { MaterialiserContext, Materialisers } from "./context";

/** The queue attributes SQS takes for what the program declares. */
function queueAttributes(inputs: Record<string, any>): Record<string, string> {
  const attributes: Record<string, string> = {};
  if (inputs.messageRetentionSeconds !== undefined) attributes.MessageRetentionPeriod = String(inputs.messageRetentionSeconds);
  if (inputs.visibilityTimeoutSeconds !== undefined) attributes.VisibilityTimeout = String(inputs.visibilityTimeoutSeconds);
  if (inputs.sqsManagedSseEnabled !== undefined) attributes.SqsManagedSseEnabled = String(inputs.sqsManagedSseEnabled);
  if (inputs.kmsMasterKeyId !== undefined) attributes.KmsMasterKeyId = String(inputs.kmsMasterKeyId);
  if (inputs.policy) attributes.Policy = inputs.policy;
  if (inputs.redrivePolicy) attributes.RedrivePolicy = inputs.redrivePolicy;
  return attributes;
}

export function sqsMaterialisers(ctx: MaterialiserContext): Materialisers {
  const { sqs } = ctx.services;
  return {
    "aws:sqs/queue:Queue": async (name, inputs) => {
      if (inputs.fifoQueue) throw new Error(`queue ${name}: the local SQS has standard queues only`);
      const queue = ctx.physicalName(name, inputs, 80);
      const { url, arn: queueArn } = sqs.createQueue(queue, queueAttributes(inputs));
      return { id: url, state: { name: queue, arn: queueArn, url } };
    },
    "aws:sqs/queuePolicy:QueuePolicy": async (name, inputs) => {
      sqs.setQueuePolicy(inputs.queueUrl, inputs.policy);
      return { id: inputs.queueUrl, state: {} };
    },
  };
}
