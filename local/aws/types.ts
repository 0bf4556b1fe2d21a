/**
 * The local cloud's service interfaces: each emulated AWS service is an object that the resource
 * monitor (local/monitor/) configures from the program's declared resources, and that serves
 * the real AWS wire protocol on a loopback port so the handlers' AWS SDK clients reach it through
 * `AWS_ENDPOINT_URL_<SERVICE>`.
 */

export const LOCAL_ACCOUNT_ID = "000000000000";
export const LOCAL_REGION = "us-east-1";
/** Credentials the emulated functions get (s3rver only accepts this access key). */
export const LOCAL_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

/** A started HTTP service. */
export interface RunningService {
  /** e.g. `http://127.0.0.1:41234` (no trailing slash). */
  endpoint: string;
  stop(): Promise<void>;
}

/** Where every emulator listens: handed to functions as `AWS_ENDPOINT_URL_<SERVICE>`. */
export interface Endpoints {
  dynamodb: string;
  s3: string;
  lambda: string;
  sfn: string;
  /** EventBridge (`AWSEvents.<Action>`, awsJson1_1). */
  eventbridge?: string;
  /** SQS (`AmazonSQS.<Action>`, awsJson1_0; and the query protocol older CLIs speak). */
  sqs?: string;
  /** ECS (`AmazonEC2ContainerServiceV20141113.<Action>`), for worker fargate's tasks. */
  ecs?: string;
  /** STS (query protocol): `AssumeRole`, for signing `resultUrl`s with credentials of a known lifetime. */
  sts?: string;
  /** Secrets Manager (`secretsmanager.<Action>`, awsJson1_1): `GetSecretValue`, for the webhook signing secret. */
  secretsmanager?: string;
}

/** The environment that points AWS SDK v3 clients at the local services. */
export function sdkEnvironment(endpoints: Endpoints): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    // The local DynamoDB serves the Streams API on the same endpoint.
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_LAMBDA: endpoints.lambda,
    AWS_ENDPOINT_URL_SFN: endpoints.sfn,
    ...(endpoints.eventbridge ? { AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventbridge } : {}),
    ...(endpoints.sqs ? { AWS_ENDPOINT_URL_SQS: endpoints.sqs } : {}),
    ...(endpoints.ecs ? { AWS_ENDPOINT_URL_ECS: endpoints.ecs } : {}),
    ...(endpoints.sts ? { AWS_ENDPOINT_URL_STS: endpoints.sts } : {}),
    ...(endpoints.secretsmanager ? { AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsmanager } : {}),
    // Lets webhooks go to http:// and loopback receivers here, never on AWS (lambdas/shared/env.ts).
    ASYNC_API_LOCAL_CLOUD: "1",
    AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: "1",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
}

// ---------------------------------------------------------------------------------------------
// Lambda

export interface LocalFunctionConfig {
  /** Physical function name. */
  name: string;
  arn: string;
  /** The bundle's JavaScript text (`index.js` of the function's AssetArchive). */
  code: string;
  /** `index.handler` */
  handler: string;
  /** The function's own environment variables (the service adds `sdkEnvironment` and Lambda's own AWS_LAMBDA_* variables). */
  environment: Record<string, string>;
  timeoutSeconds: number;
  memorySize: number;
  /** `["arm64"]` or `["x86_64"]` (absent: x86_64, as on AWS): which GB-second price the cost meter uses. */
  architectures?: string[];
}

export interface EventInvokeConfig {
  maximumRetryAttempts: number;
  maximumEventAgeInSeconds: number;
  /**
   * Where Lambda sends its destination record when an async invocation finally fails: a function
   * (invoked with the record), an EventBridge bus (an event whose `detail` is the record) or an
   * SQS queue (a message whose body is the record).
   */
  onFailureDestination?: string;
}

