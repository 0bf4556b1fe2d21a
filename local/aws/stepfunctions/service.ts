/**
 * The local Step Functions service: runs the program's state machines with aws-local-stepfunctions
 * (every Task through a local integration, see integrations.ts) and serves the Step Functions
 * JSON protocol (`POST /`, `X-Amz-Target: AWSStepFunctions.<Action>`, awsJson1_0) on a loopback
 * port, so `@aws-sdk/client-sfn` and `aws stepfunctions --endpoint-url` reach it.
 *
 * Executions live in memory. StartExecution answers at once and the execution runs in the
 * background; STANDARD executions can be described, listed, stopped and their history read;
 * EXPRESS ones answer those calls as AWS does (InvalidArn / StateMachineTypeNotSupported), while the
 * programmatic `describeExecution` / `waitForExecution` work for both.
 *
 * Callbacks: `$$.Task.Token` mints a task token (taskTokens.ts) that SendTaskSuccess,
 * SendTaskFailure and SendTaskHeartbeat answer, through the API or in process; the tokens of an
 * execution stop working when it ends.
 */
import "./polyfill";
import { randomUUID } from "node:crypto";
import * as http from "node:http";
import { StateMachine } from "aws-local-stepfunctions";
import type { StateMachineDefinition } from "aws-local-stepfunctions";
import type { EcsTaskRunner } from "../ecs/types";
import type { EventsSink, LambdaService, LocalStateMachineConfig, StepFunctionsService } from "../types";
import { engineDefinition, InvalidDefinitionError, taskIntegrations, withEntryHook } from "./definition";
import { ecsRunTaskHandler } from "./ecs";
import { SfnError } from "./errors";
import { historyEvent } from "./history";
import type { EngineEvent, HistoryEvent } from "./history";
import { DynamoDbClients, dynamoDbHandler, lambdaFunctionHandler, lambdaInvokeHandler, runtimeError, taskError, UncatchableError } from "./integrations";
import type { TaskHandler, TaskIntegration } from "./integrations";
import { TaskTokens } from "./taskTokens";
import { close, listen } from "../protocols/listen";
import { readLimitedBody } from "../protocols/apiError";
import type { UsageMeter } from "../../usage/meter";
import { executionJobIds, expressBilledMs, meterExecution } from "../../usage/stepfunctions";

export type { HistoryEvent } from "./history";
export { SfnError } from "./errors";

// ---------------------------------------------------------------------------------------------
// Public types

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";

export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  /** JSON text. */
  input: string;
  /** JSON text (SUCCEEDED). */
  output?: string;
  error?: string;
  cause?: string;
}

export interface StartExecutionInput {
  stateMachineArn: string;
  /** Default: a random UUID. */
  name?: string;
  /** JSON text; default `{}`. */
  input?: string;
}

export interface StartExecutionOutput {
  executionArn: string;
  startDate: Date;
}

export interface StepFunctionsServiceOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  lambda: Pick<LambdaService, "invoke">;
  /** The local DynamoDB endpoint, read at each DynamoDB Task. */
  dynamodbEndpoint: () => string;
  log?: (line: string) => void;
  /**
   * Where "Step Functions Execution Status Change" events go (to the `default` bus), as AWS sends
   * them for STANDARD executions: when one starts (RUNNING) and when it ends (SUCCEEDED, FAILED,
   * TIMED_OUT, ABORTED). None are sent while the service stops. Read at each event.
   */
  events?: () => EventsSink | undefined;
  /**
   * The local ECS service that `arn:aws:states:::ecs:runTask[.sync|.waitForTaskToken]` Tasks run
   * on; read at each such Task (services start in some order). Without it, those Tasks fail with
   * a States.Runtime error saying so.
   */
  ecs?: () => EcsTaskRunner | undefined;
  /** The cost meter: STANDARD state transitions, EXPRESS requests and GB-seconds (usage.ts). */
  meter?: UsageMeter;
}

