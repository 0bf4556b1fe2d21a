import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ENV, START_ALLOWANCE_SECONDS } from "../lambdas/shared/env";
import { jobsTableKeys, S3_INDEX_PREFIX } from "../lambdas/shared/store/listIndex";
import type { StoreKind } from "../lambdas/shared/types";
import type { RecordLocation } from "./iam/policies";

export interface ResultStoreArgs {
  /**
   * Where job records live: a DynamoDB table (one item per job) or an S3 bucket (one object per
   * job under `jobs/`). Results too large for a record go to S3 either way.
   * @default "dynamodb"
   */
  kind?: StoreKind;
  /**
   * How long a finished job stays readable, in minutes (1 to 525600, one year).
   * @default 1440
   */
  resultTtlMinutes?: number;
  /**
   * The longest a job may run, in seconds: records live until the job's deadline plus the TTL.
   * @default 900
   */
  jobTimeoutSeconds?: number;
  /**
   * DynamoDB point-in-time recovery (35 days of continuous backups) for the jobs table.
   * @default true
   */
  pointInTimeRecovery?: boolean;
  /**
   * Let `pulumi destroy` delete buckets that still hold objects. Job records and results expire
   * anyway, so this defaults to true; set false to keep a bucket from being deleted with data.
   * @default true
   */
  forceDestroy?: boolean;
  /**
   * Store `dynamodb`: turn on the table's stream with this view type (backend `stream` reads new
   * job records from it).
   * See https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html
   * @default no stream
   */
  streamViewType?: StreamViewType;
  /**
   * Use a store that exists already instead of creating one: its bucket, and for kind `dynamodb`
   * its table (partition key `pk` of type S, TTL on `expiresAt`, and for `GET /jobs` a global
   * secondary index `byOwner` on `owner` (S) + `createdAt` (S), projecting at least `kind`, `jobId`,
   * `status`, `updatedAt`, `deadline`, `expiresAt`, `progress` and `error`). Nothing is created or
   * changed; the bucket should expire old objects under `jobs/`, `idempotency/`, `index/`,
   * `events/` and `results/` itself. Job events need, for kind `dynamodb`, the table's stream with
   * view type NEW_AND_OLD_IMAGES (`tableStreamArn`); for kind `s3`, the bucket's notifications to
   * EventBridge turned on ("Enabling Amazon EventBridge", Amazon S3 User Guide).
   * @default a new table and bucket
   * @example { tableName: "jobs-table", bucketName: "jobs-bucket" }
   */
  existing?: ExistingStoreArgs;
}

/** A DynamoDB stream's view type. */
export const StreamViewType = { NewImage: "NEW_IMAGE", NewAndOldImages: "NEW_AND_OLD_IMAGES", KeysOnly: "KEYS_ONLY", OldImage: "OLD_IMAGE" } as const;
export type StreamViewType = (typeof StreamViewType)[keyof typeof StreamViewType];

/** A store that exists already, by name. */
export interface ExistingStoreArgs {
  /** The bucket of results (and, for kind `s3`, of job and idempotency records). */
  bucketName: pulumi.Input<string>;
  /** Kind `dynamodb`: the jobs table. */
  tableName?: pulumi.Input<string>;
  /** Backend `stream`: the jobs table's stream (view type NEW_IMAGE). */
  tableStreamArn?: pulumi.Input<string>;
}

/** Days the S3 lifecycle rule keeps objects: whole days, at least 1, never shorter than a record's life. */
export function lifecycleDays(jobTimeoutSeconds: number, resultTtlMinutes: number): number {
  const seconds = jobTimeoutSeconds + START_ALLOWANCE_SECONDS + resultTtlMinutes * 60;
  return Math.max(1, Math.ceil(seconds / 86400));
}

/**
 * Job records and results, with expiry: a DynamoDB table with a TTL attribute (on demand,
 * point-in-time recovery, KMS encryption) and/or a private, encrypted S3 bucket whose lifecycle
 * rule deletes old objects. Both expiries are lazy (DynamoDB TTL can take days; lifecycle rules
 * run daily), so readers check `expiresAt` themselves and treat expired records as absent.
 */
export class ResultStore extends pulumi.ComponentResource {
  public readonly kind: StoreKind;
  /** The jobs table (kind `dynamodb`). */
  public readonly table?: aws.dynamodb.Table;
  /** The bucket of results (and, for kind `s3`, of job and idempotency records); none for an existing store. */
  public readonly bucket?: aws.s3.Bucket;
  public readonly tableName?: pulumi.Output<string>;
  public readonly tableArn?: pulumi.Output<string>;
  /** The table's stream, when `streamViewType` is set. */
  public readonly tableStreamArn?: pulumi.Output<string>;
  public readonly bucketName: pulumi.Output<string>;
  public readonly bucketArn: pulumi.Output<string>;
  /** Where job records live, for policy documents. */
  public readonly recordLocation: pulumi.Output<RecordLocation>;
  /** The environment variables handlers read to find the store. */
  public readonly environment: pulumi.Output<Record<string, string>>;
  public readonly resultTtlMinutes: number;

