/**
 * The price table: AWS list prices in us-east-1 (US East, N. Virginia), on-demand, without the
 * free tier, the first pricing tier of each. This is the one place a price is written: the local
 * cloud's usage report (`GET /__local/usage`), `npm start -- --usage` and `npm run bench:cost`
 * all read it.
 *
 * Each price names the AWS pricing page it comes from. PRICES_AS_OF dates the figures: the pages'
 * list prices as published through 2026-06. The machine this was written on cannot reach
 * aws.amazon.com: the Lambda and DynamoDB figures were checked against copies of those pages found
 * by search, the others were not checked live. Re-read the pages before relying on a figure.
 */

export const PRICES_AS_OF = "2026-06";
export const PRICES_REGION = "us-east-1";

export interface UnitPrice {
  /** US dollars per one unit. */
  usd: number;
  /** What one unit is, in AWS's words. */
  unit: string;
  /** The AWS pricing page the price comes from. */
  page: string;
  /** How the price is read from the page (tier, conversion). */
  note?: string;
}

const per = (usd: number, units: number) => usd / units;
const GIB = 1024 ** 3;

const LAMBDA = "https://aws.amazon.com/lambda/pricing/";
const API_GATEWAY = "https://aws.amazon.com/api-gateway/pricing/";
const STEP_FUNCTIONS = "https://aws.amazon.com/step-functions/pricing/";
const DYNAMODB = "https://aws.amazon.com/dynamodb/pricing/on-demand/";
const S3 = "https://aws.amazon.com/s3/pricing/";
const EVENTBRIDGE = "https://aws.amazon.com/eventbridge/pricing/";
const SQS = "https://aws.amazon.com/sqs/pricing/";
const FARGATE = "https://aws.amazon.com/fargate/pricing/";
const CLOUDWATCH = "https://aws.amazon.com/cloudwatch/pricing/";
const SECRETS_MANAGER = "https://aws.amazon.com/secrets-manager/pricing/";

export const UNIT_PRICES = {
  "apigateway.requests": { usd: per(3.5, 1e6), unit: "REST API request", page: API_GATEWAY, note: "$3.50 per million, the first 333 million a month" },

  "lambda.requests": { usd: per(0.2, 1e6), unit: "invocation", page: LAMBDA, note: "$0.20 per million" },
  "lambda.gbSecondsArm64": { usd: 0.0000133334, unit: "GB-second on arm64", page: LAMBDA, note: "configured memory (GB) × duration rounded up to 1 ms; the first 7.5 billion GB-s a month" },
  "lambda.gbSecondsX86": { usd: 0.0000166667, unit: "GB-second on x86_64", page: LAMBDA, note: "the first 6 billion GB-s a month" },

  "stepfunctions.standardTransitions": { usd: per(0.025, 1000), unit: "state transition (standard workflow)", page: STEP_FUNCTIONS, note: "$0.025 per 1,000; each state entered and each retry counts" },
  "stepfunctions.expressRequests": { usd: per(1, 1e6), unit: "express workflow execution", page: STEP_FUNCTIONS, note: "$1.00 per million" },
  "stepfunctions.expressGbSeconds": { usd: 0.00001667, unit: "express GB-second", page: STEP_FUNCTIONS, note: "64 MB chunks × duration rounded up to 100 ms; $0.00001667 per GB-s for the first 1,000 hours" },

  "dynamodb.writeRequestUnits": { usd: per(0.625, 1e6), unit: "write request unit", page: DYNAMODB, note: "$0.625 per million; 1 KB a unit, a transactional write counts double" },
  "dynamodb.readRequestUnits": { usd: per(0.125, 1e6), unit: "read request unit", page: DYNAMODB, note: "$0.125 per million; 4 KB a unit strongly consistent, half eventually consistent, double in a transaction" },
  "dynamodb.streamReadRequests": { usd: per(0.02, 100_000), unit: "DynamoDB Streams GetRecords call", page: DYNAMODB, note: "$0.02 per 100,000 read request units" },
  "dynamodb.streamReadRequestsByLambda": { usd: 0, unit: "GetRecords call of a Lambda trigger", page: DYNAMODB, note: "free: \"GetRecords API calls invoked by AWS Lambda as part of DynamoDB triggers are free\"" },

  "s3.putRequests": { usd: per(0.005, 1000), unit: "PUT, COPY, POST or LIST request", page: S3, note: "S3 Standard, $0.005 per 1,000" },
  "s3.getRequests": { usd: per(0.0004, 1000), unit: "GET, HEAD and all other requests", page: S3, note: "S3 Standard, $0.0004 per 1,000 (DELETE is free)" },
  "s3.storageGbMonths": { usd: 0.023, unit: "GB-month stored", page: S3, note: "S3 Standard, the first 50 TB; an object counts until its lifecycle expiry" },

  "eventbridge.events": { usd: per(1, 1e6), unit: "custom event published (64 KB chunk)", page: EVENTBRIDGE, note: "$1.00 per million; events from AWS services (S3) are free" },
  "sqs.requests": { usd: per(0.4, 1e6), unit: "SQS API request (64 KB chunk)", page: SQS, note: "standard queue, $0.40 per million after the free million" },

  "fargate.vcpuSeconds": { usd: per(0.04048, 3600), unit: "vCPU-second (Linux, x86)", page: FARGATE, note: "$0.04048 per vCPU-hour, per second with a one-minute minimum" },
  "fargate.gbSeconds": { usd: per(0.004445, 3600), unit: "GB-second of task memory (Linux, x86)", page: FARGATE, note: "$0.004445 per GB-hour, per second with a one-minute minimum" },

  "logs.ingestedBytes": { usd: per(0.5, GIB), unit: "byte of logs ingested", page: CLOUDWATCH, note: "$0.50 per GB ingested (standard log class)" },
  "secretsmanager.apiCalls": { usd: per(0.05, 10_000), unit: "Secrets Manager API call", page: SECRETS_MANAGER, note: "$0.05 per 10,000 (the secret itself is $0.40 a month, not per job)" },
} as const satisfies Record<string, UnitPrice>;

export type UnitKey = keyof typeof UNIT_PRICES;

export const UNIT_KEYS = Object.keys(UNIT_PRICES) as UnitKey[];
