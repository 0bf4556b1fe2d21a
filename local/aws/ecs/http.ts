/**
 * The local ECS service over HTTP:
 * - the ECS JSON protocol (`POST /`, `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Action>`,
 *   awsJson1_1) for RunTask, StopTask, DescribeTasks, ListTasks and DescribeTaskDefinition, so
 *   `@aws-sdk/client-ecs` and `aws ecs --endpoint-url` reach it (signatures are not checked);
 * - the task metadata endpoint v4 (`GET /v4/<taskId>/<container>` and `.../task`), which the
 *   containers find in `ECS_CONTAINER_METADATA_URI_V4`.
 */
import { randomUUID } from "node:crypto";
import type * as http from "node:http";
import { EcsError } from "./errors";
import type { LocalEcsService } from "./types";
import { readLimitedBody } from "../protocols/apiError";

const TARGET = /^AmazonEC2ContainerServiceV20141113\.(\w+)$/;
const MAX_REQUEST_BYTES = 1024 * 1024;

export type EcsApi = Pick<LocalEcsService, "runTask" | "stopTask" | "describeTasks" | "listTasks" | "describeTaskDefinition">;
export type MetadataLookup = (taskId: string, container: string, what: "container" | "task") => unknown;

/** Dates become epoch seconds (the awsJson timestamp format); undefined fields are dropped. */
export function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toWire(v)]));
  }
  return value;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return readLimitedBody(req, MAX_REQUEST_BYTES, () => new EcsError("ClientException", "The request is too large", 413));
}

export function ecsRequestHandler(api: EcsApi, metadata: MetadataLookup, log: (line: string) => void): http.RequestListener {
  const actions: Record<string, (body: Record<string, unknown>) => unknown> = {
    RunTask: (body) => api.runTask(body as never),
    StopTask: (body) => api.stopTask(body as never),
    DescribeTasks: (body) => api.describeTasks(body as never),
    ListTasks: (body) => api.listTasks(body as never),
    DescribeTaskDefinition: (body) => api.describeTaskDefinition(body as never),
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        "Content-Type": "application/x-amz-json-1.1",
        "Content-Length": String(Buffer.byteLength(text)),
        "x-amzn-RequestId": requestId,
        ...headers,
      });
      res.end(text);
    };

    const meta = /^\/v4\/([0-9a-f]{32})\/([^/?]+)(\/task)?\/?(?:\?.*)?$/.exec(req.url ?? "");
    if (req.method === "GET" && meta) {
      const found = metadata(meta[1], decodeURIComponent(meta[2]), meta[3] ? "task" : "container");
      if (found === undefined) send(404, { message: "task metadata not found" });
      else send(200, found, { "Content-Type": "application/json" });
      return;
    }

    let action = "?";
    try {
      const target = req.headers["x-amz-target"];
      const m = typeof target === "string" ? TARGET.exec(target) : null;
      if (req.method !== "POST" || !m) {
        throw new EcsError("UnknownOperationException", "The local ECS service takes POST / with X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Action>");
      }
      action = m[1];
      const run = actions[action];
      if (!run) throw new EcsError("UnknownOperationException", `${action} is not supported by the local ECS service`);
      const text = await readBody(req);
      let body: unknown;
      try {
        body = text.trim() === "" ? {} : JSON.parse(text);
      } catch {
        throw new EcsError("SerializationException", "The request body is not JSON");
      }
      if (typeof body !== "object" || body === null || Array.isArray(body)) throw new EcsError("SerializationException", "The request body is not a JSON object");
      send(200, toWire(await run(body as Record<string, unknown>)));
    } catch (err) {
      if (err instanceof EcsError) {
        send(err.statusCode, { __type: err.code, message: err.message }, { "x-amzn-ErrorType": err.code });
      } else {
        log(`ecs: ${action} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        send(500, { __type: "ServerException", message: err instanceof Error ? err.message : String(err) }, { "x-amzn-ErrorType": "ServerException" });
      }
    }
  }

  return (req, res) => {
    handle(req, res).catch(() => res.destroy());
  };
}