  constructor(name: string, args: ResultStoreArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("async-api:index:ResultStore", name, {}, opts);
    this.kind = args.kind ?? "dynamodb";
    this.resultTtlMinutes = args.resultTtlMinutes ?? 1440;
    const jobTimeoutSeconds = args.jobTimeoutSeconds ?? 900;
    if (args.streamViewType && this.kind !== "dynamodb") throw new Error(`ResultStore ${name}: streamViewType needs kind "dynamodb"`);
    if (this.kind !== "dynamodb" && this.kind !== "s3") throw new Error(`ResultStore ${name}: kind must be "dynamodb" or "s3", got "${this.kind}"`);
    if (!Number.isInteger(this.resultTtlMinutes) || this.resultTtlMinutes < 1 || this.resultTtlMinutes > 525600) {
      throw new Error(`ResultStore ${name}: resultTtlMinutes must be a whole number from 1 to 525600, got ${this.resultTtlMinutes}`);
    }

    if (args.existing) {
      const existing = args.existing;
      if (this.kind === "dynamodb" && existing.tableName === undefined) throw new Error(`ResultStore ${name}: an existing store of kind "dynamodb" needs existing.tableName`);
      if (args.streamViewType) throw new Error(`ResultStore ${name}: streamViewType cannot turn on the stream of an existing table; give existing.tableStreamArn`);
      const region = aws.getRegionOutput({}, { parent: this }).region;
      const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
      if (this.kind === "dynamodb") {
        this.tableName = pulumi.output(existing.tableName!);
        this.tableArn = pulumi.interpolate`arn:aws:dynamodb:${region}:${account}:table/${this.tableName}`;
        if (existing.tableStreamArn !== undefined) this.tableStreamArn = pulumi.output(existing.tableStreamArn);
      }
      this.bucketName = pulumi.output(existing.bucketName);
      this.bucketArn = pulumi.interpolate`arn:aws:s3:::${this.bucketName}`;
    } else {
      const created = this.createStore(name, args, jobTimeoutSeconds);
      this.table = created.table;
      this.tableName = created.table?.name;
      this.tableArn = created.table?.arn;
      if (args.streamViewType) this.tableStreamArn = created.table?.streamArn;
      this.bucket = created.bucket;
      this.bucketName = created.bucket.bucket;
      this.bucketArn = created.bucket.arn;
    }

    this.recordLocation =
      this.kind === "dynamodb"
        ? this.tableArn!.apply((tableArn): RecordLocation => ({ kind: "dynamodb", tableArn }))
        : this.bucketArn.apply((bucketArn): RecordLocation => ({ kind: "s3", bucketArn }));

    const ttlSeconds = String(this.resultTtlMinutes * 60);
    this.environment =
      this.kind === "dynamodb"
        ? pulumi.all([this.tableName!, this.bucketName]).apply(([table, bucket]): Record<string, string> => ({
            [ENV.STORE]: "dynamodb",
            [ENV.JOBS_TABLE]: table,
            [ENV.RESULTS_BUCKET]: bucket,
            [ENV.RESULT_TTL_SECONDS]: ttlSeconds,
          }))
        : this.bucketName.apply((bucket): Record<string, string> => ({
            [ENV.STORE]: "s3",
            [ENV.JOBS_BUCKET]: bucket,
            [ENV.RESULTS_BUCKET]: bucket,
            [ENV.RESULT_TTL_SECONDS]: ttlSeconds,
          }));

    this.registerOutputs({ tableName: this.tableName, bucketName: this.bucketName });
  }

  /** A new table (kind `dynamodb`) and a private bucket with expiry. */
  private createStore(name: string, args: ResultStoreArgs, jobTimeoutSeconds: number): { table?: aws.dynamodb.Table; bucket: aws.s3.Bucket } {
    let table: aws.dynamodb.Table | undefined;
    if (this.kind === "dynamodb") {
      table = new aws.dynamodb.Table(
        `${name}-jobs`,
        {
          billingMode: "PAY_PER_REQUEST",
          // GET /jobs: one owner's jobs, newest first, without a scan. Sparse: only job items
          // have an owner. INCLUDE keeps the inputs and results out of the index ("Projections"
          // in "Using Global Secondary Indexes in DynamoDB").
          ...jobsTableKeys(),
          ttl: { attributeName: "expiresAt", enabled: true },
          pointInTimeRecovery: { enabled: args.pointInTimeRecovery ?? true },
          serverSideEncryption: { enabled: true },
          ...(args.streamViewType ? { streamEnabled: true, streamViewType: args.streamViewType } : {}),
        },
        { parent: this },
      );
    }

    const bucket = new aws.s3.Bucket(`${name}-bucket`, { forceDestroy: args.forceDestroy ?? true }, { parent: this });
    new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      { parent: this },
    );
    new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, { parent: this });
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }] },
      { parent: this },
    );
    const days = lifecycleDays(jobTimeoutSeconds, this.resultTtlMinutes);
    const prefixes = this.kind === "s3" ? ["jobs/", "idempotency/", S3_INDEX_PREFIX, "events/", "results/"] : ["results/"];
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-expiry`,
      {
        bucket: bucket.id,
        rules: [
          ...prefixes.map((prefix) => ({
            id: `expire-${prefix.replace("/", "")}`,
            status: "Enabled",
            filter: { prefix },
            expiration: { days },
          })),
          { id: "abort-incomplete-uploads", status: "Enabled", filter: { prefix: "" }, abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } },
        ],
      },
      { parent: this },
    );
    return { table, bucket };
  }
}
