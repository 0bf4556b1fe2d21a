/**
 * The local Step Functions service over HTTP: the Step Functions JSON protocol (`POST /`,
 * `X-Amz-Target: AWSStepFunctions.<Action>`, awsJson1_0) through the shared ../protocols/awsJson.ts,
 * so `@aws-sdk/client-sfn` and `aws stepfunctions --endpoint-url` reach it (signatures are not
 * checked).
 */
import type * as http from "node:http";
import { answerAwsJson } from "../protocols/awsJson";
import type { AwsJsonService } from "../protocols/awsJson";
import { SfnError } from "./errors";
import { stepFunctionsOperations } from "./operations";
import type { StepFunctions } from "./stepFunctions";

const TARGET_PREFIX = "AWSStepFunctions";
const TARGET = /^AWSStepFunctions\.(\w+)$/;
const MAX_REQUEST_BYTES = 2 * 1024 * 1024;
const HOW_TO_CALL = `The local Step Functions service takes POST / with X-Amz-Target: ${TARGET_PREFIX}.<Action>`;

function stepFunctionsJsonService(sfn: StepFunctions, log: (line: string) => void): AwsJsonService {
  return {
    targetPrefix: TARGET_PREFIX,
    version: "1.0",
    // Names the service in the log line of an internal error: `sfn: <Action> failed: ...`.
    serviceName: "sfn",
    operations: stepFunctionsOperations(sfn),
    maxRequestBytes: MAX_REQUEST_BYTES,
    tooLarge: () => new SfnError("ValidationException", "The request is too large", 413),
    internalErrorCode: "InternalFailure",
    // A well-formed target of an operation not served names the action; anything else says how to call.
    unknownOperation: (target) => {
      const action = TARGET.exec(target)?.[1];
      return new SfnError("UnknownOperationException", action ? `${action} is not supported by the local Step Functions service` : HOW_TO_CALL);
    },
    badBody: (why) => new SfnError("SerializationException", why),
    log,
  };
}

export function stepFunctionsRequestHandler(sfn: StepFunctions, log: (line: string) => void): http.RequestListener {
  const service = stepFunctionsJsonService(sfn, log);
  // Any request other than a POST is told how to call, whatever its target names.
  const notPost: AwsJsonService = { ...service, unknownOperation: () => new SfnError("UnknownOperationException", HOW_TO_CALL) };
  return (req, res) => {
    answerAwsJson(req.method === "POST" ? service : notPost, req, res).catch(() => res.destroy());
  };
}
