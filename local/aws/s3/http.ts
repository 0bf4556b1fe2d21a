/**
 * The local S3's HTTP server (S3's REST protocol, path-style `/<bucket>/<key>`): each request is
 * metered, then refused if its session has expired (presign.ts), answered here if it is a bucket
 * lifecycle call (lifecycle.ts), its ListObjectsV2 token rewritten (listObjectsV2.ts), and handed
 * to s3rver unchanged (same Host, path, query) in the context its store methods read
 * (objectStore.ts). An operation s3rver does not serve answers s3rver's own S3 error for it
 * (`NotImplemented` for a subresource it does not know); a method S3 has no operation for answers
 * S3's `405 MethodNotAllowed` here, before s3rver (which would answer a plain-text 404).
 */
import * as http from "http";
import type { UsageMeter } from "../../usage/meter";
import { meterS3Request } from "../../usage/s3";
import { handleLifecycleRequest, type BucketLifecycles } from "./lifecycle";
import { interceptListObjectsV2 } from "./listObjectsV2";
import type { ObjectStore } from "./objectStore";
import { refuseExpiredSession } from "./presign";
import { xmlError } from "./restXml";

export interface S3Routes {
  meter?: UsageMeter;
  lifecycles: BucketLifecycles;
  bucketExists: (bucket: string) => Promise<boolean>;
  objects: ObjectStore;
  /** s3rver's request handler. */
  s3rver: http.RequestListener;
}

/** The methods S3's REST API has operations for (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html). */
const S3_METHODS = new Set(["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"]);

export function createS3Server(routes: S3Routes): http.Server {
  return http.createServer((req, res) => {
    if (!S3_METHODS.has(req.method ?? "")) return xmlError(res, 405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
    if (routes.meter) meterS3Request(routes.meter, req, res);
    if (refuseExpiredSession(req, res)) return;
    if (handleLifecycleRequest(req, res, routes.lifecycles, routes.bucketExists)) return;
    const listPage = interceptListObjectsV2(req, res);
    if (listPage === "invalid") return xmlError(res, 400, "InvalidArgument", "The continuation token provided is incorrect");
    routes.objects.run({ req, res, listPage }, () => routes.s3rver(req, res));
  });
}
