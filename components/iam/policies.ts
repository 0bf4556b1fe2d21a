/**
 * IAM policy documents, as pure functions of plain ARNs: every statement names its actions and its
 * resources (no `*`), so each role can do exactly what its function needs.
 */

import { OWNER_INDEX, S3_INDEX_PREFIX } from "../../lambdas/shared/store/listIndex";

type Condition = Record<string, Record<string, string | string[]>>;

/** A statement of an identity policy: named actions on named resources. */
export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string[];
  Resource: string[];
  Condition?: Condition;
}

/** A statement of a trust policy: who may assume the role. */
export interface TrustStatement {
  Effect: "Allow";
  Action: ["sts:AssumeRole"];
  Principal: { Service: string } | { AWS: string };
  Condition?: Condition;
}

export interface PolicyDocument<S = PolicyStatement> {
  Version: "2012-10-17";
  Statement: S[];
}

export const document = (...statements: PolicyStatement[]): PolicyDocument => ({ Version: "2012-10-17", Statement: statements });

/**
 * Trust policy that lets an AWS service assume a role; with `sourceAccount`, only on behalf of
 * this account (the confused-deputy guard Step Functions documents; Lambda execution roles go
 * without it, as Lambda's own examples do).
 */
export function serviceTrustPolicy(service: string, sourceAccount?: string): PolicyDocument<TrustStatement> {
  const statement: TrustStatement = { Effect: "Allow", Action: ["sts:AssumeRole"], Principal: { Service: service } };
  if (sourceAccount) statement.Condition = { StringEquals: { "aws:SourceAccount": sourceAccount } };
  return { Version: "2012-10-17", Statement: [statement] };
}

/** Trust policy of a role that principals of this account assume when IAM allows them (and, with `condition`, only those it matches). */
export function accountTrustPolicy(accountId: string, condition?: Condition): PolicyDocument<TrustStatement> {
  const statement: TrustStatement = { Effect: "Allow", Action: ["sts:AssumeRole"], Principal: { AWS: `arn:aws:iam::${accountId}:root` } };
  if (condition) statement.Condition = condition;
  return { Version: "2012-10-17", Statement: [statement] };
}

/** A Lambda function writing to its own log group. */
export function logsStatement(logGroupArn: string): PolicyStatement {
  return { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${logGroupArn}:*`] };
}

/** Where job records live: a DynamoDB table, or a bucket with `jobs/` and `idempotency/` prefixes. */
export type RecordLocation = { kind: "dynamodb"; tableArn: string } | { kind: "s3"; bucketArn: string };

/** What a function does with job records. */
export type RecordAccess = "read" | "readWrite" | "submit";

/** Statements for reading or writing job (and, for `submit`, idempotency) records. */
export function recordStatements(location: RecordLocation, access: RecordAccess): PolicyStatement[] {
  if (location.kind === "dynamodb") {
    const actions = access === "read" ? ["dynamodb:GetItem"] : ["dynamodb:GetItem", "dynamodb:PutItem"];
    const records: PolicyStatement = { Sid: "JobRecords", Effect: "Allow", Action: actions, Resource: [location.tableArn] };
    if (access !== "submit") return [records];
    // Submit deletes only the idempotency record it took, when the job cannot be created: items
    // whose key starts with `idem#` ("Using IAM policy conditions for fine-grained access
    // control": dynamodb:LeadingKeys), never a job.
    const release: PolicyStatement = {
      Sid: "ReleaseIdempotencyRecords",
      Effect: "Allow",
      Action: ["dynamodb:DeleteItem"],
      Resource: [location.tableArn],
      Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["idem#*"] } },
    };
    return [records, release];
  }
  const jobs = `${location.bucketArn}/jobs/*`;
  const idempotency = `${location.bucketArn}/idempotency/*`;
  const index = `${location.bucketArn}/${S3_INDEX_PREFIX}*`;
  // Without ListBucket, S3 answers a GET of a missing key with 403 instead of 404, and an unknown
  // or expired job id would look like an access error rather than "not found".
  const list: PolicyStatement = { Sid: "TellMissingRecords", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [location.bucketArn] };
  if (access === "read") return [{ Sid: "JobRecords", Effect: "Allow", Action: ["s3:GetObject"], Resource: [jobs] }, list];
  if (access === "readWrite") return [{ Sid: "JobRecords", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: [jobs] }, list];
  return [
    { Sid: "JobRecords", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: [jobs] },
    { Sid: "IdempotencyRecords", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: [idempotency] },
    // A new job's entry in its owner's index (lambdas/shared/store/listIndex.ts), written only.
    { Sid: "IndexJobs", Effect: "Allow", Action: ["s3:PutObject"], Resource: [index] },
    list,
  ];
}

