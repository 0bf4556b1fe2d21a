import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { S3Client } from "@aws-sdk/client-s3";
import { SFNClient } from "@aws-sdk/client-sfn";
import { STSClient } from "@aws-sdk/client-sts";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";

/*
 * One client per service per container, built on first use with the default configuration: the
 * region, credentials and endpoints (`AWS_ENDPOINT_URL_<SERVICE>`) come from the standard
 * environment, so the same bundle runs on AWS and on the local cloud.
 */

/**
 * Per attempt: a connection must open within 1 s and a socket may stay idle 2 s (`socketTimeout`:
 * @smithy/node-http-handler's `requestTimeout` only warns unless told to throw). The SDK's default
 * has no timeout, so a hung call would hold an API function to its own 10 s limit and the caller
 * would get API Gateway's 502 or 504; with these, the SDK's attempts (4 for DynamoDB) end in a
 * TimeoutError well within it, which answers the contract's 503 (./serviceFailure.ts). No call
 * here waits long on the service: idle time, not transfer time, is what is limited.
 */
export const HTTP_TIMEOUTS = { connectionTimeout: 1000, socketTimeout: 2000 } as const;

let documentClient: DynamoDBDocumentClient | undefined;
let s3: S3Client | undefined;
let sfn: SFNClient | undefined;
let lambda: LambdaClient | undefined;
let streams: DynamoDBStreamsClient | undefined;
let sts: STSClient | undefined;
let events: EventBridgeClient | undefined;
let sqs: SQSClient | undefined;
let secrets: SecretsManagerClient | undefined;

export function dynamoDocumentClient(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({ requestHandler: HTTP_TIMEOUTS }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

/** The S3 client options every S3 client here uses; `credentials` for one signing as another role. */
export function s3ClientConfig(): ConstructorParameters<typeof S3Client>[0] & object {
  return {
    // Emulators serve buckets by path, not by virtual host.
    forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3),
    requestChecksumCalculation: "WHEN_REQUIRED",
    requestHandler: HTTP_TIMEOUTS,
  };
}

export function s3Client(): S3Client {
  s3 ??= new S3Client(s3ClientConfig());
  return s3;
}

export function stsClient(): STSClient {
  sts ??= new STSClient({ requestHandler: HTTP_TIMEOUTS });
  return sts;
}

export function sfnClient(): SFNClient {
  sfn ??= new SFNClient({ requestHandler: HTTP_TIMEOUTS });
  return sfn;
}

export function lambdaClient(): LambdaClient {
  lambda ??= new LambdaClient({ requestHandler: HTTP_TIMEOUTS });
  return lambda;
}

export function dynamoStreamsClient(): DynamoDBStreamsClient {
  streams ??= new DynamoDBStreamsClient({ requestHandler: HTTP_TIMEOUTS });
  return streams;
}

export function eventBridgeClient(): EventBridgeClient {
  events ??= new EventBridgeClient({ requestHandler: HTTP_TIMEOUTS });
  return events;
}

export function sqsClient(): SQSClient {
  sqs ??= new SQSClient({ requestHandler: HTTP_TIMEOUTS });
  return sqs;
}

export function secretsManagerClient(): SecretsManagerClient {
  secrets ??= new SecretsManagerClient({ requestHandler: HTTP_TIMEOUTS });
  return secrets;
}

/** Forgets every client, so the next use builds one from the environment as it is then (tests). */
export function resetClients(): void {
  for (const client of [documentClient, s3, sfn, lambda, streams, sts, events, sqs, secrets]) client?.destroy();
  documentClient = s3 = sfn = lambda = streams = sts = events = sqs = secrets = undefined;
}
