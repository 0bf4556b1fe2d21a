// Helpers of the reliability suite: a local cloud started with `--faults` (admin API and emulator
// endpoints in its outputs), a raw HTTP client that can send anything (bytes, bad signatures),
// and readers of the job records straight from the local DynamoDB table or S3 bucket.
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { DynamoDBClient, ScanCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { signableQuery, startCloud, type CloudHandle } from "../support/localCloud";
import { rawHttp } from "../support/rawHttp";

/** What the emulated functions sign with (s3rver only accepts this key). */
const LOCAL_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export interface FaultCloud extends CloudHandle {
  adminUrl: string;
  endpoints: { dynamodb: string; s3: string; lambda: string; sfn: string };
}

/** A local cloud as `startCloud` starts it, with `--faults` (the fault-injection admin API). */
export async function startFaultCloud(config: string[], options: { stateDir?: string; timeoutMs?: number } = {}): Promise<FaultCloud> {
  const cloud = await startCloud(config, { ...options, faults: true, tmpPrefix: "async-api-reliability-" });
  const { outputs } = cloud;
  if (!outputs.adminUrl || !outputs.localEndpoints) throw new Error(`--faults did not add adminUrl and localEndpoints to the outputs: ${JSON.stringify(outputs)}`);
  return { ...cloud, adminUrl: outputs.adminUrl, endpoints: outputs.localEndpoints };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Removes a stopped cloud's temporary state directory. */
export function removeState(cloud: FaultCloud): void {
  if (path.basename(cloud.stateDir).startsWith("async-api-reliability-")) fs.rmSync(cloud.stateDir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// The admin API

export type FaultSpec =
  /** `function`: only that function's calls fail (the local services know a caller by its User-Agent's app id). */
  | { kind: "dynamodbWrites" | "dynamodbReads"; count: number; code?: string; function?: string }
  | { kind: "s3Writes" | "s3Reads"; count: number; status?: 500 | 503; function?: string }
  | { kind: "duplicateDelivery"; function: string; sameRequestId?: boolean; delayMs?: number }
  | { kind: "workerCrash" | "workerHang"; function: string; count?: number; afterMs?: number; jobId?: string };

export interface FiredFault {
  kind: string;
  function: string;
  requestId?: string;
  pids?: number[];
  jobId?: string;
}

export async function armFault(cloud: FaultCloud, fault: FaultSpec | FaultSpec[]): Promise<void> {
  const res = await fetch(`${cloud.adminUrl}/_local/faults`, { method: "POST", body: JSON.stringify(fault), headers: { "Content-Type": "application/json" } });
  if (res.status !== 200) throw new Error(`arming ${JSON.stringify(fault)} answered ${res.status}: ${await res.text()}`);
}

export async function firedFaults(cloud: FaultCloud): Promise<FiredFault[]> {
  const res = await fetch(`${cloud.adminUrl}/_local/faults`);
  return ((await res.json()) as { fired: FiredFault[] }).fired;
}

export async function clearFaults(cloud: FaultCloud): Promise<void> {
  await fetch(`${cloud.adminUrl}/_local/faults`, { method: "DELETE" });
}

/** Moves the local cloud's test clock `offsetMs` ahead of the real time (functions and the TTL sweep). */
export async function setClock(adminUrl: string, offsetMs: number): Promise<{ offsetMs: number; now: string; expiredItemsDeleted: number }> {
  const res = await fetch(`${adminUrl}/_local/clock`, { method: "POST", body: JSON.stringify({ offsetMs }), headers: { "Content-Type": "application/json" } });
  if (res.status !== 200) throw new Error(`setting the clock to +${offsetMs} ms answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { offsetMs: number; now: string; expiredItemsDeleted: number };
}

// ---------------------------------------------------------------------------------------------
// The store, read directly

export interface StoredJob {
  jobId: string;
  status: string;
  deadline: string;
  startedAt?: string;
  createdAt: string;
  updatedAt: string;
  runId?: string;
  idempotencyKey?: string;
}

function unmarshal(item: Record<string, AttributeValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) out[k] = v.S ?? (v.N !== undefined ? Number(v.N) : v.BOOL ?? v);
  return out;
}

/** Every job record in the cloud's store (idempotency records and results excluded). */
export async function storedJobs(cloud: FaultCloud): Promise<StoredJob[]> {
  if (cloud.outputs.store === "dynamodb") {
    const client = new DynamoDBClient({ endpoint: cloud.endpoints.dynamodb, region: "us-east-1", credentials: LOCAL_CREDENTIALS });
    try {
      const jobs: StoredJob[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(new ScanCommand({ TableName: cloud.outputs.jobsTableName, ConsistentRead: true, ExclusiveStartKey: start }));
        for (const item of page.Items ?? []) {
          const record = unmarshal(item);
          if (record.kind === "job") jobs.push(record as unknown as StoredJob);
        }
        start = page.LastEvaluatedKey;
      } while (start);
      return jobs;
    } finally {
      client.destroy();
    }
  }
  const client = new S3Client({ endpoint: cloud.endpoints.s3, region: "us-east-1", credentials: LOCAL_CREDENTIALS, forcePathStyle: true });
  try {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: cloud.outputs.resultsBucketName, Prefix: "jobs/", ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    const jobs: StoredJob[] = [];
    for (const key of keys) {
      const out = await client.send(new GetObjectCommand({ Bucket: cloud.outputs.resultsBucketName, Key: key }));
      jobs.push(JSON.parse(await out.Body!.transformToString()) as StoredJob);
    }
    return jobs;
  } finally {
    client.destroy();
  }
}

export async function storedJob(cloud: FaultCloud, jobId: string): Promise<StoredJob | undefined> {
  return (await storedJobs(cloud)).find((j) => j.jobId === jobId);
}

// ---------------------------------------------------------------------------------------------
// A raw HTTP client

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  body: any;
}

/**
 * Sends exactly this request: the path as given (percent-encoding and all), these headers (values
 * are sent byte for byte as latin1, so a UTF-8 value can be given as its latin1 reading), this body.
 */
export async function rawRequest(url: string, method: string, headers: Record<string, string>, body?: Buffer): Promise<RawResponse> {
  const u = new URL(url.replace(/\/jobs.*$/, ""));
  const rawPath = url.slice(url.indexOf("/", url.indexOf("//") + 2));
  const r = await rawHttp({ host: u.hostname, port: u.port, method, path: rawPath, headers: { ...headers, ...(body !== undefined ? { "Content-Length": String(body.length) } : {}) } }, body);
  let parsed: any;
  try {
    parsed = r.text ? JSON.parse(r.text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { ...r, body: parsed };
}

export interface SignOptions {
  accessKeyId?: string;
  secret?: string;
  region?: string;
  service?: string;
  signingDate?: Date;
  /** Sign this method/path/body/host instead of the ones sent. */
  method?: string;
  path?: string;
  body?: Buffer;
  host?: string;
}

/** SigV4 headers (`authorization`, `x-amz-date`, ...) for a request, made as the AWS SDKs make them. */
export async function sigv4Headers(url: string, method: string, headers: Record<string, string>, body: Buffer | undefined, o: SignOptions = {}): Promise<Record<string, string>> {
  const u = new URL(url.replace(/\/jobs.*$/, ""));
  const rawPath = url.slice(url.indexOf("/", url.indexOf("//") + 2));
  const [pathOnly, query] = (o.path ?? rawPath).split("?");
  const q = signableQuery(new URLSearchParams(query ?? ""));
  const signer = new SignatureV4({
    service: o.service ?? "execute-api",
    region: o.region ?? "us-east-1",
    credentials: { accessKeyId: o.accessKeyId ?? "alice", secretAccessKey: o.secret ?? "test" },
    sha256: Sha256,
  });
  const signed = await signer.sign(
    {
      method: o.method ?? method,
      protocol: "http:",
      hostname: u.hostname,
      port: Number(u.port),
      path: pathOnly,
      query: q,
      headers: { host: o.host ?? u.host, ...headers },
      body: o.body ?? body,
    },
    o.signingDate ? { signingDate: o.signingDate } : {},
  );
  const out = { ...(signed.headers as Record<string, string>) };
  delete out.host;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Checks

/** What no response body may carry: an ARN, a 12-digit account id, a stack trace. */
export function leaks(text: string, allowed: string[] = []): string[] {
  let t = text;
  for (const a of allowed) t = t.split(a).join("");
  const found: string[] = [];
  if (/arn:/i.test(t)) found.push("an ARN (arn:)");
  if (/(^|[^0-9])\d{12}([^0-9]|$)/.test(t)) found.push("a 12-digit number (account id)");
  if (/ {4}at |\n\s+at /.test(t)) found.push("a stack trace");
  return found;
}

export const TERMINAL = ["SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"];

/** A promise whose rejection is reported where it is awaited, not as unhandled. */
export function settled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}
