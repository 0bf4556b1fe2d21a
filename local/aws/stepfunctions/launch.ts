/**
 * One execution's run on aws-local-stepfunctions: every Task goes to its local handler (stopped
 * with the execution), the Context Object (`$$`) is live, the engine's event log becomes the
 * execution's history (and the meter's count), and its result the execution's ending.
 */
import { StateMachine } from "aws-local-stepfunctions";
import { withEntryHook } from "./definition";
import { historyEvent } from "./history";
import type { EngineEvent } from "./history";
import { runtimeError, UncatchableError } from "./integrations";
import type { TaskHandler } from "./integrations";
import type { Execution, Machine } from "./model";
import type { TaskTokens } from "./taskTokens";
import type { ExecutionStatus } from "./types";
import type { UsageMeter } from "../../usage/meter";
import { meterExecution } from "../../usage/stepfunctions";
import type { ExecutionUsage } from "../../usage/stepfunctions";

const TERMINAL_ERROR = "ExecutionStopped";

type EngineRun = ReturnType<StateMachine["run"]>;

export interface ExecutionStart {
  arn: string;
  name: string;
  /** The input as given (JSON text) and parsed. */
  inputText: string;
  input: unknown;
  jobIds: string[];
}

export interface LaunchDependencies {
  meter?: UsageMeter;
  tokens: TaskTokens;
  log: (line: string) => void;
  /** Told when the execution has ended (after its history is complete). */
  onEnded: (execution: Execution) => void;
}

/** What `$$.State` reads: the current state, when it was entered, and how many attempts it has had. */
class StateClock {
  enteredTime = new Date().toISOString();
  name = "";
  attempts = 0;

  enter(state: string): void {
    this.enteredTime = new Date().toISOString();
    this.name = state;
    this.attempts = 0;
  }
}

/** Runs `handler` until it settles or the execution is stopped (`signal`), whichever is first. */
function guarded(handler: TaskHandler, arn: string, state: string, signal: AbortSignal, onAttempt: () => void): TaskHandler {
  return (taskInput) => {
    onAttempt();
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

/** Every Task runs a local handler; one the service did not build fails (never a real Lambda). */
function localHandlers(machine: Machine, arn: string, signal: AbortSignal, onAttempt: () => void): Record<string, TaskHandler> {
  const handlers: Record<string, TaskHandler> = {};
  for (const [state, handler] of machine.handlers) handlers[state] = guarded(handler, arn, state, signal, onAttempt);
  return new Proxy(handlers, {
    get(target, key) {
      if (typeof key !== "string") return undefined;
      return target[key] ?? (() => Promise.reject(runtimeError(`Task state "${key}" has no local integration`)));
    },
  });
}

function contextObject(machine: Machine, start: ExecutionStart, tokens: TaskTokens, clock: StateClock): Record<string, unknown> {
  const { arn, name } = start;
  return {
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
        return clock.enteredTime;
      },
      get Name() {
        return clock.name;
      },
      get RetryCount() {
        return Math.max(0, clock.attempts);
      },
    },
  };
}

/** The engine's log as the execution's history; settles once the log is closed. */
function recordHistory(run: EngineRun, execution: Execution, usage: ExecutionUsage): Promise<void> {
  const historyContext = {
    roleArn: execution.machine.roleArn,
    tasks: execution.machine.tasks,
    stopped: () => ({ error: execution.error, cause: execution.cause }),
  };
  // The engine closes its log (synchronously) before the result settles, on every ending.
  return (async () => {
    for await (const event of run.eventLogs as AsyncGenerator<EngineEvent>) {
      usage.onEvent(event);
      const converted = historyEvent(event, historyContext);
      if (!converted) continue;
      const id = execution.events.length + 1;
      execution.events.push({ id, previousEventId: id - 1, ...converted });
    }
  })().catch(() => undefined);
}

/** Sets the execution's ending from the engine's result (a stopped execution keeps its own). */
function settle(result: EngineRun["result"], execution: Execution): Promise<void> {
  const finish = (status: ExecutionStatus, fields: { output?: string; error?: string; cause?: string } = {}) => {
    if (execution.status !== "RUNNING") return;
    execution.status = status;
    execution.stopDate = new Date();
    Object.assign(execution, fields);
  };
  return result.then(
    (output) => finish("SUCCEEDED", { output: JSON.stringify(output ?? null) }),
    (err: Error & { cause?: unknown }) => {
      if (err?.name === "ExecutionAbortedError") return finish("ABORTED");
      if (err?.name === "ExecutionTimeoutError") return finish("TIMED_OUT", { error: "States.Timeout", cause: "The execution timed out" });
      const inner = err?.name === "ExecutionError" && err.cause instanceof Error ? err.cause : err;
      return finish("FAILED", { error: inner?.name || "States.Runtime", cause: inner?.message });
    },
  );
}

/** Starts `start` on `machine`; the caller registers the execution. */
export function launchExecution(machine: Machine, start: ExecutionStart, deps: LaunchDependencies): Execution {
  const { arn, name } = start;
  const usage = meterExecution(deps.meter, machine, start.jobIds);
  const handlersAbort = new AbortController();
  const clock = new StateClock();
  const definition = withEntryHook(machine.engine, (state) => clock.enter(state));
  const engine = new StateMachine(definition, { validationOptions: { noValidate: true } });
  const handlers = localHandlers(machine, arn, handlersAbort.signal, () => clock.attempts++);
  const context = contextObject(machine, start, deps.tokens, clock);

  const execution: Execution = {
    arn,
    name,
    machine,
    input: start.inputText,
    startDate: new Date(),
    status: "RUNNING",
    events: [],
    done: Promise.resolve(),
    abort: () => undefined,
  };
  const run = engine.run(start.input as never, {
    overrides: { taskResourceLocalHandlers: handlers as never },
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
  const logged = recordHistory(run, execution, usage);
  execution.done = settle(run.result, execution)
    // Done once the history (and the meter) hold every event of the execution.
    .then(() => logged)
    .finally(() => {
      handlersAbort.abort(); // a Task still running (the execution timed out) is let go
      deps.tokens.closeExecution(arn, new UncatchableError(TERMINAL_ERROR, "The execution ended"));
      const ms = (execution.stopDate ?? new Date()).getTime() - execution.startDate.getTime();
      usage.ended(ms);
      const why = execution.error ? ` (${execution.error}${execution.cause ? `: ${execution.cause.slice(0, 200)}` : ""})` : "";
      deps.log(`sfn: ${machine.name}/${name} ${execution.status} in ${ms} ms${why}`);
      deps.onEnded(execution);
    });
  return execution;
}