/**
 * GET /jobs: reading one owner's index. DynamoDB: `Query` on the owner index alone, never on the
 * table ("Using IAM policy conditions for fine-grained access control": an index is its own
 * resource, `table/<name>/index/<index>`), and nothing else: the index holds what a list shows.
 * S3: listing the index prefix and reading the jobs it names.
 */
export function listStatements(location: RecordLocation): PolicyStatement[] {
  if (location.kind === "dynamodb") {
    return [{ Sid: "ListOwnJobs", Effect: "Allow", Action: ["dynamodb:Query"], Resource: [`${location.tableArn}/index/${OWNER_INDEX.name}`] }];
  }
  return [
    { Sid: "ReadListedJobs", Effect: "Allow", Action: ["s3:GetObject"], Resource: [`${location.bucketArn}/jobs/*`] },
    { Sid: "ListOwnJobs", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [location.bucketArn] },
  ];
}

/** Reading (`GetObject`, also what a presigned `resultUrl` is signed with) or writing offloaded results. */
export function resultStatement(resultsBucketArn: string, access: "read" | "write"): PolicyStatement {
  return {
    Sid: access === "read" ? "ReadResults" : "WriteResults",
    Effect: "Allow",
    Action: [access === "read" ? "s3:GetObject" : "s3:PutObject"],
    Resource: [`${resultsBucketArn}/results/*`],
  };
}

/** Assuming one named role (the status function, the result-reader role). */
export function assumeRoleStatement(sid: string, roleArn: string): PolicyStatement {
  return { Sid: sid, Effect: "Allow", Action: ["sts:AssumeRole"], Resource: [roleArn] };
}

export function invokeFunctionStatement(sid: string, functionArns: string[]): PolicyStatement {
  return { Sid: sid, Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: functionArns.flatMap((a) => [a, `${a}:*`]) };
}

export function startExecutionStatement(stateMachineArn: string): PolicyStatement {
  return { Sid: "StartJobExecutions", Effect: "Allow", Action: ["states:StartExecution"], Resource: [stateMachineArn] };
}

/** `arn:aws:states:r:a:stateMachine:name` → `arn:aws:states:r:a:execution:name:*` */
export function executionsArnPattern(stateMachineArn: string): string {
  const parts = stateMachineArn.split(":");
  if (parts.length < 7 || parts[5] !== "stateMachine") throw new Error(`not a state machine ARN: ${stateMachineArn}`);
  return [...parts.slice(0, 5), "execution", parts[6], "*"].join(":");
}

export function stopExecutionStatement(stateMachineArn: string): PolicyStatement {
  return { Sid: "StopJobExecutions", Effect: "Allow", Action: ["states:StopExecution"], Resource: [executionsArnPattern(stateMachineArn)] };
}

/** The state machine writing job records straight to DynamoDB (`arn:aws:states:::dynamodb:updateItem`). */
export function stateMachineRecordStatement(tableArn: string): PolicyStatement {
  return { Sid: "RecordJobStatus", Effect: "Allow", Action: ["dynamodb:UpdateItem"], Resource: [tableArn] };
}

/** Routes of the API, as `execute-api:Invoke` resources of one stage. */
export function invokeApiStatement(executionArn: string, stageName: string): PolicyStatement {
  const base = `${executionArn}/${stageName}`;
  return {
    Sid: "InvokeJobRoutes",
    Effect: "Allow",
    Action: ["execute-api:Invoke"],
    Resource: [`${base}/POST/jobs`, `${base}/GET/jobs`, `${base}/GET/jobs/*`, `${base}/DELETE/jobs/*`],
  };
}

