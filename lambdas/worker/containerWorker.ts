import { SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand } from "@aws-sdk/client-sfn";
import { safeCode } from "../shared/errors";
import type { JobDefinition } from "../jobs/types";
import { sfnClient } from "../shared/clients";
import { ENV } from "../shared/env";
import { isJobId } from "../shared/ids";
import { logger } from "../shared/logger";
import { isTerminal, view } from "../shared/status";
import { storeFromEnv } from "../shared/store";
import { createStepFunctionsWorker } from "./stepFunctionsWorker";

export interface ContainerWorkerOptions {
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Epoch milliseconds (tests pass a fake clock). */
  now?: () => number;
  /** Between heartbeats. @default a third of `ASYNC_API_HEARTBEAT_SECONDS` (60 s), at least 1 s */
  heartbeatIntervalMs?: number;
  /** Between reads of the job's record, to stop soon after a cancel. @default 5000 */
  recordPollMs?: number;
  /**
   * Resolves with a signal's name when the task is being stopped. @default SIGTERM or SIGINT to
   * this process (what ECS sends on StopTask and on Fargate task retirement, `stopTimeout` before SIGKILL)
   */
  stopped?: Promise<string>;
}

/** `error.code` of a job whose task ECS stopped before it finished (StopTask, Fargate task retirement). */
export const WORKER_STOPPED_ERROR = "WorkerStopped";

/**
 * How long a stopping task waits for SendTaskFailure: well within the container's `stopTimeout`
 * (30 s by default on Fargate) after the SIGTERM.
 */
export const STOP_REPORT_TIMEOUT_MS = 10_000;

/** Resolves on the first SIGTERM or SIGINT; `dispose` removes the listeners. */
function processStopSignal(): { stopped: Promise<string>; dispose(): void } {
  let listener: (signal: NodeJS.Signals) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => (listener = (signal) => resolve(signal)));
  process.once("SIGTERM", listener);
  process.once("SIGINT", listener);
  return {
    stopped,
    dispose: () => {
      process.off("SIGTERM", listener);
      process.off("SIGINT", listener);
    },
  };
}

/** The container's exit codes. */
export const EXIT = {
  /** The outcome was sent, or there was nobody left to send it to (the execution was stopped or timed out). */
  done: 0,
  /** The outcome could not be sent: the RunJob state's heartbeat timeout will record the job. */
  unsent: 1,
  /** Started without a job id or a task token. */
  misconfigured: 2,
  /** Stopped by a signal (128 + SIGTERM's 15), after telling the state machine. */
  stopped: 143,
} as const;

/** What SendTask* answers once the execution no longer waits for this token (stopped by a cancel, timed out). */
const GONE = new Set(["TaskTimedOut", "TaskDoesNotExist", "InvalidToken"]);

const SEND_RETRY_DELAYS_MS = [500, 1000, 2000, 4000];

/**
 * The worker of `worker=fargate`: the container of an ECS task that the state machine's RunJob
 * state starts with `.waitForTaskToken`. The same job module and the same steps as the Lambda
 * worker (lambdas/worker/stepFunctionsWorker.ts: read the input from the store, run the job if it
 * is RUNNING, offload a large result), then the outcome is sent back with SendTaskSuccess. Meanwhile
 * it sends heartbeats, so a dead container becomes `States.HeartbeatTimeout`, and reads the job's
 * record every few seconds. When the record is already finished (a cancel records CANCELLED
 * first) or a heartbeat is refused because the execution is gone (the cancel stopped it, or it
 * timed out), the container stops at once: that is how a cancel stops the task.
 *
 * When ECS stops the task (StopTask, or a Fargate task retirement, which stops standalone tasks
 * such as these and starts no replacement: "Task retirement and maintenance for AWS Fargate"),
 * the container gets SIGTERM and `stopTimeout` seconds before SIGKILL. It then sends
 * SendTaskFailure `WorkerStopped` at once, so the job is FAILED with that code now, not a crash
 * found by the heartbeat timeout minutes later.
 *
 * Returns the process exit code (the container entry exits with it).
 */
