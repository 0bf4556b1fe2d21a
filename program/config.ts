import { EXPRESS_MAX_SECONDS, MAX_EXPRESS_JOB_TIMEOUT_SECONDS } from "../components/workflow/definition";
import type { AuthMode, Backend, StoreKind } from "../lambdas/shared/types";

export type WorkflowType = "STANDARD" | "EXPRESS";
export type WorkerKind = "lambda" | "fargate";

/** The stack configuration of the contract, validated and with defaults applied. */
export interface StackConfig {
  backend: Backend;
  store: StoreKind;
  auth: AuthMode;
  workflowType: WorkflowType;
  worker: WorkerKind;
  resultTtlMinutes: number;
  jobTimeoutSeconds: number;
  corsOrigins: string[];
}

/** Raw values as `pulumi.Config#get` returns them (strings; `corsOrigins` as JSON text). */
export type RawConfig = Partial<Record<keyof StackConfig, string | undefined>>;

export const CONFIG_NAMESPACE = "async-api";

export const DEFAULTS: StackConfig = {
  backend: "stepfunctions",
  store: "dynamodb",
  auth: "iam",
  workflowType: "STANDARD",
  worker: "lambda",
  resultTtlMinutes: 1440,
  jobTimeoutSeconds: 900,
  corsOrigins: [],
};

export { EXPRESS_MAX_SECONDS, MAX_EXPRESS_JOB_TIMEOUT_SECONDS };

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const key = (name: keyof StackConfig) => `${CONFIG_NAMESPACE}:${name}`;

function oneOf<T extends string>(name: keyof StackConfig, raw: string | undefined, allowed: readonly T[], fallback: T): T {
  if (raw === undefined || raw === "") return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(`${key(name)} is '${raw}'; allowed values: ${allowed.join(", ")}.`);
}

function integer(name: keyof StackConfig, raw: string | undefined, min: number, max: number, fallback: number): number {
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${key(name)} is '${raw}'; it must be a whole number from ${min} to ${max}.`);
  }
  return value;
}

const ORIGIN = /^https?:\/\/[^\s'"\\/]+$/;

function origins(raw: string | undefined): string[] {
  if (raw === undefined || raw === "") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(`${key("corsOrigins")} must be a JSON list of origins, e.g. ["https://app.example.com"]; got '${raw}'.`);
  }
  if (!Array.isArray(parsed) || parsed.some((o) => typeof o !== "string" || !ORIGIN.test(o))) {
    throw new ConfigError(
      `${key("corsOrigins")} must be a list of origins like "https://app.example.com" (scheme and host, optional port, no path); got '${raw}'.`,
    );
  }
  return [...new Set(parsed as string[])];
}

/**
 * Validates the stack configuration: every wrong value is an error that names its key and the
 * allowed values, and every forbidden combination names both keys.
 */
export function parseStackConfig(raw: RawConfig): StackConfig {
  const backend = oneOf<Backend>("backend", raw.backend, ["stepfunctions", "lambda", "stream"], DEFAULTS.backend);
  const store = oneOf<StoreKind>("store", raw.store, ["dynamodb", "s3"], DEFAULTS.store);
  const auth = oneOf<AuthMode>("auth", raw.auth, ["iam", "apiKey", "none"], DEFAULTS.auth);
  const workflowType = oneOf<WorkflowType>("workflowType", raw.workflowType, ["STANDARD", "EXPRESS"], DEFAULTS.workflowType);
  const worker = oneOf<WorkerKind>("worker", raw.worker, ["lambda", "fargate"], DEFAULTS.worker);
  const resultTtlMinutes = integer("resultTtlMinutes", raw.resultTtlMinutes, 1, 525600, DEFAULTS.resultTtlMinutes);
  // A Fargate task may run up to a year (a STANDARD execution's limit); Lambda stops at 15 minutes.
  const jobTimeoutSeconds = integer("jobTimeoutSeconds", raw.jobTimeoutSeconds, 1, worker === "fargate" ? 31536000 : 900, DEFAULTS.jobTimeoutSeconds);
  const corsOrigins = origins(raw.corsOrigins);

  if (backend === "stream" && store !== "dynamodb") {
    throw new ConfigError(`${key("backend")} 'stream' needs ${key("store")} 'dynamodb' (the jobs table's stream feeds the worker); ${key("store")} is '${store}'.`);
  }
  if (worker === "fargate" && backend !== "stepfunctions") {
    throw new ConfigError(`${key("worker")} 'fargate' needs ${key("backend")} 'stepfunctions' (the state machine runs the task); ${key("backend")} is '${backend}'.`);
  }
  if (worker === "fargate" && workflowType !== "STANDARD") {
    throw new ConfigError(`${key("worker")} 'fargate' needs ${key("workflowType")} 'STANDARD' (EXPRESS workflows cannot wait for a task); ${key("workflowType")} is '${workflowType}'.`);
  }
  if (raw.workflowType && backend !== "stepfunctions" && workflowType !== DEFAULTS.workflowType) {
    throw new ConfigError(`${key("workflowType")} applies only to ${key("backend")} 'stepfunctions' (backend is '${backend}').`);
  }
  if (backend === "stepfunctions" && workflowType === "EXPRESS" && jobTimeoutSeconds > MAX_EXPRESS_JOB_TIMEOUT_SECONDS) {
    throw new ConfigError(
      `${key("workflowType")} 'EXPRESS' runs at most ${EXPRESS_MAX_SECONDS} seconds, which must also hold the worker's start and the recording of the outcome, ` +
        `but ${key("jobTimeoutSeconds")} is ${jobTimeoutSeconds}: set ${key("jobTimeoutSeconds")} to ${MAX_EXPRESS_JOB_TIMEOUT_SECONDS} or less, or use workflowType STANDARD.`,
    );
  }
  return { backend, store, auth, workflowType, worker, resultTtlMinutes, jobTimeoutSeconds, corsOrigins };
}
