/**
 * What the local S3's own answers share with s3rver's (S3's REST protocol with XML bodies,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html): an error as an XML
 * `<Error>` body, and a request header as one string.
 */
import type * as http from "http";

/** Answers an S3 error (`message` is put in the XML as it is). */
export function xmlError(res: http.ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { "content-type": "application/xml" }).end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`);
}

/** A request header, several values joined with commas. */
export function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}
