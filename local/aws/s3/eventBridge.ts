/**
 * "Object Created" events to EventBridge's default bus for the buckets that send them
 * (`aws.s3.BucketNotification` with `eventbridge: true`), in the shape of "Amazon S3 event
 * notifications with EventBridge" (Amazon S3 User Guide, "EventBridge message structure",
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html).
 */
import { randomUUID } from "crypto";
import type * as http from "http";
import { LOCAL_ACCOUNT_ID } from "../types";
import type { EventsSink } from "../types";
import { header } from "./restXml";

export class ObjectCreatedEvents {
  /** Buckets whose writes EventBridge hears of. */
  private readonly buckets = new Map<string, () => EventsSink | undefined>();
  /** The sequencer S3 gives each event of a key. */
  private sequencer = 0;

  constructor(private readonly log: (line: string) => void) {}

  enable(bucket: string, events: () => EventsSink | undefined): void {
    this.buckets.set(bucket, events);
  }

  /** Sends the event of an object written by `req` (PutObject, CopyObject or CompleteMultipartUpload), if its bucket sends them. */
  created(bucket: string, key: string, size: number, md5: string, req: http.IncomingMessage): void {
    const events = this.buckets.get(bucket)?.();
    if (!events) return;
    const detail = {
      version: "0",
      bucket: { name: bucket },
      object: { key, size, etag: md5, sequencer: (++this.sequencer).toString(16).toUpperCase().padStart(18, "0") },
      "request-id": randomUUID(),
      requester: LOCAL_ACCOUNT_ID,
      "source-ip-address": req.socket.remoteAddress ?? "127.0.0.1",
      reason: header(req, "x-amz-copy-source") ? "CopyObject" : "PutObject",
    };
    events
      .publish("default", { source: "aws.s3", detailType: "Object Created", detail, resources: [`arn:aws:s3:::${bucket}`] })
      .catch((err) => this.log(`s3: could not send an Object Created event: ${(err as Error).message}`));
  }
}
