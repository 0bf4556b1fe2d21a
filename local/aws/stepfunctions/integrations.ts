/**
 * The Task integrations the local Step Functions service runs, and how their failures are named
 * (a Task error's `name` is what Retry/Catch `ErrorEquals` match, its `message` is the `Cause`):
 *
 * - `arn:aws:states:::lambda:invoke` → `lambda.invoke(FunctionName, JSON.stringify(Payload))`; the
 *   result is what Step Functions returns (`{ExecutedVersion, Payload, StatusCode, ...}`). A
 *   function error is named by the function's `errorType` (`Runtime.ExitError`, `Sandbox.Timedout`,
 *   `Error`, ...) with the error payload's JSON as Cause; an Invoke API failure is named
 *   `Lambda.<Exception>` (`Lambda.ResourceNotFoundException`, `Lambda.ServiceException`, ...).
 * - A Lambda function ARN as the Resource (the original, non-optimized form): the state input is
 *   the payload and the result is the function's answer, errors named as above.
 * - `arn:aws:states:::dynamodb:getItem|putItem|updateItem|deleteItem` → the real DynamoDB client
 *   against the local endpoint; the result is the API output without `$metadata`; errors are named
 *   `DynamoDB.<Exception>` (ValidationException as `DynamoDB.AmazonDynamoDBException`, as on AWS).
 *
 * - `arn:aws:states:::ecs:runTask`, `.sync` and `.waitForTaskToken` → the local ECS service (see
 *   ecs.ts; the tokens are taskTokens.ts').
 *
 * Anything else (other services, `aws-sdk:*` integrations, `.sync` / `.waitForTaskToken` of other
 * services, activities) is refused by `classifyResource`, so a state machine that uses one fails
 * when it is created instead of reaching a real AWS endpoint when it runs.
 */
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { randomUUID } from "node:crypto";
import type { InvokeResult, LambdaService } from "../types";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../types";
import { ecsDefinitionProblem, ecsIntegration } from "./ecs";
import type { EcsIntegration, TaskContext } from "./ecs";
import { runtimeError, taskError } from "./errors";

export type { TaskContext } from "./ecs";

/** A local Task handler: the state's resolved input in, its result out (errors named as above). */
export type TaskHandler = (input: unknown, ctx: TaskContext) => Promise<unknown>;

// ---------------------------------------------------------------------------------------------
// Errors (errors.ts; re-exported here for the service and the tests)

export { runtimeError, taskError, UncatchableError } from "./errors";

// ---------------------------------------------------------------------------------------------
// Resources

export type DynamoDbAction = "getItem" | "putItem" | "updateItem" | "deleteItem";

export type TaskIntegration =
  | { kind: "lambda:invoke"; resource: string }
  | { kind: "lambda:function"; resource: string }
  | { kind: "dynamodb"; resource: string; action: DynamoDbAction }
  | EcsIntegration;

const PARTITION = "aws(?:-[a-z]+)*";
const LAMBDA_INVOKE = new RegExp(`^arn:${PARTITION}:states:::lambda:invoke$`);
const DYNAMODB = new RegExp(`^arn:${PARTITION}:states:::dynamodb:(getItem|putItem|updateItem|deleteItem)$`);
const AWS_SDK = new RegExp(`^arn:${PARTITION}:states:::aws-sdk:`);
const LAMBDA_FUNCTION = new RegExp(`^arn:${PARTITION}:lambda:[a-z0-9-]+:\\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$`);

export const SUPPORTED_RESOURCES =
  "arn:aws:states:::lambda:invoke, arn:aws:states:::dynamodb:getItem|putItem|updateItem|deleteItem, arn:aws:states:::ecs:runTask[.sync|.waitForTaskToken], and Lambda function ARNs";

