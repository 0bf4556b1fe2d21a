import { expect } from "chai";
import * as p from "../../../components/iam/policies";
import { simulate } from "../../support/iam";

const ACCOUNT = "123456789012";
const TABLE = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/jobs-store-jobs`;
const BUCKET = "arn:aws:s3:::jobs-store-bucket";
const SM = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:jobs-workflow`;
const FN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:jobs-worker`;

describe("components/iam/policies", () => {
  it("record access on DynamoDB: read is GetItem only, submit can also delete idempotency records", async () => {
    const read = p.document(...p.recordStatements({ kind: "dynamodb", tableArn: TABLE }, "read"));
    expect(await simulate(read, "dynamodb:GetItem", TABLE)).to.equal("Allowed");
    expect(await simulate(read, "dynamodb:PutItem", TABLE)).to.equal("ImplicitlyDenied");
    expect(await simulate(read, "dynamodb:GetItem", `${TABLE}-other`)).to.equal("ImplicitlyDenied");
    expect(await simulate(read, "dynamodb:Scan", TABLE)).to.equal("ImplicitlyDenied");
    const submit = p.document(...p.recordStatements({ kind: "dynamodb", tableArn: TABLE }, "submit"));
    // "Using IAM policy conditions for fine-grained access control" (dynamodb:LeadingKeys).
    expect(await simulate(submit, "dynamodb:DeleteItem", TABLE, { "dynamodb:LeadingKeys": `idem#${"ab".repeat(32)}` })).to.equal("Allowed");
    expect(await simulate(submit, "dynamodb:DeleteItem", TABLE, { "dynamodb:LeadingKeys": "3b241101-e2bb-4255-8caf-4136c566a962" })).to.equal("ImplicitlyDenied");
    const rw = p.document(...p.recordStatements({ kind: "dynamodb", tableArn: TABLE }, "readWrite"));
    expect(await simulate(rw, "dynamodb:PutItem", TABLE)).to.equal("Allowed");
    expect(await simulate(rw, "dynamodb:DeleteItem", TABLE)).to.equal("ImplicitlyDenied");
  });

  it("record access on S3 is limited to the jobs/ and idempotency/ prefixes", async () => {
    const submit = p.document(...p.recordStatements({ kind: "s3", bucketArn: BUCKET }, "submit"));
    expect(await simulate(submit, "s3:PutObject", `${BUCKET}/jobs/abc.json`)).to.equal("Allowed");
    expect(await simulate(submit, "s3:DeleteObject", `${BUCKET}/idempotency/abc.json`)).to.equal("Allowed");
    expect(await simulate(submit, "s3:DeleteObject", `${BUCKET}/jobs/abc.json`)).to.equal("ImplicitlyDenied");
    expect(await simulate(submit, "s3:PutObject", `${BUCKET}/results/abc.json`)).to.equal("ImplicitlyDenied");
    // ListBucket on its own bucket only, so a missing key answers 404 rather than 403.
    expect(await simulate(submit, "s3:ListBucket", BUCKET)).to.equal("Allowed");
    expect(await simulate(submit, "s3:ListBucket", "arn:aws:s3:::another-bucket")).to.equal("ImplicitlyDenied");
    const read = p.document(...p.recordStatements({ kind: "s3", bucketArn: BUCKET }, "read"));
    expect(await simulate(read, "s3:GetObject", `${BUCKET}/jobs/abc.json`)).to.equal("Allowed");
    expect(await simulate(read, "s3:PutObject", `${BUCKET}/jobs/abc.json`)).to.equal("ImplicitlyDenied");
  });

  it("listing: a Query of the owner index alone on DynamoDB; on S3, the listing and the jobs it names", async () => {
    const dynamo = p.document(...p.listStatements({ kind: "dynamodb", tableArn: TABLE }));
    expect(await simulate(dynamo, "dynamodb:Query", `${TABLE}/index/byOwner`)).to.equal("Allowed");
    expect(await simulate(dynamo, "dynamodb:Query", TABLE)).to.equal("ImplicitlyDenied");
    expect(await simulate(dynamo, "dynamodb:Scan", `${TABLE}/index/byOwner`)).to.equal("ImplicitlyDenied");
    expect(await simulate(dynamo, "dynamodb:GetItem", TABLE)).to.equal("ImplicitlyDenied");
    const s3 = p.document(...p.listStatements({ kind: "s3", bucketArn: BUCKET }));
    expect(await simulate(s3, "s3:ListBucket", BUCKET)).to.equal("Allowed");
    expect(await simulate(s3, "s3:GetObject", `${BUCKET}/jobs/x.json`)).to.equal("Allowed");
    expect(await simulate(s3, "s3:GetObject", `${BUCKET}/results/x.json`)).to.equal("ImplicitlyDenied");
    expect(await simulate(s3, "s3:PutObject", `${BUCKET}/index/x`)).to.equal("ImplicitlyDenied");
  });

  it("results: read and write are separate and limited to results/", async () => {
    const write = p.document(p.resultStatement(BUCKET, "write"));
    expect(await simulate(write, "s3:PutObject", `${BUCKET}/results/x.json`)).to.equal("Allowed");
    expect(await simulate(write, "s3:GetObject", `${BUCKET}/results/x.json`)).to.equal("ImplicitlyDenied");
    expect(await simulate(write, "s3:PutObject", `${BUCKET}/jobs/x.json`)).to.equal("ImplicitlyDenied");
  });

  it("Step Functions: start the one state machine, stop only its executions", async () => {
    const start = p.document(p.startExecutionStatement(SM));
    expect(await simulate(start, "states:StartExecution", SM)).to.equal("Allowed");
    expect(await simulate(start, "states:StartExecution", `${SM}-other`)).to.equal("ImplicitlyDenied");
    const stop = p.document(p.stopExecutionStatement(SM));
    expect(p.executionsArnPattern(SM)).to.equal(`arn:aws:states:us-east-1:${ACCOUNT}:execution:jobs-workflow:*`);
    expect(await simulate(stop, "states:StopExecution", `arn:aws:states:us-east-1:${ACCOUNT}:execution:jobs-workflow:0f8e2c1a-1111-4222-8333-444455556666`)).to.equal("Allowed");
    expect(await simulate(stop, "states:StopExecution", `arn:aws:states:us-east-1:${ACCOUNT}:execution:other:0f8e2c1a`)).to.equal("ImplicitlyDenied");
    expect(await simulate(stop, "states:DescribeExecution", `arn:aws:states:us-east-1:${ACCOUNT}:execution:jobs-workflow:x`)).to.equal("ImplicitlyDenied");
    expect(() => p.executionsArnPattern(FN)).to.throw(/not a state machine ARN/);
  });

  it("invoke: the function and its versions, nothing else", async () => {
    const invoke = p.document(p.invokeFunctionStatement("Invoke", [FN]));
    expect(await simulate(invoke, "lambda:InvokeFunction", FN)).to.equal("Allowed");
    expect(await simulate(invoke, "lambda:InvokeFunction", `${FN}:$LATEST`)).to.equal("Allowed");
    expect(await simulate(invoke, "lambda:InvokeFunction", `${FN}-other`)).to.equal("ImplicitlyDenied");
  });

  it("the API invoker policy allows exactly the four routes of one stage", async () => {
    const api = `arn:aws:execute-api:us-east-1:${ACCOUNT}:a1b2c3d4e5`;
    const doc = p.document(p.invokeApiStatement(api, "v1"));
    expect(await simulate(doc, "execute-api:Invoke", `${api}/v1/POST/jobs`)).to.equal("Allowed");
    expect(await simulate(doc, "execute-api:Invoke", `${api}/v1/GET/jobs/0f8e2c1a-1111-4222-8333-444455556666`)).to.equal("Allowed");
    expect(await simulate(doc, "execute-api:Invoke", `${api}/v1/GET/jobs`)).to.equal("Allowed");
    expect(await simulate(doc, "execute-api:Invoke", `${api}/v1/DELETE/jobs/abc`)).to.equal("Allowed");
    expect(await simulate(doc, "execute-api:Invoke", `${api}/v1/PUT/jobs/abc`)).to.equal("ImplicitlyDenied");
    expect(await simulate(doc, "execute-api:Invoke", `${api}/prod/POST/jobs`)).to.equal("ImplicitlyDenied");
    expect(await simulate(doc, "execute-api:Invoke", `arn:aws:execute-api:us-east-1:${ACCOUNT}:zzzzzzzzzz/v1/POST/jobs`)).to.equal("ImplicitlyDenied");
  });

  it("the state machine's record statement is UpdateItem on the table only", async () => {
    const doc = p.document(p.stateMachineRecordStatement(TABLE));
    expect(await simulate(doc, "dynamodb:UpdateItem", TABLE)).to.equal("Allowed");
    expect(await simulate(doc, "dynamodb:DeleteItem", TABLE)).to.equal("ImplicitlyDenied");
  });

  // "Actions, resources, and condition keys for Amazon CloudWatch Logs": DescribeLogGroups has no
  // resource type ("you must specify all resources"); the others take log-group or log-stream.
  it("API Gateway's logging role: DescribeLogGroups on *, everything else on the region's log groups", async () => {
    const statements = p.apiGatewayLoggingStatements("us-east-1", ACCOUNT);
    expect(statements.find((s) => s.Action.includes("logs:DescribeLogGroups"))).to.deep.include({ Action: ["logs:DescribeLogGroups"], Resource: ["*"] });
    for (const s of statements.filter((s) => !s.Action.includes("logs:DescribeLogGroups"))) expect(s.Resource).to.deep.equal([`arn:aws:logs:us-east-1:${ACCOUNT}:log-group:*`]);
    const doc = p.document(...statements);
    expect(await simulate(doc, "logs:PutLogEvents", `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:API-Gateway-Execution-Logs_x/v1:log-stream:s`)).to.equal("Allowed");
    expect(await simulate(doc, "logs:PutLogEvents", `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:other:log-stream:s`)).to.equal("ImplicitlyDenied");
  });

  it("a stream event source mapping reads and describes the stream; the failure recorder only reads records back", async () => {
    const stream = `${TABLE}/stream/2026-01-01T00:00:00.000`;
    const recorder = p.document(p.streamRecordsStatement(stream));
    expect(await simulate(recorder, "dynamodb:GetRecords", stream)).to.equal("Allowed");
    expect(await simulate(recorder, "dynamodb:DescribeStream", stream)).to.equal("ImplicitlyDenied");
    const consume = p.document(p.queueConsumeStatement("Consume", "arn:aws:sqs:us-east-1:123456789012:q"));
    expect(await simulate(consume, "sqs:ChangeMessageVisibility", "arn:aws:sqs:us-east-1:123456789012:q")).to.equal("ImplicitlyDenied");
  });

  it("trust policies: service principals, and the account root for the invoker role", () => {
    const sfn = p.serviceTrustPolicy("states.amazonaws.com", ACCOUNT);
    expect(sfn.Statement[0]).to.deep.include({ Principal: { Service: "states.amazonaws.com" }, Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } } });
    expect(p.serviceTrustPolicy("lambda.amazonaws.com").Statement[0].Condition).to.equal(undefined);
    expect(p.accountTrustPolicy(ACCOUNT).Statement[0].Principal).to.deep.equal({ AWS: `arn:aws:iam::${ACCOUNT}:root` });
  });
});
