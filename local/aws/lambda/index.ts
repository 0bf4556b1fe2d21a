/**
 * The local Lambda service: runs each function's bundle in warm Node.js worker processes (one
 * invocation at a time per process), enforces timeouts, runs async invocations through a queue
 * with Lambda's retries, maximum event age and on-failure destination, runs event source mappings
 * (DynamoDB streams and SQS queues polled into synchronous invocations, see
 * ./eventSourceMappings.ts), and serves Lambda's Invoke API on a loopback port.
 *
 * Operations (methods of `LocalLambda`, ./localLambda.ts; on the wire, ./http.ts):
 * - CreateFunction (a known name updates the function's code and configuration): `createFunction`
 * - Invoke, `RequestResponse`, `Event` and `DryRun`: `invoke`, `invokeDetailed`, and
 *   `POST /2015-03-31/functions/{name}/invocations`
 * - GetFunction and ListFunctions: `GET /2015-03-31/functions/{name}`, `GET /2015-03-31/functions/`
 * - PutFunctionEventInvokeConfig (retries, maximum event age, on-failure destination):
 *   `putEventInvokeConfig`; the config in force: `eventInvokeConfig`
 * - CreateEventSourceMapping, DeleteEventSourceMapping, GetEventSourceMapping,
 *   ListEventSourceMappings: `createEventSourceMapping`, `deleteEventSourceMapping`,
 *   `getEventSourceMapping`, `listEventSourceMappings`
 * Any other route of the HTTP API answers `UnknownOperationException` (404).
 *
 * AWS documentation followed:
 * - https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
 * - https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
 * - https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html
 * - https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html
 * - https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html
 * - https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html
 * - https://docs.aws.amazon.com/lambda/latest/api/API_DeleteEventSourceMapping.html
 * - https://docs.aws.amazon.com/lambda/latest/api/API_GetEventSourceMapping.html
 * - https://docs.aws.amazon.com/lambda/latest/api/API_ListEventSourceMappings.html
 * - https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
 * - https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 * - https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html
 * - https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
 */
import { listen } from "../protocols/listen";
import type { LocalLambdaService } from "./contract";
import { lambdaHttpServer } from "./http";
import { LocalLambda } from "./localLambda";
import type { LambdaServiceOptions } from "./options";

export { MAX_ASYNC_PAYLOAD_BYTES, MAX_SYNC_PAYLOAD_BYTES } from "./payloadLimits";
export { DEFAULT_EVENT_INVOKE_CONFIG } from "./functions";
export { FAILURE_DESTINATION_DETAIL_TYPE } from "./destinations";
export { LambdaApiError } from "./errors";
export { parseFunctionRef } from "./functionRef";
export { LocalLambda } from "./localLambda";
export type { LambdaServiceOptions } from "./options";
export type { DeliverTwiceOptions, DetailedInvokeResult, InvocationObserver, InvocationRecord, InvokeOptions, LocalLambdaService, RunningInvocation } from "./contract";
export type { EventSourceMappingInfo } from "./eventSourceMappings";
export { LocalClock, MAX_CLOCK_OFFSET_MS } from "./clock";
export type { EventSourceQueue } from "./queuePoller";

/** Starts the local Lambda service (see above) and its HTTP API on 127.0.0.1:`options.port` (0 or absent: a free one). */
export async function startLambdaService(options: LambdaServiceOptions): Promise<LocalLambdaService> {
  const lambda = new LocalLambda(options);
  const server = lambdaHttpServer(lambda);
  const { endpoint } = await listen(server, options.port ?? 0);
  lambda.serving(server, endpoint);
  return lambda;
}
