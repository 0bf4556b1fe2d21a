import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { AsyncApi } from "./components";
import { timerJob } from "./lambdas/jobs/timer";
import { CONFIG_NAMESPACE, parseStackConfig } from "./program/config";

// The only place that reads stack configuration (`pulumi config set async-api:<key> <value>`).
const config = new pulumi.Config(CONFIG_NAMESPACE);
const settings = parseStackConfig({
  backend: config.get("backend"),
  store: config.get("store"),
  auth: config.get("auth"),
  workflowType: config.get("workflowType"),
  worker: config.get("worker"),
  resultTtlMinutes: config.get("resultTtlMinutes"),
  jobTimeoutSeconds: config.get("jobTimeoutSeconds"),
  corsOrigins: config.get("corsOrigins"),
});

const api = new AsyncApi("jobs", {
  job: { name: timerJob.name, module: path.join(__dirname, "lambdas", "jobs", "timer.ts"), exportName: "timerJob", schema: timerJob.schema },
  backend: settings.backend,
  store: settings.store,
  auth: settings.auth,
  workflowType: settings.backend === "stepfunctions" ? settings.workflowType : undefined,
  worker: settings.worker,
  resultTtlMinutes: settings.resultTtlMinutes,
  jobTimeoutSeconds: settings.jobTimeoutSeconds,
  corsOrigins: settings.corsOrigins,
});

if (settings.auth === "none") {
  pulumi.log.warn("async-api:auth is 'none': anyone who knows the URL can submit, read and cancel jobs. Use 'iam' or 'apiKey' for anything real.");
}

export const apiUrl = api.apiUrl;
export const backend = settings.backend;
export const store = settings.store;
export const auth = settings.auth;
export const authWarning = settings.auth === "none" ? "WARNING: this API is open to anyone (async-api:auth none)" : undefined;
export const invokeRoleArn = api.invokeRoleArn;
export const apiKeyId = api.apiKeyId;
export const apiKey = api.apiKeyValue;
export const stateMachineArn = api.stateMachineArn;
export const clusterName = api.clusterName;
export const jobsTableName = api.jobsTableName;
export const resultsBucketName = api.resultsBucketName;
// Where a failure goes when recording it failed too; for `aws events start-replay` (see the README).
export const failureBusArn = api.failureBusArn;
export const failureRuleArn = api.failureRuleArn;
export const failureArchiveArn = api.failureArchiveArn;
export const deadLetterQueueUrl = api.deadLetterQueueUrl;
// Job events and webhooks (see the README, "Job events and webhooks").
export const jobEventsBusArn = api.jobEventsBusArn;
export const jobEventsDeadLetterQueueUrl = api.jobEventsDeadLetterQueueUrl;
export const webhookSecret = api.webhookSecret;
export const webhookDeadLetterQueueUrl = api.webhookDeadLetterQueueUrl;
