/**
 * What the local API Gateway is started with (`ApiGatewayServiceOptions`), API Gateway's own
 * limits, and the settings every part of the gateway reads: the options with their defaults
 * resolved, plus the port the server got.
 */
import * as path from "node:path";
import type { ApiGatewayService, LambdaService } from "../types";
import type { AwsEndpoints } from "./awsIntegration";
import { CONSOLE_DIR } from "./consoleRoute";
import type { UsageMeter } from "../../usage/meter";

/** API Gateway's payload limit. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** API Gateway's default (and, for REST APIs, usual maximum) integration timeout. */
export const INTEGRATION_TIMEOUT_MS = 29_000;
// Beyond this the gateway stops reading and closes the connection.
export const HARD_BODY_LIMIT = 5 * MAX_REQUEST_BYTES;

export interface ApiGatewayServiceOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Where the server listens; default 127.0.0.1. */
  host?: string;
  /** Host name in invoke URLs; default `localhost`. */
  publicHost?: string;
  lambda: Pick<LambdaService, "invoke">;
  accountId: string;
  region: string;
  /** One access-log line per request. */
  log?: (line: string) => void;
  /** The integration timeout (default 29 s, as API Gateway's). */
  integrationTimeoutMs?: number;
  /** The gateway's clock, in epoch ms (SigV4 date checks). */
  now?: () => number;
  /**
   * Local endpoints of the AWS services that `aws` integrations call, keyed by the service name
   * in the integration URI (`arn:aws:apigateway:<region>:dynamodb:action/PutItem` → `dynamodb`).
   * Read at each call, so services may start after the gateway. Absent: `aws` integrations
   * answer 500 (API_CONFIGURATION_ERROR).
   */
  awsEndpoints?: () => AwsEndpoints;
  /**
   * Local only: the browser console's files, served at `GET /<stage>/console/` of every stage
   * (no auth). Default: the repository's `console/`; `null` turns the route off.
   */
  consoleDir?: string | null;
  /** The cost meter: counts `apigateway.requests` as API Gateway bills them (usage.ts). */
  meter?: UsageMeter;
  /**
   * Local only: when set, `GET /__local/usage` (at the server's root, outside any stage, no auth)
   * answers 200 with this value as JSON. Not counted by the meter.
   */
  usage?: () => unknown;
}

/** Where the gateway serves `options.usage`. */
export const USAGE_PATH = "/__local/usage";

export interface LocalApiGatewayService extends ApiGatewayService {
  port: number;
}

/** The options with their defaults applied; `port` is set once the server listens. */
export interface GatewaySettings {
  host: string;
  publicHost: string;
  port: number;
  accountId: string;
  region: string;
  lambda: Pick<LambdaService, "invoke">;
  log: (line: string) => void;
  now: () => number;
  /** The gateway's integration timeout (a method's own `timeoutInMillis` may be shorter). */
  timeoutMs: number;
  consoleDir: string | null;
  awsEndpoints?: () => AwsEndpoints;
  meter?: UsageMeter;
  usage?: () => unknown;
}

export function resolveSettings(options: ApiGatewayServiceOptions): GatewaySettings {
  return {
    host: options.host ?? "127.0.0.1",
    publicHost: options.publicHost ?? "localhost",
    port: 0,
    accountId: options.accountId,
    region: options.region,
    lambda: options.lambda,
    log: options.log ?? (() => {}),
    now: options.now ?? Date.now,
    timeoutMs: options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS,
    consoleDir: options.consoleDir === undefined ? CONSOLE_DIR : options.consoleDir === null ? null : path.resolve(options.consoleDir),
    awsEndpoints: options.awsEndpoints,
    meter: options.meter,
    usage: options.usage,
  };
}

/** The integration timeout: the method's own `timeoutInMillis`, capped by the gateway's. */
export function integrationLimit(settings: Pick<GatewaySettings, "timeoutMs">, integration: { timeoutInMillis?: number }): number {
  return Math.min(settings.timeoutMs, integration.timeoutInMillis && integration.timeoutInMillis > 0 ? integration.timeoutInMillis : Infinity);
}
