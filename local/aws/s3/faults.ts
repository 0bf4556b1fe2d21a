/**
 * Fault injection of the local S3: the next object writes (PutObject, CopyObject,
 * CompleteMultipartUpload) or reads (GetObject, HeadObject), possibly only those of one function,
 * fail with 500 InternalError or 503 SlowDown before anything is written or read ("Error
 * responses", https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
 */
import type * as http from "http";
import { ArmedFault } from "./armedFault";
import { S3Error } from "./s3rver";

export type InjectedS3Status = 500 | 503;

function fail(status: InjectedS3Status | undefined): void {
  if (status === undefined) return;
  throw status === 500 ? new S3Error("InternalError", "We encountered an internal error. Please try again.") : new S3Error("SlowDown", "Please reduce your request rate.");
}

export class S3Faults {
  /** PutObject, CopyObject, CompleteMultipartUpload. */
  readonly writes = new ArmedFault<InjectedS3Status>(503);
  /** GetObject, HeadObject. */
  readonly reads = new ArmedFault<InjectedS3Status>(503);

  /** Throws the S3 error of an armed write fault that fires on this request. */
  onWrite(req: http.IncomingMessage | undefined): void {
    fail(this.writes.fire(req));
  }

  /** Throws the S3 error of an armed read fault that fires on this request. */
  onRead(req: http.IncomingMessage | undefined): void {
    fail(this.reads.fire(req));
  }
}
