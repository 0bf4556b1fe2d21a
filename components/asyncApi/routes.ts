/**
 * The API's route handlers: one Lambda function per route (`<name>-submit`, `-list`, `-status`,
 * `-cancel`; backend `stream` has no submit function, API Gateway writes the job itself), each
 * with only the permissions its route needs; and the permissions that let API Gateway invoke them.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { STATUS_TIMEOUT_SECONDS } from "../../lambdas/api/longPoll";
import { handlerSpec, submitSpec } from "../handlers";
import { listStatements, recordStatements, resultStatement, type PolicyStatement } from "../iam/policies";
import type { JobArgs } from "../job";
import { BundledFunction } from "../lambda/bundledFunction";
import type { ResultStore } from "../resultStore";
import type { BackendParts } from "./backend";
import type { SignAsReader } from "./resultUrlSigning";

/** The status function's memory: it mostly waits (long polls) on the store. */
export const STATUS_MEMORY_MB = 128;

export type Route = "submit" | "list" | "status" | "cancel";
export const ROUTES: Record<Route, { method: string; path: string; description: string }> = {
  submit: { method: "POST", path: "/jobs", description: "POST /jobs: checks and records a job, then starts it" },
  list: { method: "GET", path: "/jobs", description: "GET /jobs: lists the caller's jobs from the store's owner index" },
  status: { method: "GET", path: "/jobs/*", description: "GET /jobs/{jobId}: reads a job from the store" },
  cancel: { method: "DELETE", path: "/jobs/*", description: "DELETE /jobs/{jobId}: cancels a job" },
};

/** The route handlers; backend `stream` has no submit function. */
export type RouteFunctions = { submit?: BundledFunction; list: BundledFunction; status: BundledFunction; cancel: BundledFunction };

/** What each route's function may do: its records, and starting (submit) or stopping (cancel) a job. */
function routeStatements(store: ResultStore, backend: BackendParts): Record<Route, pulumi.Output<PolicyStatement[]>> {
  return {
    submit: pulumi.all([store.recordLocation, backend.startStatements]).apply(([location, start]) => [...recordStatements(location, "submit"), ...start]),
    list: store.recordLocation.apply((location) => listStatements(location)),
    status: pulumi.all([store.recordLocation, store.bucketArn]).apply(([location, bucketArn]) => [...recordStatements(location, "read"), resultStatement(bucketArn, "read")]),
    cancel: pulumi.all([store.recordLocation, backend.cancelStatements]).apply(([location, stop]) => [...recordStatements(location, "readWrite"), ...stop]),
  };
}

/** The routes that have a function of their own, in order. */
function routesWithFunctions(backend: BackendParts): Route[] {
  return (Object.keys(ROUTES) as Route[]).filter((route) => !(route === "submit" && backend.submitIntegration));
}

export function createRouteFunctions(
  name: string,
  parent: pulumi.Resource,
  args: {
    job: JobArgs;
    store: ResultStore;
    backend: BackendParts;
    /** The route handlers' environment. */
    environment: pulumi.Output<Record<string, string>>;
    logRetentionInDays: number;
    /** The status function signs resultUrls as the result reader (resultUrlSigning.ts). */
    signResultUrls: (role: aws.iam.Role) => SignAsReader;
  },
): RouteFunctions {
  const statements = routeStatements(args.store, args.backend);
  const specs = { submit: submitSpec(args.job), list: handlerSpec("list"), status: handlerSpec("status"), cancel: handlerSpec("cancel") };
  const fns = {} as Record<Route, BundledFunction>;
  for (const route of routesWithFunctions(args.backend)) {
    fns[route] = new BundledFunction(
      `${name}-${route}`,
      {
        description: ROUTES[route].description,
        handler: specs[route],
        environment: args.environment,
        logRetentionInDays: args.logRetentionInDays,
        // GET /jobs/{id}?wait=N holds the request up to 20 s (lambdas/api/longPoll.ts).
        // A long poll bills its memory for the whole wait, about the job's length per awaited job:
        // at 128 MB it costs what polling by Retry-After does (npm run bench:cost, README "What a job costs").
        ...(route === "status" ? { timeoutSeconds: STATUS_TIMEOUT_SECONDS, memorySize: STATUS_MEMORY_MB } : {}),
        policyStatements: statements[route],
        // The status function signs resultUrls as a role that trusts its role alone.
        withRole: route === "status" ? args.signResultUrls : undefined,
      },
      { parent },
    );
  }
  return fns;
}

/** `<name>-<route>-permission`: API Gateway may invoke each route's function, for that route alone. */
export function permitGatewayCalls(name: string, parent: pulumi.Resource, functions: RouteFunctions, restApi: aws.apigateway.RestApi): void {
  for (const route of Object.keys(functions) as Route[]) {
    new aws.lambda.Permission(
      `${name}-${route}-permission`,
      {
        action: "lambda:InvokeFunction",
        function: functions[route]!.functionName,
        principal: "apigateway.amazonaws.com",
        sourceArn: pulumi.interpolate`${restApi.executionArn}/*/${ROUTES[route].method}${ROUTES[route].path}`,
      },
      { parent },
    );
  }
}
