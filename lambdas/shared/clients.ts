import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { S3Client } from "@aws-sdk/client-s3";
import { SFNClient } from "@aws-sdk/client-sfn";
import { STSClient } from "@aws-sdk/client-sts";

/*
 * One client per service per container, built on first use with the default configuration: the
 * region, credentials and endpoints (`AWS_ENDPOINT_URL_<SERVICE>`) come from the standard
 * environment, so the same bundle runs on AWS and on the local cloud.
 */

let documentClient: DynamoDBDocumentClient | undefined;
let s3: S3Client | undefined;
let sfn: SFNClient | undefined;
let lambda: LambdaClient | undefined;
let streams: DynamoDBStreamsClient | undefined;
let sts: STSClient | undefined;

export function dynamoDocumentClient(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
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
  };
}

export function s3Client(): S3Client {
  s3 ??= new S3Client(s3ClientConfig());
  return s3;
}

export function stsClient(): STSClient {
  sts ??= new STSClient({});
  return sts;
}

export function sfnClient(): SFNClient {
  sfn ??= new SFNClient({});
  return sfn;
}

export function lambdaClient(): LambdaClient {
  lambda ??= new LambdaClient({});
  return lambda;
}

export function dynamoStreamsClient(): DynamoDBStreamsClient {
  streams ??= new DynamoDBStreamsClient({});
  return streams;
}
