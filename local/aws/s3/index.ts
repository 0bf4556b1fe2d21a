/**
 * Local S3: s3rver (objects as files under `dir`) served in this process by an HTTP server of
 * ours on 127.0.0.1, path-style (`http://127.0.0.1:<port>/<bucket>/<key>`).
 *
 * s3rver ignores `If-None-Match`/`If-Match` on writes, and its writes are not atomic (a reader can
 * see a half-written file). AWS S3 has honoured conditional writes since 2024 and never shows a
 * torn object, and the S3 job store relies on both, so this layer adds them:
 *
 * - Per-key readers–writer locks around s3rver's own store operations: a write (PUT, copy,
 *   CompleteMultipartUpload, DELETE) holds the key exclusively from its precondition check to the
 *   last byte written; a GET/HEAD holds it shared until its response is done.
 * - Conditional writes, checked under that lock, after s3rver has authenticated the request and
 *   found the bucket (the order AWS uses): `If-None-Match: *` → 412 PreconditionFailed if the key
 *   exists; `If-Match: <etag>` → 412 PreconditionFailed if the current ETag differs, and 404
 *   NoSuchKey if there is no object (as AWS answers). Errors are s3rver's S3 XML error bodies.
 *   `If-Match` on GET/HEAD is honoured too (412 when the ETag differs).
 *
 * The requests themselves reach s3rver unchanged (same Host, path, query), so presigned URLs work
 * as s3rver treats them: it does not verify signatures, but it does enforce `X-Amz-Expires`.
 * Before that, a request signed with a local STS session (`X-Amz-Security-Token`, in the query
 * of a presigned URL or as a header) whose credentials have expired is refused with
 * `400 ExpiredToken`: a presigned URL "expires when the credentials you used to create it
 * expire", whatever its `X-Amz-Expires` ("Download and upload objects with presigned URLs").
 */
import { AsyncLocalStorage } from "async_hooks";
import { createHash, randomUUID } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import type { Readable } from "stream";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION } from "../types";
import type { EventsSink, S3Service } from "../types";
import { KeyedRwLock } from "./keyedLock";
import { firesOn } from "../../admin/callerOf";
import { interceptListObjectsV2, type ListPage } from "./listObjectsV2";
import { sessionTokenExpiry } from "../sts/sessionToken";
import { close, listen } from "../protocols/listen";
import type { UsageMeter } from "../../usage/meter";
import { BucketLifecycles, handleLifecycleRequest, type LifecycleRule } from "./lifecycle";
import { meterS3Request, S3StorageMeter } from "../../usage/s3";

