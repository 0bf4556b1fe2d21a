/**
 * The local SQS's HTTP API: both of SQS's protocols on one endpoint, told apart by the
 * `X-Amz-Target` header.
 * - JSON (awsJson1_0, `X-Amz-Target: AmazonSQS.<Action>`), which current SDKs and CLIs speak,
 *   through ../protocols/awsJson.ts: errors are `com.amazonaws.sqs#<Code>` with the query code in
 *   `x-amzn-query-error`, an unknown target `UnsupportedOperation`;
 * - query (form-encoded `Action=…`, XML answers), through ../protocols/query.ts: an unknown
 *   action is `InvalidAction`.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-making-api-requests-json.html
 *
 * Each operation served is counted for the cost meter, answered or failed (../../usage/sqs.ts).
 */
import type * as http from "http";
import type { UsageMeter } from "../../usage/meter";
import { meterSqsAction } from "../../usage/sqs";
import { readLimitedBody, type AwsApiError } from "../protocols/apiError";
import { answerAwsJson, type AwsJsonService } from "../protocols/awsJson";
import { answerQuery, type QueryService } from "../protocols/query";
import { invalid, queryCodeOf, unsupportedOperation } from "./errors";
import { jsonToQueryResult, queryInput } from "./queryShapes";
import { SQS_OPERATIONS, type Sqs } from "./sqs";

type Operation = (input: Record<string, any>) => Promise<Record<string, unknown>>;

/** The operations, each counted for the meter whether it succeeds or fails. */
function meteredOperations(sqs: Sqs, meter: UsageMeter | undefined): Record<string, Operation> {
  const metered = (action: (typeof SQS_OPERATIONS)[number]): Operation =>
    async (input) => {
      let result: Record<string, unknown> | undefined;
      try {
        result = await sqs[action](input);
        return result;
      } finally {
        if (meter) meterSqsAction(meter, action, input, result);
      }
    };
  return Object.fromEntries(SQS_OPERATIONS.map((action) => [action, metered(action)]));
}

const senderOrReceiver = (error: AwsApiError) => (error.statusCode >= 500 ? "Receiver" : "Sender");

function jsonService(operations: Record<string, Operation>): AwsJsonService {
  return {
    targetPrefix: "AmazonSQS",
    version: "1.0",
    serviceName: "the local SQS",
    operations,
    internalErrorCode: "InternalError",
    badBody: (why) => invalid(why),
    encodeError: (error) => ({
      body: { __type: `com.amazonaws.sqs#${error.code}`, message: error.message },
      headers: { "x-amzn-query-error": `${queryCodeOf(error)};${senderOrReceiver(error)}` },
    }),
    unknownOperation: (_shown, target) => unsupportedOperation(target ?? ""),
  };
}

function queryService(operations: Record<string, Operation>): QueryService {
  return {
    namespace: "http://queue.amazonaws.com/doc/2012-11-05/",
    errorDetail: true,
    actions: Object.fromEntries(Object.entries(operations).map(([action, run]) => [action, async (params, req) => jsonToQueryResult(action, await run(queryInput(params, req)))])),
    errorCode: queryCodeOf,
    internalErrorCode: "InternalError",
  };
}

/** Answers SQS's JSON and query protocols. */
export function sqsRequestListener(sqs: Sqs, meter?: UsageMeter): http.RequestListener {
  const operations = meteredOperations(sqs, meter);
  const json = jsonService(operations);
  const query = queryService(operations);
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    // Unbounded, as before: SQS checks a message's size against the queue's MaximumMessageSize.
    const text = await readLimitedBody(req, Number.POSITIVE_INFINITY, () => new Error("unreachable"));
    const target = req.headers["x-amz-target"];
    if (typeof target === "string") await answerAwsJson(json, req, res, text);
    else await answerQuery(query, req, res, text);
  };
  return (req, res) => {
    handle(req, res).catch(() => res.destroy());
  };
}
