// The local S3's cost meter: request tiers, billed responses, storage until the lifecycle expiry
// (local/usage/s3.ts), lifecycle rules (local/aws/s3/lifecycle.ts), and a real local S3 counting
// real SDK calls.
import { expect } from "chai";
import * as path from "path";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLifecycleConfigurationCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { startS3Service, type LocalS3Service } from "../../../local/aws/s3";
import { expirationDaysFor, lifecycleRulesOfPulumi, parseLifecycleXml } from "../../../local/aws/s3/lifecycle";
import { expiresAt, isBilledS3Response, s3RequestTier, storageGbMonths, storageToCharge } from "../../../local/usage/s3";
import { UsageMeter } from "../../../local/usage/meter";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../../local/aws/types";
import { tempDir } from "../../support/tmp";

const GIB = 1024 ** 3;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe("S3 usage: pure rules", () => {
  // https://aws.amazon.com/s3/pricing/ ("Requests & data retrievals"): PUT, COPY, POST, LIST
  // requests; GET, SELECT and all other requests; "DELETE and CANCEL requests are free".
  it("classes requests as PUT/COPY/POST/LIST, GET and other, or free DELETE", () => {
    const cases: [string, string, string][] = [
      ["PUT", "/b/jobs/a.json", "put"], // PutObject, CopyObject, UploadPart
      ["PUT", "/b", "put"], // CreateBucket
      ["PUT", "/b?lifecycle", "put"], // PutBucketLifecycleConfiguration
      ["POST", "/b/k?uploads", "put"], // CreateMultipartUpload
      ["POST", "/b/k?uploadId=u", "put"], // CompleteMultipartUpload
      ["GET", "/", "put"], // ListBuckets
      ["GET", "/b?list-type=2&prefix=jobs%2F", "put"], // ListObjectsV2
      ["GET", "/b", "put"], // ListObjects
      ["GET", "/b?uploads", "put"], // ListMultipartUploads
      ["GET", "/b/k?uploadId=u", "put"], // ListParts
      ["GET", "/b/jobs/a.json?x-id=GetObject", "get"],
      ["HEAD", "/b/jobs/a.json", "get"],
      ["HEAD", "/b", "get"], // HeadBucket
      ["GET", "/b?location", "get"],
      ["GET", "/b?lifecycle", "get"],
      ["OPTIONS", "/b/k", "get"],
      ["DELETE", "/b/k", "free"],
      ["DELETE", "/b/k?uploadId=u", "free"], // AbortMultipartUpload
      ["DELETE", "/b?lifecycle", "free"],
      ["POST", "/b?delete", "free"], // DeleteObjects
    ];
    for (const [method, url, tier] of cases) expect(s3RequestTier(method, url), `${method} ${url}`).to.equal(tier);
  });

  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/ErrorCodeBilling.html: 200 and 4XX are
  // billed, 5XX (503 Slow Down) is not, nor the 3XX/4XX codes of its table (ExpiredToken, InvalidArgument).
  it("bills 2xx, 3xx and 4xx answers but not 5xx nor the error codes S3 lists as free", () => {
    expect(isBilledS3Response(200)).to.equal(true);
    expect(isBilledS3Response(304)).to.equal(true);
    expect(isBilledS3Response(404, "NoSuchKey")).to.equal(true);
    expect(isBilledS3Response(412, "PreconditionFailed")).to.equal(true);
    expect(isBilledS3Response(503, "SlowDown")).to.equal(false);
    expect(isBilledS3Response(500, "InternalError")).to.equal(false);
    expect(isBilledS3Response(400, "ExpiredToken")).to.equal(false);
    expect(isBilledS3Response(400, "InvalidArgument")).to.equal(false);
  });

  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecyclemgmt-expire-general-considerations.html:
  // creation time + n days, rounded to the next midnight UTC (created 1/15/2014 10:30 UTC, 3 days → 1/19/2014 00:00 UTC).
  it("expires an object at the midnight UTC after n days", () => {
    expect(expiresAt(Date.UTC(2014, 0, 15, 10, 30), 3)).to.equal(Date.UTC(2014, 0, 19));
    expect(expiresAt(Date.UTC(2014, 0, 15, 23, 59, 59), 1)).to.equal(Date.UTC(2014, 0, 17));
    expect(expiresAt(Date.UTC(2014, 0, 15), 1)).to.equal(Date.UTC(2014, 0, 17));
  });

  // https://aws.amazon.com/s3/pricing/ (Storage, per GB-month; a month of 730 hours).
  it("measures storage in GB-months, and an overwrite gives back what the old object was charged past now", () => {
    expect(storageGbMonths(GIB, 730 * HOUR)).to.equal(1);
    expect(storageGbMonths(GIB / 2, 73 * HOUR)).to.be.closeTo(0.05, 1e-12);
    const now = Date.UTC(2014, 0, 15, 10, 30);
    // Alone: 1 GiB until 1/19 00:00, 85.5 hours.
    expect(storageToCharge({ bytes: GIB, createdMs: now }, 3)).to.be.closeTo(85.5 / 730, 1e-12);
    // Replacing a 1 GiB object written a day earlier (charged until 1/18 00:00, 61.5 hours past now).
    expect(storageToCharge({ bytes: GIB, createdMs: now }, 3, { bytes: GIB, createdMs: now - DAY })).to.be.closeTo(24 / 730, 1e-12);
    // Replacing a larger object: never below zero.
    expect(storageToCharge({ bytes: 1, createdMs: now }, 3, { bytes: GIB, createdMs: now - DAY })).to.equal(0);
  });

  it("finds the expiration rule of a key, from the S3 API's XML or from Pulumi's inputs", () => {
    const xml =
      '<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      "<Rule><ID>jobs</ID><Filter><Prefix>jobs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule>" +
      "<Rule><ID>off</ID><Filter><Prefix>jobs/</Prefix></Filter><Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>" +
      "<Rule><ID>tagged</ID><Filter><And><Prefix>results/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>" +
      "<Rule><ID>legacy</ID><Prefix>events/</Prefix><Status>Enabled</Status><Expiration><Days>5</Days></Expiration></Rule>" +
      "<Rule><ID>abort</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>" +
      "</LifecycleConfiguration>";
    const rules = parseLifecycleXml(xml);
    expect(rules.map((r) => r.id)).to.deep.equal(["jobs", "off", "tagged", "legacy", "abort"]);
    expect(expirationDaysFor(rules, "jobs/a.json")).to.equal(2);
    expect(expirationDaysFor(rules, "events/a.json")).to.equal(5);
    expect(expirationDaysFor(rules, "results/a.json")).to.equal(undefined); // tag filters are not applied locally
    expect(expirationDaysFor(rules, "other/a.json")).to.equal(undefined);
    expect(() => parseLifecycleXml("<LifecycleConfiguration/>")).to.throw();

    // components/resultStore.ts's rules, as the Pulumi engine passes them.
    const pulumiRules = lifecycleRulesOfPulumi([
      { id: "expire-jobs", status: "Enabled", filter: { prefix: "jobs/" }, expiration: { days: 3 } },
      { id: "expire-results", status: "Enabled", filter: { prefix: "results/" }, expiration: { days: 3 } },
      { id: "abort-incomplete-uploads", status: "Enabled", filter: { prefix: "" }, abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } },
    ]);
    expect(expirationDaysFor(pulumiRules, "results/x/y.json")).to.equal(3);
    expect(expirationDaysFor(pulumiRules, "idempotency/x.json")).to.equal(undefined);
  });
});

