// The local DynamoDB answers an operation it does not serve as DynamoDB does: HTTP 400 with
// `UnknownOperationException` ("Common Errors", Amazon DynamoDB API Reference,
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/CommonErrors.html: "The action or
// operation requested is invalid. Verify that the action is typed correctly."), for the DynamoDB
// API, the DynamoDB Streams API on the same endpoint, and a target of no DynamoDB API at all.
import { expect } from "chai";
import { startDynamoDbService, type LocalDynamoDbService } from "../../../local/aws/dynamodb";

describe("local DynamoDB: an operation it does not serve answers UnknownOperationException", function () {
  let service: LocalDynamoDbService;

  before(async () => {
    service = await startDynamoDbService({ ttlSweepMs: 0 });
  });
  after(async () => {
    await service.stop();
  });

  async function call(target: string): Promise<{ status: number; type: string }> {
    const res = await fetch(service.endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": target,
        "x-amz-date": "20200101T000000Z",
        authorization: "AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
      },
      body: "{}",
    });
    const body = (await res.json()) as { __type?: string };
    return { status: res.status, type: String(body.__type ?? "") };
  }

  for (const target of ["DynamoDB_20120810.NoSuchThing", "DynamoDBStreams_20120810.NoSuchThing", "AmazonSQS.SendMessage"]) {
    it(`answers ${target} with 400 UnknownOperationException`, async () => {
      const { status, type } = await call(target);
      expect(status).to.equal(400);
      expect(type.slice(type.indexOf("#") + 1)).to.equal("UnknownOperationException");
    });
  }

  it("still serves the operations it knows on the same endpoint (ListTables, ListStreams)", async () => {
    expect((await call("DynamoDB_20120810.ListTables")).status).to.equal(200);
    expect((await call("DynamoDBStreams_20120810.ListStreams")).status).to.equal(200);
  });
});
