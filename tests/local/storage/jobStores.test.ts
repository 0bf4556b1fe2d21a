/*
 * The project's own job stores (lambdas/shared/store) against the local emulators, configured the
 * way a handler on the local cloud is: through the environment (`sdkEnvironment`, ASYNC_API_*).
 * The clients are built exactly as lambdas/shared/clients.ts builds them (its module-level
 * singletons may already exist in this mocha process with another environment).
 */
import { expect } from "chai";
import * as path from "path";
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { DeleteObjectCommand, GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { startDynamoDbService } from "../../../local/aws/dynamodb";
import type { LocalDynamoDbService } from "../../../local/aws/dynamodb";
import { startS3Service } from "../../../local/aws/s3";
import type { LocalS3Service } from "../../../local/aws/s3";
import { sdkEnvironment } from "../../../local/aws/types";
import { config, required } from "../../../lambdas/shared/config";
import { ENV } from "../../../lambdas/shared/env";
import { ConflictError, DynamoDbJobStore, S3JobStore } from "../../../lambdas/shared/store";
import type { JobStore, ListPosition } from "../../../lambdas/shared/store";
import { jobsTableKeys } from "../../../lambdas/shared/store/listIndex";
import { idempotencyKey, jobKey } from "../../../lambdas/shared/store/s3";
import type { IdempotencyRecord, JobRecord } from "../../../lambdas/shared/types";
import { cleanupTmpDirs, rejection, setEnv, tmpDir } from "./support";

const TABLE = "async-api-jobs";
const BUCKET = "async-api-jobs-bucket";
const T0 = Date.parse("2030-01-01T00:00:00.000Z");

function job(jobId: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    pk: jobId,
    kind: "job",
    jobId,
    status: "PENDING",
    owner: "public",
    createdAt: new Date(T0).toISOString(),
    updatedAt: new Date(T0).toISOString(),
    deadline: new Date(T0 + 600_000).toISOString(),
    expiresAt: T0 / 1000 + 3600,
    version: 1,
    input: '{"seconds":1}',
    ...overrides,
  };
}

function idempotency(pk: string, jobId: string, expiresAt = T0 / 1000 + 3600): IdempotencyRecord {
  return { pk, kind: "idempotency", jobId, bodyHash: "0".repeat(64), createdAt: new Date(T0).toISOString(), expiresAt };
}

