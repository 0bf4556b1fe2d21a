/**
 * The admin API's HTTP routes under `/_local/` (faults, clock, endpoints, api-keys; admin.ts lists
 * them): JSON in and out, a refused request as 400 `{"error": {"code": "BadRequest", "message"}}`,
 * a bug of ours as 500 InternalError.
 */
import type * as http from "http";
import { MAX_CLOCK_OFFSET_MS } from "../aws/lambda/clock";
import type { FaultBoard } from "./faultBoard";
import { integer, parseFault } from "./parseFault";
import type { TestClock } from "./testClock";
import { BadFault, type AdminOptions } from "./types";

const MAX_BODY_BYTES = 64 * 1024;

export interface AdminRoutes {
  board: FaultBoard;
  clock: TestClock;
  options: AdminOptions;
  note: (line: string) => void;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BadFault("the body is too large");
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new BadFault("the body is not valid JSON");
  }
}

async function faultsRoute(routes: AdminRoutes, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const { board } = routes;
  if (req.method === "GET") return send(res, 200, { armed: board.armed, fired: board.fired, missed: board.missed });
  if (req.method === "DELETE") {
    board.disarmAll();
    return send(res, 200, { armed: board.armed });
  }
  if (req.method === "POST") {
    const body = await readJson(req);
    const faults = (Array.isArray(body) ? body : [body]).map((f) => parseFault(f, routes.options.functionNames));
    faults.forEach((f) => board.arm(f));
    return send(res, 200, { armed: faults });
  }
  return send(res, 405, { error: { code: "MethodNotAllowed", message: "GET, POST or DELETE" } });
}

async function clockRoute({ clock }: AdminRoutes, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (req.method === "GET") return send(res, 200, clock.state());
  if (req.method === "POST") {
    const body = await readJson(req);
    const offsetMs = body && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>).offsetMs : undefined;
    clock.set(integer(offsetMs, "offsetMs", 0, MAX_CLOCK_OFFSET_MS));
    // Items already expired by the new clock go at once (readers filter them anyway).
    const expiredItemsDeleted = await clock.sweepShifted();
    return send(res, 200, { ...clock.state(), expiredItemsDeleted });
  }
  return send(res, 405, { error: { code: "MethodNotAllowed", message: "GET or POST" } });
}

function apiKeysRoute({ options, note }: AdminRoutes, res: http.ServerResponse): void {
  const key = options.addApiKey?.();
  if (!key) return send(res, 409, { error: { code: "Conflict", message: "this stack has no usage plan (auth is not apiKey)" } });
  note(`API key ${key.id} added`);
  return send(res, 201, key);
}

async function route(routes: AdminRoutes, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const path = new URL(req.url ?? "/", "http://localhost").pathname.replace(/\/+$/, "");
  if (path === "/_local/faults") return faultsRoute(routes, req, res);
  if (path === "/_local/clock") return clockRoute(routes, req, res);
  if (path === "/_local/endpoints" && req.method === "GET") return send(res, 200, routes.options.endpoints);
  if (path === "/_local/api-keys" && req.method === "POST") return apiKeysRoute(routes, res);
  return send(res, 404, { error: { code: "NotFound", message: "routes: /_local/faults, /_local/clock, /_local/endpoints, /_local/api-keys" } });
}

/** The admin server's request listener. */
export function adminRequestListener(routes: AdminRoutes): http.RequestListener {
  return (req, res) => {
    route(routes, req, res).catch((e: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (e instanceof BadFault) send(res, 400, { error: { code: "BadRequest", message: e.message } });
      else send(res, 500, { error: { code: "InternalError", message: String((e as Error)?.message ?? e) } });
    });
  };
}
