/**
 * The AWS query protocol (awsQuery), as the local services answer it: the request's parameters
 * are form-encoded, in a POST's body or a GET's query string, with `Action=<Operation>`; the
 * answer is `<XResponse xmlns="…"><XResult>…</XResult><ResponseMetadata><RequestId>…` in XML, an
 * error `<ErrorResponse><Error><Type>Sender|Receiver</Type><Code>…</Code><Message>…</Message>
 * </Error><RequestId>…</RequestId></ErrorResponse>` with its HTTP status. Signatures are not checked.
 *
 * - https://smithy.io/2.0/aws/protocols/aws-query-protocol.html
 * - https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html (`InvalidAction`, 400:
 *   "The action or operation requested is invalid")
 *
 * A service gives its actions (one function each, returning the XML inside `<XResult>`) and its
 * error type (`AwsApiError`); this file reads the parameters, routes them, and writes the answer.
 * An action the service does not serve answers `InvalidAction` (or what the service names
 * instead), never silently. How each service shapes its results in XML stays with the service.
 */
import { randomUUID } from "node:crypto";
import type * as http from "node:http";
import { AwsApiError, readLimitedBody } from "./apiError";

/** An action: the request's parameters in, the XML inside its `<ActionResult>` out. */
export type QueryAction = (params: URLSearchParams, req: http.IncomingMessage) => string | Promise<string>;

export interface QueryService {
  /** The `xmlns` of answers, e.g. `https://sts.amazonaws.com/doc/2011-06-15/`. */
  namespace: string;
  /** The actions served, by name. */
  actions: Readonly<Record<string, QueryAction>>;
  /** Whether answers begin with `<?xml version="1.0"?>`. @default true */
  xmlDeclaration?: boolean;
  /** Whether an error's `<Error>` ends with an empty `<Detail/>` (SQS's do). @default false */
  errorDetail?: boolean;
  /** The error for an `Action` not served (null: none given). @default InvalidAction (400) */
  unknownAction?: (action: string | null) => AwsApiError;
  /** The `<Code>` an error answers. @default its `code` */
  errorCode?: (error: AwsApiError) => string;
  /** The code of an error that is not an `AwsApiError` (a bug of ours), answered 500. @default "InternalFailure" */
  internalErrorCode?: string;
  /** Bodies past this size answer `RequestEntityTooLarge` (413). @default 1 MiB */
  maxRequestBytes?: number;
}

const DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;

/** Escapes text for XML content and attribute values. */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"'\r]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;", "\r": "&#xD;" })[c]!);
}

/** Renders a value as query-protocol XML elements: an object's fields as child elements, an array as repeated elements. */
export function toXml(value: unknown, name: string): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.map((v) => toXml(v, name)).join("");
  if (typeof value === "object") {
    return `<${name}>${Object.entries(value as Record<string, unknown>).map(([k, v]) => toXml(v, k)).join("")}</${name}>`;
  }
  return `<${name}>${xmlEscape(String(value))}</${name}>`;
}

/** `Prefix.1.Name=...&Prefix.1.Value=...` → entries, in index order (the query protocol's lists and maps; `Prefix.1=v` is the entry `"" → v`). */
export function queryList(params: URLSearchParams, prefix: string): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  const pattern = new RegExp(`^${prefix.replace(/\./g, "\\.")}\\.(\\d+)(?:\\.(.+))?$`);
  for (const [key, value] of params) {
    const m = pattern.exec(key);
    if (!m) continue;
    const i = Number(m[1]) - 1;
    out[i] ??= new Map();
    out[i].set(m[2] ?? "", value);
  }
  return out.filter(Boolean);
}

/** A request's parameters: a POST's form-encoded body, else the URL's query string. */
export function queryParams(req: http.IncomingMessage, bodyText: string): URLSearchParams {
  return new URLSearchParams(req.method === "POST" ? bodyText : new URL(req.url ?? "/", "http://x").search);
}

function sendXml(res: http.ServerResponse, requestId: string, status: number, xml: string): void {
  if (res.headersSent || res.writableEnded) return;
  res.writeHead(status, { "Content-Type": "text/xml", "Content-Length": String(Buffer.byteLength(xml)), "x-amzn-RequestId": requestId });
  res.end(xml);
}

const declaration = (service: QueryService) => (service.xmlDeclaration === false ? "" : '<?xml version="1.0"?>');

function errorXml(service: QueryService, error: AwsApiError, requestId: string): string {
  const code = service.errorCode?.(error) ?? error.code;
  return (
    `${declaration(service)}<ErrorResponse xmlns="${service.namespace}"><Error><Type>${error.statusCode >= 500 ? "Receiver" : "Sender"}</Type>` +
    `<Code>${xmlEscape(code)}</Code><Message>${xmlEscape(error.message)}</Message>${service.errorDetail ? "<Detail/>" : ""}</Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

/**
 * Answers one request of `service`. `bodyText` is the body when the caller has read it already
 * (a service that also speaks another protocol on the same endpoint).
 */
export async function answerQuery(service: QueryService, req: http.IncomingMessage, res: http.ServerResponse, bodyText?: string): Promise<void> {
  const requestId = randomUUID();
  try {
    const text =
      bodyText ??
      (req.method === "POST" ? await readLimitedBody(req, service.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES, () => new AwsApiError("RequestEntityTooLarge", "The request is too large", 413)) : "");
    const params = queryParams(req, text);
    const action = params.get("Action");
    if (action === null || !Object.hasOwn(service.actions, action)) {
      throw service.unknownAction?.(action) ?? new AwsApiError("InvalidAction", `The action ${action ?? ""} is not valid for this endpoint.`);
    }
    const result = await service.actions[action](params, req);
    sendXml(
      res,
      requestId,
      200,
      `${declaration(service)}<${action}Response xmlns="${service.namespace}"><${action}Result>${result}</${action}Result>` +
        `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
    );
  } catch (err) {
    const error = err instanceof AwsApiError ? err : new AwsApiError(service.internalErrorCode ?? "InternalFailure", err instanceof Error ? err.message : String(err), 500);
    sendXml(res, requestId, error.statusCode, errorXml(service, error, requestId));
  }
}

/** A request listener that answers `service`'s query protocol (a failure to answer drops the connection). */
export function queryListener(service: QueryService): http.RequestListener {
  return (req, res) => {
    answerQuery(service, req, res).catch(() => res.destroy());
  };
}
