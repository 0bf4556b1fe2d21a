/**
 * Fault injection of the local DynamoDB (the first built-in interceptor): the next writes or item
 * reads, possibly only those of one function, answer an error before they reach the table, in
 * the shapes DynamoDB sends them ("Error handling with DynamoDB",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html).
 */
import type * as http from "http";
import { ArmedFault } from "../s3/armedFault";
import type { DynamoDbInterceptor, InjectedDynamoDbError } from "./contract";
import { DYNAMODB_TARGET_PREFIX, errorReply, sendReply, type Reply } from "./protocol";
import { TTL_DELETE_HEADER } from "./writes";

const WRITE_OPERATIONS: ReadonlySet<string> = new Set(["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"]);
const READ_OPERATIONS: ReadonlySet<string> = new Set(["GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"]);

/** An item read of a client (not the TTL sweep's own Scan). */
function isItemRead(operation: string, req: http.IncomingMessage): boolean {
  return READ_OPERATIONS.has(operation) && String(req.headers["x-amz-target"] ?? "").startsWith(DYNAMODB_TARGET_PREFIX) && req.headers[TTL_DELETE_HEADER] !== "1";
}

function injectedError(error: InjectedDynamoDbError): Reply {
  if (error === "InternalServerError") return errorReply(500, "InternalServerError", "Internal server error (injected by the local cloud)");
  if (error === "ThrottlingException") return errorReply(400, "ThrottlingException", "Rate of requests exceeds the allowed throughput (injected by the local cloud)");
  return errorReply(400, error, "The level of configured provisioned throughput for the table was exceeded (injected by the local cloud)");
}

export class FaultInjector {
  /** PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems. */
  readonly writes = new ArmedFault<InjectedDynamoDbError>("InternalServerError");
  /** GetItem, BatchGetItem, Query, Scan, TransactGetItems of a client. */
  readonly reads = new ArmedFault<InjectedDynamoDbError>("InternalServerError");

  /** Answers an armed fault's error (once the request's body has been read), or hands the request on. */
  readonly interceptor: DynamoDbInterceptor = ({ operation, req, res }, next) => {
    const armed = WRITE_OPERATIONS.has(operation) ? this.writes : isItemRead(operation, req) ? this.reads : undefined;
    const error = armed?.fire(req);
    if (error === undefined) return next();
    req.resume();
    req.on("end", () => sendReply(res, injectedError(error)));
  };
}
