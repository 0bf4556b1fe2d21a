// The local SQS's cost meter (local/usage/sqs.ts): requests per 64 KB chunk, and a real local SQS
// counting real SDK calls (JSON protocol) and a query-protocol call, but not in-process sends.
import { expect } from "chai";
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { startSqsService, type LocalSqsService } from "../../../local/aws/sqs";
import { messagePayloadBytes, queueNameOf, sqsRequestsFor } from "../../../local/usage/sqs";
import { UsageMeter } from "../../../local/usage/meter";
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION } from "../../../local/aws/types";

const JOB_A = "11111111-2222-4333-8444-555555555555";
const JOB_B = "66666666-7777-4888-9999-aaaaaaaaaaaa";

describe("SQS usage: pure rules", () => {
  // https://aws.amazon.com/sqs/pricing/: "Each 64 KB chunk of a payload is billed as 1 request
  // (for example, an API action with a 256 KB payload is billed as 4 requests)".
  it("bills one request per 64 KB chunk of payload, at least one", () => {
    expect(sqsRequestsFor(0)).to.equal(1);
    expect(sqsRequestsFor(65_536)).to.equal(1);
    expect(sqsRequestsFor(65_537)).to.equal(2);
    expect(sqsRequestsFor(262_144)).to.equal(4);
  });

  // Amazon SQS Developer Guide, "Amazon SQS message attributes": name, type and value count towards the message size.
  it("measures a message as its body and its attributes' names, types and values", () => {
    expect(messagePayloadBytes("abc")).to.equal(3);
    expect(messagePayloadBytes("abc", { a: { DataType: "String", StringValue: "xy" } })).to.equal(3 + 1 + 6 + 2);
    expect(messagePayloadBytes("é")).to.equal(2);
  });

  it("names the queue of a URL, an ARN or a name", () => {
    expect(queueNameOf(`http://127.0.0.1:1/${LOCAL_ACCOUNT_ID}/dlq`)).to.equal("dlq");
    expect(queueNameOf(`arn:aws:sqs:us-east-1:${LOCAL_ACCOUNT_ID}:dlq`)).to.equal("dlq");
    expect(queueNameOf("dlq")).to.equal("dlq");
    expect(queueNameOf(undefined)).to.equal(undefined);
  });
});

describe("SQS usage: a local SQS counting real SDK calls", function () {
  let sqs: LocalSqsService;
  let client: SQSClient;
  let meter: UsageMeter;
  let url: string;

  before(async () => {
    meter = new UsageMeter();
    sqs = await startSqsService({ meter });
    url = sqs.createQueue("usage-queue").url;
    client = new SQSClient({ endpoint: sqs.endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS }, maxAttempts: 1 });
  });

  after(async () => {
    client?.destroy();
    await sqs?.stop();
  });

  // https://aws.amazon.com/sqs/pricing/: "Every Amazon SQS action counts as a request"; 64 KB chunks.
  it("counts every action, empty receives and errors included, by 64 KB chunk, per job of the message bodies", async () => {
    await client.send(new GetQueueUrlCommand({ QueueName: "usage-queue" })); // 1
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify({ jobId: JOB_A }) })); // 1, job A
    // A body holding escaped JSON (an EventBridge event inside a message), 100 KB: 2 requests, job B.
    const big = JSON.stringify({ detail: JSON.stringify({ jobId: JOB_B, pad: "p".repeat(100 * 1024) }) });
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: big })); // 2, job B
    const received = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 })); // 2, jobs A and B
    expect(received.Messages).to.have.length(2);
    for (const m of received.Messages!) await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle })); // 2
    const empty = await client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 0 })); // 1, empty
    expect(empty.Messages ?? []).to.have.length(0);
    await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] })); // 1
    const missing = await client.send(new GetQueueUrlCommand({ QueueName: "no-such-queue" })).catch((e: Error) => e); // 1, failed
    expect((missing as Error).name).to.equal("QueueDoesNotExist");
    // The query protocol (older CLIs).
    const res = await fetch(`${sqs.endpoint}/${LOCAL_ACCOUNT_ID}/usage-queue`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ Action: "SendMessage", MessageBody: JSON.stringify({ jobId: JOB_A }) }).toString(),
    }); // 1, job A
    expect(res.status).to.equal(200);
    // In process (EventBridge's and Lambda's sends count themselves): not counted here.
    await sqs.sendMessage(url, JSON.stringify({ jobId: JOB_A }));
    sqs.receive(url, 10, 30);

    const report = meter.report();
    expect(report.totals["sqs.requests"]).to.equal(12);
    expect(meter.job(JOB_A)["sqs.requests"]).to.equal(1 + 1 + 1); // send, half the receive, the query send
    expect(meter.job(JOB_B)["sqs.requests"]).to.equal(2 + 1); // the big send, half the receive
    expect(report.notPerJob["sqs.requests"]).to.equal(1 + 2 + 1 + 1 + 1); // GetQueueUrl, deletes, empty receive, attributes, failed
    expect(report.bySource["sqs:usage-queue"]["sqs.requests"]).to.equal(11);
    expect(report.bySource["sqs:no-such-queue"]["sqs.requests"]).to.equal(1);
  });
});
