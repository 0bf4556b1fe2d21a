/**
 * What the local API Gateway counts for the cost meter (local/usage), as API Gateway bills a REST
 * API (https://aws.amazon.com/api-gateway/pricing/): one `apigateway.requests` per API call
 * received, whatever its status — 4xx and 5xx answered by the gateway itself (a bad body, a
 * failing integration, a mock's CORS preflight) and by the integration alike — except those the
 * API Gateway Developer Guide ("API Gateway pricing",
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-pricing.html) exempts:
 * - "Calling methods with the authorization type of AWS_IAM, CUSTOM, and COGNITO_USER_POOLS are
 *   not charged for authorization and authentication failures";
 * - "Calling methods requiring API keys are not charged when API keys are missing or invalid";
 * - throttled requests (API Gateway's or a usage plan's limits).
 * A request that matches no method of a deployed stage (API Gateway answers it 403 "Missing
 * Authentication Token") is not counted either: an AWS expert's reviewed answer on re:Post
 * ("Pricing clarification for api gateway",
 * https://repost.aws/questions/QU5y4fo-e3RWyU5r4VmyPIzA/pricing-clarification-for-api-gateway):
 * "You do not pay for requests which are not authorized, did not match a route in your API or
 * throttled". The local-only routes (the console's files, `GET /__local/usage`) are not API calls.
 *
 * Jobs: the `{jobId}` path parameter (`/jobs/{jobId}`), or, for a POST answered 2xx (`POST /jobs`,
 * 202), the `jobId` of the response body. Other calls (`GET /jobs`) name no job.
 */
import type { UsageMeter } from "./meter";
import { jobIdsInJson, jobIdsInKey } from "./jobIds";
import type { GatewayResponseType } from "../aws/apigateway/gatewayResponses";

/** Gateway responses to requests API Gateway does not bill. */
export const UNBILLED_RESPONSE_TYPES: ReadonlySet<GatewayResponseType> = new Set<GatewayResponseType>([
  // Authentication and authorization failures (IAM, Lambda authorizers, Cognito) — and no method matched.
  "MISSING_AUTHENTICATION_TOKEN",
  "INVALID_SIGNATURE",
  "EXPIRED_TOKEN",
  "ACCESS_DENIED",
  "UNAUTHORIZED",
  "AUTHORIZER_FAILURE",
  "AUTHORIZER_CONFIGURATION_ERROR",
  // A missing or invalid API key.
  "INVALID_API_KEY",
  // Throttled by the account's or a usage plan's limits.
  "THROTTLED",
  "QUOTA_EXCEEDED",
]);

/** Whether a request that ended as `rejectedAs` (a gateway response type; none when the integration answered) is billed. */
export function isBilledRequest(rejectedAs: string | undefined): boolean {
  return rejectedAs === undefined || !UNBILLED_RESPONSE_TYPES.has(rejectedAs as GatewayResponseType);
}

export interface ServedRequest {
  method: string;
  /** The resource's template path (`/jobs/{jobId}`). */
  resourcePath: string;
  /** As matched, before decoding. */
  pathParameters: Record<string, string>;
  status: number;
  body: Buffer | string;
  /** The gateway response type, when the gateway answered the request itself. */
  rejectedAs?: string;
}

/** The jobs a request is for: its `{jobId}` path parameter, or the `jobId` a POST's 2xx answer names. */
export function requestJobIds(r: Pick<ServedRequest, "method" | "pathParameters" | "status" | "body">): string[] {
  const fromPath = jobIdsInKey(r.pathParameters.jobId);
  if (fromPath.length > 0) return fromPath;
  if (r.method.toUpperCase() === "POST" && r.status >= 200 && r.status < 300) return jobIdsInJson(r.body.toString());
  return [];
}

/** `apigateway:<METHOD> <resourcePath>`. */
export function requestSource(method: string, resourcePath: string): string {
  return `apigateway:${method.toUpperCase()} ${resourcePath}`;
}

/** Counts one served request, if API Gateway bills it. */
export function countGatewayRequest(meter: UsageMeter, r: ServedRequest): void {
  if (!isBilledRequest(r.rejectedAs)) return;
  meter.count("apigateway.requests", 1, { jobIds: requestJobIds(r), source: requestSource(r.method, r.resourcePath) });
}
