/**
 * The local EventBridge over HTTP: the EventBridge JSON protocol (`POST /`, `X-Amz-Target:
 * AWSEvents.<Action>`, awsJson1_1) through the shared ../protocols/awsJson.ts, so
 * `aws events --endpoint-url` and `@aws-sdk/client-eventbridge` reach it (signatures are not
 * checked). An operation it does not serve answers `UnknownOperationException` (400), as the
 * API's common errors say: https://docs.aws.amazon.com/eventbridge/latest/APIReference/CommonErrors.html
 */
import type * as http from "http";
import { answerAwsJson, operationOf, type AwsJsonService } from "../protocols/awsJson";
import type { EventBridge } from "./eventBridge";
import { EventsApiError } from "./model";
import { eventBridgeOperations } from "./operations";

const TARGET_PREFIX = "AWSEvents";
const HOW_TO_CALL = `The local EventBridge takes POST / with X-Amz-Target: ${TARGET_PREFIX}.<Action>`;

function eventBridgeJsonService(eb: EventBridge): AwsJsonService {
  return {
    targetPrefix: TARGET_PREFIX,
    version: "1.1",
    // Names the service in the log line of an internal error: `[events] EventBridge: <Action> failed: ...`.
    serviceName: "EventBridge",
    operations: eventBridgeOperations(eb),
    // The local EventBridge has never limited the size of a request.
    maxRequestBytes: Number.POSITIVE_INFINITY,
    internalErrorCode: "InternalException",
    // A well-formed target of an operation not served names the action; anything else says how to call.
    unknownOperation: (target) => {
      const action = operationOf(target, TARGET_PREFIX);
      return new EventsApiError("UnknownOperationException", action ? `${action} is not supported by the local EventBridge` : HOW_TO_CALL);
    },
    log: eb.note,
  };
}

/** The HTTP request listener of the local EventBridge's JSON API. */
export function eventBridgeRequestListener(eb: EventBridge): http.RequestListener {
  const service = eventBridgeJsonService(eb);
  // Any request other than a POST is told how to call, whatever its target names.
  const notPost: AwsJsonService = { ...service, unknownOperation: () => new EventsApiError("UnknownOperationException", HOW_TO_CALL) };
  return (req, res) => {
    answerAwsJson(req.method === "POST" ? service : notPost, req, res).catch(() => res.destroy());
  };
}
