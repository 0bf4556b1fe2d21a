/**
 * The chain every request of the local DynamoDB passes through (`use`) before it reaches the end
 * of the chain (this layer's operations, or dynalite): an interceptor sees the operation name
 * (`PutItem`, …), the raw request and response, and calls `next()` to hand the request on
 * (optionally with a replacement body, if it had to read it). The built-in interceptors (fault
 * injection, the TTL API) come first, a caller's after them.
 */
import type * as http from "http";
import { PassThrough } from "stream";
import type { DynamoDbCall, DynamoDbInterceptor } from "./contract";
import { sendError } from "./protocol";

/** What answers a request once every interceptor has handed it on. */
export type EndOfChain = (call: DynamoDbCall, req: http.IncomingMessage) => Promise<void>;

/** A stand-in for `req` whose body is `body` (for interceptors that consumed the original). */
function replayRequest(req: http.IncomingMessage, body: Buffer): http.IncomingMessage {
  const copy = new PassThrough() as PassThrough & Partial<http.IncomingMessage>;
  Object.assign(copy, {
    headers: { ...req.headers, "content-length": String(body.length) },
    rawHeaders: req.rawHeaders,
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
    socket: req.socket,
  });
  copy.end(body);
  return copy as unknown as http.IncomingMessage;
}

/** The operation an `X-Amz-Target` names (whatever its prefix): `DynamoDB_20120810.PutItem` → `PutItem`; `""` if none. */
export function operationNamed(target: string): string {
  return target.includes(".") ? target.slice(target.indexOf(".") + 1) : "";
}

export class InterceptorChain {
  private readonly interceptors: DynamoDbInterceptor[] = [];

  constructor(
    private readonly end: EndOfChain,
    private readonly log: (line: string) => void,
  ) {}

  /** Adds an interceptor after those already there; returns a function that removes it. */
  use(interceptor: DynamoDbInterceptor): () => void {
    this.interceptors.push(interceptor);
    return () => {
      const i = this.interceptors.indexOf(interceptor);
      if (i >= 0) this.interceptors.splice(i, 1);
    };
  }

  /** The server's request listener: each request from the first interceptor on. */
  readonly listener: http.RequestListener = (req, res) => {
    const operation = operationNamed(String(req.headers["x-amz-target"] ?? ""));
    this.dispatch({ operation, req, res }, 0, req);
  };

  private dispatch(call: DynamoDbCall, index: number, req: http.IncomingMessage): void {
    const interceptor = this.interceptors[index];
    if (!interceptor) {
      this.end(call, req).catch((err: unknown) => this.failed(call, `${call.operation} failed`, err));
      return;
    }
    let called = false;
    const next = (body?: string | Buffer): void => {
      if (called) return;
      called = true;
      const nextReq = body === undefined ? req : replayRequest(req, Buffer.isBuffer(body) ? body : Buffer.from(body));
      this.dispatch({ ...call, req: nextReq }, index + 1, nextReq);
    };
    Promise.resolve()
      .then(() => interceptor({ ...call, req }, next))
      .catch((err: unknown) => this.failed(call, `interceptor failed on ${call.operation}`, err));
  }

  private failed(call: DynamoDbCall, what: string, err: unknown): void {
    this.log(`dynamodb: ${what}: ${(err as Error)?.stack ?? String(err)}`);
    if (!call.res.headersSent) sendError(call.res, 500, "InternalServerError", "Internal server error");
  }
}