export function createContainerWorker(job: JobDefinition, options: ContainerWorkerOptions = {}): () => Promise<number> {
  return async () => {
    const env = options.env ?? process.env;
    const jobId = env[ENV.TASK_JOB_ID];
    const taskToken = env[ENV.TASK_TOKEN];
    if (!isJobId(jobId) || !taskToken) {
      logger.error("The task was started without a job id or a task token", { jobId: isJobId(jobId) ? jobId : undefined, hasToken: Boolean(taskToken) });
      return EXIT.misconfigured;
    }
    const heartbeatSeconds = Number(env[ENV.HEARTBEAT_SECONDS] ?? 60);
    const intervalMs = options.heartbeatIntervalMs ?? Math.max(1000, Math.floor((Number.isFinite(heartbeatSeconds) && heartbeatSeconds > 0 ? heartbeatSeconds : 60) * 1000 / 3));
    const sfn = sfnClient();
    const signal = options.stopped ? { stopped: options.stopped, dispose: () => undefined } : processStopSignal();

    let gone: (reason: string) => void = () => undefined;
    const executionGone = new Promise<string>((resolve) => (gone = resolve));
    const heartbeat = async () => {
      try {
        await sfn.send(new SendTaskHeartbeatCommand({ taskToken }));
      } catch (err) {
        const name = (err as Error).name;
        if (GONE.has(name)) gone(name);
        else logger.warn("Heartbeat not sent; trying again at the next one", { jobId, error: name });
      }
    };
    const timer = setInterval(() => void heartbeat(), intervalMs);
    const store = storeFromEnv({ now: options.now });
    const poll = setInterval(() => {
      store
        .getJob(jobId)
        .then((record) => {
          const seen = view(record, (options.now ?? Date.now)());
          if (!seen) gone("RecordGone");
          else if (isTerminal(seen.status)) gone(`Record${seen.status}`);
        })
        .catch((err) => logger.warn("Could not read the job's record; trying again", { jobId, error: (err as Error).name }));
    }, options.recordPollMs ?? 5000);
    try {
      await heartbeat();
      const run = createStepFunctionsWorker(job, { now: options.now })({ jobId });
      let first: { outcome: Awaited<typeof run> } | { reason: string } | { signal: string };
      try {
        first = await Promise.race([run.then((outcome) => ({ outcome })), executionGone.then((reason) => ({ reason })), signal.stopped.then((name) => ({ signal: name }))]);
      } catch (err) {
        // Not the job's error (those are outcomes): the worker itself failed (the store, say). Say
        // so now rather than let the heartbeat timeout find out; only the error's name goes out.
        const error = safeCode((err as Error).name) ?? "WorkerFailed";
        logger.error("The worker failed before the job's outcome", { jobId, error });
        try {
          await sfn.send(new SendTaskFailureCommand({ taskToken, error, cause: "The job's worker task failed before it had an outcome." }));
        } catch {
          // The heartbeat timeout will tell the state machine instead.
        }
        return EXIT.unsent;
      }
      if ("signal" in first) {
        logger.warn("The task is being stopped before the job finished: telling the state machine", { jobId, signal: first.signal });
        try {
          await sfn.send(
            new SendTaskFailureCommand({ taskToken, error: WORKER_STOPPED_ERROR, cause: `The job's worker task was stopped (${first.signal}) before the job finished.` }),
            { abortSignal: AbortSignal.timeout(STOP_REPORT_TIMEOUT_MS) },
          );
        } catch (err) {
          logger.error("Could not report the stop; the heartbeat timeout will", { jobId, error: (err as Error).name });
        }
        return EXIT.stopped;
      }
      if ("reason" in first) {
        logger.info("The execution no longer waits for this task (cancelled or timed out): stopping", { jobId, reason: first.reason });
        return EXIT.done;
      }
      const output = JSON.stringify(first.outcome);
      for (let attempt = 0; ; attempt++) {
        try {
          await sfn.send(new SendTaskSuccessCommand({ taskToken, output }));
          logger.info("Outcome sent", { jobId, outcome: first.outcome.outcome });
          return EXIT.done;
        } catch (err) {
          const name = (err as Error).name;
          if (GONE.has(name)) {
            logger.info("Outcome discarded: the execution no longer waits for it", { jobId, reason: name });
            return EXIT.done;
          }
          const delay = SEND_RETRY_DELAYS_MS[attempt];
          if (delay === undefined) {
            logger.error("Could not send the outcome", { jobId, error: name });
            return EXIT.unsent;
          }
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    } finally {
      clearInterval(timer);
      clearInterval(poll);
      signal.dispose();
    }
  };
}