/** The store contract, the same for both stores. */
function storeContract(make: (now?: () => number) => JobStore): void {
  const now = () => T0;

  it("creates a job once; a second create is a ConflictError", async () => {
    const store = make(now);
    await store.createJob(job("job-create"));
    expect(await store.getJob("job-create")).to.deep.include({ jobId: "job-create", status: "PENDING", version: 1 });
    const err = await rejection(store.createJob(job("job-create", { input: '{"other":true}' })));
    expect(err).to.be.instanceOf(ConflictError);
    expect((await make(now).getJob("job-create"))?.input).to.equal('{"seconds":1}');
  });

  it("replaces a job at the expected version; a stale replace is a ConflictError", async () => {
    const store = make(now);
    await store.createJob(job("job-replace"));
    const read = (await store.getJob("job-replace"))!;
    const written = await store.replaceJob({ ...read, status: "RUNNING" }, 1);
    expect(written.version).to.equal(2);
    expect(await make(now).getJob("job-replace")).to.deep.include({ status: "RUNNING", version: 2 });

    // A stale writer (still at version 1) loses.
    const stale = await rejection(make(now).replaceJob({ ...read, status: "CANCELLED" }, 1));
    expect(stale).to.be.instanceOf(ConflictError);
    expect(await make(now).getJob("job-replace")).to.deep.include({ status: "RUNNING", version: 2 });
  });

  it("a writer whose read was overtaken by another writer loses (optimistic lock on the stored record)", async () => {
    const a = make(now);
    const b = make(now);
    await a.createJob(job("job-overtaken"));
    const seenByA = (await a.getJob("job-overtaken"))!;
    const seenByB = (await b.getJob("job-overtaken"))!;
    await b.replaceJob({ ...seenByB, status: "RUNNING" }, 1);
    const err = await rejection(a.replaceJob({ ...seenByA, status: "CANCELLED" }, 1));
    expect(err).to.be.instanceOf(ConflictError);
    expect(await make(now).getJob("job-overtaken")).to.deep.include({ status: "RUNNING", version: 2 });
  });

  it("lets exactly one of several concurrent writers at the same version win", async () => {
    await make(now).createJob(job("job-race"));
    const writers = await Promise.all(Array.from({ length: 8 }, async () => {
      const store = make(now);
      return { store, read: (await store.getJob("job-race"))! };
    }));
    const results = await Promise.allSettled(writers.map(({ store, read }, i) => store.replaceJob({ ...read, status: "FAILED", error: { code: "E", message: `writer ${i}` } }, 1)));
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).to.have.length(1);
    for (const r of results) if (r.status === "rejected") expect(r.reason).to.be.instanceOf(ConflictError);
    const stored = (await make(now).getJob("job-race"))!;
    expect(stored.version).to.equal(2);
    expect(stored.error?.message).to.equal((won[0] as PromiseFulfilledResult<JobRecord>).value.error?.message);
  });

  it("treats an expired job as absent", async () => {
    await make(now).createJob(job("job-expired", { expiresAt: T0 / 1000 - 1 }));
    expect(await make(now).getJob("job-expired")).to.equal(undefined);
  });

  it("creates idempotency records once, replaces an expired one, and deletes them", async () => {
    const store = make(now);
    await store.createIdempotency(idempotency("idem#aaa", "job-1"));
    expect(await rejection(store.createIdempotency(idempotency("idem#aaa", "job-2")))).to.be.instanceOf(ConflictError);
    expect((await store.getIdempotency("idem#aaa"))?.jobId).to.equal("job-1");

    await store.createIdempotency(idempotency("idem#old", "job-old", T0 / 1000 - 1));
    await store.createIdempotency(idempotency("idem#old", "job-new"));
    expect((await store.getIdempotency("idem#old"))?.jobId).to.equal("job-new");

    await store.deleteIdempotency("idem#aaa");
    expect(await store.getIdempotency("idem#aaa")).to.equal(undefined);
    await store.createIdempotency(idempotency("idem#aaa", "job-3"));
    expect((await store.getIdempotency("idem#aaa"))?.jobId).to.equal("job-3");
  });

  // CONTRACT.md, "GET /jobs": one owner's jobs, newest first, from an index (never a scan).
  it("lists one owner's jobs newest first, each once across pages, without others' jobs, expired ones or inputs", async () => {
    const owner = `arn:aws:iam::123456789012:user/lister-${Math.random().toString(36).slice(2)}`;
    const at = (s: number) => new Date(T0 - s * 1000).toISOString();
    const ids = ["a", "b", "c", "d", "e", "f", "g"].map((x) => `00000000-0000-4000-8000-00000000000${x}`);
    const store = make(now);
    // Two jobs in the same millisecond; created out of order.
    const ages = [5, 1, 3, 3, 7, 2, 6];
    for (const [i, id] of ids.entries()) await store.createJob(job(id, { owner, createdAt: at(ages[i]), updatedAt: at(ages[i]) }));
    await store.createJob(job("00000000-0000-4000-8000-0000000000ee", { owner, createdAt: at(0), expiresAt: T0 / 1000 - 1 }));
    await store.createJob(job("00000000-0000-4000-8000-0000000000ff", { owner: `${owner}-other`, createdAt: at(0) }));
    await store.createIdempotency(idempotency(`idem#list-${owner.length}`, ids[0]));

    const seen: string[] = [];
    const pages: number[] = [];
    let after: ListPosition | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await store.listJobs(owner, { limit: 3, after });
      pages.push(page.jobs.length);
      for (const listed of page.jobs) {
        expect(listed.owner).to.equal(owner);
        expect(listed).to.not.have.property("input");
        seen.push(listed.jobId);
      }
      if (!page.next) break;
      after = page.next;
    }
    const newestFirst = [...ids].sort((x, y) => ages[ids.indexOf(x)] - ages[ids.indexOf(y)]);
    expect(seen.slice().sort()).to.deep.equal([...ids].sort());
    expect(seen.map((id) => ages[ids.indexOf(id)]), "createdAt descending").to.deep.equal(newestFirst.map((id) => ages[ids.indexOf(id)]));
    expect(Math.max(...pages)).to.be.at.most(3);
    expect((await store.listJobs(`${owner}-nobody`, { limit: 5 })).jobs).to.deep.equal([]);
  });
}

