/**
 * The AWS JSON protocols (awsJson1_0 and awsJson1_1), as the local services answer them: `POST /`
 * with `X-Amz-Target: <prefix>.<Operation>` and a JSON object body; a JSON object back, dates as
 * epoch seconds; an error as `{"__type": "<Code>", "message": "…"}` with its HTTP status and
 * `x-amzn-ErrorType`. Signatures are not checked.
 *
 * - https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html
 * - https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html
 *
 * A service gives its operations (one function each) and its error type; this file reads the
 * request, routes it, and writes the answer. An operation the service does not serve, or a request
 * that is not `POST /` with its target prefix, answers `UnknownOperationException` (or what the
 * service names instead), never silently.
 */
import { randomUUID } from "node:crypto";
import type * as http from "node:http";
import { AwsApiError, readLimitedBody } from "./apiError";

/** An operation: the request's JSON object in, the answer's value out (Dates become epoch seconds). */
export type AwsJsonOperation = (input: Record<string, any>) => unknown;

export interface AwsJsonService {
  /** `X-Amz-Target`'s part before the dot, e.g. `AWSEvents`, `AmazonSQS`. */
  targetPrefix: string;
  /** The protocol version: the `Content-Type` of answers is `application/x-amz-json-<version>`. */
  version: "1.0" | "1.1";
  /** Names the service in messages, e.g. `the local EventBridge`. */
  serviceName: string;
  /** The operations served, by name. */
  operations: Readonly<Record<string, AwsJsonOperation>>;
  /** Bodies past this size answer `tooLarge`. @default 1 MiB */
  maxRequestBytes?: number;
  /** The error for a body past `maxRequestBytes`. @default SerializationException (413) */
  tooLarge?: () => AwsApiError;
  /** The `__type` of an error that is not an `AwsApiError` (a bug of ours), answered 500. @default "InternalFailure" */
  internalErrorCode?: string;
  /**
   * The error for a target this service does not serve: `shown` says what was asked (the target, or
   * how to call the service when there is none), `target` is the `X-Amz-Target` as sent.
   * @default UnknownOperationException (400)
   */
  unknownOperation?: (shown: string, target: string | undefined) => AwsApiError;
  /** The error for a body that is not a JSON object. @default SerializationException (400) */
  badBody?: (why: string) => AwsApiError;
  /** How an error goes on the wire, when the service's differs from `{__type: code, message}` + `x-amzn-ErrorType`. */
  encodeError?: (error: AwsApiError) => { body: Record<string, unknown>; headers?: Record<string, string> };
  /** Called with an internal error's stack. */
  log?: (line: string) => void;
}

const DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;

/** Dates become epoch seconds (the awsJson timestamp format); undefined fields are dropped. */
export function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toWire(v)]));
  }
  return value;
}

/** The operation an `X-Amz-Target` header names for this prefix, or undefined. */
export function operationOf(target: string | string[] | undefined, prefix: string): string | undefined {
  if (typeof target !== "string" || !target.startsWith(`${prefix}.`)) return undefined;
  const operation = target.slice(prefix.length + 1);
  return /^\w+$/.test(operation) ? operation : undefined;
}

/** Parses a request body as a JSON object (an empty body is `{}`), or throws `badBody`. */
export function parseJsonObject(text: string, badBody: (why: string) => AwsApiError): Record<string, any> {
  let body: unknown;
  try {
    body = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    throw badBody("The request body is not JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw badBody("The request body is not a JSON object");
  return body as Record<string, any>;
}

function sendJson(res: http.ServerResponse, version: string, requestId: string, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.writableEnded) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": `application/x-amz-json-${version}`,
    "Content-Length": String(Buffer.byteLength(text)),
    "x-amzn-RequestId": requestId,
    ...headers,
  });
  res.end(text);
}

const defaultEncodeError = (error: AwsApiError) => ({ body: { __type: error.code, message: error.message }, headers: { "x-amzn-ErrorType": error.code } });

/**
 * Answers one request of `service`. `bodyText` is the body when the caller has read it already
 * (a service that also speaks another protocol on the same endpoint).
 */
export async function answerAwsJson(service: AwsJsonService, req: http.IncomingMessage, res: http.ServerResponse, bodyText?: string): Promise<void> {
  const requestId = randomUUID();
  const encodeError = service.encodeError ?? defaultEncodeError;
  const badBody = service.badBody ?? ((why: string) => new AwsApiError("SerializationException", why));
  let operation = "?";
  try {
    const target = req.headers["x-amz-target"];
    const named = operationOf(target, service.targetPrefix);
    if (req.method !== "POST" || !named || !Object.hasOwn(service.operations, named)) {
      const shown = typeof target === "string" && target ? target : `no X-Amz-Target: ${service.serviceName} takes POST / with X-Amz-Target: ${service.targetPrefix}.<Operation>`;
      throw service.unknownOperation?.(shown, typeof target === "string" ? target : undefined) ?? new AwsApiError("UnknownOperationException", `${shown} is not an operation ${service.serviceName} serves`);
    }
    operation = named;
    const text =
      bodyText ??
      (await readLimitedBody(req, service.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES, service.tooLarge ?? (() => new AwsApiError("SerializationException", "The request is too large", 413))));
    const input = parseJsonObject(text, badBody);
    sendJson(res, service.version, requestId, 200, toWire(await service.operations[operation](input)));
  } catch (err) {
    if (err instanceof AwsApiError) {
      const { body, headers } = encodeError(err);
      sendJson(res, service.version, requestId, err.statusCode, body, headers);
      return;
    }
    const code = service.internalErrorCode ?? "InternalFailure";
    service.log?.(`${service.serviceName}: ${operation} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    const { body, headers } = encodeError(new AwsApiError(code, err instanceof Error ? err.message : String(err), 500));
    sendJson(res, service.version, requestId, 500, body, headers);
  }
}

/** A request listener that answers `service`'s JSON protocol (a failure to answer drops the connection). */
export function awsJsonListener(service: AwsJsonService): http.RequestListener {
  return (req, res) => {
    answerAwsJson(service, req, res).catch(() => res.destroy());
  };
}
