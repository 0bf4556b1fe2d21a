/**
 * The object operations this layer adds to s3rver, in its store (called after s3rver has
 * authenticated the request and found the bucket): per-key readers–writer locks, so a reader never
 * sees a torn object (Amazon S3 is strongly read-after-write consistent, "Amazon S3 data
 * consistency model"); conditional writes (conditionalWrites.ts); fault injection; the storage the
 * cost meter counts; "Object Created" events; ListObjectsV2's truncation (listObjectsV2.ts).
 *
 * - PutObject, and CompleteMultipartUpload (s3rver's putObjectMultipart calls `putObject`), and
 *   CopyObject: hold the key exclusively from the precondition check to the last byte written.
 * - GetObject, HeadObject: hold the key shared until the response is done.
 * - DeleteObject: holds the key exclusively.
 */
import { AsyncLocalStorage } from "async_hooks";
import { createHash } from "crypto";
import * as fs from "fs";
import type * as http from "http";
import * as path from "path";
import type { Readable } from "stream";
import type { S3StorageMeter } from "../../usage/s3";
import type { S3Faults } from "./faults";
import { bareEtag, checkWritePreconditions, ifMatchHolds, preconditionFailed } from "./conditionalWrites";
import type { ObjectCreatedEvents } from "./eventBridge";
import { KeyedRwLock, type Release } from "./keyedLock";
import type { ListPage } from "./listObjectsV2";
import { header } from "./restXml";
import type { S3rverObject, S3rverStore } from "./s3rver";

/** The request s3rver is handling, as the store methods it calls see it. */
export interface RequestContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  /** ListObjectsV2: what the store found (./listObjectsV2.ts). */
  listPage?: ListPage;
}

export interface ObjectStoreParts {
  faults: S3Faults;
  storage: S3StorageMeter;
  events: ObjectCreatedEvents;
}

const lockKey = (bucket: string, key: string) => `${bucket}\u0000${key}`;

export class ObjectStore {
  private readonly locks = new KeyedRwLock();
  private readonly context = new AsyncLocalStorage<RequestContext>();
  /** s3rver's own store methods. */
  private readonly original: Pick<S3rverStore, "putObject" | "copyObject" | "deleteObject" | "getObject" | "listObjects">;

  /** Puts this layer's operations in place of s3rver's store methods. */
  constructor(
    private readonly store: S3rverStore,
    private readonly parts: ObjectStoreParts,
  ) {
    this.original = {
      putObject: store.putObject.bind(store),
      copyObject: store.copyObject.bind(store),
      deleteObject: store.deleteObject.bind(store),
      getObject: store.getObject.bind(store),
      listObjects: store.listObjects.bind(store),
    };
    store.listObjects = (bucket, options) => this.listObjects(bucket, options);
    store.putObject = (object) => this.putObject(object);
    store.copyObject = (srcBucket, srcKey, destBucket, destKey, metadata) => this.copyObject(srcBucket, srcKey, destBucket, destKey, metadata);
    store.deleteObject = (bucket, key) => this.deleteObject(bucket, key);
    store.getObject = (bucket, key, options) => this.getObject(bucket, key, options);
  }

  /** Runs s3rver's handling of a request in its context (what the store methods read). */
  run(context: RequestContext, handle: () => void): void {
    this.context.run(context, handle);
  }

  /** ListObjectsV2: s3rver cannot make its own continuation tokens here (./listObjectsV2.ts). */
  async listObjects(bucket: string, options: unknown): ReturnType<S3rverStore["listObjects"]> {
    const result = await this.original.listObjects(bucket, options);
    const page = this.context.getStore()?.listPage;
    if (!page) return result;
    page.isTruncated = result.isTruncated;
    page.lastKey = result.objects[result.objects.length - 1]?.key;
    return { ...result, isTruncated: false };
  }