describe("the job stores on the local emulators", function () {
  let dynamodb: LocalDynamoDbService;
  let s3: LocalS3Service;
  let restoreEnv: () => void;

  before(async () => {
    const dir = tmpDir("stores");
    dynamodb = await startDynamoDbService({ dir: path.join(dir, "dynamodb"), ttlSweepMs: 0 });
    s3 = await startS3Service({ dir: path.join(dir, "s3") });
    // The table as components/resultStore.ts declares it.
    await dynamodb.createTable({ name: TABLE, ...jobsTableKeys() });
    dynamodb.enableTtl(TABLE, "expiresAt");
    await s3.createBucket(BUCKET);
    restoreEnv = setEnv({
      ...sdkEnvironment({ dynamodb: dynamodb.endpoint, s3: s3.endpoint, lambda: "http://127.0.0.1:9", sfn: "http://127.0.0.1:9" }),
      [ENV.JOBS_TABLE]: TABLE,
      [ENV.JOBS_BUCKET]: BUCKET,
    });
  });

  after(async () => {
    restoreEnv?.();
    await dynamodb?.stop();
    await s3?.stop();
    cleanupTmpDirs();
  });

  describe("S3JobStore", () => {
    const clients: S3Client[] = [];
    after(() => clients.forEach((c) => c.destroy()));
    // As lambdas/shared/clients.ts: endpoint, region and credentials from the environment.
    const make = (now?: () => number) => {
      const client = new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3), requestChecksumCalculation: "WHEN_REQUIRED" });
      clients.push(client);
      return new S3JobStore(required(config().jobsBucket, ENV.JOBS_BUCKET), { now }, client);
    };

    it("reaches the local S3 through AWS_ENDPOINT_URL_S3 alone", async () => {
      await make().createJob(job("job-where"));
      const out = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: jobKey("job-where") }));
      expect(JSON.parse(await out.Body!.transformToString())).to.deep.include({ jobId: "job-where", version: 1 });
      expect(idempotencyKey("idem#x")).to.equal("idempotency/x.json");
    });

    it("a replace of a record deleted since it was read (S3 answers 404 to If-Match) is a ConflictError", async () => {
      const store = make(() => T0);
      await store.createJob(job("job-vanished"));
      const read = (await store.getJob("job-vanished"))!;
      await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: jobKey("job-vanished") }));
      expect(await rejection(store.replaceJob({ ...read, status: "RUNNING" }, 1))).to.be.instanceOf(ConflictError);
    });

    storeContract(make);
  });

  describe("DynamoDbJobStore", () => {
    const clients: DynamoDBClient[] = [];
    after(() => clients.forEach((c) => c.destroy()));
    const make = (now?: () => number) => {
      const client = new DynamoDBClient({});
      clients.push(client);
      const document = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
      return new DynamoDbJobStore(required(config().jobsTable, ENV.JOBS_TABLE), { now }, document);
    };

    it("reaches the local DynamoDB through AWS_ENDPOINT_URL_DYNAMODB alone", async () => {
      await make().createJob(job("job-where"));
      const out = await dynamodb.client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: "job-where" } } }));
      expect(out.Item?.jobId).to.deep.equal({ S: "job-where" });
    });

    storeContract(make);

    // "Error handling with DynamoDB": the SDK retries a 500 by itself. Here the first PutItem is
    // applied and then answered 500, so the SDK's own retry fails `attribute_not_exists(pk)`.
    it("creates a job whose first answer was lost: the real SDK's retry finds the job it wrote, and the create succeeds", async () => {
      let calls = 0;
      const remove = dynamodb.use(async (call, next) => {
        if (call.operation !== "PutItem") return next();
        calls++;
        if (calls > 1) return next();
        const chunks: Buffer[] = [];
        for await (const chunk of call.req) chunks.push(chunk as Buffer);
        await dynamodb.client.send(new PutItemCommand(JSON.parse(Buffer.concat(chunks).toString("utf8"))));
        call.res.writeHead(500, { "content-type": "application/x-amz-json-1.0" });
        call.res.end(JSON.stringify({ __type: "com.amazonaws.dynamodb.v20120810#InternalServerError", message: "Internal server error (the answer is lost)" }));
      });
      try {
        await make(() => T0).createJob(job("job-lost-answer"));
      } finally {
        remove();
      }
      expect(calls).to.be.at.least(3); // the lost attempt, our own PutItem, the SDK's retry
      expect(await make(() => T0).getJob("job-lost-answer")).to.deep.include({ jobId: "job-lost-answer", version: 1 });
    });

    it("the TTL sweep removes expired records the store already hides", async () => {
      await make(() => T0).createJob(job("job-ttl", { expiresAt: T0 / 1000 + 10 }));
      expect(await make(() => T0).getJob("job-ttl")).to.not.equal(undefined);
      expect(await dynamodb.sweepTtl(T0)).to.equal(2); // the two expired jobs of the contract tests
      expect(await dynamodb.sweepTtl(T0 + 10_000)).to.equal(1);
      const out = await dynamodb.client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: "job-ttl" } } }));
      expect(out.Item).to.equal(undefined);
    });
  });
});
