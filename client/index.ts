// async-api's typed client: `new AsyncApiClient({ apiUrl, auth })`. See README "The client and the CLI".
export { AsyncApiClient, generateIdempotencyKey, resultOf } from "./client";
export type { AsyncApiClientOptions, GetOptions, ListOptions, ListPageOptions, SubmitOptions, SubmitResult, WaitOptions, WaitProgress } from "./client";
export { AsyncApiError, CLIENT_ERROR_CODES, isAsyncApiError } from "./errors";
export type { AsyncApiErrorFields } from "./errors";
export { LOCAL_CLOUD_REGION, resolveRegion } from "./auth";
export type { AuthOptions, AwsCredentials, AwsCredentialsProvider } from "./auth";
export { backoffBounds, backoffDelay, parseRetryAfter } from "./retry";
export { HEADERS, IDEMPOTENCY_KEY_PATTERN, JOB_STATUSES, LIST_LIMIT, ROUTES, TERMINAL_STATUSES, isTerminalStatus, routePath } from "./types";
export type { CancelAccepted, ErrorBody, ErrorInfo, Job, JobAccepted, JobList, JobProgress, JobStatus, JobSummary, TerminalStatus } from "./types";
export { DEFAULT_WEBHOOK_TOLERANCE_SECONDS, WEBHOOK_EVENT_TYPES, WebhookVerificationError, isWebhookSecret, signWebhook, verifyWebhook } from "./webhooks";
export type { HeadersLike, VerifyWebhookOptions, WebhookEvent, WebhookEventType, WebhookHeaders, WebhookVerificationReason } from "./webhooks";