export class UnsupportedResourceError extends Error {
  constructor(
    readonly stateName: string,
    readonly resource: string,
    reason: string,
  ) {
    super(`Task state "${stateName}" uses Resource "${resource}": ${reason} (the local Step Functions service runs ${SUPPORTED_RESOURCES})`);
    this.name = "UnsupportedResourceError";
  }
}

/**
 * What a Task's Resource runs locally; throws `UnsupportedResourceError` for anything else. `state`
 * (the Task state) lets integrations read their other fields (HeartbeatSeconds, Parameters).
 */
export function classifyResource(stateName: string, resource: unknown, state: Record<string, unknown> = {}): TaskIntegration {
  if (typeof resource !== "string" || resource === "") {
    throw new UnsupportedResourceError(stateName, String(resource), "a Task needs a Resource string");
  }
  if (LAMBDA_INVOKE.test(resource)) return { kind: "lambda:invoke", resource };
  const ecs = ecsIntegration(resource, state);
  if (ecs) {
    const problem = ecsDefinitionProblem(ecs, state);
    if (problem) throw new UnsupportedResourceError(stateName, resource, problem);
    return ecs;
  }
  const dynamo = DYNAMODB.exec(resource);
  if (dynamo) return { kind: "dynamodb", resource, action: dynamo[1] as DynamoDbAction };
  if (LAMBDA_FUNCTION.test(resource)) return { kind: "lambda:function", resource };
  if (AWS_SDK.test(resource)) {
    throw new UnsupportedResourceError(stateName, resource, "AWS SDK service integrations (aws-sdk:*) are not supported locally");
  }
  if (/\.(sync(:2)?|waitForTaskToken)$/.test(resource)) {
    throw new UnsupportedResourceError(stateName, resource, "the .sync and .waitForTaskToken integration patterns are not supported locally");
  }
  if (/:activity:/.test(resource)) {
    throw new UnsupportedResourceError(stateName, resource, "activities are not supported locally");
  }
  throw new UnsupportedResourceError(stateName, resource, "this service integration is not supported locally");
}

// ---------------------------------------------------------------------------------------------
// Lambda

type Lambda = Pick<LambdaService, "invoke">;

const GENERIC_ERROR_NAMES = new Set(["Error", "TypeError", "RangeError", "SyntaxError", "ReferenceError", "AbortError", "TimeoutError", "SystemError"]);
const LAMBDA_STATUS: Record<string, number> = {
  ResourceNotFoundException: 404,
  TooManyRequestsException: 429,
  ServiceException: 500,
  AWSLambdaException: 500,
  SdkClientException: 500,
};

function lambdaCause(message: string, code: string): string {
  const status = LAMBDA_STATUS[code] ?? 400;
  return `${message} (Service: AWSLambda; Status Code: ${status}; Error Code: ${code}; Request ID: ${randomUUID()}; Proxy: null)`;
}

