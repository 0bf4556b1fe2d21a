/**
 * The local Step Functions service's state and in-process operations: the state machines and
 * executions it holds (in memory), and the calls that `LocalStepFunctionsService` exposes. The API
 * operations (operations/) call these; http.ts puts them on the wire.
 */
import "./polyfill";
import { randomUUID } from "node:crypto";
import type { LocalStateMachineConfig } from "../types";
import { executionJobIds } from "../../usage/stepfunctions";
import * as callbacks from "./callbacks";
import { SfnError } from "./errors";
import type { HistoryEvent } from "./history";
import { DynamoDbClients } from "./integrations";
import { launchExecution } from "./launch";
import type { ExecutionStart } from "./launch";
import { checkName, describe, expectArnType } from "./model";
import type { Execution, Machine } from "./model";
import { buildMachine } from "./stateMachines";
import type { HandlerDependencies } from "./stateMachines";
import { publishStatusChange } from "./statusEvents";
import { TaskTokens } from "./taskTokens";
import type { ExecutionDescription, ExecutionStatus, StartExecutionInput, StartExecutionOutput, StepFunctionsServiceOptions } from "./types";

const MAX_INPUT_BYTES = 256 * 1024;

export class StepFunctions {
  readonly machines = new Map<string, Machine>();
  readonly executions = new Map<string, Execution>();
  private readonly log: (line: string) => void;
  private readonly dynamo: DynamoDbClients;
  private readonly tokens = new TaskTokens();
  private readonly handlerDependencies: HandlerDependencies;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: StepFunctionsServiceOptions) {
    this.log = options.log ?? (() => undefined);
    this.dynamo = new DynamoDbClients(options.dynamodbEndpoint);
    this.handlerDependencies = { lambda: options.lambda, dynamo: this.dynamo, ecs: () => options.ecs?.(), tokens: this.tokens, log: this.log };
  }

  machineOf(arn: string): Machine {
    const machine = this.machines.get(arn);
    if (!machine) throw new SfnError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  executionOf(arn: string): Execution {
    const execution = this.executions.get(arn);
    if (!execution) throw new SfnError("ExecutionDoesNotExist", `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  async createStateMachine(config: LocalStateMachineConfig): Promise<void> {
    if (this.stopping) throw new Error("The local Step Functions service is stopped");
    const previous = this.machines.get(config.arn);
    const machine = buildMachine(config, this.handlerDependencies, previous);
    this.machines.set(config.arn, machine);
    const count = machine.tasks.size;
    this.log(`sfn: ${previous ? "updated" : "created"} ${config.type} state machine ${machine.name} (${count} Task state${count === 1 ? "" : "s"})`);
  }

  startExecution(request: StartExecutionInput): StartExecutionOutput {
    if (this.stopping) throw new SfnError("ServiceUnavailable", "The local Step Functions service is stopped", 503);
    expectArnType(request.stateMachineArn, "stateMachine");
    const machine = this.machineOf(request.stateMachineArn);
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
    const start = { name, inputText, input, jobIds: executionJobIds(inputText, request.name) };
    if (machine.type === "EXPRESS") return this.launch(machine, { ...start, arn: `${machine.arnPrefix}:express:${machine.name}:${name}:${randomUUID()}` });
    const arn = `${machine.arnPrefix}:execution:${machine.name}:${name}`;
    const existing = this.executions.get(arn);
    if (existing) {
      // AWS: idempotent for a RUNNING execution with the same input; otherwise the name is taken.
      if (existing.status === "RUNNING" && existing.input === inputText) return { executionArn: existing.arn, startDate: existing.startDate };
      throw new SfnError("ExecutionAlreadyExists", `Execution Already Exists: '${arn}'`);
    }
    return this.launch(machine, { ...start, arn });
  }

  private launch(machine: Machine, start: ExecutionStart): StartExecutionOutput {
    const execution = launchExecution(machine, start, { meter: this.options.meter, tokens: this.tokens, log: this.log, onEnded: (e) => this.emitStatusChange(e) });
    this.executions.set(execution.arn, execution);
    this.log(`sfn: started ${machine.name}/${execution.name}`);
    this.emitStatusChange(execution);
    return { executionArn: execution.arn, startDate: execution.startDate };
  }

  /** A STANDARD execution's status change, on the default bus (none while the service stops). */
  private emitStatusChange(execution: Execution): void {
    const sink = this.options.events?.();
    if (!sink || this.stopping || execution.machine.type !== "STANDARD") return;
    publishStatusChange(sink, execution, this.log);
  }

  describeExecution(executionArn: string): ExecutionDescription {
    return describe(this.executionOf(executionArn));
  }

  stopExecution(executionArn: string, stop: { error?: string; cause?: string } = {}): { stopDate: Date } {
    const execution = this.executionOf(executionArn);
    execution.abort(stop.error, stop.cause);
    return { stopDate: execution.stopDate ?? new Date() };
  }

  /** Newest first; throws StateMachineDoesNotExist for a state machine it does not hold. */
  listExecutions(stateMachineArn: string, statusFilter?: ExecutionStatus): ExecutionDescription[] {
    this.machineOf(stateMachineArn);
    return [...this.executions.values()]
      .filter((e) => e.machine.arn === stateMachineArn && (!statusFilter || e.status === statusFilter))
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime())
      .map(describe);
  }

  getExecutionHistory(executionArn: string): HistoryEvent[] {
    return this.executionOf(executionArn).events.map((e) => ({ ...e }));
  }

  async waitForExecution(executionArn: string, timeoutMs = 60_000): Promise<ExecutionDescription> {
    const execution = this.executionOf(executionArn);
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

  sendTaskSuccess(taskToken: string, output: string): void {
    callbacks.sendTaskSuccess(this.tokens, taskToken, output);
  }

  sendTaskFailure(taskToken: string, failure: { error?: string; cause?: string } = {}): void {
    callbacks.sendTaskFailure(this.tokens, taskToken, failure);
  }

  sendTaskHeartbeat(taskToken: string): void {
    callbacks.sendTaskHeartbeat(this.tokens, taskToken);
  }

  /** Stops every running execution, then `closeServer`; the same promise for every call. */
  stop(closeServer: () => Promise<void>): Promise<void> {
    this.stopping ??= (async () => {
      const running = [...this.executions.values()].filter((e) => e.status === "RUNNING");
      for (const e of running) e.abort(undefined, "The local Step Functions service stopped");
      await Promise.all(running.map((e) => e.done));
      // The engine unwinds an aborted execution (and clears its timers) within this turn.
      await new Promise((resolve) => setImmediate(resolve));
      await closeServer();
      this.dynamo.destroy();
    })();
    return this.stopping;
  }
}