describe("S3 usage: a local S3 counting real SDK calls", function () {
  const BUCKET = "usage-bucket";
  const JOB_A = "11111111-2222-4333-8444-555555555555";
  const JOB_B = "66666666-7777-4888-9999-aaaaaaaaaaaa";
  let service: LocalS3Service;
  let client: S3Client;
  let meter: UsageMeter;

  before(async () => {
    meter = new UsageMeter();
    service = await startS3Service({ dir: path.join(tempDir("async-api-s3-usage-"), "s3"), meter });
    await service.createBucket(BUCKET);
    client = new S3Client({ endpoint: service.endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS }, forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED", maxAttempts: 1 });
    await client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: BUCKET,
        LifecycleConfiguration: { Rules: [{ ID: "expire-jobs", Status: "Enabled", Filter: { Prefix: "jobs/" }, Expiration: { Days: 1 } }] },
      }),
    );
  });

  after(async () => {
    client?.destroy();
    await service?.stop();
  });

  beforeEach(() => meter.reset());

  it("keeps the lifecycle configuration PutBucketLifecycleConfiguration sent (GetBucketLifecycleConfiguration)", async () => {
    const out = await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: BUCKET }));
    expect(out.Rules).to.have.length(1);
    expect(out.Rules![0]).to.include({ ID: "expire-jobs", Status: "Enabled" });
    expect(out.Rules![0].Filter?.Prefix).to.equal("jobs/");
    expect(out.Rules![0].Expiration?.Days).to.equal(1);
    // https://aws.amazon.com/s3/pricing/: a GET (configuration read) is a GET request.
    expect(meter.report().totals).to.deep.equal({ "s3.getRequests": 1 });
  });

  // https://aws.amazon.com/s3/pricing/ (request tiers, storage) and ErrorCodeBilling.html (404 billed).
  it("counts PUT/COPY/LIST and GET/HEAD requests per job, DELETEs free, and storage until the lifecycle expiry", async () => {
    const body = "x".repeat(1000);
    const t0 = Date.now();
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `jobs/${JOB_A}.json`, Body: body }));
    const t1 = Date.now();
    await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `jobs/${JOB_A}.json` })).then((o) => o.Body!.transformToString());
    await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `jobs/${JOB_A}.json` }));
    const missing = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `jobs/${JOB_B}.json` })).catch((e: Error) => e);
    expect((missing as Error).name).to.equal("NoSuchKey");
    await client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: `jobs/${JOB_B}.json`, CopySource: `${BUCKET}/jobs/${JOB_A}.json` }));
    const t2 = Date.now();
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `other/${JOB_B}.json`, Body: body })); // no rule: no storage
    await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "jobs/" }));
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `other/${JOB_B}.json` }));
    await client.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: `jobs/${JOB_B}.json` }] } }));

    const report = meter.report();
    expect(report.totals["s3.putRequests"]).to.equal(4); // 2 PUT, 1 COPY, 1 LIST
    expect(report.totals["s3.getRequests"]).to.equal(3); // GET, HEAD, 404 GET
    expect(meter.job(JOB_A)).to.include({ "s3.putRequests": 1, "s3.getRequests": 2 });
    expect(meter.job(JOB_B)).to.include({ "s3.putRequests": 2, "s3.getRequests": 1 }); // the copy is for the job its key names
    expect(report.notPerJob).to.deep.equal({ "s3.putRequests": 1 }); // the list
    expect(Object.keys(report.bySource)).to.deep.equal([`s3:${BUCKET}`]);

    // Each of the two objects under jobs/: 1000 bytes until the midnight UTC after 1 day.
    const expected = (t: number) => storageGbMonths(1000, expiresAt(t, 1) - t);
    const [low, high] = [expected(t2 + 1000), expected(t0 - 1000)].sort((a, b) => a - b);
    expect(t1).to.be.at.most(t2);
    expect(meter.job(JOB_A)["s3.storageGbMonths"]).to.be.within(low, high);
    expect(meter.job(JOB_B)["s3.storageGbMonths"]).to.be.within(low, high);
    expect(report.totals["s3.storageGbMonths"]).to.be.within(2 * low, 2 * high);
  });

  it("charges an overwrite only for the storage the old object was not charged for", async () => {
    const key = `jobs/${JOB_A}-rewrite.json`;
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: "y".repeat(4096) }));
    const first = meter.report().totals["s3.storageGbMonths"]!;
    expect(first).to.be.greaterThan(storageGbMonths(4096, DAY));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: "z".repeat(4096) }));
    const second = meter.report().totals["s3.storageGbMonths"]! - first;
    // The old object lived a moment (its last-modified has whole seconds: at most a few seconds).
    expect(second).to.be.at.most(storageGbMonths(4096, 3000));
    expect(meter.report().totals["s3.putRequests"]).to.equal(2);
  });

  // ErrorCodeBilling.html: "Bucket owners aren't billed for HTTP 5XX server error responses, such as HTTP 503 Slow Down".
  it("does not count injected 503 SlowDown / 500 InternalError answers, nor storage for the write that failed", async () => {
    service.failNextWrites(1, 503);
    const err = await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `jobs/${JOB_A}.json`, Body: "a" })).catch((e: Error) => e);
    expect((err as Error).name).to.equal("SlowDown");
    service.failNextReads(1, 500);
    await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `jobs/${JOB_A}.json` })).catch((e: Error) => e);
    expect(meter.report().totals).to.deep.equal({});
  });
});
