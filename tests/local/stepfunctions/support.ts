// Test doubles for the local Step Functions service: a scripted Lambda service, an in-process
// dynalite, and an SFN client pointed at the service.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { DescribeExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import type { DescribeExecutionCommandOutput } from "@aws-sdk/client-sfn";
import type { InvokeResult, LambdaService } from "../../../local/aws/types";

export const CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

// ---------------------------------------------------------------------------------------------
// Lambda

/** Thrown by a fake function: becomes a function error (`functionError: "Unhandled"`) with this errorType. */
export class FunctionError extends Error {
  constructor(
    readonly errorType: string,
    message = errorType,
  ) {
    super(message);
  }
}

/** Thrown by a fake function: the Invoke API call itself fails with this exception name. */
export function apiError(name: string, message = name): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

export type FakeFunction = (payload: any, call: number) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The Lambda service as the Step Functions service sees it: `invoke` runs scripted functions. */
export class FakeLambda implements Pick<LambdaService, "invoke"> {
  readonly invocations: Array<{ name: string; payload: string; type: string }> = [];
  private readonly functions = new Map<string, { fn: FakeFunction; calls: number }>();

  set(name: string, fn: FakeFunction): void {
    this.functions.set(name, { fn, calls: 0 });
  }

  calls(name: string): number {
    return this.functions.get(name)?.calls ?? 0;
  }

  async invoke(name: string, payload: string, type: "RequestResponse" | "Event"): Promise<InvokeResult> {
    this.invocations.push({ name, payload, type });
    const f = this.functions.get(name);
    if (!f) throw apiError("ResourceNotFoundException", `Function not found: ${name}`);
    f.calls++;
    try {
      const out = await f.fn(JSON.parse(payload), f.calls);
      return { statusCode: 200, payload: JSON.stringify(out ?? null) };
    } catch (err) {
      if (err instanceof FunctionError) {
        return {
          statusCode: 200,
          functionError: "Unhandled",
          payload: JSON.stringify({ errorType: err.errorType, errorMessage: err.message, trace: [`${err.errorType}: ${err.message}`] }),
        };
      }
      throw err;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// DynamoDB (dynalite, in-process)

export interface Dynalite {
  endpoint: string;
  documents: DynamoDBDocumentClient;
  createJobsTable(name: string): Promise<void>;
  put(table: string, item: Record<string, unknown>): Promise<void>;
  get(table: string, pk: string): Promise<Record<string, any> | undefined>; // eslint-disable-line @typescript-eslint/no-explicit-any
  stop(): Promise<void>;
}

export async function startDynalite(): Promise<Dynalite> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require("dynalite") as (options: object) => Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: "us-east-1", credentials: CREDENTIALS });
  const documents = DynamoDBDocumentClient.from(client);
  return {
    endpoint,
    documents,
    async createJobsTable(name) {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
          AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
          BillingMode: "PAY_PER_REQUEST",
        }),
      );
    },
    async put(table, item) {
      await documents.send(new PutCommand({ TableName: table, Item: item }));
    },
    async get(table, pk) {
      return (await documents.send(new GetCommand({ TableName: table, Key: { pk }, ConsistentRead: true }))).Item;
    },
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A PENDING job record as the submit handler writes it. */
export function pendingJob(jobId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = new Date();
  return {
    pk: jobId,
    kind: "job",
    jobId,
    status: "PENDING",
    owner: "public",
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    deadline: new Date(now.getTime() + 3_600_000).toISOString(),
    expiresAt: Math.ceil(now.getTime() / 1000) + 86_400,
    version: 1,
    input: '{"seconds":1}',
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------
// Step Functions

export function sfnClient(endpoint: string): SFNClient {
  return new SFNClient({ endpoint, region: "us-east-1", credentials: CREDENTIALS, maxAttempts: 1 });
}

/** DescribeExecution through the SDK until the execution is no longer RUNNING. */
export async function describeUntilDone(client: SFNClient, executionArn: string, timeoutMs = 20_000): Promise<DescribeExecutionCommandOutput> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const out = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (out.status !== "RUNNING") return out;
    if (Date.now() > until) throw new Error(`${executionArn} still RUNNING after ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Resolves when `check` is true (polling), or rejects after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A promise the test settles by hand (a worker that runs until released). */
export function gate<T = unknown>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}