// s3rver ships no type declarations: the parts used here.
interface S3rverObject {
  bucket: string;
  key: string;
  content: Readable | Buffer | null;
  metadata?: Record<string, string>;
}
interface S3rverStore {
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
interface S3rverInstance {
  store: S3rverStore;
  callback(): http.RequestListener;
  on(event: "error", listener: (err: Error & { status?: number }) => void): void;
  logger: { close(): void; exceptions: { unhandle(): void } };
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;
type S3ErrorConstructor = new (code: string, message: string, detail?: Record<string, string>) => Error & { status: number };
/* eslint-disable @typescript-eslint/no-require-imports */
const S3rver = require("s3rver") as S3rverConstructor;
const S3Error = require("s3rver/lib/models/error") as S3ErrorConstructor;
/* eslint-enable @typescript-eslint/no-require-imports */

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

interface RequestContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  /** ListObjectsV2: what the store found (./listObjectsV2.ts). */
  listPage?: ListPage;
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

/** `"abc"`, `W/"abc"`, `abc` → `abc`. */
function bareEtag(value: string): string {
  return value.trim().replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
}

function preconditionFailed(condition: string): Error {
  return new S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", { Condition: condition });
}

/** Whether the request is signed with a local STS session that has expired. */
function sessionExpired(req: http.IncomingMessage, now = Date.now()): boolean {
  const query = new URL(req.url ?? "/", "http://local").searchParams;
  const token = query.get("X-Amz-Security-Token") ?? header(req, "x-amz-security-token");
  const expiry = token === undefined || token === null ? undefined : sessionTokenExpiry(token);
  return expiry !== undefined && expiry <= now;
}

export async function startS3Service(options: S3ServiceOptions): Promise<LocalS3Service> {
  const log = options.log ?? (() => undefined);
  await fs.promises.mkdir(options.dir, { recursive: true });

  const s3rver = new S3rver({ directory: options.dir, silent: true, resetOnClose: false });
  const store = s3rver.store;
  const locks = new KeyedRwLock();
  const context = new AsyncLocalStorage<RequestContext>();
  const lockKey = (bucket: string, key: string) => `${bucket}\u0000${key}`;
  const lifecycles = new BucketLifecycles((bucket) => store.getResourcePath(bucket, undefined, "lifecycle.json"));
  const storage = new S3StorageMeter(
    options.meter,
    lifecycles,
    async (bucket, key) => {
      const metadata = await store.getMetadata(bucket, key).catch(() => undefined);
      return metadata ? { bytes: Number(metadata["content-length"] ?? 0), createdMs: Date.parse(metadata["last-modified"] ?? "") || Date.now() } : undefined;
    },
    log,
  );

  type Armed = { remaining: number; status: 500 | 503; function?: string };
  let faults: Armed = { remaining: 0, status: 503 };
  let readFaults: Armed = { remaining: 0, status: 503 };
  function injectFault(armed: Armed = faults): void {
    const req = context.getStore()?.req;
    if (armed.remaining <= 0 || (req && !firesOn(armed, req))) return;
    armed.remaining--;
    throw armed.status === 500
      ? new S3Error("InternalError", "We encountered an internal error. Please try again.")
      : new S3Error("SlowDown", "Please reduce your request rate.");
  }

  async function currentEtag(bucket: string, key: string): Promise<string | undefined> {
    try {
      return bareEtag((await store.getMetadata(bucket, key)).etag);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
      throw err;
    }
  }

  /** Throws the S3 error AWS would answer when the request's write preconditions do not hold. */
  async function checkPreconditions(req: http.IncomingMessage, bucket: string, key: string): Promise<void> {
    const ifNoneMatch = header(req, "if-none-match");
    const ifMatch = header(req, "if-match");
    if (ifNoneMatch === undefined && ifMatch === undefined) return;
    if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== "*") {
      // AWS accepts only `*` on writes.
      throw new S3Error("NotImplemented", "A header you provided implies functionality that is not implemented", { Header: "If-None-Match" });
    }
    const current = await currentEtag(bucket, key);
    if (ifNoneMatch !== undefined && current !== undefined) throw preconditionFailed("If-None-Match");
    if (ifMatch !== undefined) {
      if (current === undefined) throw new S3Error("NoSuchKey", "The specified key does not exist.", { Key: key });
      const candidates = ifMatch.split(",").map(bareEtag);
      if (!candidates.includes("*") && !candidates.includes(current)) throw preconditionFailed("If-Match");
    }
  }

  /**
   * The object written to disk, awaited, then its metadata as s3rver keeps it. s3rver's own
   * putObject answers before its write stream has flushed (it resolves on its hashing stream's
   * finish, or at once for a Buffer), so a GET right after the PUT's answer could read a short or
   * empty object, where Amazon S3 is strongly read-after-write consistent ("Amazon S3 data
   * consistency model"). Runs under the key's exclusive lock: no reader sees the file half written.
   */
  async function writeObject(object: S3rverObject): Promise<{ size: number; md5: string }> {
    const content = Buffer.isBuffer(object.content) ? object.content : object.content ? Buffer.concat(await object.content.toArray()) : Buffer.alloc(0);
    const file = store.getResourcePath(object.bucket, object.key, "object");
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    await fs.promises.writeFile(file, content);
    const md5 = createHash("md5").update(content).digest("hex");
    await store.putMetadata(object.bucket, object.key, object.metadata, md5);
    return { size: content.length, md5 };
  }