/** The `detail-type` of Step Functions' execution events. */
export const EXECUTION_STATUS_CHANGE = "Step Functions Execution Status Change";

export interface LocalStepFunctionsService extends StepFunctionsService {
  /** StartExecution (same rules and errors as the API). */
  startExecution(input: StartExecutionInput): StartExecutionOutput;
  /** Any execution, EXPRESS ones included; throws `SfnError` ExecutionDoesNotExist. */
  describeExecution(executionArn: string): ExecutionDescription;
  /** StopExecution; EXPRESS executions can be stopped this way too (not through the API). */
  stopExecution(executionArn: string, options?: { error?: string; cause?: string }): { stopDate: Date };
  /** Newest first. */
  listExecutions(stateMachineArn: string, statusFilter?: ExecutionStatus): ExecutionDescription[];
  getExecutionHistory(executionArn: string): HistoryEvent[];
  /** Resolves when the execution has ended (or rejects after `timeoutMs`, default 60 s). */
  waitForExecution(executionArn: string, timeoutMs?: number): Promise<ExecutionDescription>;
  /** SendTaskSuccess: `output` is JSON text. Throws `SfnError` (InvalidToken, TaskDoesNotExist, TaskTimedOut, InvalidOutput). */
  sendTaskSuccess(taskToken: string, output: string): void;
  /** SendTaskFailure: the waiting state fails with `error` and `cause`. */
  sendTaskFailure(taskToken: string, failure?: { error?: string; cause?: string }): void;
  /** SendTaskHeartbeat: restarts the waiting state's HeartbeatSeconds clock. */
  sendTaskHeartbeat(taskToken: string): void;
}

// ---------------------------------------------------------------------------------------------
// Internals

interface Machine {
  arn: string;
  name: string;
  /** `arn:aws:states:<region>:<account>` */
  arnPrefix: string;
  type: "STANDARD" | "EXPRESS";
  roleArn: string;
  definitionText: string;
  engine: StateMachineDefinition;
  tasks: Map<string, TaskIntegration>;
  handlers: Map<string, TaskHandler>;
  creationDate: Date;
}

interface Execution {
  arn: string;
  name: string;
  machine: Machine;
  input: string;
  startDate: Date;
  stopDate?: Date;
  status: ExecutionStatus;
  output?: string;
  error?: string;
  cause?: string;
  events: HistoryEvent[];
  done: Promise<void>;
  abort(error?: string, cause?: string): void;
}

const ARN = /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):(stateMachine|execution|express):(.+)$/;
const INVALID_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/; // eslint-disable-line no-control-regex
const MAX_INPUT_BYTES = 256 * 1024;
const MAX_REQUEST_BYTES = 2 * 1024 * 1024;
/** SendTaskSuccess/SendTaskFailure limits (characters). */
const MAX_TOKEN_CHARS = 2048;
const MAX_OUTPUT_CHARS = 256 * 1024;
const MAX_ERROR_CHARS = 256;
const MAX_CAUSE_CHARS = 32768;

const TERMINAL_ERROR = "ExecutionStopped";

function arnType(arn: string): string {
  const m = ARN.exec(arn);
  if (!m) throw new SfnError("InvalidArn", `Invalid Arn: '${arn}'`);
  return m[4];
}

function expectArnType(arn: string, type: "stateMachine" | "execution"): void {
  const actual = arnType(arn);
  if (actual !== type) throw new SfnError("InvalidArn", `Invalid Arn: 'Resource type not valid in this context: ${actual}'`);
}

function checkName(name: string): void {
  if (name.length < 1 || name.length > 80 || INVALID_NAME.test(name)) throw new SfnError("InvalidName", `Invalid Name: '${name}'`);
}

function describe(e: Execution): ExecutionDescription {
  const out: ExecutionDescription = {
    executionArn: e.arn,
    stateMachineArn: e.machine.arn,
    name: e.name,
    status: e.status,
    startDate: e.startDate,
    input: e.input,
  };
  if (e.stopDate) out.stopDate = e.stopDate;
  if (e.output !== undefined) out.output = e.output;
  if (e.error !== undefined) out.error = e.error;
  if (e.cause !== undefined) out.cause = e.cause;
  return out;
}

