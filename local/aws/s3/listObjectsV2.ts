// ListObjectsV2's paging, done by the local S3 itself (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html).
import type * as http from "http";

/*
 * ListObjectsV2 pages. s3rver makes and reads its continuation tokens with DES, which Node 20's
 * OpenSSL 3 no longer has: a truncated page, or a request with a token, is a 500 there. Tokens
 * here are the base64url of the last key of the page (opaque to clients, as AWS's are: "Organizing,
 * listing, and working with your objects", ListObjectsV2's ContinuationToken):
 * - a request's `continuation-token` becomes `start-after` before s3rver sees it;
 * - s3rver is told its page is not truncated, and the answer gets `IsTruncated` and
 *   `NextContinuationToken` back from what the store really found.
 */

/** What the store found for one ListObjectsV2 request. */
export interface ListPage {
  isTruncated?: boolean;
  lastKey?: string;
}

/** A page's own ListObjectsV2 token. */
export function continuationToken(lastKey: string): string {
  return Buffer.from(lastKey, "utf8").toString("base64url");
}

/**
 * For a ListObjectsV2 request (`GET /<bucket>?list-type=2`): rewrites its token, and makes its
 * answer carry the page's truncation. Returns the page the store wrapper fills in, or undefined
 * for any other request; `"invalid"` for a token that is not one of ours (answered 400 here).
 */
export function interceptListObjectsV2(req: http.IncomingMessage, res: http.ServerResponse): ListPage | undefined | "invalid" {
  if (req.method !== "GET") return undefined;
  const url = new URL(req.url ?? "/", "http://local");
  if (url.searchParams.get("list-type") !== "2" || url.pathname.split("/").filter(Boolean).length !== 1) return undefined;
  const token = url.searchParams.get("continuation-token");
  if (token !== null) {
    const key = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, "base64url").toString("utf8") : "";
    if (key === "") return "invalid";
    url.searchParams.delete("continuation-token");
    url.searchParams.set("start-after", key);
    req.url = `${url.pathname}?${url.searchParams.toString()}`;
  }
  const page: ListPage = {};
  const end = res.end.bind(res) as (...args: unknown[]) => http.ServerResponse;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (page.isTruncated && page.lastKey !== undefined && (typeof chunk === "string" || Buffer.isBuffer(chunk))) {
      const body = String(chunk).replace(
        "<IsTruncated>false</IsTruncated>",
        `<IsTruncated>true</IsTruncated><NextContinuationToken>${continuationToken(page.lastKey)}</NextContinuationToken>`,
      );
      if (!res.headersSent) res.setHeader("Content-Length", Buffer.byteLength(body));
      return end(body, ...rest);
    }
    return end(chunk, ...rest);
  }) as typeof res.end;
  return page;
}
