/**
 * What the local Step Functions service counts for the cost meter (local/usage), as Step Functions
 * bills it (https://aws.amazon.com/step-functions/pricing/):
 * - STANDARD workflows, `stepfunctions.standardTransitions`: "Step Functions counts a state
 *   transition each time a step of your workflow is executed. You are charged for the total number
 *   of state transitions across all your state machines, including retries", and "each retry will
 *   be charged as an additional state transition". So each state entered counts (the engine's
 *   StateEntered event; the states of Map iterations and Parallel branches too, which the engine
 *   forwards to the execution's log) and each retry of a state counts again (its StateRetried
 *   event; a retry does not enter the state anew).
 * - EXPRESS workflows: `stepfunctions.expressRequests`, one per execution ("counts a request each
 *   time it starts executing a workflow"), and `stepfunctions.expressGbSeconds`: "Duration is
 *   calculated from the time your workflow begins executing until it completes or otherwise
 *   terminates, rounded up to the nearest 100ms, and the amount of memory used in the execution of
 *   your workflow, billed in 64-MB chunks". The local engine does not measure an execution's
 *   memory (on AWS it grows with the definition, Map/Parallel states and the payload): this
 *   assumes one 64 MB chunk, as StartSyncExecution's billingDetails here report too, so a
 *   workflow using more would be billed more on AWS.
 *
 * Jobs: the `jobId`s in the execution's input (`jobIdsInJson`), else the execution's name when the
 * caller gave one that is a job id (the program names each execution after its job).
 */
import type { UsageMeter } from "./meter";
import { jobIdsInJson, jobIdsInKey } from "./jobIds";

/** The memory an EXPRESS execution is billed for: one 64 MB chunk, in GB. */
export const EXPRESS_BILLED_GB = 64 / 1024;
const EXPRESS_INCREMENT_MS = 100;

/** An EXPRESS execution's billed duration: rounded up to the next 100 ms, at least 100 ms. */
export function expressBilledMs(durationMs: number): number {
  return Math.max(EXPRESS_INCREMENT_MS, Math.ceil(durationMs / EXPRESS_INCREMENT_MS) * EXPRESS_INCREMENT_MS);
}

/** An EXPRESS execution's GB-seconds: one 64 MB chunk × the billed duration. */
export function expressGbSeconds(durationMs: number): number {
  return EXPRESS_BILLED_GB * (expressBilledMs(durationMs) / 1000);
}

/** Whether an engine event is a billed state transition: a state entered, or a state retried. */
export function isStateTransition(event: { type: string }): boolean {
  return event.type === "StateEntered" || event.type === "StateRetried";
}

/** The jobs an execution is for: the input's `jobId`s, else a caller-given name that is a job id. */
export function executionJobIds(inputText: string, givenName: string | undefined): string[] {
  const fromInput = jobIdsInJson(inputText);
  if (fromInput.length > 0 || givenName === undefined) return fromInput;
  return jobIdsInKey(givenName).filter((id) => id === givenName.toLowerCase());
}

export interface ExecutionUsage {
  /** Each event of the engine's log. */
  onEvent(event: { type: string }): void;
  /** When the execution ends, with its duration. */
  ended(durationMs: number): void;
}

const NOTHING: ExecutionUsage = { onEvent: () => undefined, ended: () => undefined };

/** The meter of one execution (counts its start at once: an EXPRESS request). */
export function meterExecution(meter: UsageMeter | undefined, machine: { name: string; type: "STANDARD" | "EXPRESS" }, jobIds: string[]): ExecutionUsage {
  if (!meter) return NOTHING;
  const options = { jobIds, source: `stepfunctions:${machine.name}` };
  if (machine.type === "STANDARD") {
    return {
      onEvent: (event) => {
        if (isStateTransition(event)) meter.count("stepfunctions.standardTransitions", 1, options);
      },
      ended: () => undefined,
    };
  }
  meter.count("stepfunctions.expressRequests", 1, options);
  return {
    onEvent: () => undefined,
    ended: (durationMs) => meter.count("stepfunctions.expressGbSeconds", expressGbSeconds(durationMs), options),
  };
}
