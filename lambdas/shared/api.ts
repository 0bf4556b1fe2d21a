import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import type { Config } from "./config";
import { corsHeaders, internalError, serviceUnavailable } from "./http";
import { stableOwner } from "./owner";
import { isServiceFailure } from "./serviceFailure";
import { errorDetails, logger } from "./logger";

/**
 * An API Gateway REST proxy handler. Assignable to `APIGatewayProxyHandler`, and awaitable
 * directly (no callback), which is how the tests call it.
 */
export type ApiHandler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

/**
 * Wraps a route: CORS headers on every answer; a service behind the API failing or throttling past
 * the SDK's retries becomes the contract's 503 `ServiceUnavailable` with Retry-After, anything else
 * thrown its 500 `InternalError`, with the details (AWS error type, ARNs, stack) only in the log.
 */
export function apiHandler(route: string, handle: (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>): ApiHandler {
  return async (event, context) => {
    if (context) logger.addContext(context);
    let response: APIGatewayProxyResult;
    try {
      response = await handle(event, context);
    } catch (err) {
      if (isServiceFailure(err)) {
        logger.error("A service behind the API failed", { route, ...errorDetails(err) });
        response = serviceUnavailable();
      } else {
        logger.error("Unhandled error", { route, ...errorDetails(err) });
        response = internalError();
      }
    }
    let cors = {};
    try {
      cors = corsHeaders(event);
    } catch (err) {
      logger.error("Bad CORS configuration", errorDetails(err));
    }
    return { ...response, headers: { ...(response.headers ?? {}), ...cors } };
  };
}

/**
 * Who is calling, and so who owns what it submits (CONTRACT.md, "Who owns a job"): auth `iam` →
 * the SigV4 caller's stable principal (`requestContext.identity.userArn`, an assumed role without
 * its session name: owner.ts); auth `apiKey` → the id of the API key that was sent
 * (`requestContext.identity.apiKeyId`, "$context variables for data models, authorizers, mapping
 * templates, and access logging"); `undefined` if absent. Auth `none`: everyone is `"public"`.
 */
export function callerOf(event: APIGatewayProxyEvent, cfg: Pick<Config, "auth">): string | undefined {
  if (cfg.auth === "none") return "public";
  const identity = event.requestContext?.identity;
  if (cfg.auth === "apiKey") return typeof identity?.apiKeyId === "string" && identity.apiKeyId.length > 0 ? identity.apiKeyId : undefined;
  const arn = identity?.userArn;
  return typeof arn === "string" && arn.length > 0 ? stableOwner(arn) : undefined;
}

/** Whether `caller` may see `owner`'s job: its own, or anyone's on auth `none`. */
export function owns(cfg: Pick<Config, "auth">, caller: string, owner: string): boolean {
  return cfg.auth === "none" || owner === caller;
}