/** The exception name of an Invoke API failure thrown by the Lambda service (or its SDK). */
function lambdaExceptionName(err: unknown): string {
  const e = (err ?? {}) as { name?: unknown; code?: unknown; __type?: unknown; message?: unknown };
  for (const candidate of [e.__type, e.name, e.code]) {
    if (typeof candidate !== "string") continue;
    const name = candidate.replace(/^.*#/, "").replace(/:.*$/, "").replace(/^Lambda\./, "");
    if (/^[A-Z][A-Za-z0-9]*(Exception|Error|Fault)$/.test(name) && !GENERIC_ERROR_NAMES.has(name)) return name;
  }
  if (typeof e.code === "string" && /^E[A-Z]+$/.test(e.code)) return "SdkClientException"; // ECONNREFUSED & co
  const message = typeof e.message === "string" ? e.message : "";
  if (/not found|does not exist|no such function|unknown function/i.test(message)) return "ResourceNotFoundException";
  return "ServiceException";
}

function lambdaApiError(err: unknown): Error {
  const code = lambdaExceptionName(err);
  const message = err instanceof Error ? err.message : String(err);
  return taskError(`Lambda.${code}`, lambdaCause(message, code));
}

/** A result with an HTTP error status and no function error: the Invoke API itself refused. */
function lambdaStatusError(result: InvokeResult): Error {
  let code: string | undefined;
  let message = result.payload;
  try {
    const body = JSON.parse(result.payload) as { __type?: unknown; code?: unknown; Type?: unknown; message?: unknown; Message?: unknown };
    const type = [body.__type, body.code].find((v): v is string => typeof v === "string");
    if (type) code = type.replace(/^.*#/, "").replace(/:.*$/, "").replace(/^Lambda\./, "");
    const text = [body.message, body.Message].find((v): v is string => typeof v === "string");
    if (text) message = text;
  } catch {
    // not JSON: keep the text
  }
  if (!code) {
    code =
      result.statusCode === 404
        ? "ResourceNotFoundException"
        : result.statusCode === 429
          ? "TooManyRequestsException"
          : result.statusCode >= 500
            ? "ServiceException"
            : "InvalidRequestContentException";
  }
  return taskError(`Lambda.${code}`, lambdaCause(message || `Invoke answered ${result.statusCode}`, code));
}

/** A function error: named by its `errorType`, the error payload (JSON text) as Cause. */
function functionError(result: InvokeResult): Error {
  let name = "Lambda.Unknown";
  try {
    const body = JSON.parse(result.payload) as { errorType?: unknown };
    if (typeof body?.errorType === "string" && body.errorType !== "") name = body.errorType;
  } catch {
    // not JSON: Lambda.Unknown
  }
  return taskError(name, result.payload);
}

function parsePayload(payload: string): unknown {
  if (payload === "" || payload === undefined) return null;
  try {
    return JSON.parse(payload);
  } catch {
    return payload;
  }
}

async function invoke(lambda: Lambda, functionName: string, payload: string, type: "RequestResponse" | "Event"): Promise<InvokeResult> {
  let result: InvokeResult;
  try {
    result = await lambda.invoke(functionName, payload, type);
  } catch (err) {
    throw lambdaApiError(err);
  }
  if (result.functionError) throw functionError(result);
  if (result.statusCode >= 400) throw lambdaStatusError(result);
  return result;
}

/** `arn:aws:states:::lambda:invoke` */
export function lambdaInvokeHandler(lambda: Lambda): (input: unknown) => Promise<unknown> {
  return async (input) => {
    if (!isObject(input)) throw runtimeError("lambda:invoke needs Parameters with FunctionName and Payload");
    const functionName = input.FunctionName;
    if (typeof functionName !== "string" || functionName === "") {
      throw runtimeError("lambda:invoke: the field 'FunctionName' is required and must be a string");
    }
    const invocationType = input.InvocationType ?? "RequestResponse";
    if (invocationType !== "RequestResponse" && invocationType !== "Event" && invocationType !== "DryRun") {
      throw runtimeError(`lambda:invoke: InvocationType must be RequestResponse, Event or DryRun, not ${JSON.stringify(invocationType)}`);
    }
    const payload = input.Payload === undefined ? "{}" : JSON.stringify(input.Payload);
    const requestId = randomUUID();
    const metadata = (status: number) => ({
      SdkHttpMetadata: {
        HttpHeaders: { "Content-Type": "application/json", "X-Amz-Executed-Version": "$LATEST", "x-amzn-RequestId": requestId },
        HttpStatusCode: status,
      },
      SdkResponseMetadata: { RequestId: requestId },
    });
    if (invocationType === "DryRun") return { ...metadata(204), StatusCode: 204, Payload: "" };
    if (invocationType === "Event") {
      await invoke(lambda, functionName, payload, "Event");
      return { ...metadata(202), StatusCode: 202, Payload: "" };
    }
    const result = await invoke(lambda, functionName, payload, "RequestResponse");
    return { ExecutedVersion: "$LATEST", Payload: parsePayload(result.payload), ...metadata(result.statusCode), StatusCode: result.statusCode };
  };
}

/** A Lambda function ARN as the Resource: the input is the payload, the answer is the result. */
export function lambdaFunctionHandler(lambda: Lambda, functionArn: string): (input: unknown) => Promise<unknown> {
  return async (input) => {
    const result = await invoke(lambda, functionArn, JSON.stringify(input ?? null), "RequestResponse");
    return parsePayload(result.payload);
  };
}

// ---------------------------------------------------------------------------------------------
// DynamoDB

const DYNAMODB_COMMANDS = {
  getItem: GetItemCommand,
  putItem: PutItemCommand,
  updateItem: UpdateItemCommand,
  deleteItem: DeleteItemCommand,
} as const;

/** One client per endpoint (the DynamoDB service may move between calls). */
export class DynamoDbClients {
  private readonly clients = new Map<string, DynamoDBClient>();

  constructor(private readonly endpoint: () => string) {}

  get(): DynamoDBClient {
    const endpoint = this.endpoint();
    let client = this.clients.get(endpoint);
    if (!client) {
      client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS } });
      this.clients.set(endpoint, client);
    }
    return client;
  }

  destroy(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }
}

