// The local DynamoDB's and S3's read faults (local/admin/admin.ts kinds dynamodbReads and s3Reads): the
// next n reads fail as the services fail them on AWS, and nothing else does. AWS: "Error handling
// with DynamoDB" (500 InternalServerError, 400 ThrottlingException); Amazon S3 "Error responses"
// (500 InternalError, 503 SlowDown); the AWS SDKs and Tools reference guide "Retry behavior" (the
// SDK retries both).
import { expect } from "chai";
import * as path from "path";
import { DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { startDynamoDbService, type LocalDynamoDbService } from "../../../local/aws/dynamodb";
import { startS3Service, type LocalS3Service } from "../../../local/aws/s3";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../../local/aws/types";
import { cleanupTmpDirs, rejection, tmpDir } from "./support";

const TABLE = "jobs-table";
const BUCKET = "jobs-bucket";

describe("local DynamoDB and S3: read faults", () => {
  let dynamodb: LocalDynamoDbService;
  let s3: LocalS3Service;
  const clients: { destroy(): void }[] = [];
  const ddb = (maxAttempts?: number) => {
    const c = new DynamoDBClient({ endpoint: dynamodb.endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS }, maxAttempts });
    clients.push(c);
    return c;
  };
  const s3c = (maxAttempts?: number) => {
    const c = new S3Client({ endpoint: s3.endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS }, forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED", maxAttempts });
    clients.push(c);
    return c;
  };

  before(async () => {
    dynamodb = await startDynamoDbService({ ttlSweepMs: 0 });
    await dynamodb.createTable({ name: TABLE, hashKey: "pk", attributes: [{ name: "pk", type: "S" }] });
    s3 = await startS3Service({ dir: path.join(tmpDir("s3-read-faults"), "s3") });
    await s3.createBucket(BUCKET);
  });

  after(async () => {
    for (const c of clients) c.destroy();
    await dynamodb?.stop();
    await s3?.stop();
    cleanupTmpDirs();
  });

  it("DynamoDB: the next n item reads fail with the code asked for (500 InternalServerError by default), writes and later reads do not", async () => {
    const once = ddb(1);
    const get = () => once.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: "a" } }, ConsistentRead: true }));
    await once.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "a" } } }));

    dynamodb.failNextReads(3);
    const failed = await rejection(get());
    expect([failed.name, failed.$metadata?.httpStatusCode]).to.deep.equal(["InternalServerError", 500]);
    await once.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "b" } } })); // a write is not a read
    expect((await rejection(once.send(new ScanCommand({ TableName: TABLE })))).name).to.equal("InternalServerError");
    expect((await rejection(once.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: "pk = :a", ExpressionAttributeValues: { ":a": { S: "a" } } })))).name).to.equal("InternalServerError");
    expect((await get()).Item, "the fourth read goes through").to.deep.equal({ pk: { S: "a" } });

    dynamodb.failNextReads(1, "ThrottlingException");
    const throttled = await rejection(get());
    expect([throttled.name, throttled.$metadata?.httpStatusCode]).to.deep.equal(["ThrottlingException", 400]);

    // The default client retries past one fault; clearing (count 0) disarms.
    dynamodb.failNextReads(1);
    expect((await ddb().send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: "a" } } }))).$metadata.attempts).to.equal(2);
    dynamodb.failNextReads(5);
    dynamodb.failNextReads(0);
    expect((await get()).Item).to.deep.equal({ pk: { S: "a" } });
  });

  it("DynamoDB: read faults spare the TTL sweep's scan", async () => {
    await dynamodb.createTable({ name: "ttl-table", hashKey: "pk", attributes: [{ name: "pk", type: "S" }] });
    dynamodb.enableTtl("ttl-table", "expiresAt");
    await ddb().send(new PutItemCommand({ TableName: "ttl-table", Item: { pk: { S: "old" }, expiresAt: { N: "1" } } }));
    dynamodb.failNextReads(1);
    expect(await dynamodb.sweepTtl(Date.now())).to.equal(1);
    expect((await rejection(ddb(1).send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: "a" } } })))).name, "the fault is still armed").to.equal("InternalServerError");
  });

  it("S3: the next n object reads (GET, HEAD) fail with 503 SlowDown or 500 InternalError, writes and later reads do not", async () => {
    const once = s3c(1);
    const get = async () => (await once.send(new GetObjectCommand({ Bucket: BUCKET, Key: "jobs/a.json" }))).Body!.transformToString();
    await once.send(new PutObjectCommand({ Bucket: BUCKET, Key: "jobs/a.json", Body: '{"a":1}' }));

    s3.failNextReads(2);
    const slow = await rejection(get());
    expect([slow.name, slow.$metadata?.httpStatusCode]).to.deep.equal(["SlowDown", 503]);
    await once.send(new PutObjectCommand({ Bucket: BUCKET, Key: "jobs/b.json", Body: "{}" })); // a write is not a read
    expect((await rejection(once.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "jobs/a.json" })))).$metadata?.httpStatusCode).to.equal(503);
    expect(await get(), "the third read goes through").to.equal('{"a":1}');

    s3.failNextReads(1, 500);
    const internal = await rejection(get());
    expect([internal.name, internal.$metadata?.httpStatusCode]).to.deep.equal(["InternalError", 500]);

    s3.failNextReads(1, 500);
    const retried = await s3c().send(new GetObjectCommand({ Bucket: BUCKET, Key: "jobs/a.json" }));
    expect(retried.$metadata.attempts, "the default client retries past one fault").to.equal(2);
    await retried.Body!.transformToString();
  });
});