  // Buckets whose writes EventBridge hears of, and the sequencer S3 gives each event of a key.
  const eventBridgeBuckets = new Map<string, () => EventsSink | undefined>();
  let sequencer = 0;
  function notifyCreated(bucket: string, key: string, size: number, md5: string, req: http.IncomingMessage): void {
    const events = eventBridgeBuckets.get(bucket)?.();
    if (!events) return;
    const detail = {
      version: "0",
      bucket: { name: bucket },
      object: { key, size, etag: md5, sequencer: (++sequencer).toString(16).toUpperCase().padStart(18, "0") },
      "request-id": randomUUID(),
      requester: LOCAL_ACCOUNT_ID,
      "source-ip-address": req.socket.remoteAddress ?? "127.0.0.1",
      reason: header(req, "x-amz-copy-source") ? "CopyObject" : "PutObject",
    };
    events.publish("default", { source: "aws.s3", detailType: "Object Created", detail, resources: [`arn:aws:s3:::${bucket}`] }).catch((err) => log(`s3: could not send an Object Created event: ${(err as Error).message}`));
  }

  // Wrap s3rver's store methods (called after its authentication and bucket checks).
  const original = {
    putObject: store.putObject.bind(store),
    copyObject: store.copyObject.bind(store),
    deleteObject: store.deleteObject.bind(store),
    getObject: store.getObject.bind(store),
    listObjects: store.listObjects.bind(store),
  };

  // ListObjectsV2: s3rver cannot make its own continuation tokens here (./listObjectsV2.ts).
  store.listObjects = async (bucket, listOptions) => {
    const result = await original.listObjects(bucket, listOptions);
    const page = context.getStore()?.listPage;
    if (!page) return result;
    page.isTruncated = result.isTruncated;
    page.lastKey = result.objects[result.objects.length - 1]?.key;
    return { ...result, isTruncated: false };
  };

  // PutObject, and CompleteMultipartUpload (s3rver's putObjectMultipart calls this.putObject).
  store.putObject = async (object) => {
    const ctx = context.getStore();
    if (!ctx) return original.putObject(object);
    injectFault();
    const release = await locks.acquire(lockKey(object.bucket, object.key), true);
    let written: { size: number; md5: string };
    try {
      await checkPreconditions(ctx.req, object.bucket, object.key);
      written = await storage.write(object.bucket, object.key, () => writeObject(object), (w) => w.size);
    } finally {
      release();
    }
    notifyCreated(object.bucket, object.key, written.size, written.md5, ctx.req);
    return written;
  };

  store.copyObject = async (srcBucket, srcKey, destBucket, destKey, replacementMetadata) => {
    const ctx = context.getStore();
    if (!ctx) return original.copyObject(srcBucket, srcKey, destBucket, destKey, replacementMetadata);
    injectFault();
    const release = await locks.acquireAll([
      { key: lockKey(srcBucket, srcKey), exclusive: false },
      { key: lockKey(destBucket, destKey), exclusive: true },
    ]);
    try {
      await checkPreconditions(ctx.req, destBucket, destKey);
      const copy = () => original.copyObject(srcBucket, srcKey, destBucket, destKey, replacementMetadata);
      return await storage.write(destBucket, destKey, copy, (m) => Number((m as { "content-length"?: number })["content-length"] ?? 0));
    } finally {
      release();
    }
  };

  store.deleteObject = async (bucket, key) => {
    const release = await locks.acquire(lockKey(bucket, key), true);
    try {
      return await original.deleteObject(bucket, key);
    } finally {
      release();
    }
  };

