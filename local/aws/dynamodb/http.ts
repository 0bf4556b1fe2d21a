/**
 * The end of the interceptor chain: a `POST` whose `X-Amz-Target` names an operation of this layer
 * (operations.ts) is read and answered by it; anything else goes to dynalite's own handler as it
 * came (which answers `UnknownOperationException` for an operation neither serves).
 */
import type * as http from "http";
import type { EndOfChain } from "./interceptorChain";
import type { DynamoDbOperations } from "./operations";
import { readBody, sendReply } from "./protocol";

export function endOfChain(operations: DynamoDbOperations, dynalite: http.RequestListener): EndOfChain {
  return async (call, req) => {
    const handler = operations.handlerFor(String(req.headers["x-amz-target"] ?? ""), req.headers);
    if (!handler || req.method !== "POST") return dynalite(req, call.res);
    const text = (await readBody(req)).toString("utf8");
    sendReply(call.res, await handler(text, req.headers));
  };
}