/** Dates become epoch seconds (the awsJson timestamp format); undefined fields are dropped. */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toWire(v)]));
  }
  return value;
}

function requiredString(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (typeof value !== "string" || value === "") {
    throw new SfnError("ValidationException", `1 validation error detected: Value null at '${key}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new SfnError("SerializationException", `${key} must be a string`);
  return value;
}

/** `nextToken` paging over an in-memory list. */
function page<T>(items: T[], body: Record<string, unknown>, defaultSize = 100): { page: T[]; nextToken?: string } {
  const max = body.maxResults === undefined || body.maxResults === 0 ? defaultSize : Number(body.maxResults);
  if (!Number.isInteger(max) || max < 0 || max > 1000) {
    throw new SfnError("ValidationException", `1 validation error detected: Value '${String(body.maxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`);
  }
  let start = 0;
  if (body.nextToken !== undefined && body.nextToken !== null) {
    const decoded = Number(Buffer.from(String(body.nextToken), "base64url").toString("utf8"));
    if (!Number.isInteger(decoded) || decoded < 0 || decoded > items.length) throw new SfnError("InvalidToken", "Invalid Token: 'Invalid token'");
    start = decoded;
  }
  const slice = items.slice(start, start + max);
  const next = start + max;
  return next < items.length ? { page: slice, nextToken: Buffer.from(String(next), "utf8").toString("base64url") } : { page: slice };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return readLimitedBody(req, MAX_REQUEST_BYTES, () => new SfnError("ValidationException", "The request is too large", 413));
}

// ---------------------------------------------------------------------------------------------
// The service

export async function startStepFunctionsService(options: StepFunctionsServiceOptions): Promise<LocalStepFunctionsService> {
  const log = options.log ?? (() => undefined);
  const machines = new Map<string, Machine>();
  const executions = new Map<string, Execution>();
  const dynamo = new DynamoDbClients(options.dynamodbEndpoint);
  const tokens = new TaskTokens();
  let stopping: Promise<void> | undefined;

  function handlerFor(integration: TaskIntegration): TaskHandler {
    switch (integration.kind) {
      case "lambda:invoke":
        return lambdaInvokeHandler(options.lambda);
      case "lambda:function":
        return lambdaFunctionHandler(options.lambda, integration.resource);
      case "dynamodb":
        return dynamoDbHandler(dynamo, integration.action);
      case "ecs:runTask":
        return ecsRunTaskHandler(integration, { ecs: () => options.ecs?.(), tokens, log });
    }
  }

  function machineOf(arn: string): Machine {
    const machine = machines.get(arn);
    if (!machine) throw new SfnError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  /** A STANDARD execution's status change, on the default bus (best effort, as on AWS). */
  function emitStatusChange(execution: Execution): void {
    const sink = options.events?.();
    if (!sink || stopping || execution.machine.type !== "STANDARD") return;
    const ended = execution.status !== "RUNNING";
    const detail = {
      executionArn: execution.arn,
      stateMachineArn: execution.machine.arn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate.getTime(),
      stopDate: ended ? (execution.stopDate ?? new Date()).getTime() : null,
      input: execution.input,
      output: execution.status === "SUCCEEDED" ? (execution.output ?? null) : null,
      inputDetails: { included: true },
      outputDetails: execution.status === "SUCCEEDED" ? { included: true } : null,
      error: execution.error ?? null,
      cause: execution.cause ?? null,
      redriveCount: 0,
    };
    sink
      .publish("default", { source: "aws.states", detailType: EXECUTION_STATUS_CHANGE, detail, resources: [execution.arn], time: ended ? execution.stopDate : execution.startDate })
      .catch((err) => log(`sfn: the ${execution.status} event of ${execution.name} was not delivered: ${(err as Error).message}`));
  }

  function executionOf(arn: string): Execution {
    const execution = executions.get(arn);
    if (!execution) throw new SfnError("ExecutionDoesNotExist", `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  // -------------------------------------------------------------------------------------------
  // State machines

  async function createStateMachine(config: LocalStateMachineConfig): Promise<void> {
    if (stopping) throw new Error("The local Step Functions service is stopped");
    const where = `state machine ${config.name}`;
    const m = ARN.exec(config.arn);
    if (!m || m[4] !== "stateMachine") throw new Error(`${where}: ${config.arn} is not a state machine ARN`);
    if (config.type !== "STANDARD" && config.type !== "EXPRESS") throw new Error(`${where}: type must be STANDARD or EXPRESS, not ${String(config.type)}`);
    let definition: Record<string, unknown>;
    try {
      definition = JSON.parse(config.definition) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`${where}: the definition is not JSON: ${(err as Error).message}`);
    }
    if (typeof definition !== "object" || definition === null || Array.isArray(definition)) throw new Error(`${where}: the definition is not a JSON object`);
    let tasks: Map<string, TaskIntegration>;
    try {
      tasks = taskIntegrations(definition);
    } catch (err) {
      if (err instanceof InvalidDefinitionError || (err as Error).name === "UnsupportedResourceError") throw new Error(`${where}: ${(err as Error).message}`);
      throw err;
    }
    try {
      // asl-validator (inside the engine's constructor) annotates what it is given: hand it a copy.
      new StateMachine(structuredClone(definition) as unknown as StateMachineDefinition);
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
    if (config.type === "EXPRESS") {
      for (const [state, integration] of tasks) {
        if (integration.kind === "ecs:runTask" && integration.pattern !== "request") {
          throw new Error(`${where}: Task state "${state}" uses ${integration.resource}: EXPRESS state machines do not support .sync or .waitForTaskToken`);
        }
      }
    }
    const handlers = new Map<string, TaskHandler>();
    for (const [state, integration] of tasks) handlers.set(state, handlerFor(integration));
    const previous = machines.get(config.arn);
    machines.set(config.arn, {
      arn: config.arn,
      name: m[5],
      arnPrefix: `arn:${m[1]}:states:${m[2]}:${m[3]}`,
      type: config.type,
      roleArn: config.roleArn,
      definitionText: config.definition,
      engine: engineDefinition(definition, config.type),
      tasks,
      handlers,
      creationDate: previous?.creationDate ?? new Date(),
    });
    log(`sfn: ${previous ? "updated" : "created"} ${config.type} state machine ${m[5]} (${tasks.size} Task state${tasks.size === 1 ? "" : "s"})`);
  }

  // -------------------------------------------------------------------------------------------
  // Executions

  function launch(machine: Machine, arn: string, name: string, inputText: string, input: unknown, jobIds: string[]): Execution {
    const usage = meterExecution(options.meter, machine, jobIds);
    const handlersAbort = new AbortController();
    let enteredTime = new Date().toISOString();
    let stateName = "";
    let attempts = 0;
    const definition = withEntryHook(machine.engine, (state) => {
      enteredTime = new Date().toISOString();
      stateName = state;
      attempts = 0;
    });
    const engine = new StateMachine(definition, { validationOptions: { noValidate: true } });

    // Every Task runs a local handler; one the service did not build fails (never a real Lambda).
    const guarded: Record<string, TaskHandler> = {};
    for (const [state, handler] of machine.handlers) {
      guarded[state] = (taskInput) => {
        attempts++;
        const signal = handlersAbort.signal;
        if (signal.aborted) return Promise.reject(new UncatchableError(TERMINAL_ERROR, "The execution was stopped"));
        return new Promise((resolve, reject) => {
          const onAbort = () => reject(new UncatchableError(TERMINAL_ERROR, "The execution was stopped"));
          signal.addEventListener("abort", onAbort, { once: true });
          Promise.resolve()
            .then(() => handler(taskInput, { executionArn: arn, stateName: state, signal }))
            .then(resolve, reject)
            .finally(() => signal.removeEventListener("abort", onAbort));
        });
      };
    }
    const localHandlers = new Proxy(guarded, {
      get(target, key) {
        if (typeof key !== "string") return undefined;
        return target[key] ?? (() => Promise.reject(runtimeError(`Task state "${key}" has no local integration`)));
      },
    });

    const context = {
      Execution: { Id: arn, Name: name, RoleArn: machine.roleArn, RedriveCount: 0 },
      StateMachine: { Id: machine.arn, Name: machine.name },
      // Each read mints a token; the Task handler claims the ones its Parameters hold (taskTokens.ts).
      Task: {
        get Token() {
          return tokens.mint(arn);
        },
      },
      // The engine copies the context one level deep: these getters stay live.
      State: {
        get EnteredTime() {
          return enteredTime;
        },
        get Name() {
          return stateName;
        },
        get RetryCount() {
          return Math.max(0, attempts);
        },
      },
    };

    const execution: Execution = {
      arn,
      name,
      machine,
      input: inputText,
      startDate: new Date(),
      status: "RUNNING",
      events: [],
      done: Promise.resolve(),
      abort: () => undefined,
    };
    const run = engine.run(input as never, {
      overrides: { taskResourceLocalHandlers: localHandlers as never },
      context: context as never,
    });
    execution.abort = (error, cause) => {
      if (execution.status !== "RUNNING") return;
      execution.status = "ABORTED";
      execution.stopDate = new Date();
      execution.error = error;
      execution.cause = cause;
      run.abort();
      handlersAbort.abort();
    };

    const historyContext = {
      roleArn: machine.roleArn,
      tasks: machine.tasks,
      stopped: () => ({ error: execution.error, cause: execution.cause }),
    };
    // The engine closes its log (synchronously) before the result settles, on every ending.
    const logged = (async () => {
      for await (const event of run.eventLogs as AsyncGenerator<EngineEvent>) {
        usage.onEvent(event);
        const converted = historyEvent(event, historyContext);
        if (!converted) continue;
        const id = execution.events.length + 1;
        execution.events.push({ id, previousEventId: id - 1, ...converted });
      }
    })().catch(() => undefined);

    const finish = (status: ExecutionStatus, fields: { output?: string; error?: string; cause?: string } = {}) => {
      if (execution.status !== "RUNNING") return;
      execution.status = status;
      execution.stopDate = new Date();
      Object.assign(execution, fields);
    };
    execution.done = run.result
      .then(
        (output) => finish("SUCCEEDED", { output: JSON.stringify(output ?? null) }),
        (err: Error & { cause?: unknown }) => {
          if (err?.name === "ExecutionAbortedError") return finish("ABORTED");
          if (err?.name === "ExecutionTimeoutError") return finish("TIMED_OUT", { error: "States.Timeout", cause: "The execution timed out" });
          const inner = err?.name === "ExecutionError" && err.cause instanceof Error ? err.cause : err;
          return finish("FAILED", { error: inner?.name || "States.Runtime", cause: inner?.message });
        },
      )
      // Done once the history (and the meter) hold every event of the execution.
      .then(() => logged)
      .finally(() => {
        handlersAbort.abort(); // a Task still running (the execution timed out) is let go
        tokens.closeExecution(arn, new UncatchableError(TERMINAL_ERROR, "The execution ended"));
        const ms = (execution.stopDate ?? new Date()).getTime() - execution.startDate.getTime();
        usage.ended(ms);
        const why = execution.error ? ` (${execution.error}${execution.cause ? `: ${execution.cause.slice(0, 200)}` : ""})` : "";
        log(`sfn: ${machine.name}/${name} ${execution.status} in ${ms} ms${why}`);
        emitStatusChange(execution);
      });
    executions.set(arn, execution);
    log(`sfn: started ${machine.name}/${name}`);
    emitStatusChange(execution);
    return execution;
  }

  function startExecution(request: StartExecutionInput): StartExecutionOutput {
    if (stopping) throw new SfnError("ServiceUnavailable", "The local Step Functions service is stopped", 503);
    expectArnType(request.stateMachineArn, "stateMachine");
    const machine = machineOf(request.stateMachineArn);
    const name = request.name ?? randomUUID();
    checkName(name);
    const inputText = request.input ?? "{}";
    if (Buffer.byteLength(inputText, "utf8") > MAX_INPUT_BYTES) {
      throw new SfnError("InvalidExecutionInput", `Invalid State Machine Execution Input: the input is larger than ${MAX_INPUT_BYTES} bytes`);
    }
    let input: unknown;
    try {
      input = JSON.parse(inputText);
    } catch (err) {
      throw new SfnError("InvalidExecutionInput", `Invalid State Machine Execution Input: '${(err as Error).message}'`);
    }
    const jobIds = executionJobIds(inputText, request.name);
    if (machine.type === "EXPRESS") {
      const execution = launch(machine, `${machine.arnPrefix}:express:${machine.name}:${name}:${randomUUID()}`, name, inputText, input, jobIds);
      return { executionArn: execution.arn, startDate: execution.startDate };
    }
    const arn = `${machine.arnPrefix}:execution:${machine.name}:${name}`;
    const existing = executions.get(arn);
    if (existing) {
      // AWS: idempotent for a RUNNING execution with the same input; otherwise the name is taken.
      if (existing.status === "RUNNING" && existing.input === inputText) return { executionArn: existing.arn, startDate: existing.startDate };
      throw new SfnError("ExecutionAlreadyExists", `Execution Already Exists: '${arn}'`);
    }
    const execution = launch(machine, arn, name, inputText, input, jobIds);
    return { executionArn: execution.arn, startDate: execution.startDate };
  }

  function stopExecution(executionArn: string, stop: { error?: string; cause?: string } = {}): { stopDate: Date } {
    const execution = executionOf(executionArn);
    execution.abort(stop.error, stop.cause);
    return { stopDate: execution.stopDate ?? new Date() };
  }

  function listExecutions(stateMachineArn: string, statusFilter?: ExecutionStatus): ExecutionDescription[] {
    return [...executions.values()]
      .filter((e) => e.machine.arn === stateMachineArn && (!statusFilter || e.status === statusFilter))
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime())
      .map(describe);
  }

  async function waitForExecution(executionArn: string, timeoutMs = 60_000): Promise<ExecutionDescription> {
    const execution = executionOf(executionArn);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        execution.done,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${executionArn} still ${execution.status} after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    return describe(execution);
  }

  // -------------------------------------------------------------------------------------------
  // Callbacks (task tokens)

  function checkLength(field: string, value: string, max: number): void {
    if (value.length > max) {
      throw new SfnError("ValidationException", `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${max}`);
    }
  }

  function checkToken(taskToken: string): void {
    if (typeof taskToken !== "string" || taskToken === "") {
      throw new SfnError("ValidationException", "1 validation error detected: Value null at 'taskToken' failed to satisfy constraint: Member must not be null");
    }
    checkLength("taskToken", taskToken, MAX_TOKEN_CHARS);
    tokens.checkFormat(taskToken);
  }

  function sendTaskSuccess(taskToken: string, output: string): void {
    checkToken(taskToken);
    if (typeof output !== "string") {
      throw new SfnError("ValidationException", "1 validation error detected: Value null at 'output' failed to satisfy constraint: Member must not be null");
    }
    checkLength("output", output, MAX_OUTPUT_CHARS);
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch (err) {
      throw new SfnError("InvalidOutput", `Invalid Output: '${(err as Error).message}'`);
    }
    tokens.succeed(taskToken, parsed);
  }

  function sendTaskFailure(taskToken: string, failure: { error?: string; cause?: string } = {}): void {
    checkToken(taskToken);
    checkLength("error", failure.error ?? "", MAX_ERROR_CHARS);
    checkLength("cause", failure.cause ?? "", MAX_CAUSE_CHARS);
    tokens.fail(taskToken, taskError(failure.error ?? "", failure.cause ?? ""));
  }

  function sendTaskHeartbeat(taskToken: string): void {
    checkToken(taskToken);
    tokens.heartbeat(taskToken);
  }

  // -------------------------------------------------------------------------------------------
  // The API

  /** STANDARD-only actions refuse EXPRESS execution ARNs as AWS does. */
  function standardExecution(body: Record<string, unknown>): Execution {
    const arn = requiredString(body, "executionArn");
    expectArnType(arn, "execution");
    return executionOf(arn);
  }

  const actions: Record<string, (body: Record<string, unknown>) => unknown> = {
    SendTaskSuccess(body) {
      sendTaskSuccess(requiredString(body, "taskToken"), optionalString(body, "output") as string);
      return {};
    },
    SendTaskFailure(body) {
      sendTaskFailure(requiredString(body, "taskToken"), { error: optionalString(body, "error"), cause: optionalString(body, "cause") });
      return {};
    },
    SendTaskHeartbeat(body) {
      sendTaskHeartbeat(requiredString(body, "taskToken"));
      return {};
    },
    StartExecution(body) {
      return startExecution({
        stateMachineArn: requiredString(body, "stateMachineArn"),
        name: optionalString(body, "name"),
        input: optionalString(body, "input"),
      });
    },
    StartSyncExecution: async (body) => {
      const stateMachineArn = requiredString(body, "stateMachineArn");
      expectArnType(stateMachineArn, "stateMachine");
      if (machineOf(stateMachineArn).type !== "EXPRESS") {
        throw new SfnError("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine");
      }
      const started = startExecution({ stateMachineArn, name: optionalString(body, "name"), input: optionalString(body, "input") });
      const done = await waitForExecution(started.executionArn, 5 * 60_000 + 10_000);
      return {
        ...done,
        inputDetails: { included: true },
        ...(done.output !== undefined ? { outputDetails: { included: true } } : {}),
        billingDetails: { billedMemoryUsedInMB: 64, billedDurationInMilliseconds: expressBilledMs((done.stopDate?.getTime() ?? 0) - done.startDate.getTime()) },
      };
    },
    DescribeExecution(body) {
      const execution = standardExecution(body);
      const out = describe(execution);
      return {
        ...out,
        inputDetails: { included: true },
        ...(out.output !== undefined ? { outputDetails: { included: true } } : {}),
        redriveCount: 0,
        redriveStatus: "NOT_REDRIVABLE",
      };
    },
    StopExecution(body) {
      const execution = standardExecution(body);
      return stopExecution(execution.arn, { error: optionalString(body, "error"), cause: optionalString(body, "cause") });
    },
    ListExecutions(body) {
      const stateMachineArn = requiredString(body, "stateMachineArn");
      expectArnType(stateMachineArn, "stateMachine");
      if (machineOf(stateMachineArn).type !== "STANDARD") {
        throw new SfnError("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine");
      }
      const status = optionalString(body, "statusFilter") as ExecutionStatus | undefined;
      const all = listExecutions(stateMachineArn, status).map((e) => ({
        executionArn: e.executionArn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: e.startDate,
        stopDate: e.stopDate,
        redriveCount: 0,
      }));
      const { page: executionsPage, nextToken } = page(all, body);
      return { executions: executionsPage, nextToken };
    },
    GetExecutionHistory(body) {
      const execution = standardExecution(body);
      const includeData = body.includeExecutionData !== false;
      let events = execution.events.map((e) => (includeData ? e : withoutData(e)));
      if (body.reverseOrder === true) events = [...events].reverse();
      const { page: eventsPage, nextToken } = page(events, body);
      return { events: eventsPage, nextToken };
    },
    DescribeStateMachine(body) {
      const arn = requiredString(body, "stateMachineArn");
      expectArnType(arn, "stateMachine");
      const machine = machineOf(arn);
      return {
        stateMachineArn: machine.arn,
        name: machine.name,
        status: "ACTIVE",
        definition: machine.definitionText,
        roleArn: machine.roleArn,
        type: machine.type,
        creationDate: machine.creationDate,
        loggingConfiguration: { level: "OFF", includeExecutionData: false },
        tracingConfiguration: { enabled: false },
      };
    },
    DescribeStateMachineForExecution(body) {
      const execution = standardExecution(body);
      const machine = execution.machine;
      return { stateMachineArn: machine.arn, name: machine.name, definition: machine.definitionText, roleArn: machine.roleArn, updateDate: machine.creationDate };
    },
    ListStateMachines(body) {
      const all = [...machines.values()]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((m) => ({ stateMachineArn: m.arn, name: m.name, type: m.type, creationDate: m.creationDate }));
      const { page: machinesPage, nextToken } = page(all, body);
      return { stateMachines: machinesPage, nextToken };
    },
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        "Content-Type": "application/x-amz-json-1.0",
        "Content-Length": String(Buffer.byteLength(text)),
        "x-amzn-RequestId": requestId,
        ...headers,
      });
      res.end(text);
    };
    let action = "?";
    try {
      const target = req.headers["x-amz-target"];
      const m = typeof target === "string" ? /^AWSStepFunctions\.(\w+)$/.exec(target) : null;
      if (req.method !== "POST" || !m) {
        throw new SfnError("UnknownOperationException", "The local Step Functions service takes POST / with X-Amz-Target: AWSStepFunctions.<Action>");
      }
      action = m[1];
      const run = actions[action];
      if (!run) throw new SfnError("UnknownOperationException", `${action} is not supported by the local Step Functions service`);
      const text = await readBody(req);
      let body: unknown;
      try {
        body = text.trim() === "" ? {} : JSON.parse(text);
      } catch {
        throw new SfnError("SerializationException", "The request body is not JSON");
      }
      if (typeof body !== "object" || body === null || Array.isArray(body)) throw new SfnError("SerializationException", "The request body is not a JSON object");
      send(200, toWire(await run(body as Record<string, unknown>)));
    } catch (err) {
      if (err instanceof SfnError) {
        send(err.statusCode, { __type: err.code, message: err.message }, { "x-amzn-ErrorType": err.code });
      } else {
        log(`sfn: ${action} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        send(500, { __type: "InternalFailure", message: err instanceof Error ? err.message : String(err) }, { "x-amzn-ErrorType": "InternalFailure" });
      }
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  const { endpoint } = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");

  async function stop(): Promise<void> {
    stopping ??= (async () => {
      const running = [...executions.values()].filter((e) => e.status === "RUNNING");
      for (const e of running) e.abort(undefined, "The local Step Functions service stopped");
      await Promise.all(running.map((e) => e.done));
      // The engine unwinds an aborted execution (and clears its timers) within this turn.
      await new Promise((resolve) => setImmediate(resolve));
      await close(server);
      dynamo.destroy();
    })();
    return stopping;
  }

  return {
    endpoint,
    stop,
    createStateMachine,
    startExecution,
    describeExecution: (arn) => describe(executionOf(arn)),
    stopExecution,
    listExecutions: (arn, status) => {
      machineOf(arn);
      return listExecutions(arn, status);
    },
    getExecutionHistory: (arn) => executionOf(arn).events.map((e) => ({ ...e })),
    waitForExecution,
    sendTaskSuccess,
    sendTaskFailure,
    sendTaskHeartbeat,
  };
}

function withoutData(event: HistoryEvent): HistoryEvent {
  const copy: HistoryEvent = { ...event };
  for (const [key, value] of Object.entries(copy)) {
    if (key.endsWith("EventDetails") && typeof value === "object" && value !== null) {
      const details = { ...(value as Record<string, unknown>) };
      delete details.input;
      delete details.output;
      copy[key] = details;
    }
  }
  return copy;
}
