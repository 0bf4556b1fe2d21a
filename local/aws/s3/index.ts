/**
 * Local S3: s3rver (objects as files under `dir`) served in this process by an HTTP server of
 * ours on 127.0.0.1, path-style (`http://127.0.0.1:<port>/<bucket>/<key>`).
 *
 * s3rver ignores `If-None-Match`/`If-Match` on writes, and its writes are not atomic (a reader can
 * see a half-written file). AWS S3 has honoured conditional writes since 2024 and never shows a
 * torn object, and the S3 job store relies on both, so this layer adds them:
 *
 * - Per-key readers–writer locks around s3rver's own store operations (objectStore.ts): a write
 *   (PUT, copy, CompleteMultipartUpload, DELETE) holds the key exclusively from its precondition
 *   check to the last byte written; a GET/HEAD holds it shared until its response is done.
 * - Conditional writes (conditionalWrites.ts), checked under that lock, after s3rver has
 *   authenticated the request and found the bucket (the order AWS uses): `If-None-Match: *` → 412
 *   PreconditionFailed if the key exists; `If-Match: <etag>` → 412 PreconditionFailed if the
 *   current ETag differs, and 404 NoSuchKey if there is no object (as AWS answers). Errors are
 *   s3rver's S3 XML error bodies. `If-Match` on GET/HEAD is honoured too (412 when the ETag differs).
 *
 * The requests themselves reach s3rver unchanged (same Host, path, query), so presigned URLs work
 * as s3rver treats them: it does not verify signatures, but it does enforce `X-Amz-Expires`.
 * Before that, a request signed with a local STS session whose credentials have expired is
 * refused with `400 ExpiredToken` (presign.ts).
 *
 * Operations this layer handles itself or wraps (s3rver serves the rest of the S3 REST API, and
 * answers its own S3 error for what it does not serve):
 * - PutObject, CopyObject, CompleteMultipartUpload: conditional, locked, fault injection, storage
 *   metered, "Object Created" events to EventBridge (objectStore.ts, eventBridge.ts);
 * - GetObject, HeadObject: `If-Match`, locked, fault injection; DeleteObject: locked;
 * - ListObjectsV2: continuation tokens of our own (listObjectsV2.ts);
 * - PutBucketLifecycleConfiguration, GetBucketLifecycleConfiguration, DeleteBucketLifecycle
 *   (lifecycle.ts).
 *
 * AWS documentation followed:
 * - https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
 * - https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 * - https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 * - https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 * - https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html
 * - https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html
 * - https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html
 * - https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
 * - https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 */
import * as fs from "fs";
import { listen } from "../protocols/listen";
import { S3StorageMeter } from "../../usage/s3";
import type { LocalS3Service, S3ServiceOptions } from "./contract";
import { ObjectCreatedEvents } from "./eventBridge";
import { S3Faults } from "./faults";
import { createS3Server } from "./http";
import { BucketLifecycles } from "./lifecycle";
import { ObjectStore } from "./objectStore";
import { logServerErrors, S3rver, type S3rverStore } from "./s3rver";
import { LocalS3 } from "./service";

export type { LocalS3Service, S3ServiceOptions } from "./contract";

/** The storage meter, which reads an object's size and age from s3rver's metadata. */
function storageMeter(options: S3ServiceOptions, store: S3rverStore, lifecycles: BucketLifecycles, log: (line: string) => void): S3StorageMeter {
  return new S3StorageMeter(
    options.meter,
    lifecycles,
    async (bucket, key) => {
      const metadata = await store.getMetadata(bucket, key).catch(() => undefined);
      return metadata ? { bytes: Number(metadata["content-length"] ?? 0), createdMs: Date.parse(metadata["last-modified"] ?? "") || Date.now() } : undefined;
    },
    log,
  );
}

export async function startS3Service(options: S3ServiceOptions): Promise<LocalS3Service> {
  const log = options.log ?? (() => undefined);
  await fs.promises.mkdir(options.dir, { recursive: true });

  const s3rver = new S3rver({ directory: options.dir, silent: true, resetOnClose: false });
  const store = s3rver.store;
  const lifecycles = new BucketLifecycles((bucket) => store.getResourcePath(bucket, undefined, "lifecycle.json"));
  const faults = new S3Faults();
  const events = new ObjectCreatedEvents(log);
  const objects = new ObjectStore(store, { faults, events, storage: storageMeter(options, store, lifecycles, log) });
  logServerErrors(s3rver, log);
  const bucketExists = async (bucket: string) => (await store.getBucket(bucket)) !== null;
  const server = createS3Server({ meter: options.meter, lifecycles, bucketExists, objects, s3rver: s3rver.callback() });

  const { endpoint } = await listen(server, options.port ?? 0);
  const service = new LocalS3({ endpoint, server, s3rver, lifecycles, bucketExists, faults, events, log });
  log(`s3: s3rver on ${endpoint} (state in ${options.dir})`);
  return service;
}
