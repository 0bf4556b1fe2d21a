/**
 * What the local service does to a definition before aws-local-stepfunctions runs it:
 * - finds every Task (nested Parallel branches and Map processors too) and what it runs, refusing
 *   resources that have no local integration and JSONata (which the engine silently ignores);
 * - gives Tasks without a timeout a finite one (the engine's default is 60 s, AWS has none) and
 *   keeps every timer within what `setTimeout` can hold;
 * - caps EXPRESS executions at 5 minutes, as AWS does;
 * - makes `States.Timeout` in a Retry or Catch match a missed heartbeat too, as on AWS (the engine
 *   matches error names exactly, and a missed heartbeat is `States.HeartbeatTimeout`);
 * - per execution, reports each state entry (the engine reads `States[name]` exactly once per
 *   entry, never for a retry), which is what makes `$$.State.EnteredTime` the same for all the
 *   attempts of one state, as on AWS.
 */
import type { StateMachineDefinition } from "aws-local-stepfunctions";
import { classifyResource } from "./integrations";
import type { TaskIntegration } from "./integrations";

/** The longest timer `setTimeout` holds (2^31-1 ms); longer ones fire at once. */
export const MAX_TIMER_SECONDS = Math.floor(2_147_483_647 / 1000);
/** AWS stops Express executions after 5 minutes. */
export const EXPRESS_MAX_SECONDS = 300;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export class InvalidDefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidDefinition";
  }
}

/** Calls `visit` for every state, nested ones included. */
function walk(definition: Json, visit: (name: string, state: Json, scope: Json) => void): void {
  const states = definition?.States;
  if (typeof states !== "object" || states === null) throw new InvalidDefinitionError("a definition (and every branch) needs a States object");
  for (const [name, state] of Object.entries(states as Json)) {
    if (typeof state !== "object" || state === null) throw new InvalidDefinitionError(`state "${name}" is not an object`);
    visit(name, state, definition);
    if (state.Type === "Parallel" && Array.isArray(state.Branches)) for (const branch of state.Branches) walk(branch, visit);
    if (state.Type === "Map") {
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor) walk(processor, visit);
    }
  }
}

/** The Task integrations of a definition, by state name; throws on anything that cannot run locally. */
export function taskIntegrations(definition: Json): Map<string, TaskIntegration> {
  const tasks = new Map<string, TaskIntegration>();
  const seen = new Set<string>();
  if (definition.QueryLanguage === "JSONata") {
    throw new InvalidDefinitionError("QueryLanguage JSONata is not supported locally (the engine would ignore it): use JSONPath");
  }
  walk(definition, (name, state, scope) => {
    if (seen.has(name)) {
      // Local Task handlers are keyed by state name, and AWS wants the names unique anyway.
      throw new InvalidDefinitionError(`the state name "${name}" is used more than once`);
    }
    seen.add(name);
    if (state.QueryLanguage === "JSONata" || scope.QueryLanguage === "JSONata") {
      throw new InvalidDefinitionError(`state "${name}": QueryLanguage JSONata is not supported locally: use JSONPath`);
    }
    if (state.Type === "Task") tasks.set(name, classifyResource(name, state.Resource, state));
  });
  return tasks;
}

/**
 * AWS ("Error handling in Step Functions", error names): `States.Timeout` is raised when a Task
 * "either ran longer than the TimeoutSeconds value, or failed to send a heartbeat for a period
 * longer than the HeartbeatSeconds value", and `States.HeartbeatTimeout` names the second case
 * alone. So an `ErrorEquals` naming `States.Timeout` matches a missed heartbeat as well, and the
 * first retrier or catcher that matches wins.
 */
function timeoutMatchesHeartbeat(rule: Json): void {
  const errors = rule?.ErrorEquals;
  if (Array.isArray(errors) && errors.includes("States.Timeout") && !errors.includes("States.HeartbeatTimeout")) errors.push("States.HeartbeatTimeout");
}

const clampTimer = (seconds: unknown): unknown => (typeof seconds === "number" && seconds > MAX_TIMER_SECONDS ? MAX_TIMER_SECONDS : seconds);

/** A copy of the definition for the engine: finite Task timeouts, timers that fit, Express cap. */
export function engineDefinition(definition: Json, type: "STANDARD" | "EXPRESS"): StateMachineDefinition {
  const copy: Json = structuredClone(definition);
  walk(copy, (_name, state) => {
    if (state.Type === "Task") {
      if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) state.TimeoutSeconds = MAX_TIMER_SECONDS;
      else if (state.TimeoutSeconds !== undefined) state.TimeoutSeconds = clampTimer(state.TimeoutSeconds);
      for (const field of ["Retry", "Catch"]) if (Array.isArray(state[field])) state[field].forEach(timeoutMatchesHeartbeat);
    }
    if (state.Type === "Wait" && state.Seconds !== undefined) state.Seconds = clampTimer(state.Seconds);
  });
  if (type === "EXPRESS") {
    copy.TimeoutSeconds = Math.min(typeof copy.TimeoutSeconds === "number" ? copy.TimeoutSeconds : EXPRESS_MAX_SECONDS, EXPRESS_MAX_SECONDS);
  } else if (copy.TimeoutSeconds !== undefined) {
    copy.TimeoutSeconds = clampTimer(copy.TimeoutSeconds);
  }
  return copy as StateMachineDefinition;
}

/**
 * A copy whose `States` objects (nested ones too) report each read of a state by name: the engine
 * reads `States[next]` once when it enters a state (retries do not), so this is the entry hook.
 */
export function withEntryHook(definition: StateMachineDefinition, onEnter: (stateName: string) => void): StateMachineDefinition {
  const copy: Json = structuredClone(definition);
  const hook = (scope: Json): void => {
    for (const state of Object.values(scope.States as Json)) {
      if (state.Type === "Parallel" && Array.isArray(state.Branches)) state.Branches.forEach(hook);
      if (state.Type === "Map") {
        const processor = state.ItemProcessor ?? state.Iterator;
        if (processor) hook(processor);
      }
    }
    scope.States = new Proxy(scope.States as Json, {
      get(target, key, receiver) {
        if (typeof key === "string" && Object.prototype.hasOwnProperty.call(target, key)) onEnter(key);
        return Reflect.get(target, key, receiver);
      },
    });
  };
  hook(copy);
  return copy as StateMachineDefinition;
}