  /** PutObject, and CompleteMultipartUpload. */
  async putObject(object: S3rverObject): Promise<{ size: number; md5: string }> {
    const ctx = this.context.getStore();
    if (!ctx) return this.original.putObject(object);
    this.parts.faults.onWrite(ctx.req);
    const release = await this.locks.acquire(lockKey(object.bucket, object.key), true);
    let written: { size: number; md5: string };
    try {
      await checkWritePreconditions(this.store, ctx.req, object.bucket, object.key);
      written = await this.parts.storage.write(object.bucket, object.key, () => this.writeObject(object), (w) => w.size);
    } finally {
      release();
    }
    this.parts.events.created(object.bucket, object.key, written.size, written.md5, ctx.req);
    return written;
  }

  async copyObject(srcBucket: string, srcKey: string, destBucket: string, destKey: string, replacementMetadata?: unknown): Promise<unknown> {
    const ctx = this.context.getStore();
    if (!ctx) return this.original.copyObject(srcBucket, srcKey, destBucket, destKey, replacementMetadata);
    this.parts.faults.onWrite(ctx.req);
    const release = await this.locks.acquireAll([
      { key: lockKey(srcBucket, srcKey), exclusive: false },
      { key: lockKey(destBucket, destKey), exclusive: true },
    ]);
    try {
      await checkWritePreconditions(this.store, ctx.req, destBucket, destKey);
      const copy = () => this.original.copyObject(srcBucket, srcKey, destBucket, destKey, replacementMetadata);
      return await this.parts.storage.write(destBucket, destKey, copy, (m) => Number((m as { "content-length"?: number })["content-length"] ?? 0));
    } finally {
      release();
    }
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    const release = await this.locks.acquire(lockKey(bucket, key), true);
    try {
      return await this.original.deleteObject(bucket, key);
    } finally {
      release();
    }
  }

  /** GetObject, HeadObject: hold the key shared until the response is done, so no write tears what is read. */
  async getObject(bucket: string, key: string, options?: unknown): Promise<S3rverObject | null> {
    const ctx = this.context.getStore();
    if (!ctx) return this.original.getObject(bucket, key, options);
    this.parts.faults.onRead(ctx.req);
    const release = await this.locks.acquire(lockKey(bucket, key), false);
    let object: S3rverObject | null;
    try {
      object = await this.original.getObject(bucket, key, options);
    } catch (err) {
      release();
      throw err;
    }
    const content = object?.content;
    // s3rver ignores If-Match on GET/HEAD; AWS answers 412 when the ETag differs.
    const ifMatch = header(ctx.req, "if-match");
    if (object && ifMatch !== undefined && !ifMatchHolds(ifMatch, bareEtag(object.metadata?.etag ?? ""))) {
      if (content && !Buffer.isBuffer(content)) content.destroy();
      release();
      throw preconditionFailed("If-Match");
    }
    if (!content || Buffer.isBuffer(content)) {
      release();
      return object;
    }
    holdUntilDone(content, ctx.res, release);
    return object;
  }

  /**
   * The object written to disk, awaited, then its metadata as s3rver keeps it. s3rver's own
   * putObject answers before its write stream has flushed (it resolves on its hashing stream's
   * finish, or at once for a Buffer), so a GET right after the PUT's answer could read a short or
   * empty object, where Amazon S3 is strongly read-after-write consistent ("Amazon S3 data
   * consistency model"). Runs under the key's exclusive lock: no reader sees the file half written.
   */
  private async writeObject(object: S3rverObject): Promise<{ size: number; md5: string }> {
    const content = Buffer.isBuffer(object.content) ? object.content : object.content ? Buffer.concat(await object.content.toArray()) : Buffer.alloc(0);
    const file = this.store.getResourcePath(object.bucket, object.key, "object");
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    await fs.promises.writeFile(file, content);
    const md5 = createHash("md5").update(content).digest("hex");
    await this.store.putMetadata(object.bucket, object.key, object.metadata, md5);
    return { size: content.length, md5 };
  }
}

/** Keeps a read's lock until its file stream closes, or its response is done. */
function holdUntilDone(content: Readable, res: http.ServerResponse, release: Release): void {
  const done = () => {
    release();
    // s3rver leaves the file stream open when it answers 304: close it with the response.
    if (!content.destroyed) content.destroy();
  };
  content.once("close", release);
  res.once("close", done);
  if (res.writableFinished || res.destroyed) done();
}
