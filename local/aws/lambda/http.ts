/**
 * The HTTP API of the local Lambda (REST-JSON, as the SDKs call Lambda): routes each request to
 * the service and writes its answer, errors as Lambda answers them (`x-amzn-ErrorType` and a
 * `{Type, Message}` body). Routes:
 *
 * - `POST /2015-03-31/functions/{name}/invocations` Invoke (RequestResponse, Event, DryRun)
 * - `GET /2015-03-31/functions/` ListFunctions
 * - `GET /2015-03-31/functions/{name}` GetFunction
 *
 * Any other route answers `UnknownOperationException` (404).
 */
import * as crypto from "crypto";
import * as http from "http";
import type { DetailedInvokeResult, InvokeOptions } from "./contract";
import { LambdaApiError } from "./errors";
import type { FunctionState } from "./functions";
import { parseFunctionRef } from "./functionRef";
import { checkPayload, MAX_SYNC_PAYLOAD_BYTES, syncPayloadTooLarge } from "./payloadLimits";

/** What the HTTP API needs of the service. */
export interface LambdaHttpBackend {
  /** The function, or `ResourceNotFoundException`. */
  mustLookup(ref: string): FunctionState;
  listFunctions(): FunctionState[];
  invokeDetailed(ref: string, payload: string, type: "RequestResponse" | "Event", options?: InvokeOptions): Promise<DetailedInvokeResult>;
  note(line: string): void;
}

const API_VERSION = "2015-03-31";

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), "x-amzn-RequestId": crypto.randomUUID(), ...headers });
  res.end(text);
}

function sendError(res: http.ServerResponse, e: unknown, note: (line: string) => void): void {
  if (e instanceof LambdaApiError) {
    sendJson(res, e.statusCode, { Type: e.statusCode >= 500 ? "Service" : "User", Message: e.message, message: e.message }, { "x-amzn-ErrorType": e.code });
  } else {
    note(`internal error: ${(e as Error)?.stack ?? String(e)}`);
    sendJson(res, 500, { Type: "Service", Message: "Internal error", message: "Internal error" }, { "x-amzn-ErrorType": "ServiceException" });
  }
}

/** GetFunction's `Configuration` of a function. */
function functionConfiguration(fn: FunctionState): Record<string, unknown> {
  const c = fn.config;
  return {
    FunctionName: c.name,
    FunctionArn: c.arn,
    Runtime: "nodejs22.x",
    Handler: c.handler,
    Timeout: c.timeoutSeconds,
    MemorySize: c.memorySize,
    Version: "$LATEST",
    State: "Active",
    PackageType: "Zip",
    Environment: { Variables: c.environment },
    LoggingConfig: { LogFormat: "JSON", LogGroup: `/aws/lambda/${c.name}` },
  };
}

async function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw syncPayloadTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function invocationTypeOf(req: http.IncomingMessage): "RequestResponse" | "Event" | "DryRun" {
  const type = (req.headers["x-amz-invocation-type"] as string | undefined) ?? "RequestResponse";
  if (type !== "RequestResponse" && type !== "Event" && type !== "DryRun") {
    throw new LambdaApiError("InvalidParameterValueException", `1 validation error detected: Value '${type}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`, 400);
  }
  return type;
}

/** The `X-Amz-Client-Context` header: base64 of a JSON object. */
function clientContextOf(req: http.IncomingMessage): unknown {
  const cc = req.headers["x-amz-client-context"] as string | undefined;
  if (!cc) return undefined;
  try {
    return JSON.parse(Buffer.from(cc, "base64").toString("utf8"));
  } catch {
    throw new LambdaApiError("InvalidParameterValueException", "Client context must be a valid Base64-encoded JSON object.", 400);
  }
}

function writeSyncResult(req: http.IncomingMessage, res: http.ServerResponse, result: DetailedInvokeResult): void {
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "Content-Length": String(Buffer.byteLength(result.payload)),
    "x-amzn-RequestId": result.requestId,
    "X-Amz-Executed-Version": "$LATEST",
  };
  if (result.functionError) headers["X-Amz-Function-Error"] = result.functionError;
  if (String(req.headers["x-amz-log-type"] ?? "").toLowerCase() === "tail") {
    const text = (result.logs ?? []).join("\n") + "\n";
    headers["X-Amz-Log-Result"] = Buffer.from(Buffer.from(text).subarray(-4096)).toString("base64");
  }
  res.writeHead(result.statusCode, headers);
  res.end(result.payload);
}

/** Invoke: https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html */
async function invoke(backend: LambdaHttpBackend, name: string, url: URL, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const type = invocationTypeOf(req);
  const qualifier = url.searchParams.get("Qualifier");
  const ref = qualifier && !parseFunctionRef(name).qualifier ? `${name}:${qualifier}` : name;
  backend.mustLookup(ref);
  const body = await readBody(req, MAX_SYNC_PAYLOAD_BYTES);
  if (type === "DryRun") {
    checkPayload(body, "DryRun");
    res.writeHead(204, { "x-amzn-RequestId": crypto.randomUUID() });
    res.end();
    return;
  }
  const result = await backend.invokeDetailed(ref, body, type, { clientContext: clientContextOf(req) });
  if (type === "Event") {
    res.writeHead(202, { "x-amzn-RequestId": result.requestId, "Content-Length": 0 });
    res.end();
    return;
  }
  writeSyncResult(req, res, result);
}

async function route(backend: LambdaHttpBackend, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const segments = url.pathname.split("/").filter(Boolean).map((s) => decodeURIComponent(s));
  const functionsPath = segments[0] === API_VERSION && segments[1] === "functions";
  if (req.method === "POST" && functionsPath && segments.length === 4 && segments[3] === "invocations") {
    return invoke(backend, segments[2], url, req, res);
  }
  // ListFunctions: https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html
  if (req.method === "GET" && functionsPath && segments.length === 2) {
    sendJson(res, 200, { Functions: backend.listFunctions().map(functionConfiguration) });
    return;
  }
  // GetFunction: https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html
  if (req.method === "GET" && functionsPath && segments.length === 3) {
    const fn = backend.mustLookup(segments[2]);
    sendJson(res, 200, { Configuration: functionConfiguration(fn), Code: { RepositoryType: "S3", Location: `file://${fn.taskRoot}` } });
    return;
  }
  sendJson(res, 404, { Type: "User", Message: `Unknown operation ${req.method} ${url.pathname}` }, { "x-amzn-ErrorType": "UnknownOperationException" });
}

/** The HTTP server of the Lambda API (not yet listening). */
export function lambdaHttpServer(backend: LambdaHttpBackend): http.Server {
  return http.createServer((req, res) => {
    route(backend, req, res).catch((e) => {
      if (!res.headersSent) sendError(res, e, (line) => backend.note(line));
      else res.destroy();
    });
  });
}