/**
 * API Gateway's account-level CloudWatch role, allowed to write log groups of one account and
 * region. It is shared by every REST API there, so it cannot be narrowed to one log group.
 * `logs:DescribeLogGroups` has no resource type ("Actions, resources, and condition keys for
 * Amazon CloudWatch Logs": it lists the account's groups), so `*` is its only resource.
 */
export function apiGatewayLoggingStatements(region: string, accountId: string): PolicyStatement[] {
  return [
    {
      Sid: "WriteApiGatewayLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents", "logs:GetLogEvents", "logs:FilterLogEvents"],
      Resource: [`arn:aws:logs:${region}:${accountId}:log-group:*`],
    },
    { Sid: "ListLogGroups", Effect: "Allow", Action: ["logs:DescribeLogGroups"], Resource: ["*"] },
  ];
}

/**
 * A state machine's CloudWatch Logs delivery ("Logging in CloudWatch Logs" in the Step Functions
 * guide): the log delivery API is account-wide and takes no resource in IAM, so `*` is the only
 * resource of these actions; none of them reads or writes a log event.
 */
export function logDeliveryStatement(): PolicyStatement {
  return {
    Sid: "DeliverExecutionLogs",
    Effect: "Allow",
    Action: [
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
    ],
    Resource: ["*"],
  };
}

/** Putting events on one EventBridge bus (Lambda destinations and bus-to-bus targets send with the role given). */
export function putEventsStatement(sid: string, eventBusArn: string): PolicyStatement {
  return { Sid: sid, Effect: "Allow", Action: ["events:PutEvents"], Resource: [eventBusArn] };
}

/** Sending messages to one SQS queue (a Lambda on-failure destination sends with the function's role). */
export function sendMessageStatement(sid: string, queueArn: string): PolicyStatement {
  return { Sid: sid, Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [queueArn] };
}

/** A statement of a resource policy: a service principal, named actions on the resource itself. */
export interface ResourcePolicyStatement {
  Sid?: string;
  Effect: "Allow";
  Principal: { Service: string };
  Action: string[];
  Resource: string[];
  Condition: Condition;
}

/**
 * The policy of a dead-letter queue of EventBridge targets: `events.amazonaws.com` may send to it
 * on behalf of these rules only (`aws:SourceArn`), and of no other rule or account.
 */
export function deadLetterQueuePolicy(queueArn: string, ruleArns: string[]): PolicyDocument<ResourcePolicyStatement> {
  if (!ruleArns.length) throw new Error("deadLetterQueuePolicy: give the ARNs of the rules whose targets dead-letter to the queue");
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DeadLetterFromFailureRules",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: ["sqs:SendMessage"],
        Resource: [queueArn],
        Condition: { ArnEquals: { "aws:SourceArn": ruleArns } },
      },
    ],
  };
}

/**
 * The policy of a queue that EventBridge rules send to (a target, or their targets' dead-letter
 * queue): `events.amazonaws.com` may send to it on behalf of these rules only (`aws:SourceArn`).
 */
export function eventRuleQueuePolicy(sid: string, queueArn: string, ruleArns: string[]): PolicyDocument<ResourcePolicyStatement> {
  if (!ruleArns.length) throw new Error("eventRuleQueuePolicy: give the ARNs of the rules that send to the queue");
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: sid,
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: ["sqs:SendMessage"],
        Resource: [queueArn],
        Condition: { ArnEquals: { "aws:SourceArn": ruleArns } },
      },
    ],
  };
}

