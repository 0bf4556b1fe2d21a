import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { secretsManagerClient, sqsClient } from "../shared/clients";
import { config, required } from "../shared/config";
import { ENV } from "../shared/env";
import { isJobId } from "../shared/ids";
import { jobBody } from "../shared/jobBody";
import { errorDetails, logger } from "../shared/logger";
import { isTerminal, iso, view } from "../shared/status";
import { storeFromEnv } from "../shared/store";
import { signWebhook } from "../shared/webhooks/signature";
import { sendWebhook, type SendOutcome } from "./send";

/** Retries go on for at least this long after the first attempt (CONTRACT.md: at least 24 hours). */
export const RETRY_WINDOW_SECONDS = 24 * 3600;
/** The first retry waits about this long; each next one twice as long, up to SQS's longest delay. */
export const FIRST_RETRY_SECONDS = 2;
/** SQS's longest DelaySeconds ("SendMessage", Amazon SQS API Reference). */
export const MAX_RETRY_DELAY_SECONDS = 900;

/** A delivery that failed and waits for its next attempt: what goes back on the queue. */
export interface RetryMessage {
  webhookRetry: { jobId: string; attempt: number; firstAttemptAt: number; lastError: string; callbackUrl?: string };
}

/** What a delivery given up on leaves in the dead-letter queue (to read, or to send again). */
export interface DeadLetter {
  jobId: string;
  webhookId: string;
  callbackUrl: string;
  /** `JobExpired`: the job's record expired (`resultTtlMinutes`) before a retry could send it. */
  reason: "CallbackRefused" | "RetriesExhausted" | "JobExpired";
  attempts: number;
  firstAttemptAt: string;
  lastError: string;
}

/** Seconds before attempt `attempt + 1`: exponential from FIRST_RETRY_SECONDS, equal jitter, at most 900. */
export function retryDelaySeconds(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_RETRY_DELAY_SECONDS, FIRST_RETRY_SECONDS * 2 ** (attempt - 1));
  return Math.max(1, Math.round(ceiling / 2 + random() * (ceiling / 2)));
}

/** `msg_<jobId>`: one delivery per job, the same id on every retry (receivers dedupe on it). */
export const webhookIdOf = (jobId: string) => `msg_${jobId}`;

export interface DeliveryOptions {
  now?: () => number;
  random?: () => number;
  send?: typeof sendWebhook;
}

/**
 * The job and attempt a queue message is about: a job event (the first attempt), a retry, or a
 * dead letter moved back to the queue (`aws sqs start-message-move-task`: a new first attempt).
 */
