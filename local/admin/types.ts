/**
 * The fault-injection admin API's types: the faults it arms, what it reports as fired, and how the
 * local cloud starts it (admin.ts describes the API itself).
 */
import type { InjectedDynamoDbError, LocalDynamoDbService } from "../aws/dynamodb";
import type { LocalLambdaService } from "../aws/lambda";
import type { LocalS3Service } from "../aws/s3";
import type { Endpoints } from "../aws/types";

export type Fault =
  | { kind: "dynamodbWrites" | "dynamodbReads"; count: number; code: InjectedDynamoDbError; function?: string }
  | { kind: "s3Writes" | "s3Reads"; count: number; status: 500 | 503; function?: string }
  | { kind: "duplicateDelivery"; function: string; sameRequestId: boolean; delayMs: number }
  | { kind: "workerCrash" | "workerHang"; function: string; count: number; afterMs: number; jobId?: string };

/** Something a fault did (for tests: proof that it fired). */
export interface FiredFault {
  kind: Fault["kind"];
  function: string;
  requestId?: string;
  pids?: number[];
  /** The job the fault targeted (`jobId` of a process fault). */
  jobId?: string;
  at: string;
}

export interface AdminOptions {
  dynamodb: LocalDynamoDbService;
  s3: LocalS3Service;
  lambda: LocalLambdaService;
  endpoints: Endpoints;
  /** The physical names of the stack's functions. */
  functionNames: () => string[];
  /** Adds an API key to every usage plan of the stack (auth apiKey); undefined when there is none. */
  addApiKey?: () => { id: string; value: string } | undefined;
  log?: (line: string) => void;
}

export interface AdminServer {
  /** `http://127.0.0.1:<port>` (routes under `/_local/`). */
  url: string;
  /** Feed it every line the Lambda service logs: that is how duplicate deliveries are seen to fire. */
  observeLambdaLog(line: string): void;
  stop(): Promise<void>;
}

/** A request the admin API refuses with 400 BadRequest (the message says why). */
export class BadFault extends Error {}
