import type * as http from "http";

/**
 * An error of an emulated AWS JSON API: `code` is the `__type` the SDKs read, `statusCode` the
 * HTTP status. Each service names its own subclass (EcsError, SfnError, EventsApiError).
 */
export class AwsApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = code;
  }
}

/** Reads a request body as UTF-8, rejecting with `tooLarge()` (and dropping the connection) past `maxBytes`. */
export function readLimitedBody(req: http.IncomingMessage, maxBytes: number, tooLarge: () => Error): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(tooLarge());
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
