/**
 * On-failure destinations of async invocations: the record Lambda sends when it discards an
 * event (retries exhausted or too old), and its delivery to an EventBridge bus, an SQS queue or
 * another function (queued as an async invocation of its own).
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 */
import * as crypto from "crypto";
import type { EventsSink, QueueSink } from "../types";
import type { FunctionRegistry, FunctionState } from "./functions";
import { parseFunctionRef } from "./functionRef";
import type { LambdaServiceOptions } from "./options";
import type { InvocationOutcome } from "./workers";

/** The `detail-type` of the event Lambda puts on an EventBridge bus destination for a failed async invocation. */
export const FAILURE_DESTINATION_DETAIL_TYPE = "Lambda Function Invocation Result - Failure";

const EVENT_BUS_ARN = /^arn:aws[a-z-]*:events:[^:]*:\d{12}:event-bus\/.+$/;
const QUEUE_ARN = /^arn:aws[a-z-]*:sqs:[^:]*:\d{12}:[^:]+$/;

export type FailureCondition = "RetriesExhausted" | "EventAgeExceeded";

/** An async event Lambda gave up on. */
export interface FailedEvent {
  requestId: string;
  payload: string;
  attempts: number;
  /** The outcome of its last attempt (none when it got too old before its first). */
  last?: InvocationOutcome;
}

function parsedOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The invocation record Lambda sends to an on-failure destination. */
export function failureRecord(functionArn: string, ev: FailedEvent, condition: FailureCondition): Record<string, unknown> {
  const last = ev.last;
  return {
    version: "1.0",
    timestamp: new Date().toISOString(),
    requestContext: { requestId: ev.requestId, functionArn: `${functionArn}:$LATEST`, condition, approximateInvokeCount: ev.attempts },
    requestPayload: parsedOr(ev.payload === "" ? "{}" : ev.payload),
    ...(last
      ? {
          responseContext: { statusCode: last.statusCode, executedVersion: "$LATEST", ...(last.functionError ? { functionError: last.functionError } : {}) },
          responsePayload: parsedOr(last.payload),
        }
      : {}),
  };
}

export class FailureDestinations {
  constructor(
    /** Read at delivery time: the services may start after the Lambda service. */
    private readonly services: Pick<LambdaServiceOptions, "destinations">,
    private readonly functions: FunctionRegistry,
    private readonly note: (line: string) => void,
    /** Queues the record as an async invocation of a destination function. */
    private readonly toFunction: (fn: FunctionState, payload: string, requestId: string) => void,
  ) {}

  /** Sends `record` (about a function of ARN `functionArn`) to `destination`; a record that cannot be delivered is noted and dropped. */
  async deliver(destination: string, record: Record<string, unknown>, functionArn: string): Promise<void> {
    if (EVENT_BUS_ARN.test(destination) || QUEUE_ARN.test(destination)) return this.toService(destination, record, functionArn);
    const target = parseFunctionRef(destination);
    if (destination.startsWith("arn:") && !destination.startsWith("arn:aws:lambda:")) {
      this.note(`destination ${destination} is not a Lambda function, an EventBridge bus or an SQS queue; record dropped: ${JSON.stringify(record)}`);
      return;
    }
    const dest = this.functions.get(target.name);
    if (!dest) {
      this.note(`destination function ${destination} not found; record dropped: ${JSON.stringify(record)}`);
      return;
    }
    this.toFunction(dest, JSON.stringify(record), crypto.randomUUID());
  }

  /** An EventBridge bus gets an event whose `detail` is the record, an SQS queue a message whose body is the record. */
  private async toService(destination: string, record: Record<string, unknown>, functionArn: string): Promise<void> {
    // As on AWS, a record that cannot be delivered is lost (Lambda counts DestinationDeliveryFailures).
    const bus = EVENT_BUS_ARN.test(destination);
    const sink = bus ? this.services.destinations?.events?.() : this.services.destinations?.sqs?.();
    if (!sink) {
      this.note(`destination ${destination}: no local ${bus ? "EventBridge" : "SQS"}; record dropped: ${JSON.stringify(record)}`);
      return;
    }
    try {
      if (bus) {
        await (sink as EventsSink).publish(destination, {
          source: "lambda",
          detailType: FAILURE_DESTINATION_DETAIL_TYPE,
          detail: record,
          resources: [destination, `${functionArn}:$LATEST`],
        });
      } else {
        await (sink as QueueSink).sendMessage(destination, JSON.stringify(record));
      }
    } catch (e) {
      this.note(`destination ${destination} could not take the record (${(e as Error).message}); record dropped: ${JSON.stringify(record)}`);
    }
  }
}
