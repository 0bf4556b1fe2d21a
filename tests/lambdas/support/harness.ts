import { expect } from "chai";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { ENV } from "../../../lambdas/shared/env";
import { logger } from "../../../lambdas/shared/logger";
import { resetResultReader } from "../../../lambdas/shared/resultSigner";
import { storeFromEnv } from "../../../lambdas/shared/store";
import type { JobStore } from "../../../lambdas/shared/store";
import type { AuthMode, Backend, JobRecord, StoreKind } from "../../../lambdas/shared/types";
import { FakeAws } from "./fakeAws";

export const TABLE = "async-api-jobs";
export const JOBS_BUCKET = "async-api-records";
export const RESULTS_BUCKET = "async-api-results";
export const RESULT_READER_ROLE_ARN = "arn:aws:iam::123456789012:role/async-api-result-reader";
export const STATE_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:async-api-run-job";
export const WORKER_FUNCTION = "async-api-worker";
export const ALICE = "arn:aws:iam::123456789012:user/alice";
export const BOB = "arn:aws:iam::123456789012:user/bob";
/** API key ids (auth apiKey): API Gateway names them with 10 characters. */
export const ALICE_KEY = "k1alice000";
export const BOB_KEY = "k2bob00000";
export const T0 = Date.parse("2026-03-01T12:00:00.000Z");
export const TTL_SECONDS = 3600;
export const JOB_TIMEOUT_SECONDS = 60;
export const STORES: StoreKind[] = ["dynamodb", "s3"];

export interface Setup {
  store?: StoreKind;
  backend?: Backend;
  auth?: AuthMode;
  workflowType?: "STANDARD" | "EXPRESS";
  corsOrigins?: string[];
}

