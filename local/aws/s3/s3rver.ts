/**
 * s3rver, the S3 emulator the local S3 serves its objects with: the parts of it used here, typed
 * (it ships no type declarations), and its S3 error (`S3Error`, answered as S3's XML error body).
 */
import type * as http from "http";
import type { Readable } from "stream";

export interface S3rverObject {
  bucket: string;
  key: string;
  content: Readable | Buffer | null;
  metadata?: Record<string, string>;
}

export interface S3rverStore {
  getMetadata(bucket: string, key: string): Promise<{ etag: string; "content-length"?: number; "last-modified"?: string }>;
  getBucket(bucket: string): Promise<unknown>;
  getObject(bucket: string, key: string, options?: unknown): Promise<S3rverObject | null>;
  putObject(object: S3rverObject): Promise<{ size: number; md5: string }>;
  putMetadata(bucket: string, key: string, metadata: Record<string, string> | undefined, md5: string): Promise<void>;
  getResourcePath(bucket: string, key: string | undefined, kind: string): string;
  copyObject(srcBucket: string, srcKey: string, destBucket: string, destKey: string, replacementMetadata?: unknown): Promise<unknown>;
  deleteObject(bucket: string, key: string): Promise<void>;
  listObjects(bucket: string, options: unknown): Promise<{ objects: { key: string }[]; commonPrefixes: string[]; isTruncated: boolean }>;
}

export interface S3rverInstance {
  store: S3rverStore;
  callback(): http.RequestListener;
  on(event: "error", listener: (err: Error & { status?: number }) => void): void;
  logger: { close(): void; exceptions: { unhandle(): void } };
}

type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;
type S3ErrorConstructor = new (code: string, message: string, detail?: Record<string, string>) => Error & { status: number };
/* eslint-disable @typescript-eslint/no-require-imports */
export const S3rver = require("s3rver") as S3rverConstructor;
export const S3Error = require("s3rver/lib/models/error") as S3ErrorConstructor;
/* eslint-enable @typescript-eslint/no-require-imports */

/** Logs s3rver's own failures, but not the 4xx it answers nor the 5xx the fault API injects. */
export function logServerErrors(s3rver: S3rverInstance, log: (line: string) => void): void {
  s3rver.on("error", (err) => {
    if ((err.status ?? 500) >= 500 && !["InternalError", "SlowDown"].includes((err as { code?: string }).code ?? "")) {
      log(`s3: ${err.stack ?? err.message}`);
    }
  });
}
