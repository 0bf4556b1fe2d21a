import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { ENV } from "../shared/env";
import type { JobDefinition } from "./types";

/*
 * The job of `job.functionArn`: an existing Lambda function, in any runtime, invoked synchronously
 * with `{"jobId", "input"}`. What it returns is the job's result; an error it raises fails the job,
 * its `errorType` ("Invoke": a function error comes back as `X-Amz-Function-Error` with a payload
 * `{"errorType", "errorMessage", "trace"}`, "Lambda function errors in Node.js" / "in Python")
 * becoming the job's `error.code`.
 */

let client: LambdaClient | undefined;

/**
 * A client of its own: a synchronous invoke lasts as long as the function runs (up to 15 minutes),
 * so it has no idle-socket timeout; the job's AbortSignal ends it when the job's time is up.
 */
function invokeClient(): LambdaClient {
  client ??= new LambdaClient({ requestHandler: { connectionTimeout: 1000 } });
  return client;
}

/** An error of the job's function, under the name the function's runtime gave it. */
export class FunctionJobError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const invokeFunctionJob: JobDefinition<unknown, unknown> = {
  name: "function",
  schema: {},
  async run(input, { jobId, signal }) {
    const functionArn = process.env[ENV.JOB_FUNCTION_ARN];
    if (!functionArn) throw new Error(`${ENV.JOB_FUNCTION_ARN} is not set`);
    const out = await invokeClient().send(
      new InvokeCommand({ FunctionName: functionArn, InvocationType: "RequestResponse", Payload: Buffer.from(JSON.stringify({ jobId, input })) }),
      { abortSignal: signal },
    );
    const text = out.Payload ? Buffer.from(out.Payload).toString("utf8") : "";
    if (out.FunctionError) {
      const error = parse(text) as { errorType?: unknown; errorMessage?: unknown } | undefined;
      const name = typeof error?.errorType === "string" && error.errorType ? error.errorType : "FunctionError";
      throw new FunctionJobError(name, typeof error?.errorMessage === "string" ? error.errorMessage : "The job's function failed.");
    }
    return text === "" ? null : parse(text) ?? text;
  },
};