/** What a synchronous invoke returns, as Lambda's Invoke API does. */
export interface InvokeResult {
  statusCode: number;
  /** `Unhandled` when the function threw, crashed or timed out. */
  functionError?: "Unhandled";
  /** The response payload (JSON text); for errors `{"errorType","errorMessage","trace"}`. */
  payload: string;
}

export interface LambdaService extends RunningService {
  createFunction(config: LocalFunctionConfig): Promise<void>;
  putEventInvokeConfig(functionName: string, config: EventInvokeConfig): void;
  /** `RequestResponse` waits for the result; `Event` queues it (retries, max age, destination) and resolves at once with 202. */
  invoke(functionNameOrArn: string, payload: string, type: "RequestResponse" | "Event"): Promise<InvokeResult>;
  /** Starts polling a DynamoDB stream or an SQS queue for a function. */
  createEventSourceMapping(mapping: LocalEventSourceMapping): void;
}

// ---------------------------------------------------------------------------------------------
// Step Functions

export interface LocalStateMachineConfig {
  name: string;
  arn: string;
  /** ASL JSON text. */
  definition: string;
  type: "STANDARD" | "EXPRESS";
  roleArn: string;
}

export interface StepFunctionsService extends RunningService {
  createStateMachine(config: LocalStateMachineConfig): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// DynamoDB and S3

/** A global secondary index, in `aws.dynamodb.Table`'s terms. */
export interface LocalGlobalSecondaryIndex {
  name: string;
  hashKey: string;
  rangeKey?: string;
  projectionType: string;
  nonKeyAttributes?: string[];
}

export interface DynamoDbService extends RunningService {
  /** Creates the table (or keeps it, when the state dir already has it). */
  createTable(input: {
    name: string;
    hashKey: string;
    attributes: { name: string; type: string }[];
    rangeKey?: string;
    /** As `aws.dynamodb.Table`'s `globalSecondaryIndexes`; one missing from a kept table is added. */
    globalSecondaryIndexes?: LocalGlobalSecondaryIndex[];
  }): Promise<void>;
  /** Emulates DynamoDB TTL: items whose `attribute` (epoch seconds) is in the past are deleted by a periodic sweep. */
  enableTtl(tableName: string, attribute: string): void;
  /** Runs one TTL sweep now (tests call this instead of waiting). */
  sweepTtl(now?: number): Promise<number>;
  /** Turns on the table's stream (kept across restarts with the same state dir); returns its ARN. */
  enableStream(tableName: string, viewType: StreamViewType): string;
  /** Writes one item (DynamoDB JSON), as `aws.dynamodb.TableItem` does. */
  putItem(tableName: string, item: DynamoDbItem): Promise<void>;
}

export interface S3Service extends RunningService {
  /** Creates the bucket (or keeps it, when the state dir already has it). */
  createBucket(name: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// API Gateway

export interface LocalApiKey {
  id: string;
  value: string;
  enabled: boolean;
}

export interface ApiGatewayService extends RunningService {
  /** Imports an OpenAPI document (the RestApi's `body`) under an API id. */
  putRestApi(apiId: string, body: string): void;
  /** Snapshots the API's current document as a deployment. */
  createDeployment(apiId: string, deploymentId: string): void;
  /** Serves a deployment at `${endpoint}/${stageName}`; returns the stage's invoke URL. */
  createStage(apiId: string, stageName: string, deploymentId: string): string;
  createApiKey(key: LocalApiKey): void;
  /** Makes the keys of a usage plan valid on these stages. */
  createUsagePlan(planId: string, stages: { apiId: string; stage: string }[]): void;
  addUsagePlanKey(planId: string, keyId: string): void;
  /** Records a `lambda:InvokeFunction` permission for `apigateway.amazonaws.com` (checked before each integration call). */
  addLambdaPermission(functionNameOrArn: string, sourceArn: string): void;
}

// ---------------------------------------------------------------------------------------------
// EventBridge and SQS

/** An event as EventBridge delivers it to targets (and keeps it in archives). */
export interface EventEnvelope {
  version: "0";
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  /** ISO 8601, whole seconds (`2026-03-01T12:00:00Z`). */
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
  /** Set on events a replay re-sends. */
  "replay-name"?: string;
}

/** An event an AWS service puts on a bus itself (Lambda destinations, Step Functions status changes): its `source` may be `aws.*`. */
export interface ServiceEvent {
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
  resources?: string[];
  time?: Date;
}

/** Where services send their events: a bus by name or ARN. Rejects when the bus does not exist. */
export interface EventsSink {
  publish(busNameOrArn: string, event: ServiceEvent): Promise<{ eventId: string }>;
}

export interface LocalEventRule {
  name: string;
  /** @default "default" */
  eventBusName?: string;
  /** JSON text. */
  eventPattern?: string;
  /** @default "ENABLED" */
  state?: "ENABLED" | "DISABLED" | string;
  description?: string;
}

export interface LocalEventTarget {
  /** `targetId`. */
  id: string;
  /** A Lambda function, an event bus or an SQS queue. */
  arn: string;
  roleArn?: string;
  /** EventBridge's defaults: 185 attempts, 86400 s. */
  retryPolicy?: { maximumRetryAttempts?: number; maximumEventAgeInSeconds?: number };
  /** An SQS queue ARN. */
  deadLetterArn?: string;
  /** Constant JSON text sent instead of the event. */
  input?: string;
  /** A JSONPath (`$.detail`, `$.detail.x`) selecting what is sent. */
  inputPath?: string;
}

export interface LocalEventArchive {
  name: string;
  /** The bus whose events it keeps. */
  eventSourceArn: string;
  /** JSON text; absent = every event on the bus. */
  eventPattern?: string;
  /** 0 or absent = indefinitely. */
  retentionDays?: number;
  description?: string;
}

export interface EventBridgeService extends RunningService, EventsSink {
  /** Returns the bus ARN. */
  createEventBus(name: string): string;
  /** Returns the rule ARN. */
  putRule(rule: LocalEventRule): string;
  putTarget(ruleName: string, eventBusName: string | undefined, target: LocalEventTarget): void;
  /** Creates (or keeps, with its events, when the state dir already has it) an archive; returns its ARN. */
  createArchive(archive: LocalEventArchive): string;
  /** Records a `lambda:InvokeFunction` permission for `events.amazonaws.com` (checked before each delivery). */
  addLambdaPermission(functionNameOrArn: string, sourceArn: string): void;
}

/** A message attribute as SQS takes it. */
export interface QueueMessageAttribute {
  DataType: string;
  StringValue?: string;
}

export interface QueueSink {
  /** Sends to a queue given by URL or ARN; rejects when it does not exist. */
  sendMessage(queueUrlOrArn: string, body: string, attributes?: Record<string, QueueMessageAttribute>): Promise<{ messageId: string }>;
}

export interface SqsService extends RunningService, QueueSink {
  /** Creates (or keeps, with its messages, when the state dir already has it) a queue. */
  createQueue(name: string, attributes?: Record<string, string>): { url: string; arn: string };
  /** The queue's resource policy (JSON text). */
  setQueuePolicy(queueUrlOrArn: string, policy: string): void;
  /** Whether the queue's policy lets `service` (e.g. `events.amazonaws.com`) send to it on behalf of `sourceArn`. */
  allowsServiceSend(queueUrlOrArn: string, service: string, sourceArn: string): boolean;
}

// ---------------------------------------------------------------------------------------------
// DynamoDB Streams and Lambda event source mappings

export type StreamViewType = "KEYS_ONLY" | "NEW_IMAGE" | "OLD_IMAGE" | "NEW_AND_OLD_IMAGES";

/** A DynamoDB JSON item (`{"pk": {"S": "..."}}`). */
export type DynamoDbItem = Record<string, Record<string, unknown>>;

/** One stream record, exactly as Lambda hands it to a function in `event.Records[]`. */
export interface DynamoDbStreamRecord {
  eventID: string;
  eventName: "INSERT" | "MODIFY" | "REMOVE";
  eventVersion: "1.1";
  eventSource: "aws:dynamodb";
  awsRegion: string;
  dynamodb: {
    /** Epoch seconds. */
    ApproximateCreationDateTime: number;
    Keys: DynamoDbItem;
    NewImage?: DynamoDbItem;
    OldImage?: DynamoDbItem;
    /** Decimal digits; increases along the stream (compare as BigInt or by length then text). */
    SequenceNumber: string;
    SizeBytes: number;
    StreamViewType: StreamViewType;
  };
  /** TTL deletions only: `{"type": "Service", "principalId": "dynamodb.amazonaws.com"}`. */
  userIdentity?: { type: "Service"; principalId: "dynamodb.amazonaws.com" };
  eventSourceARN: string;
}

/** The local DynamoDB Streams, as the event source mappings read them (one shard per stream). */
export interface DynamoDbStreamSource {
  /** The stream's view type, or undefined when no such stream exists. */
  viewType(streamArn: string): StreamViewType | undefined;
  /** The id of the stream's only shard, as DescribeStream reports it (failure records name it). */
  shardId(streamArn: string): string;
  /**
   * Records after `afterSequenceNumber` (exclusive; undefined = from the trim horizon, i.e. the
   * oldest record still within the 24-hour retention), oldest first, at most `limit`.
   */
  readRecords(streamArn: string, afterSequenceNumber: string | undefined, limit: number): DynamoDbStreamRecord[];
  /** The newest record's sequence number (undefined for an empty stream): where `LATEST` starts. */
  latestSequenceNumber(streamArn: string): string | undefined;
  /** Calls `listener` after records are appended to the stream; returns a function that unsubscribes. */
  onAppend(streamArn: string, listener: () => void): () => void;
}

/** A message as a queue hands it to a consumer. */
export interface ReceivedQueueMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: Record<string, string>;
  messageAttributes: Record<string, QueueMessageAttribute>;
  md5OfBody: string;
}

/** What the SQS event source mapping needs of the local SQS. */
export interface QueueSource {
  /** Receives up to `max` visible messages, hiding them for `visibilityTimeoutSeconds`. */
  receive(queueUrlOrArn: string, max: number, visibilityTimeoutSeconds: number): ReceivedQueueMessage[];
  deleteMessage(queueUrlOrArn: string, receiptHandle: string): void;
  /** Calls `listener` when a message is sent to the queue; returns a function that unsubscribes. */
  onMessage(queueUrlOrArn: string, listener: () => void): () => void;
}

/** `aws.lambda.EventSourceMapping`'s inputs that the local cloud honours. */
export interface LocalEventSourceMapping {
  /** The mapping's UUID. */
  uuid: string;
  /** A DynamoDB stream ARN or an SQS queue ARN. */
  eventSourceArn: string;
  functionName: string;
  /** @default 100 (streams), 10 (SQS) */
  batchSize?: number;
  /** Streams only. */
  startingPosition?: "LATEST" | "TRIM_HORIZON";
  /** Lambda event filter patterns (JSON text each), matched against each record; a record matching none is dropped. */
  filterPatterns?: string[];
  /** Streams only: split a failing batch in two and retry each half. */
  bisectBatchOnFunctionError?: boolean;
  /** Streams only: -1 = until the record expires. @default -1 */
  maximumRetryAttempts?: number;
  /** Streams only: -1 = 24 hours (the stream's retention). @default -1 */
  maximumRecordAgeInSeconds?: number;
  /** Streams only: an SQS queue ARN that gets Lambda's failure record for a batch given up on. */
  onFailureDestination?: string;
  /**
   * Streams only: concurrent batches per shard, 1..10; records with the same partition key (the
   * item's `Keys`) always go to the same batch lane, in order. @default 1
   */
  parallelizationFactor?: number;
  /** `ReportBatchItemFailures` */
  functionResponseTypes?: string[];
  /** @default true */
  enabled?: boolean;
}
