/**
 * The store an AsyncApi keeps job records and results in: a ResultStore of its own, or the
 * existing one named by `resultStore`; and the environment every handler reads it, and the API's
 * settings, from.
 */
import * as pulumi from "@pulumi/pulumi";
import { ENV } from "../../lambdas/shared/env";
import { ResultStore } from "../resultStore";
import type { AsyncApiArgs } from "./args";
import type { AsyncApiSettings } from "./validateArgs";

/** `<name>-store`: created, or wrapping the existing store's bucket and table. */
export function createStore(name: string, parent: pulumi.Resource, args: AsyncApiArgs, jobTimeoutSeconds: number): ResultStore {
  const existing = args.resultStore;
  return new ResultStore(
    `${name}-store`,
    existing
      ? { kind: existing.kind ?? "dynamodb", resultTtlMinutes: args.resultTtlMinutes, jobTimeoutSeconds, existing: { bucketName: existing.bucketName, tableName: existing.tableName, tableStreamArn: existing.tableStreamArn } }
      : {
          kind: args.store ?? "dynamodb",
          resultTtlMinutes: args.resultTtlMinutes,
          jobTimeoutSeconds,
          // The job events publisher compares each write's old image with its new one.
          ...((args.store ?? "dynamodb") === "dynamodb" ? { streamViewType: "NEW_AND_OLD_IMAGES" as const } : {}),
        },
    { parent },
  );
}

/** The environment of every handler: the store's, and the API's backend, auth, timeout, worker and CORS origins. */
export function handlerEnvironment(store: ResultStore, settings: AsyncApiSettings): pulumi.Output<Record<string, string>> {
  return store.environment.apply((env): Record<string, string> => ({
    ...env,
    [ENV.BACKEND]: settings.backend,
    [ENV.AUTH]: settings.auth,
    [ENV.JOB_TIMEOUT_SECONDS]: String(settings.jobTimeoutSeconds),
    [ENV.WORKER]: settings.worker,
    [ENV.CORS_ORIGINS]: JSON.stringify(settings.corsOrigins),
  }));
}

/** The route handlers' environment: every handler's, and what the backend starts jobs with. */
export function apiEnvironment(base: pulumi.Output<Record<string, string>>, start: pulumi.Output<Record<string, string>>): pulumi.Output<Record<string, string>> {
  return pulumi.all([base, start]).apply(([a, b]): Record<string, string> => ({ ...a, ...b }));
}
