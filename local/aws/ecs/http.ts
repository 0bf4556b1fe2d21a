/**
 * The local ECS service over HTTP:
 * - the ECS JSON protocol (`POST /`, `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Action>`,
 *   awsJson1_1, through the shared ../protocols/awsJson.ts) for RunTask, StopTask, DescribeTasks,
 *   ListTasks and DescribeTaskDefinition, so `@aws-sdk/client-ecs` and `aws ecs --endpoint-url`
 *   reach it (signatures are not checked);
 * - the task metadata endpoint v4 (`GET /v4/<taskId>/<container>` and `.../task`), which the
 *   containers find in `ECS_CONTAINER_METADATA_URI_V4`.
 */
import { randomUUID } from "node:crypto";
import type * as http from "node:http";
import { answerAwsJson, type AwsJsonService } from "../protocols/awsJson";
import { EcsError } from "./errors";
import type { LocalEcsService } from "./types";

const TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113";
const TARGET = /^AmazonEC2ContainerServiceV20141113\.(\w+)$/;
const MAX_REQUEST_BYTES = 1024 * 1024;
const METADATA_PATH = /^\/v4\/([0-9a-f]{32})\/([^/?]+)(\/task)?\/?(?:\?.*)?$/;
const HOW_TO_CALL = `The local ECS service takes POST / with X-Amz-Target: ${TARGET_PREFIX}.<Action>`;

export type EcsApi = Pick<LocalEcsService, "runTask" | "stopTask" | "describeTasks" | "listTasks" | "describeTaskDefinition">;
export type MetadataLookup = (taskId: string, container: string, what: "container" | "task") => unknown;

/** The ECS JSON protocol's description of `api` for the shared awsJson layer. */
function ecsJsonService(api: EcsApi, log: (line: string) => void): AwsJsonService {
  return {
    targetPrefix: TARGET_PREFIX,
    version: "1.1",
    // Names the service in the log line of an internal error: `ecs: <Action> failed: ...`.
    serviceName: "ecs",
    operations: {
      RunTask: (body) => api.runTask(body as never),
      StopTask: (body) => api.stopTask(body as never),
      DescribeTasks: (body) => api.describeTasks(body as never),
      ListTasks: (body) => api.listTasks(body as never),
      DescribeTaskDefinition: (body) => api.describeTaskDefinition(body as never),
    },
    maxRequestBytes: MAX_REQUEST_BYTES,
    tooLarge: () => new EcsError("ClientException", "The request is too large", 413),
    internalErrorCode: "ServerException",
    // A well-formed target of an operation not served names the action; anything else says how to call.
    unknownOperation: (target) => {
      const action = TARGET.exec(target)?.[1];
      return new EcsError("UnknownOperationException", action ? `${action} is not supported by the local ECS service` : HOW_TO_CALL);
    },
    log,
  };
}

/** Answers a task metadata request (awsJson1_1's headers, the document as `application/json`). */
function answerMetadata(res: http.ServerResponse, found: unknown): void {
  const text = JSON.stringify(found === undefined ? { message: "task metadata not found" } : found);
  res.writeHead(found === undefined ? 404 : 200, {
    "Content-Type": found === undefined ? "application/x-amz-json-1.1" : "application/json",
    "Content-Length": String(Buffer.byteLength(text)),
    "x-amzn-RequestId": randomUUID(),
  });
  res.end(text);
}

export function ecsRequestHandler(api: EcsApi, metadata: MetadataLookup, log: (line: string) => void): http.RequestListener {
  const service = ecsJsonService(api, log);
  // Any request other than a POST is told how to call, whatever its target names.
  const notPost: AwsJsonService = { ...service, unknownOperation: () => new EcsError("UnknownOperationException", HOW_TO_CALL) };
  return (req, res) => {
    const meta = METADATA_PATH.exec(req.url ?? "");
    if (req.method === "GET" && meta) {
      try {
        answerMetadata(res, metadata(meta[1], decodeURIComponent(meta[2]), meta[3] ? "task" : "container"));
      } catch {
        res.destroy(); // a container name that is not valid percent-encoding
      }
      return;
    }
    answerAwsJson(req.method === "POST" ? service : notPost, req, res).catch(() => res.destroy());
  };
}