/** `B`/`BS` attribute values travel as base64 text in ASL; the SDK wants bytes. */
function toSdkInput(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toSdkInput);
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === "B" && typeof value.B === "string") return { B: Buffer.from(value.B, "base64") };
  if (keys.length === 1 && keys[0] === "BS" && Array.isArray(value.BS) && value.BS.every((b) => typeof b === "string")) {
    return { BS: (value.BS as string[]).map((b) => Buffer.from(b, "base64")) };
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toSdkInput(v)]));
}

/** The SDK output as JSON: bytes back to base64, no `$metadata`. */
function toJsonOutput(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (value instanceof Set) return [...value].map(toJsonOutput);
  if (Array.isArray(value)) return value.map(toJsonOutput);
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toJsonOutput(v)]));
}

function dynamoDbError(err: unknown): Error {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number; requestId?: string } };
  const status = e?.$metadata?.httpStatusCode;
  const message = e?.message ?? String(err);
  if (status === undefined || !e.name) {
    // The request never got an answer (the endpoint is down, a socket error).
    return taskError("DynamoDB.SdkClientException", `Unable to execute HTTP request: ${message}`);
  }
  // Step Functions reports through the Java SDK: unmodelled ValidationException is its base exception.
  const type = e.name === "ValidationException" ? "AmazonDynamoDBException" : e.name;
  const cause = `${message} (Service: AmazonDynamoDBv2; Status Code: ${status}; Error Code: ${e.name}; Request ID: ${e.$metadata?.requestId ?? randomUUID()}; Proxy: null)`;
  return taskError(`DynamoDB.${type}`, cause);
}

/** `arn:aws:states:::dynamodb:<action>` */
export function dynamoDbHandler(clients: DynamoDbClients, action: DynamoDbAction): (input: unknown) => Promise<unknown> {
  const Command = DYNAMODB_COMMANDS[action] as unknown as new (input: never) => UpdateItemCommand;
  return async (input) => {
    if (!isObject(input)) throw runtimeError(`dynamodb:${action} needs Parameters (TableName, Key, ...)`);
    let client: DynamoDBClient;
    try {
      client = clients.get();
    } catch (err) {
      throw taskError("DynamoDB.SdkClientException", `No local DynamoDB endpoint: ${err instanceof Error ? err.message : String(err)}`);
    }
    let output: Record<string, unknown>;
    try {
      output = (await client.send(new Command(toSdkInput(input) as never))) as unknown as Record<string, unknown>;
    } catch (err) {
      throw dynamoDbError(err);
    }
    const { $metadata: _ignored, ...rest } = output;
    return toJsonOutput(rest);
  };
}

// ---------------------------------------------------------------------------------------------

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
