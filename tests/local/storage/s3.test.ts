import { expect } from "chai";
import * as path from "path";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { startS3Service } from "../../../local/aws/s3";
import type { LocalS3Service } from "../../../local/aws/s3";
import { KeyedRwLock } from "../../../local/aws/s3/keyedLock";
import { issueSessionToken } from "../../../local/aws/sts/sessionToken";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../../local/aws/types";
import { cleanupTmpDirs, rejection, tmpDir } from "./support";

const BUCKET = "jobs-bucket";

function clientFor(service: LocalS3Service, maxAttempts?: number): S3Client {
  return new S3Client({
    endpoint: service.endpoint,
    region: LOCAL_REGION,
    credentials: { ...LOCAL_CREDENTIALS },
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    maxAttempts,
  });
}

async function text(client: S3Client, key: string): Promise<string | undefined> {
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return await out.Body!.transformToString("utf-8");
  } catch (err) {
    if ((err as Error).name === "NoSuchKey") return undefined;
    throw err;
  }
}

function put(client: S3Client, key: string, body: string, condition: { IfNoneMatch?: string; IfMatch?: string } = {}) {
  return client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: "application/json", ...condition }));
}

describe("local S3 (s3rver with conditional writes)", function () {
  let service: LocalS3Service;
  let client: S3Client;
  let dir: string;

  before(async () => {
    dir = path.join(tmpDir("s3"), "s3");
    service = await startS3Service({ dir });
    await service.createBucket(BUCKET);
    client = clientFor(service);
  });

  after(async () => {
    client?.destroy();
    await service?.stop();
    cleanupTmpDirs();
  });

  it("serves path-style on 127.0.0.1, and createBucket is idempotent", async () => {
    expect(service.endpoint).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    await service.createBucket(BUCKET);
    const buckets = await client.send(new ListBucketsCommand({}));
    expect(buckets.Buckets?.map((b) => b.Name)).to.deep.equal([BUCKET]);
  });

  it("puts and gets objects", async () => {
    const out = await put(client, "plain/a.json", '{"a":1}');
    expect(out.ETag).to.match(/^"[0-9a-f]{32}"$/);
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "plain/a.json" }));
    expect(await got.Body!.transformToString()).to.equal('{"a":1}');
    expect(got.ETag).to.equal(out.ETag);
    expect(got.ContentType).to.equal("application/json");
    expect(await text(client, "plain/missing.json")).to.equal(undefined);
  });

  // "ListObjectsV2" (Amazon S3 API Reference): keys in ascending UTF-8 order, at most MaxKeys a
  // page; IsTruncated with a NextContinuationToken to pass as ContinuationToken; StartAfter
  // starts after a key. s3rver's own tokens need DES, which Node 20's OpenSSL lacks.
  it("pages ListObjectsV2 with continuation tokens and StartAfter, in key order", async () => {
    const keys = ["list/c", "list/a", "list/e", "list/b", "list/d"];
    for (const key of keys) await put(client, key, "{}");
    await put(client, "other/z", "{}");
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const out = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "list/", MaxKeys: 2, ContinuationToken: token }));
      pages.push((out.Contents ?? []).map((o) => o.Key!));
      expect(out.KeyCount).to.equal(out.Contents?.length ?? 0);
      expect(out.IsTruncated).to.equal(out.NextContinuationToken !== undefined);
      token = out.NextContinuationToken;
    } while (token && pages.length < 10);
    expect(pages).to.deep.equal([["list/a", "list/b"], ["list/c", "list/d"], ["list/e"]]);
    const after = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "list/", StartAfter: "list/c", MaxKeys: 1 }));
    expect(after.Contents?.map((o) => o.Key)).to.deep.equal(["list/d"]);
    expect(after.IsTruncated).to.equal(true);
    const bad = await rejection(client.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: "not a token!" })));
    expect((bad as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).to.equal(400);
  });

  describe("If-None-Match: *", () => {
    it("creates once; the second create gets 412 PreconditionFailed and changes nothing", async () => {
      await put(client, "create/once.json", "first", { IfNoneMatch: "*" });
      const err = await rejection(put(client, "create/once.json", "second", { IfNoneMatch: "*" }));
      expect(err.name).to.equal("PreconditionFailed");
      expect(err.$metadata?.httpStatusCode).to.equal(412);
      expect(await text(client, "create/once.json")).to.equal("first");
    });

    it("answers the S3 XML error body", async () => {
      await put(client, "create/xml.json", "x");
      const url = await getSignedUrl(client, new PutObjectCommand({ Bucket: BUCKET, Key: "create/xml.json" }), { expiresIn: 60 });
      const res = await fetch(url, { method: "PUT", body: "y", headers: { "If-None-Match": "*" } });
      expect(res.status).to.equal(412);
      expect(res.headers.get("content-type")).to.match(/xml/);
      const body = await res.text();
      expect(body).to.contain("<Code>PreconditionFailed</Code>");
      expect(body).to.contain("<Condition>If-None-Match</Condition>");
      expect(await text(client, "create/xml.json")).to.equal("x");
    });

    it("lets exactly one of 20 concurrent creates of one key win", async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => put(client, "race/create.json", `writer-${i}`, { IfNoneMatch: "*" })),
      );
      const winners = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
      const losers = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(winners).to.have.length(1);
      expect(losers.map((l) => (l.reason as Error).name)).to.deep.equal(Array(19).fill("PreconditionFailed"));
      expect(await text(client, "race/create.json")).to.equal(`writer-${winners[0]}`);
    });

    it("creates again after a delete", async () => {
      await put(client, "create/deleted.json", "v1", { IfNoneMatch: "*" });
      await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: "create/deleted.json" }));
      await put(client, "create/deleted.json", "v2", { IfNoneMatch: "*" });
      expect(await text(client, "create/deleted.json")).to.equal("v2");
    });

    it("applies to CopyObject's destination", async () => {
      await put(client, "copy/src.json", "src");
      await put(client, "copy/dest.json", "dest");
      const err = await rejection(client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: "copy/dest.json", CopySource: `${BUCKET}/copy/src.json`, IfNoneMatch: "*" })));
      expect(err.name).to.equal("PreconditionFailed");
      expect(await text(client, "copy/dest.json")).to.equal("dest");
      await client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: "copy/new.json", CopySource: `${BUCKET}/copy/src.json`, IfNoneMatch: "*" }));
      expect(await text(client, "copy/new.json")).to.equal("src");
    });
  });

  // AWS, "Amazon S3 data consistency model": "strong read-after-write consistency": a GET after a
  // PUT's answer returns the object whole. (s3rver alone answered before its file was flushed.)
  describe("read after write", () => {
    it("a GET right after each PUT's answer reads the whole object (20 rounds of 1 MiB)", async () => {
      for (let i = 0; i < 20; i++) {
        const body = String(i % 10).repeat(1024 * 1024);
        await put(client, "raw/big.txt", body);
        const got = await text(client, "raw/big.txt");
        expect(got?.length, `round ${i}`).to.equal(body.length);
        expect(got === body, `round ${i}`).to.equal(true);
      }
    });
  });

  describe("If-Match: <etag>", () => {
    it("replaces with the current ETag; a stale ETag gets 412 and changes nothing", async () => {
      const v1 = await put(client, "replace/a.json", "v1", { IfNoneMatch: "*" });
      const v2 = await put(client, "replace/a.json", "v2", { IfMatch: v1.ETag });
      expect(v2.ETag).to.not.equal(v1.ETag);
      expect(await text(client, "replace/a.json")).to.equal("v2");

      const stale = await rejection(put(client, "replace/a.json", "v3", { IfMatch: v1.ETag }));
      expect(stale.name).to.equal("PreconditionFailed");
      expect(stale.$metadata?.httpStatusCode).to.equal(412);
      expect(await text(client, "replace/a.json")).to.equal("v2");

      // The ETag as GetObject reports it works too, quoted or not.
      const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "replace/a.json" }));
      await put(client, "replace/a.json", "v3", { IfMatch: head.ETag!.replace(/"/g, "") });
      expect(await text(client, "replace/a.json")).to.equal("v3");
    });

    it("answers 404 NoSuchKey for a key that does not exist (as AWS does)", async () => {
      const err = await rejection(put(client, "replace/never.json", "x", { IfMatch: '"0123456789abcdef0123456789abcdef"' }));
      expect(err.name).to.equal("NoSuchKey");
      expect(err.$metadata?.httpStatusCode).to.equal(404);
      expect(await text(client, "replace/never.json")).to.equal(undefined);
    });

    it("is honoured on GetObject too (s3rver ignores it)", async () => {
      const v1 = await put(client, "replace/read.json", "v1");
      await put(client, "replace/read.json", "v2");
      const err = await rejection(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "replace/read.json", IfMatch: v1.ETag })));
      expect(err.$metadata?.httpStatusCode).to.equal(412);
      const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "replace/read.json" }));
      const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "replace/read.json", IfMatch: head.ETag }));
      expect(await got.Body!.transformToString()).to.equal("v2");
    });

    it("lets exactly one of 10 concurrent replaces from the same version win", async () => {
      const base = await put(client, "race/replace.json", "base");
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => put(client, "race/replace.json", `replacer-${i}`, { IfMatch: base.ETag })),
      );
      const winners = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
      expect(winners).to.have.length(1);
      expect(results.filter((r) => r.status === "rejected").map((r) => ((r as PromiseRejectedResult).reason as Error).name)).to.deep.equal(Array(9).fill("PreconditionFailed"));
      expect(await text(client, "race/replace.json")).to.equal(`replacer-${winners[0]}`);
    });
  });

  it("never lets a reader see a half-written object", async () => {
    const size = 2 * 1024 * 1024;
    const a = "a".repeat(size);
    const b = "b".repeat(size);
    await put(client, "torn/big.txt", a);
    const reads: Promise<string | undefined>[] = [];
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 6; i++) {
      writes.push(put(client, "torn/big.txt", i % 2 ? a : b));
      reads.push(text(client, "torn/big.txt"), text(client, "torn/big.txt"));
    }
    await Promise.all(writes);
    for (const body of await Promise.all(reads)) {
      expect(body === a || body === b, `a read of ${body?.length} bytes starting ${body?.slice(0, 3)}`).to.equal(true);
    }
  });

  it("releases a reader's lock when s3rver answers 304 Not Modified", async () => {
    const out = await put(client, "lock/304.json", "x");
    const err = await rejection(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "lock/304.json", IfNoneMatch: out.ETag })));
    expect(err.$metadata?.httpStatusCode).to.equal(304);
    const write = put(client, "lock/304.json", "y");
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("the write waited for a lock nobody released")), 3000));
    await Promise.race([write, timeout]);
    expect(await text(client, "lock/304.json")).to.equal("y");
  });

  describe("presigned URLs", () => {
    it("downloads with a presigned GET URL and plain fetch", async () => {
      await put(client, "presigned/result.json", '{"big":true}');
      const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: "presigned/result.json" }), { expiresIn: 300 });
      expect(url.startsWith(`${service.endpoint}/${BUCKET}/presigned/result.json?`)).to.equal(true);
      expect(url).to.contain("X-Amz-Signature=");
      const res = await fetch(url);
      expect(res.status).to.equal(200);
      expect(await res.text()).to.equal('{"big":true}');
    });

    it("refuses an expired presigned URL", async () => {
      await put(client, "presigned/old.json", "old");
      const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: "presigned/old.json" }), {
        expiresIn: 60,
        signingDate: new Date(Date.now() - 10 * 60_000),
      });
      const res = await fetch(url);
      expect(res.status).to.equal(403);
      expect(await res.text()).to.contain("AccessDenied");
    });

    // "Download and upload objects with presigned URLs": a URL signed with temporary credentials
    // "expires when the credentials you used to create it expire", whatever its own expiry.
    it("refuses a presigned URL whose session has expired, though the URL's own expiry has not come (400 ExpiredToken)", async () => {
      await put(client, "presigned/session.json", "s");
      const signer = (expiresAt: number) =>
        new S3Client({
          endpoint: service.endpoint,
          region: LOCAL_REGION,
          credentials: { ...LOCAL_CREDENTIALS, sessionToken: issueSessionToken(expiresAt) },
          forcePathStyle: true,
        });
      const command = new GetObjectCommand({ Bucket: BUCKET, Key: "presigned/session.json" });
      const expired = await getSignedUrl(signer(Date.now() - 1000), command, { expiresIn: 900 });
      expect(new URL(expired).searchParams.get("X-Amz-Security-Token")).to.match(/^LocalSts\./);
      const refused = await fetch(expired);
      expect(refused.status).to.equal(400);
      expect(await refused.text()).to.contain("<Code>ExpiredToken</Code>");
      const live = await fetch(await getSignedUrl(signer(Date.now() + 60_000), command, { expiresIn: 900 }));
      expect(live.status).to.equal(200);
      expect(await live.text()).to.equal("s");
    });
  });

  describe("fault injection", () => {
    it("fails the next writes with 503 SlowDown (the SDK retries)", async () => {
      const once = clientFor(service, 1);
      try {
        service.failNextWrites(1, 503);
        expect(await text(once, "plain/a.json")).to.equal('{"a":1}');
        const err = await rejection(put(once, "fault/a.json", "x"));
        expect(err.$metadata?.httpStatusCode).to.equal(503);
        expect(err.name).to.equal("SlowDown");
        expect(await text(once, "fault/a.json")).to.equal(undefined);
        await put(once, "fault/a.json", "x");
        expect(await text(once, "fault/a.json")).to.equal("x");

        service.failNextWrites(1, 500);
        const out = await put(client, "fault/b.json", "y");
        expect(out.$metadata.attempts).to.equal(2);
        expect(await text(client, "fault/b.json")).to.equal("y");
      } finally {
        once.destroy();
      }
    });
  });

  it("keeps buckets and objects across a restart with the same dir", async () => {
    const created = await put(client, "durable/job.json", "kept", { IfNoneMatch: "*" });
    client.destroy();
    await service.stop();

    service = await startS3Service({ dir });
    client = clientFor(service);
    await service.createBucket(BUCKET);
    expect(await text(client, "durable/job.json")).to.equal("kept");
    const err = await rejection(put(client, "durable/job.json", "again", { IfNoneMatch: "*" }));
    expect(err.name).to.equal("PreconditionFailed");
    await put(client, "durable/job.json", "replaced", { IfMatch: created.ETag });
    expect(await text(client, "durable/job.json")).to.equal("replaced");
  });
});

describe("KeyedRwLock", () => {
  it("serialises writers, shares readers, and forgets idle keys", async () => {
    const lock = new KeyedRwLock();
    const order: string[] = [];
    const r1 = await lock.acquire("k", false);
    const r2 = await lock.acquire("k", false);
    const w = lock.acquire("k", true).then((release) => {
      order.push("writer");
      return release;
    });
    const r3 = lock.acquire("k", false).then((release) => {
      order.push("late reader");
      return release;
    });
    const other = await lock.acquire("other", true);
    other();
    await new Promise((r) => setTimeout(r, 10));
    expect(order).to.deep.equal([]);
    r1();
    r2();
    const wRelease = await w;
    await new Promise((r) => setTimeout(r, 10));
    expect(order).to.deep.equal(["writer"]);
    wRelease();
    (await r3)();
    expect(order).to.deep.equal(["writer", "late reader"]);
    expect(lock.activeKeys).to.equal(0);
  });
});
