import type { JobDefinition } from "./types";

/** The demo job's input (see the contract, "The demo job"). */
export interface TimerInput {
  seconds: number;
  fail?: boolean;
  resultBytes?: number;
}

export interface TimerOutput {
  message: string;
  padding?: string;
}

export class TimerFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TimerFailed";
  }
}

export const timerSchema = {
  $schema: "http://json-schema.org/draft-04/schema#",
  title: "TimerInput",
  type: "object",
  required: ["seconds"],
  additionalProperties: false,
  properties: {
    seconds: { type: "number", minimum: 0, maximum: 900, description: "How long to sleep, in seconds." },
    fail: { type: "boolean", description: "Throw an error named TimerFailed after sleeping." },
    resultBytes: {
      type: "integer",
      minimum: 0,
      maximum: 10485760,
      description: "Pad the result to about this many bytes (to try large results).",
    },
  },
};

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * How often the timer reports: each second for a job of up to 5 s, else about a fifth of the job
 * (whole seconds, at most a minute). A long poll answers every report, so a report each second
 * would cost a client that waits a request each second; four or five per job keep a 60-second
 * job's wait to a handful of requests (README, "The long poll and what it costs").
 */
export function progressStepMs(seconds: number): number {
  return Math.max(1, Math.min(60, Math.ceil(seconds / 5))) * 1000;
}

/**
 * Sleeps `seconds`, reporting its progress meanwhile ("Slept 12 of 60 s", 20 %; `progressStepMs`),
 * then answers `Done after <seconds> seconds`, or throws `TimerFailed`.
 */
export const timerJob: JobDefinition<TimerInput, TimerOutput> = {
  name: "timer",
  schema: timerSchema,
  async run(input, { signal, progress }) {
    const total = input.seconds * 1000;
    const started = Date.now();
    const step = progressStepMs(input.seconds);
    for (let slept = step; slept < total; slept += step) {
      await sleep(Math.max(0, started + slept - Date.now()), signal);
      progress({ percent: Math.floor((slept / total) * 100), message: `Slept ${slept / 1000} of ${input.seconds} s` });
    }
    await sleep(Math.max(0, started + total - Date.now()), signal);
    if (input.fail) throw new TimerFailed(`Failed on purpose after ${input.seconds} seconds`);
    const output: TimerOutput = { message: `Done after ${input.seconds} seconds` };
    if (input.resultBytes !== undefined) {
      const base = Buffer.byteLength(JSON.stringify({ ...output, padding: "" }));
      output.padding = "x".repeat(Math.max(0, input.resultBytes - base));
    }
    return output;
  },
};

export default timerJob;