  // GET/HEAD: hold the key shared until the response is done, so no write tears what is read.
  store.getObject = async (bucket, key, getOptions) => {
    const ctx = context.getStore();
    if (!ctx) return original.getObject(bucket, key, getOptions);
    injectFault(readFaults);
    const release = await locks.acquire(lockKey(bucket, key), false);
    let object: S3rverObject | null;
    try {
      object = await original.getObject(bucket, key, getOptions);
    } catch (err) {
      release();
      throw err;
    }
    const content = object?.content;
    // s3rver ignores If-Match on GET/HEAD; AWS answers 412 when the ETag differs.
    const ifMatch = header(ctx.req, "if-match");
    if (object && ifMatch !== undefined) {
      const etag = bareEtag(object.metadata?.etag ?? "");
      const candidates = ifMatch.split(",").map(bareEtag);
      if (!candidates.includes("*") && !candidates.includes(etag)) {
        if (content && !Buffer.isBuffer(content)) content.destroy();
        release();
        throw preconditionFailed("If-Match");
      }
    }
    if (!content || Buffer.isBuffer(content)) {
      release();
      return object;
    }
    const done = () => {
      release();
      // s3rver leaves the file stream open when it answers 304: close it with the response.
      if (!content.destroyed) content.destroy();
    };
    content.once("close", release);
    ctx.res.once("close", done);
    if (ctx.res.writableFinished || ctx.res.destroyed) done();
    return object;
  };

  s3rver.on("error", (err) => {
    if ((err.status ?? 500) >= 500 && !["InternalError", "SlowDown"].includes((err as { code?: string }).code ?? "")) {
      log(`s3: ${err.stack ?? err.message}`);
    }
  });
  const s3rverHandler = s3rver.callback();

  const bucketExists = async (bucket: string) => (await store.getBucket(bucket)) !== null;
  const server = http.createServer((req, res) => {
    if (options.meter) meterS3Request(options.meter, req, res);
    if (sessionExpired(req)) {
      res
        .writeHead(400, { "content-type": "application/xml" })
        .end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>');
      return;
    }
    if (handleLifecycleRequest(req, res, lifecycles, bucketExists)) return;
    const listPage = interceptListObjectsV2(req, res);
    if (listPage === "invalid") {
      res
        .writeHead(400, { "content-type": "application/xml" })
        .end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidArgument</Code><Message>The continuation token provided is incorrect</Message></Error>');
      return;
    }
    context.run({ req, res, listPage }, () => s3rverHandler(req, res));
  });
  const { endpoint } = await listen(server, options.port ?? 0);
  const client = new S3Client({
    endpoint,
    region: LOCAL_REGION,
    credentials: { ...LOCAL_CREDENTIALS },
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
  log(`s3: s3rver on ${endpoint} (state in ${options.dir})`);

  let stopped = false;
  return {
    endpoint,
    server,
    client,

    async createBucket(name) {
      try {
        await client.send(new CreateBucketCommand({ Bucket: name }));
        log(`s3: created bucket ${name}`);
      } catch (err) {
        const code = (err as Error).name;
        if (code !== "BucketAlreadyOwnedByYou" && code !== "BucketAlreadyExists") throw err;
      }
    },

    enableEventBridge(bucket, events) {
      eventBridgeBuckets.set(bucket, events);
    },

    failNextWrites(count, status = 503, fromFunction) {
      faults = { remaining: count, status, function: fromFunction };
    },

    failNextReads(count, status = 503, fromFunction) {
      readFaults = { remaining: count, status, function: fromFunction };
    },

    async setLifecycleRules(bucket, rules) {
      if (!(await bucketExists(bucket))) throw new Error(`s3: no bucket ${bucket} to set lifecycle rules on`);
      await lifecycles.set(bucket, rules);
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      client.destroy();
      try {
        await close(server, 2000);
      } finally {
        s3rver.logger.exceptions.unhandle();
        s3rver.logger.close();
      }
      log("s3: stopped");
    },
  };
}
