/**
 * The running local S3 (`LocalS3Service`): its endpoint and client, the buckets a program
 * declares, their EventBridge notifications and lifecycle rules, fault injection, and stopping it.
 */
import type * as http from "http";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { close } from "../protocols/listen";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../types";
import type { EventsSink } from "../types";
import type { LocalS3Service } from "./contract";
import type { ObjectCreatedEvents } from "./eventBridge";
import type { InjectedS3Status, S3Faults } from "./faults";
import type { BucketLifecycles, LifecycleRule } from "./lifecycle";
import type { S3rverInstance } from "./s3rver";

/** What `startS3Service` has built and started, for the service to run. */
export interface LocalS3Parts {
  endpoint: string;
  server: http.Server;
  s3rver: S3rverInstance;
  lifecycles: BucketLifecycles;
  bucketExists: (bucket: string) => Promise<boolean>;
  faults: S3Faults;
  events: ObjectCreatedEvents;
  log: (line: string) => void;
}

export class LocalS3 implements LocalS3Service {
  readonly endpoint: string;
  readonly server: http.Server;
  readonly client: S3Client;
  private stopped = false;

  constructor(private readonly parts: LocalS3Parts) {
    this.endpoint = parts.endpoint;
    this.server = parts.server;
    this.client = new S3Client({
      endpoint: parts.endpoint,
      region: LOCAL_REGION,
      credentials: { ...LOCAL_CREDENTIALS },
      forcePathStyle: true,
      requestChecksumCalculation: "WHEN_REQUIRED",
    });
  }

  async createBucket(name: string): Promise<void> {
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: name }));
      this.parts.log(`s3: created bucket ${name}`);
    } catch (err) {
      const code = (err as Error).name;
      if (code !== "BucketAlreadyOwnedByYou" && code !== "BucketAlreadyExists") throw err;
    }
  }

  enableEventBridge(bucket: string, events: () => EventsSink | undefined): void {
    this.parts.events.enable(bucket, events);
  }

  failNextWrites(count: number, status: InjectedS3Status = 503, fromFunction?: string): void {
    this.parts.faults.writes.arm(count, status, fromFunction);
  }

  failNextReads(count: number, status: InjectedS3Status = 503, fromFunction?: string): void {
    this.parts.faults.reads.arm(count, status, fromFunction);
  }

  async setLifecycleRules(bucket: string, rules: readonly LifecycleRule[]): Promise<void> {
    if (!(await this.parts.bucketExists(bucket))) throw new Error(`s3: no bucket ${bucket} to set lifecycle rules on`);
    await this.parts.lifecycles.set(bucket, rules);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.client.destroy();
    try {
      await close(this.server, 2000);
    } finally {
      this.parts.s3rver.logger.exceptions.unhandle();
      this.parts.s3rver.logger.close();
    }
    this.parts.log("s3: stopped");
  }
}
