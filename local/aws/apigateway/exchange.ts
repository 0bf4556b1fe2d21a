/**
 * One request to the execute-api endpoint as the pipeline carries it (`Exchange`): what arrived,
 * the stage and route it resolved to, and the caller's identity; with `Rejection` (a request that
 * ends in a gateway response), reading the body within API Gateway's limit, and the
 * `requestContext` API Gateway gives integrations and templates.
 */
import type { IncomingMessage } from "node:http";
import type { Stage } from "./controlPlane";
import type { RouteMatch } from "./document";
import type { GatewayError } from "./gatewayResponses";
import { HARD_BODY_LIMIT, MAX_REQUEST_BYTES, type GatewaySettings } from "./options";
import { clfTime, emptyIdentity, headerMaps, queryMaps, type ProxyIdentity, type ProxyRequestContext } from "./proxy";
import { extendedRequestId, requestIdFor } from "./requestIds";

export interface Exchange {
  requestId: string;
  extendedRequestId: string;
  started: number;
  /** Wall clock at arrival (for the access log's duration, whatever `options.now` says). */
  t0: number;
  method: string;
  url: string;
  rawPath: string;
  rawQuery: string;
  pairs: Array<[string, string]>;
  headers: Record<string, string>;
  query: Record<string, string>;
  sourceIp: string;
  protocol: string;
  stage?: Stage;
  route?: RouteMatch;
  /** Path below the stage, as sent. */
  path: string;
  identity: ProxyIdentity;
  /** Appended to the access-log line. */
  note?: string;
  /** A local-only route (console files, the usage report): not an API call, not metered. */
  local?: boolean;
}

/** An HTTP answer the gateway sends as is (its request-id headers are added when sent). */
export interface Answer {
  status: number;
  headers: Array<[string, string]>;
  body: Buffer;
}

/** A request that ends in a gateway response. */
export class Rejection extends Error {
  constructor(
    readonly error: GatewayError,
    readonly note?: string,
  ) {
    super(error.message ?? error.type);
  }
}

function pairHeaders(raw: string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i], raw[i + 1]]);
  return pairs;
}

export function headerCi(headers: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  const key = Object.keys(headers).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : headers[key];
}

/** The exchange of a request that just arrived, `started` by the gateway's clock. */
export function newExchange(req: IncomingMessage, started: number): Exchange {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? "" : url.slice(q + 1);
  const pairs = pairHeaders(req.rawHeaders);
  const { headers } = headerMaps(pairs);
  const sourceIp = (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, "");
  return {
    requestId: requestIdFor(headerCi(headers, "x-amzn-requestid")),
    extendedRequestId: extendedRequestId(),
    started,
    t0: Date.now(),
    method: (req.method ?? "GET").toUpperCase(),
    url,
    rawPath,
    rawQuery,
    pairs,
    headers,
    query: queryMaps(rawQuery).query,
    sourceIp,
    protocol: `HTTP/${req.httpVersion}`,
    path: "/",
    identity: emptyIdentity(sourceIp, headerCi(headers, "user-agent") ?? null),
  };
}

export function readBody(req: IncomingMessage): Promise<{ body: Buffer; tooLarge: boolean; aborted: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const finish = (aborted: boolean) => {
      if (done) return;
      done = true;
      resolve({ body: total > MAX_REQUEST_BYTES ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge: total > MAX_REQUEST_BYTES, aborted });
    };
    req.on("data", (chunk: Buffer) => {
      total += chunk.length;
      if (total <= MAX_REQUEST_BYTES) chunks.push(chunk);
      else chunks.length = 0;
      if (total > HARD_BODY_LIMIT) {
        req.pause();
        finish(true);
      }
    });
    req.on("end", () => finish(false));
    req.on("error", () => finish(true));
    req.on("close", () => finish(true));
  });
}

/** `X-Forwarded-For` as API Gateway passes it on: the client's, then the caller's address. */
export function forwardedFor(x: Exchange): string {
  const prior = headerCi(x.headers, "x-forwarded-for");
  return prior ? `${prior}, ${x.sourceIp}` : x.sourceIp;
}

function hostOf(domainName: string): string {
  return domainName.replace(/^\[([^\]]*)\].*$/, "$1").replace(/:\d+$/, "");
}

/** `requestContext` of the request (proxy events, `$context` of templates and gateway responses). */
export function requestContextOf(x: Exchange, settings: Pick<GatewaySettings, "accountId" | "publicHost" | "port">): ProxyRequestContext {
  const domainName = headerCi(x.headers, "host") ?? `${settings.publicHost}:${settings.port}`;
  const stageName = x.stage?.name ?? "";
  return {
    accountId: settings.accountId,
    apiId: x.stage?.apiId ?? "",
    domainName,
    domainPrefix: hostOf(domainName).split(".")[0],
    extendedRequestId: x.extendedRequestId,
    httpMethod: x.method,
    identity: x.identity,
    path: x.stage ? `/${x.stage.key}${x.path === "/" ? "/" : x.path}` : x.rawPath,
    protocol: x.protocol,
    requestId: x.requestId,
    requestTime: clfTime(x.started),
    requestTimeEpoch: x.started,
    resourceId: x.route?.resource.id ?? "",
    resourcePath: x.route?.resource.path ?? "",
    stage: stageName,
  };
}
