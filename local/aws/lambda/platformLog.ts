/**
 * The platform records Lambda writes to a function's log group with the JSON log format, at the
 * default system log level (INFO): `platform.initStart` on a cold start, then `platform.start` and
 * `platform.report` per invocation ("Log-level filtering", AWS Lambda Developer Guide:
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html; record
 * shapes as in the Telemetry API schema reference,
 * https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html, and as CloudWatch
 * shows them). Written with the fields AWS writes, so that the log bytes the cost meter counts
 * (./usage.ts) are about AWS's.
 */
import { createHash } from "crypto";
import { LOCAL_REGION, type LocalFunctionConfig } from "../types";

/** The managed runtime the local Lambda plays (`AWS_EXECUTION_ENV` is `AWS_Lambda_nodejs22.x`). */
const RUNTIME_VERSION = "nodejs:22.mainline.v1";
const RUNTIME_VERSION_ARN = `arn:aws:lambda:${LOCAL_REGION}::runtime:${createHash("sha256").update(RUNTIME_VERSION).digest("hex")}`;

export type PlatformRecord = { type: string; record: Record<string, unknown> };

/** `platform.initStart`: the execution environment (`instanceId`, the log stream's name) starts its INIT phase. */
export function initStartRecord(config: LocalFunctionConfig, instanceId: string): PlatformRecord {
  return {
    type: "platform.initStart",
    record: {
      initializationType: "on-demand",
      phase: "init",
      runtimeVersion: RUNTIME_VERSION,
      runtimeVersionArn: RUNTIME_VERSION_ARN,
      functionName: config.name,
      functionVersion: "$LATEST",
      instanceId,
      instanceMaxMemory: config.memorySize * 1024 * 1024,
    },
  };
}

export function startRecord(config: LocalFunctionConfig, requestId: string): PlatformRecord {
  return { type: "platform.start", record: { requestId, functionArn: config.arn, version: "$LATEST" } };
}

export function reportRecord(requestId: string, metrics: Record<string, number>, status: string): PlatformRecord {
  return { type: "platform.report", record: { requestId, metrics, status } };
}

/** The log line of a record, as CloudWatch receives it. */
export function platformLine(entry: PlatformRecord, time = new Date()): string {
  return JSON.stringify({ time: time.toISOString(), type: entry.type, record: entry.record });
}