/** Reading one secret's value (the webhook signing secret), and no other secret. */
export function readSecretStatement(secretArn: string): PolicyStatement {
  return { Sid: "ReadWebhookSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [secretArn] };
}

/**
 * The S3 events publisher: reading job records, and reading and writing the markers of the
 * events already published (`events/<jobId>.json`); ListBucket so a missing key is a 404.
 */
export function bucketPublisherStatements(bucketArn: string): PolicyStatement[] {
  return [
    { Sid: "ReadJobRecords", Effect: "Allow", Action: ["s3:GetObject"], Resource: [`${bucketArn}/jobs/*`] },
    { Sid: "PublishedMarkers", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: [`${bucketArn}/events/*`] },
    { Sid: "TellMissingRecords", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [bucketArn] },
  ];
}

/**
 * API Gateway's own role for backend `stream`'s POST /jobs: the `Update` and `ConditionCheck`
 * items of one TransactWriteItems call on the jobs table (transactions need no action of their own).
 */
export function gatewaySubmitStatement(tableArn: string): PolicyStatement {
  return { Sid: "SubmitJobs", Effect: "Allow", Action: ["dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"], Resource: [tableArn] };
}

/** Reading one table stream: what a stream event source mapping needs of the function's role. */
export function streamReadStatement(streamArn: string): PolicyStatement {
  return {
    Sid: "ReadJobStream",
    Effect: "Allow",
    Action: ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
    Resource: [streamArn],
  };
}

/** Reading a failed batch back from a table stream, by sequence number (the stream failure recorder): no DescribeStream. */
export function streamRecordsStatement(streamArn: string): PolicyStatement {
  return { Sid: "ReadFailedBatches", Effect: "Allow", Action: ["dynamodb:GetShardIterator", "dynamodb:GetRecords"], Resource: [streamArn] };
}

/**
 * `dynamodb:ListStreams`, which Lambda lists among a stream event source mapping's required
 * permissions: it takes no resource in IAM (it lists an account's streams and reads none of them),
 * so `*` is its only resource.
 * See https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-eventsourcemapping.html
 */
export function listStreamsStatement(): PolicyStatement {
  return { Sid: "ListStreams", Effect: "Allow", Action: ["dynamodb:ListStreams"], Resource: ["*"] };
}

/** Consuming one SQS queue through an event source mapping: the three actions of AWSLambdaSQSQueueExecutionRole. */
export function queueConsumeStatement(sid: string, queueArn: string): PolicyStatement {
  return { Sid: sid, Effect: "Allow", Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], Resource: [queueArn] };
}

/**
 * Pulling one ECR repository's images (a task's execution role). `ecr:GetAuthorizationToken` is
 * account-wide by design (it returns a registry login, not access to a repository): its resource
 * can only be `*`, and the pull itself stays limited to the repository.
 */
export function ecrPullStatements(repositoryArn: string): PolicyStatement[] {
  return [
    { Sid: "RegistryLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
    { Sid: "PullWorkerImage", Effect: "Allow", Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"], Resource: [repositoryArn] },
  ];
}

/** Writing log streams of one log group (a task's awslogs driver, through its execution role). */
export function logStreamStatement(logGroupArn: string): PolicyStatement {
  const group = logGroupArn.replace(/:\*$/, "");
  return { Sid: "WriteWorkerLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${group}:*`] };
}

/**
 * Answering task tokens (the worker task: SendTaskSuccess, SendTaskFailure, heartbeats). These
 * actions take no resource in IAM (the unguessable token is the capability, and names no state
 * machine), so `*` is their only resource: the role has no other Step Functions action.
 * See https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html
 */
export function sendTaskResultStatement(): PolicyStatement {
  return { Sid: "AnswerJobTasks", Effect: "Allow", Action: ["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"], Resource: ["*"] };
}

/**
 * The state machine running the worker task: `ecs:RunTask` on the task definition's revisions, in
 * this cluster only, and passing exactly the task's two roles to ECS.
 */
export function runTaskStatements(args: { taskDefinitionArnPattern: string; clusterArn: string; roleArns: string[] }): PolicyStatement[] {
  return [
    { Sid: "RunWorkerTask", Effect: "Allow", Action: ["ecs:RunTask"], Resource: [args.taskDefinitionArnPattern], Condition: { ArnEquals: { "ecs:cluster": args.clusterArn } } },
    { Sid: "PassWorkerRoles", Effect: "Allow", Action: ["iam:PassRole"], Resource: args.roleArns, Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } } },
  ];
}
