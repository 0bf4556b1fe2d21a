/**
 * The environment of a function's worker process: what Lambda's Node.js runtime sets
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
 * the function's own variables, and the SDK environment that points it at the local services.
 */
import * as crypto from "crypto";
import * as path from "path";
import type { FunctionRuntime } from "./workers";

export interface WorkerEnvironmentSettings {
  /** Holds the runner and the (empty) AWS config files. */
  runtimeDir: string;
  /** NODE_PATH of the workers. */
  nodePath: string;
  /** The SDK environment, read each time a worker starts. */
  sdkEnvironment: () => Record<string, string>;
}

/** The full environment of a new worker process of `fn`. */
export function workerEnvironment(fn: FunctionRuntime, settings: WorkerEnvironmentSettings): Record<string, string> {
  const c = fn.config;
  const { runtimeDir } = settings;
  const env: Record<string, string | undefined> = {
    // Keep the developer's ~/.aws files out of the functions (they could name other endpoints or credentials).
    AWS_CONFIG_FILE: path.join(runtimeDir, "aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(runtimeDir, "aws-credentials"),
    ...c.environment,
    ...settings.sdkEnvironment(),
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    LANG: "en_US.UTF-8",
    TZ: ":UTC",
    NODE_PATH: settings.nodePath,
    LAMBDA_TASK_ROOT: fn.taskRoot,
    LAMBDA_RUNTIME_DIR: runtimeDir,
    _HANDLER: c.handler,
    AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
    AWS_LAMBDA_FUNCTION_NAME: c.name,
    // The SDK puts "app/<id>" in the User-Agent of every call ("sdkUaAppId"): the local
    // services tell the callers apart by it (store faults aimed at one function).
    AWS_SDK_UA_APP_ID: c.name.slice(0, 50),
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(c.memorySize),
    AWS_LAMBDA_FUNCTION_TIMEOUT: String(c.timeoutSeconds),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${c.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `${new Date().toISOString().slice(0, 10).replace(/-/g, "/")}/[$LATEST]${crypto.randomBytes(16).toString("hex")}`,
    AWS_LAMBDA_LOG_FORMAT: "JSON",
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_NODEJS_CONNECTION_REUSE_ENABLED: "1",
  };
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== null) clean[k] = String(v);
  return clean;
}
