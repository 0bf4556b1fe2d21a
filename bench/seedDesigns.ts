/**
 * The designs of the AWS samples this project grew from ("seed samples"), priced with the same
 * meter and prices as the configurations measured by bench:cost. They are modelled, not run: what
 * each design does per job is written out below, and the cost of each call (a Lambda invocation's
 * GB-seconds and log bytes, a worker's memory) is what the local cloud measured for this project's
 * own functions in the same run.
 *
 * All three have the client poll `GET /jobs/{id}` every 10 seconds until the job is done.
 */
import type { Units } from "../local/usage/meter";

/** What the measured run says one call costs. */
export interface MeasuredCalls {
  /** GB-seconds of one invocation of a small API function (this project's submit function's mean), arm64. */
  apiInvocationGbSeconds: number;
  /** Log bytes of one invocation (the function's lines and Lambda's platform records). */
  logBytesPerInvocation: number;
  /** The worker's configured memory, GB. */
  workerMemoryGb: number;
}

export interface SeedDesign {
  name: string;
  /** The units of one job of `seconds`. */
  units(seconds: number, measured: MeasuredCalls): Units;
}

/** Polls every 10 s from the submit: the first that sees the end. */
export const pollsEvery10s = (seconds: number) => Math.max(1, Math.ceil(seconds / 10));

function lambdaUnits(invocations: number, workerSeconds: number, m: MeasuredCalls): Units {
  const apiInvocations = invocations - 1;
  return {
    "lambda.requests": invocations,
    "lambda.gbSecondsArm64": apiInvocations * m.apiInvocationGbSeconds + workerSeconds * m.workerMemoryGb,
    "logs.ingestedBytes": invocations * m.logBytesPerInvocation,
  };
}

export const SEED_DESIGNS: SeedDesign[] = [
  {
    // Submit starts an execution; the status function calls DescribeExecution (free); the state
    // machine is one Task state that invokes the worker.
    name: "seed: Step Functions standard, DescribeExecution polls every 10 s",
    units: (s, m) => {
      const polls = pollsEvery10s(s);
      return { "apigateway.requests": 1 + polls, ...lambdaUnits(1 + polls + 1, s, m), "stepfunctions.standardTransitions": 1 };
    },
  },
  {
    // Submit puts the job (PutItem) and invokes the worker with InvocationType Event; the worker
    // writes RUNNING and then the result (two UpdateItems); the status function reads the item
    // (GetItem, eventually consistent: half a unit).
    name: "seed: Lambda Event invoke with DynamoDB, polls every 10 s",
    units: (s, m) => {
      const polls = pollsEvery10s(s);
      return { "apigateway.requests": 1 + polls, ...lambdaUnits(1 + polls + 1, s, m), "dynamodb.writeRequestUnits": 3, "dynamodb.readRequestUnits": polls * 0.5 };
    },
  },
  {
    // API Gateway puts the job itself (no submit function); the table's stream invokes the worker
    // (stream reads by a Lambda trigger are free), which writes the result; the status function
    // reads the item.
    name: "seed: DynamoDB Streams, polls every 10 s",
    units: (s, m) => {
      const polls = pollsEvery10s(s);
      return { "apigateway.requests": 1 + polls, ...lambdaUnits(polls + 1, s, m), "dynamodb.writeRequestUnits": 2, "dynamodb.readRequestUnits": polls * 0.5 };
    },
  },
];