/** Sets the handler environment as the components would. */
export function configure(setup: Setup = {}): void {
  const env: Record<string, string | undefined> = {
    [ENV.STORE]: setup.store ?? "dynamodb",
    [ENV.BACKEND]: setup.backend ?? "stepfunctions",
    [ENV.AUTH]: setup.auth ?? "iam",
    [ENV.WORKFLOW_TYPE]: setup.workflowType ?? "STANDARD",
    [ENV.JOBS_TABLE]: TABLE,
    [ENV.JOBS_BUCKET]: JOBS_BUCKET,
    [ENV.RESULTS_BUCKET]: RESULTS_BUCKET,
    [ENV.RESULT_READER_ROLE_ARN]: RESULT_READER_ROLE_ARN,
    [ENV.STATE_MACHINE_ARN]: STATE_MACHINE_ARN,
    [ENV.WORKER_FUNCTION_NAME]: WORKER_FUNCTION,
    [ENV.RESULT_TTL_SECONDS]: String(TTL_SECONDS),
    [ENV.JOB_TIMEOUT_SECONDS]: String(JOB_TIMEOUT_SECONDS),
    [ENV.CORS_ORIGINS]: setup.corsOrigins ? JSON.stringify(setup.corsOrigins) : undefined,
  };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

const SAVED_ENV = [...Object.values(ENV), "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"];

/** A fake clock: `now()` only moves when a test says so. */
export class Clock {
  t = T0;
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/**
 * Mocha hooks for a suite: the in-memory AWS (installed for the suite, reset before each test,
 * removed after), the handler environment (restored after), a silent logger.
 */
export function useFakeAws(): FakeAws {
  const fake = new FakeAws();
  const saved: Record<string, string | undefined> = {};
  before(() => {
    for (const name of SAVED_ENV) saved[name] = process.env[name];
    process.env.AWS_REGION = "us-east-1";
    process.env.AWS_ACCESS_KEY_ID = "AKIDEXAMPLEFORTESTS";
    process.env.AWS_SECRET_ACCESS_KEY = "test-secret";
    delete process.env.AWS_SESSION_TOKEN;
    logger.setLogLevel("SILENT");
    fake.install();
  });
  beforeEach(() => {
    fake.reset();
    resetResultReader();
    configure();
  });
  after(() => {
    fake.restore();
    for (const name of SAVED_ENV) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });
  return fake;
}

export interface EventOptions {
  method?: "GET" | "POST" | "DELETE";
  body?: string | null;
  headers?: Record<string, string>;
  jobId?: string;
  /** The SigV4 caller (auth iam); `null` for none. */
  userArn?: string | null;
  /** The API key's id (auth apiKey). @default ALICE_KEY; `null` for none */
  apiKeyId?: string | null;
  /** The query string's parameters. */
  query?: Record<string, string>;
  isBase64Encoded?: boolean;
}

/** An API Gateway REST proxy event for `/jobs` or `/jobs/{jobId}` on stage `v1`. */
export function apiEvent(options: EventOptions = {}): APIGatewayProxyEvent {
  const method = options.method ?? (options.jobId === undefined ? "POST" : "GET");
  const resourcePath = options.jobId === undefined ? "/jobs" : `/jobs/${options.jobId}`;
  const headers = options.headers ?? (method === "POST" ? { "Content-Type": "application/json" } : {});
  return {
    resource: options.jobId === undefined ? "/jobs" : "/jobs/{jobId}",
    path: resourcePath,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: options.query ? Object.fromEntries(Object.entries(options.query).map(([k, v]) => [k, [v]])) : null,
    pathParameters: options.jobId === undefined ? null : { jobId: options.jobId },
    stageVariables: null,
    body: options.body === undefined ? (method === "POST" ? JSON.stringify({ seconds: 1 }) : null) : options.body,
    isBase64Encoded: options.isBase64Encoded ?? false,
    requestContext: {
      accountId: "123456789012",
      apiId: "a1b2c3d4e5",
      authorizer: null,
      protocol: "HTTP/1.1",
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: options.apiKeyId === undefined ? ALICE_KEY : options.apiKeyId,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: "203.0.113.9",
        user: null,
        userAgent: "tests",
        userArn: options.userArn === undefined ? ALICE : options.userArn,
      },
      domainName: "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
      path: `/v1${resourcePath}`,
      stage: "v1",
      requestId: "req-1",
      requestTimeEpoch: T0,
      resourceId: "res1",
      resourcePath: options.jobId === undefined ? "/jobs" : "/jobs/{jobId}",
    },
  } as APIGatewayProxyEvent;
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: any;
  raw: string;
}

/** The contract: no ARN, account id, stack trace or AWS error type in any response body. */
export function assertNoLeak(raw: string): void {
  expect(raw, "an ARN in a response body").not.to.match(/arn:/i);
  expect(raw, "an account id in a response body").not.to.include("123456789012");
  expect(raw, "a stack trace in a response body").not.to.match(/\n\s*at\s|\bat\s+\S+\s+\(|\.(ts|js):\d+/);
  expect(raw, "an AWS error type in a response body").not.to.match(/Exception|PreconditionFailed|NoSuchKey|ServiceException/);
}

/** Calls an API handler; checks the response shape and that it leaks nothing. */
export async function call(handler: (e: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>, event: APIGatewayProxyEvent): Promise<Answer> {
  const res = await handler(event);
  assertNoLeak(res.body);
  const headers = (res.headers ?? {}) as Record<string, string>;
  expect(headers["Content-Type"]).to.equal("application/json; charset=utf-8");
  const body = JSON.parse(res.body);
  if (res.statusCode >= 400) {
    expect(Object.keys(body)).to.deep.equal(["error"]);
    expect(Object.keys(body.error)).to.deep.equal(["code", "message"]);
    expect(body.error.code).to.match(/^[A-Z][A-Za-z]+$/);
  }
  return { status: res.statusCode, headers, body, raw: res.body };
}

/** The store the handlers use, over the fake (reads hide expired records). */
export function store(clock?: Clock): JobStore {
  return storeFromEnv({ now: clock?.now });
}

/** The stored record as it is, expired or not, straight from the fake. */
export function rawJob(fake: FakeAws, jobId: string): JobRecord | undefined {
  if (process.env[ENV.STORE] === "s3") {
    const object = fake.objects.get(`${JOBS_BUCKET}/jobs/${jobId}.json`);
    return object ? JSON.parse(object.body) : undefined;
  }
  const item = fake.items.get(`${TABLE}/${jobId}`);
  return item ? (JSON.parse(JSON.stringify(item)) as JobRecord) : undefined;
}

export function makeRecord(overrides: Partial<JobRecord> & { jobId: string }): JobRecord {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    pk: overrides.jobId,
    kind: "job",
    status: "PENDING",
    owner: ALICE,
    createdAt: iso(T0),
    updatedAt: iso(T0),
    deadline: iso(T0 + 360_000),
    expiresAt: Math.ceil((T0 + 360_000) / 1000) + TTL_SECONDS,
    version: 1,
    input: JSON.stringify({ seconds: 1 }),
    ...overrides,
  };
}

/** Writes a record through the store (as submit would). */
export async function seed(record: JobRecord): Promise<JobRecord> {
  await store().createJob(record);
  return record;
}

/** A Lambda context with a request id and time left. */
export function lambdaContext(awsRequestId = "11111111-aaaa-4bbb-8ccc-000000000001", remainingMs = 900_000) {
  return { awsRequestId, getRemainingTimeInMillis: () => remainingMs };
}

/** Overwrites the stored record as another writer would (new ETag on S3), bypassing the store. */
export function writeRaw(fake: FakeAws, record: JobRecord): void {
  if (process.env[ENV.STORE] === "s3") {
    fake.objects.set(`${JOBS_BUCKET}/jobs/${record.jobId}.json`, { body: JSON.stringify(record), etag: `"other-writer-${record.version}-${Math.random()}"` });
  } else {
    fake.items.set(`${TABLE}/${record.jobId}`, JSON.parse(JSON.stringify(record)));
  }
}

/**
 * Another writer gets in just before each of the next `times` conditional replaces of `jobId`:
 * `change` is applied to the stored record (version + 1), so the replace loses its race.
 */
export function interleave(fake: FakeAws, jobId: string, change: (current: JobRecord) => Partial<JobRecord>, times = 1): { count: number } {
  const seen = { count: 0 };
  fake.interceptors.push((op, input) => {
    const replace =
      (op === "dynamodb:Put" && input.ConditionExpression === "version = :expected" && input.Item.pk === jobId) ||
      (op === "s3:PutObject" && input.IfMatch !== undefined && input.Key === `jobs/${jobId}.json`);
    if (!replace || seen.count >= times) return undefined;
    seen.count++;
    const current = rawJob(fake, jobId)!;
    writeRaw(fake, { ...current, ...change(current), version: current.version + 1 });
    return undefined;
  });
  return seen;
}
