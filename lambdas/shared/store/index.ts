import { config, required } from "../config";
import { ENV, startAllowanceSeconds } from "../env";
import { DynamoDbJobStore } from "./dynamodb";
import { S3JobStore } from "./s3";
import type { JobStore, StoreOptions } from "./types";

export { ConflictError } from "./types";
export type { JobStore, ListedJob, ListedPage, ListPosition, StoreOptions } from "./types";
export { OWNER_INDEX, S3_INDEX_PREFIX } from "./listIndex";
export { DynamoDbJobStore } from "./dynamodb";
export { S3JobStore } from "./s3";
export { applyTransition, transition } from "./transition";
export type { JobPatch, Mutation, TransitionOptions, TransitionOutcome } from "./transition";

/** The store `ASYNC_API_STORE` names: the table `ASYNC_API_JOBS_TABLE` or the bucket `ASYNC_API_JOBS_BUCKET`. */
export function storeFromEnv(options: StoreOptions = {}): JobStore {
  const cfg = config();
  return cfg.store === "s3"
    ? new S3JobStore(required(cfg.jobsBucket, ENV.JOBS_BUCKET), options)
    : new DynamoDbJobStore(required(cfg.jobsTable, ENV.JOBS_TABLE), {
        pendingDeadlineSeconds: startAllowanceSeconds(cfg.backend, cfg.worker) + cfg.jobTimeoutSeconds,
        ...options,
      });
}
