import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { s3Client } from "./clients";
import { config, required } from "./config";
import { ENV, INLINE_RESULT_LIMIT_BYTES, MAX_INLINE_RESPONSE_BYTES, RESULT_URL_TTL_SECONDS } from "./env";
import { resultReaderClient } from "./resultSigner";
import type { JobView } from "./status";

/** Where a job's result went: inline JSON text, or an object in the results bucket. */
export interface StoredResult {
  result?: string;
  resultRef?: string;
  resultSize: number;
}

/** `results/<jobId>.json` */
export function resultKey(jobId: string): string {
  return `results/${jobId}.json`;
}

/**
 * What a job record may hold of its input and inline result together: DynamoDB's 400 KB item
 * limit, strings counted in UTF-8 bytes ("DynamoDB item sizes and formats"), less room for the
 * record's other attributes. A stream backend's input is checked in characters by the gateway, so
 * it can be far larger in bytes than the 256 KiB the Lambda backends allow.
 */
export const RECORD_BUDGET_BYTES = 400 * 1024 - 8 * 1024;

/**
 * Keeps a result: its JSON text inline when at most `INLINE_RESULT_LIMIT_BYTES` and when it fits
 * in the record beside the job's input (`inputBytes`), else `results/<jobId>.json` in the results
 * bucket (the record then holds `resultRef` + `resultSize`).
 */
export async function storeResult(jobId: string, value: unknown, inputBytes = 0): Promise<StoredResult> {
  const text = JSON.stringify(value === undefined ? null : value);
  const resultSize = Buffer.byteLength(text, "utf8");
  if (resultSize <= INLINE_RESULT_LIMIT_BYTES && inputBytes + resultSize <= RECORD_BUDGET_BYTES) return { result: text, resultSize };
  const bucket = required(config().resultsBucket, ENV.RESULTS_BUCKET);
  const key = resultKey(jobId);
  await s3Client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: "application/json" }));
  return { resultRef: key, resultSize };
}

/** What a GET answers for a SUCCEEDED job's result. */
export interface ReadableResult {
  /** The result's JSON value (inline, or fetched when at most 256 KiB). */
  result?: unknown;
  /** A presigned GET for a larger result. */
  resultUrl?: string;
}

/**
 * The result as GET gives it: inline; or an offloaded one of at most 256 KiB fetched and inlined;
 * or a larger one as a presigned URL valid `RESULT_URL_TTL_SECONDS`, signed by a result-reader
 * session with at least that long left (./resultSigner.ts).
 */
export async function readResult(seen: Pick<JobView, "result" | "resultRef" | "resultSize">, now: () => number = Date.now): Promise<ReadableResult> {
  if (seen.result !== undefined) return { result: JSON.parse(seen.result) };
  if (seen.resultRef === undefined) return {};
  const bucket = required(config().resultsBucket, ENV.RESULTS_BUCKET);
  const command = new GetObjectCommand({ Bucket: bucket, Key: seen.resultRef });
  if (seen.resultSize !== undefined && seen.resultSize <= MAX_INLINE_RESPONSE_BYTES) {
    const out = await s3Client().send(command);
    return { result: JSON.parse(await out.Body!.transformToString("utf-8")) };
  }
  return { resultUrl: await getSignedUrl(await resultReaderClient(now), command, { expiresIn: RESULT_URL_TTL_SECONDS }) };
}
