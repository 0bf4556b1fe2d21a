/** The local S3's public face: the options of `startS3Service` and the service it answers (`LocalS3Service`). */
import type * as http from "http";
import type { S3Client } from "@aws-sdk/client-s3";
import type { EventsSink, S3Service } from "../types";
import type { UsageMeter } from "../../usage/meter";
import type { LifecycleRule } from "./lifecycle";

export interface S3ServiceOptions {
  /** Buckets and objects live here (kept across restarts). */
  dir: string;
  /** @default 0 (a free port) */
  port?: number;
  log?: (line: string) => void;
  /** Counts the requests S3 bills and the storage of objects a lifecycle rule expires (./usage.ts). */
  meter?: UsageMeter;
}

export interface LocalS3Service extends S3Service {
  /**
   * Sends an "Object Created" event to EventBridge's default bus for every object written to the
   * bucket (`aws.s3.BucketNotification` with `eventbridge: true`), in the shape of "Amazon S3
   * event notifications with EventBridge" (Amazon S3 User Guide, "EventBridge message structure").
   */
  enableEventBridge(bucket: string, events: () => EventsSink | undefined): void;
  /** Our HTTP server (listening on `endpoint`). */
  readonly server: http.Server;
  /** A client of this service (path-style, local credentials). */
  readonly client: S3Client;
  /**
   * Fault injection: the next `count` object writes (PutObject, CopyObject,
   * CompleteMultipartUpload) fail with 500 InternalError or 503 SlowDown before anything is
   * written. The AWS SDK retries both by default (3 attempts in all).
   */
  failNextWrites(count: number, status?: 500 | 503, fromFunction?: string): void;
  /** Fault injection: the next `count` object reads (GetObject, HeadObject) fail the same way, before anything is read. */
  failNextReads(count: number, status?: 500 | 503, fromFunction?: string): void;
  /** Sets the bucket's lifecycle rules (as PutBucketLifecycleConfiguration does; see ./lifecycle.ts for Pulumi's inputs). */
  setLifecycleRules(bucket: string, rules: readonly LifecycleRule[]): Promise<void>;
}
