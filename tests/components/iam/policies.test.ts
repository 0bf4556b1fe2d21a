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
    expect(await simulate(submit, "dynamodb:DeleteItem", TABLE)).to.equal("Allowed");
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

  it("the API invoker policy allows exactly the three routes of one stage", async () => {
    const api = `arn:aws:execute-api:us-east-1:${ACCOUNT}:a1b2c3d4e5`;
    const doc = p.document(p.invokeApiStatement(api, "v1"));
    expect(await simulate(doc, "execute-api:Invoke", `${api}/v1/POST/jobs`)).to.equal("Allowed");
    expect(await simulate(doc, "execute-api:Invoke", `${api}/v1/GET/jobs/0f8e2c1a-1111-4222-8333-444455556666`)).to.equal("Allowed");
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

  it("trust policies: service principals, and the account root for the invoker role", () => {
    const sfn = p.serviceTrustPolicy("states.amazonaws.com", ACCOUNT);
    expect(sfn.Statement[0]).to.deep.include({ Principal: { Service: "states.amazonaws.com" }, Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } } });
    expect(p.serviceTrustPolicy("lambda.amazonaws.com").Statement[0].Condition).to.equal(undefined);
    expect(p.accountTrustPolicy(ACCOUNT).Statement[0].Principal).to.deep.equal({ AWS: `arn:aws:iam::${ACCOUNT}:root` });
  });
});
