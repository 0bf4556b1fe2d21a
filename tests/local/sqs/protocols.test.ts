// What the local SQS, STS and Secrets Manager answer for an operation they do not implement: AWS's
// own error for that protocol, never silently.
// - SQS, JSON protocol: 400 with the query code in `x-amzn-query-error`
//   (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-making-api-requests-json.html);
//   the local SQS names it UnsupportedOperation
//   (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html).
// - SQS and STS, query protocol: 400 InvalidAction, "The action or operation requested is invalid"
//   (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html,
//   https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html).
// - Secrets Manager, awsJson1_1: 400 UnknownOperationException
//   (https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html).
import { expect } from "chai";
import { startSecretsManagerService, type LocalSecretsManagerService } from "../../../local/aws/secretsmanager";
import { startSqsService, type LocalSqsService } from "../../../local/aws/sqs";
import { startStsService, type LocalStsService } from "../../../local/aws/sts";

const form = { "Content-Type": "application/x-www-form-urlencoded" };

describe("local SQS, STS and Secrets Manager: unknown operations", () => {
  let sqs: LocalSqsService;
  let sts: LocalStsService;
  let secrets: LocalSecretsManagerService;

  before(async () => {
    sqs = await startSqsService();
    sts = await startStsService();
    secrets = await startSecretsManagerService();
  });
  after(async () => {
    await sqs?.stop();
    await sts?.stop();
    await secrets?.stop();
  });

  it("SQS, JSON protocol: an unknown AmazonSQS target is 400 UnsupportedOperation, with its query code", async () => {
    const res = await fetch(sqs.endpoint, { method: "POST", headers: { "X-Amz-Target": "AmazonSQS.ChangeMessageVisibility", "Content-Type": "application/x-amz-json-1.0" }, body: "{}" });
    expect(res.status).to.equal(400);
    expect(res.headers.get("content-type")).to.equal("application/x-amz-json-1.0");
    expect(res.headers.get("x-amzn-query-error")).to.equal("AWS.SimpleQueueService.UnsupportedOperation;Sender");
    expect(await res.json()).to.deep.equal({ __type: "com.amazonaws.sqs#UnsupportedOperation", message: "AmazonSQS.ChangeMessageVisibility is not supported by the local SQS" });
    const other = await fetch(sqs.endpoint, { method: "POST", headers: { "X-Amz-Target": "AWSEvents.PutEvents" }, body: "{}" });
    expect(other.status).to.equal(400);
    expect(((await other.json()) as { __type: string }).__type).to.equal("com.amazonaws.sqs#UnsupportedOperation");
  });

  it("SQS, JSON protocol: a body that is not JSON is 400 InvalidParameterValue, and a served operation still answers", async () => {
    const bad = await fetch(sqs.endpoint, { method: "POST", headers: { "X-Amz-Target": "AmazonSQS.ListQueues" }, body: "{nope" });
    expect(bad.status).to.equal(400);
    expect(await bad.json()).to.deep.equal({ __type: "com.amazonaws.sqs#InvalidParameterValue", message: "The request body is not JSON" });
    const listed = await fetch(sqs.endpoint, { method: "POST", headers: { "X-Amz-Target": "AmazonSQS.ListQueues" }, body: "" });
    expect(listed.status).to.equal(200);
    expect(await listed.json()).to.deep.equal({ QueueUrls: [] });
  });

  it("SQS, query protocol: an unknown or missing Action is 400 InvalidAction", async () => {
    for (const body of ["Action=ChangeMessageVisibility&Version=2012-11-05", "Version=2012-11-05"]) {
      const res = await fetch(sqs.endpoint, { method: "POST", headers: form, body });
      expect(res.status, body).to.equal(400);
      const xml = await res.text();
      expect(xml).to.match(/^<\?xml version="1.0"\?><ErrorResponse xmlns="http:\/\/queue.amazonaws.com\/doc\/2012-11-05\/"><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code>/);
      expect(xml).to.contain("is not valid for this endpoint.</Message><Detail/></Error>");
    }
    const got = await fetch(`${sqs.endpoint}/?Action=Nope`);
    expect(got.status).to.equal(400);
    expect(await got.text()).to.contain("<Code>InvalidAction</Code><Message>The action Nope is not valid for this endpoint.</Message>");
  });

  it("STS: an Action other than AssumeRole (or none) is 400 InvalidAction", async () => {
    const unknown = await fetch(sts.endpoint, { method: "POST", headers: form, body: "Action=GetCallerIdentity&Version=2011-06-15" });
    expect(unknown.status).to.equal(400);
    expect(await unknown.text()).to.match(
      /^<ErrorResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/"><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code><Message>Could not find operation GetCallerIdentity for version 2011-06-15<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/,
    );
    const missing = await fetch(sts.endpoint, { method: "POST", headers: form, body: "Version=2011-06-15" });
    expect(missing.status).to.equal(400);
    expect(await missing.text()).to.contain("<Code>InvalidAction</Code>");
    const got = await fetch(`${sts.endpoint}/?Action=GetSessionToken`);
    expect(got.status).to.equal(400);
    expect(await got.text()).to.contain("<Code>InvalidAction</Code><Message>Could not find operation GetSessionToken for version 2011-06-15</Message>");
  });

  it("Secrets Manager: an unknown target, no target or not a POST is 400 UnknownOperationException", async () => {
    const cases: [RequestInit, string][] = [
      [{ method: "POST", headers: { "X-Amz-Target": "secretsmanager.ListSecrets" }, body: "{}" }, "The local Secrets Manager does not serve secretsmanager.ListSecrets"],
      [{ method: "POST", body: "{}" }, "The local Secrets Manager does not serve this request"],
      [{ method: "GET", headers: { "X-Amz-Target": "secretsmanager.GetSecretValue" } }, "The local Secrets Manager does not serve secretsmanager.GetSecretValue"],
    ];
    for (const [init, message] of cases) {
      const res = await fetch(secrets.endpoint, init);
      expect(res.status, message).to.equal(400);
      expect(res.headers.get("content-type")).to.equal("application/x-amz-json-1.1");
      expect(await res.json()).to.deep.equal({ __type: "UnknownOperationException", message });
    }
  });
});
