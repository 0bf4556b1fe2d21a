import { Logger } from "@aws-lambda-powertools/logger";

/**
 * The one structured logger of every handler. Error details (AWS error types, ARNs, stacks) go
 * here and never into a response body. Level from `POWERTOOLS_LOG_LEVEL` (default INFO).
 */
export const logger = new Logger({ serviceName: "async-api" });

/** The loggable parts of anything thrown: name, message, stack, and an AWS SDK error's metadata. */
export function errorDetails(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const meta = (err as { $metadata?: { httpStatusCode?: number; requestId?: string } }).$metadata;
    return {
      errorName: err.name,
      errorMessage: err.message,
      stack: err.stack,
      ...(meta ? { httpStatusCode: meta.httpStatusCode, awsRequestId: meta.requestId } : {}),
    };
  }
  return { errorValue: String(err) };
}
