import * as http from "http";

export interface RawHttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One request with node:http exactly as given (path, headers, body byte for byte), its answer as text. */
export function rawHttp(options: http.RequestOptions, body?: string | Buffer): Promise<RawHttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}
