import { ENV } from "./env";
import type { AuthMode, Backend, StoreKind } from "./types";

/** Handler configuration, read from the environment variables named in `env.ts` (and only those). */
export interface Config {
  store: StoreKind;
  backend: Backend;
  auth: AuthMode;
  workflowType: "STANDARD" | "EXPRESS";
  /** Where the job's code runs (backend stepfunctions): a Lambda or a Fargate task. */
  worker: "lambda" | "fargate";
  jobsTable?: string;
  jobsBucket?: string;
  resultsBucket?: string;
  /** The role whose session signs `resultUrl`s. */
  resultReaderRoleArn?: string;
  stateMachineArn?: string;
  workerFunctionName?: string;
  resultTtlSeconds: number;
  jobTimeoutSeconds: number;
  corsOrigins: string[];
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

function raw(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
  const value = raw(name);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(", ")}, not "${value}"`);
  }
  return value as T;
}

function positiveInt(name: string, fallback: number): number {
  const value = raw(name);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`${name} must be a positive integer, not "${value}"`);
  return n;
}

function origins(name: string): string[] {
  const value = raw(name);
  if (value === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError(`${name} must be a JSON array of origins`);
  }
  if (!Array.isArray(parsed) || !parsed.every((o) => typeof o === "string")) {
    throw new ConfigError(`${name} must be a JSON array of origins`);
  }
  return parsed as string[];
}

/** Reads the configuration now (cheap; read per invocation so tests can change the environment). */
export function config(): Config {
  return {
    store: oneOf<StoreKind>(ENV.STORE, ["dynamodb", "s3"], "dynamodb"),
    backend: oneOf<Backend>(ENV.BACKEND, ["stepfunctions", "lambda", "stream"], "stepfunctions"),
    auth: oneOf<AuthMode>(ENV.AUTH, ["iam", "apiKey", "none"], "iam"),
    workflowType: oneOf(ENV.WORKFLOW_TYPE, ["STANDARD", "EXPRESS"] as const, "STANDARD"),
    worker: oneOf(ENV.WORKER, ["lambda", "fargate"] as const, "lambda"),
    jobsTable: raw(ENV.JOBS_TABLE),
    jobsBucket: raw(ENV.JOBS_BUCKET),
    resultsBucket: raw(ENV.RESULTS_BUCKET),
    resultReaderRoleArn: raw(ENV.RESULT_READER_ROLE_ARN),
    stateMachineArn: raw(ENV.STATE_MACHINE_ARN),
    workerFunctionName: raw(ENV.WORKER_FUNCTION_NAME),
    resultTtlSeconds: positiveInt(ENV.RESULT_TTL_SECONDS, 24 * 60 * 60),
    jobTimeoutSeconds: positiveInt(ENV.JOB_TIMEOUT_SECONDS, 900),
    corsOrigins: origins(ENV.CORS_ORIGINS),
  };
}

/** A value the current configuration needs; a clear error (logged, never answered) when it is missing. */
export function required<T>(value: T | undefined, envName: string): T {
  if (value === undefined) throw new ConfigError(`${envName} is not set`);
  return value;
}