function parse(body: string, now: number): RetryMessage["webhookRetry"] | undefined {
  let message: { detail?: { jobId?: unknown }; webhookRetry?: RetryMessage["webhookRetry"]; jobId?: unknown };
  try {
    message = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (message.webhookRetry && isJobId(message.webhookRetry.jobId)) return message.webhookRetry;
  const jobId = message.detail?.jobId ?? message.jobId;
  return isJobId(jobId) ? { jobId, attempt: 1, firstAttemptAt: now, lastError: "" } : undefined;
}

let cachedSecret: { arn: string; value: string } | undefined;

async function signingSecret(): Promise<string> {
  const arn = required(process.env[ENV.WEBHOOK_SECRET_ARN], ENV.WEBHOOK_SECRET_ARN);
  if (cachedSecret?.arn === arn) return cachedSecret.value;
  const out = await secretsManagerClient().send(new GetSecretValueCommand({ SecretId: arn }));
  if (!out.SecretString) throw new Error("the webhook secret has no string value");
  cachedSecret = { arn, value: out.SecretString };
  return cachedSecret.value;
}

/**
 * Webhook deliveries (CONTRACT.md, "Webhooks"), from the webhook queue: a rule of the job events
 * bus queues each job's terminal event; this reads the job, and if it was submitted with a
 * `Callback-Url`, POSTs `{"type", "timestamp", "data"}` (data: the job as GET shows it) signed as
 * Standard Webhooks says. A failure is sent back to the queue with a growing delay, for at least
 * 24 hours from the first attempt, then to the dead-letter queue; a refused address goes there at
 * once. Nothing here ever writes the job.
 */
export function createWebhookDelivery(options: DeliveryOptions = {}) {
  const now = options.now ?? Date.now;
  const send = options.send ?? sendWebhook;
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failed: string[] = [];
    for (const message of event.Records ?? []) {
      const attempt = parse(message.body, now());
      if (!attempt) {
        logger.warn("Ignoring a webhook queue message that names no job", { messageId: message.messageId });
        continue;
      }
      try {
        await deliverOnce(attempt, now, send, options.random ?? Math.random);
      } catch (err) {
        // The queue hands the message over again after its visibility timeout.
        logger.error("Could not handle a webhook delivery", { jobId: attempt.jobId, ...errorDetails(err) });
        failed.push(message.messageId);
      }
    }
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

async function deliverOnce(attempt: RetryMessage["webhookRetry"], now: () => number, send: typeof sendWebhook, random: () => number): Promise<void> {
  const cfg = config();
  const record = await storeFromEnv({ now }).getJob(attempt.jobId);
  const seen = view(record, now(), cfg.resultTtlSeconds);
  if (!seen && attempt.attempt > 1 && attempt.callbackUrl) {
    // A retry outlived the job: the delivery is kept, not dropped.
    return deadLetter({ ...attempt, callbackUrl: attempt.callbackUrl }, "JobExpired", attempt.lastError);
  }
  if (!record?.callbackUrl || !seen || !isTerminal(seen.status)) return;

  const at = now();
  const payload = JSON.stringify({ type: `job.${seen.status.toLowerCase()}`, timestamp: iso(at), data: await jobBody(seen, now) });
  const webhookId = webhookIdOf(attempt.jobId);
  const headers = { ...signWebhook(await signingSecret(), webhookId, Math.floor(at / 1000), payload), "Content-Type": "application/json", "User-Agent": "async-api-webhooks" };
  const outcome: SendOutcome = await send(record.callbackUrl, headers, payload, { loopbackAllowed: process.env[ENV.LOCAL_CLOUD] === "1" });

  if (outcome.kind === "delivered") {
    logger.info("Webhook delivered", { jobId: attempt.jobId, webhookId, attempt: attempt.attempt, status: outcome.status });
    return;
  }
  const lastError = outcome.reason;
  if (outcome.kind === "refused") return deadLetter({ ...attempt, callbackUrl: record.callbackUrl }, "CallbackRefused", lastError);
  if (at - attempt.firstAttemptAt >= RETRY_WINDOW_SECONDS * 1000) return deadLetter({ ...attempt, callbackUrl: record.callbackUrl }, "RetriesExhausted", lastError);
  const retry: RetryMessage = { webhookRetry: { ...attempt, attempt: attempt.attempt + 1, lastError, callbackUrl: record.callbackUrl } };
  const delay = retryDelaySeconds(attempt.attempt, random);
  await sqsClient().send(new SendMessageCommand({ QueueUrl: required(process.env[ENV.WEBHOOK_QUEUE_URL], ENV.WEBHOOK_QUEUE_URL), MessageBody: JSON.stringify(retry), DelaySeconds: delay }));
  logger.warn("Webhook delivery failed; retrying", { jobId: attempt.jobId, webhookId, attempt: attempt.attempt, lastError, retryInSeconds: delay });
}

async function deadLetter(attempt: RetryMessage["webhookRetry"] & { callbackUrl: string }, reason: DeadLetter["reason"], lastError: string): Promise<void> {
  const letter: DeadLetter = {
    jobId: attempt.jobId,
    webhookId: webhookIdOf(attempt.jobId),
    callbackUrl: attempt.callbackUrl,
    reason,
    attempts: attempt.attempt,
    firstAttemptAt: iso(attempt.firstAttemptAt),
    lastError,
  };
  await sqsClient().send(new SendMessageCommand({ QueueUrl: required(process.env[ENV.WEBHOOK_DEAD_LETTER_QUEUE_URL], ENV.WEBHOOK_DEAD_LETTER_QUEUE_URL), MessageBody: JSON.stringify(letter) }));
  logger.warn("Webhook given up on", { ...letter });
}
