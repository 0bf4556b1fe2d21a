// `async-api listen`: a local receiver for the stack's webhooks. It verifies each delivery as an
// application would (verifyWebhook), prints it, and answers as the stack expects: 2xx done,
// anything else retried. With the local cloud: `async-api listen --port 9000` and submit with
// `Callback-Url: http://127.0.0.1:9000/`.
import * as http from "http";
import type { AddressInfo } from "net";
import { verifyWebhook, WebhookVerificationError, type WebhookEvent } from "./webhooks";

/** The largest body read; the stack sends results over 256 KiB as a URL, so a delivery is far smaller. */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

/** What `startWebhookListener` listens on, verifies with, and prints to. */
export interface WebhookListenerOptions {
  /** `whsec_<base64>`: the stack's `webhookSecret`. */
  secret: string;
  /** The address to bind, e.g. `127.0.0.1`. */
  host: string;
  /** 0: any free port. */
  port: number;
  /** Accept deliveries on this path only (it starts with `/`); any path when absent. */
  path?: string;
  /** Print each verified event as one JSON line instead of a summary line. */
  json: boolean;
  /** Verified deliveries, one line each. */
  stdout: { write(text: string): unknown };
  /** Rejected requests, one line each. */
  stderr: { write(text: string): unknown };
  /** The current time in milliseconds (tests). */
  now?: () => number;
}

/** A running listener. */
export interface WebhookListener {
  /** Where it listens, e.g. `http://127.0.0.1:9000/`. */
  url: string;
  /** Stops accepting and closes every open connection. */
  close(): Promise<void>;
}

/** A request answered with an error status, and why. */
class Rejection extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Control characters out of text that reaches the terminal. */
function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]+/g, " ");
}

/** The summary line of a verified delivery: received at, type, job, status, webhook-id. */
export function deliveryLine(receivedAt: Date, event: WebhookEvent, webhookId: string): string {
  return `${[receivedAt.toISOString(), event.type, event.data.jobId, event.data.status, webhookId].map(printable).join(" ")}\n`;
}

/**
 * The raw body, at most `MAX_WEBHOOK_BODY_BYTES` (413 beyond). The rest of a too-large body is
 * drained, not destroyed, so the 413 can still be sent.
 */
function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_WEBHOOK_BODY_BYTES) return void chunks.push(chunk);
      req.removeAllListeners("data");
      req.resume();
      reject(new Rejection(413, `the body is over ${MAX_WEBHOOK_BODY_BYTES} bytes`));
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** The verified event of a request; throws a `Rejection` for anything that is not a delivery. */
async function verifiedEvent(req: http.IncomingMessage, options: WebhookListenerOptions): Promise<WebhookEvent> {
  if (req.method !== "POST") throw new Rejection(405, `${req.method} is not POST`, { Allow: "POST" });
  const pathname = new URL(req.url ?? "/", "http://listener").pathname;
  if (options.path !== undefined && pathname !== options.path) throw new Rejection(404, `deliveries go to ${options.path}, not ${pathname}`);
  const body = await readBody(req);
  try {
    return verifyWebhook(options.secret, req.headers, body, options.now ? { now: options.now } : {});
  } catch (err) {
    if (err instanceof WebhookVerificationError) throw new Rejection(401, `${err.reason}: ${err.message}`);
    throw err;
  }
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, options: WebhookListenerOptions): Promise<void> {
  const receivedAt = new Date((options.now ?? Date.now)());
  try {
    const event = await verifiedEvent(req, options);
    const webhookId = String(req.headers["webhook-id"]);
    // Printed before the answer, so whoever sees the 204 also finds the line.
    options.stdout.write(options.json ? `${JSON.stringify(event)}\n` : deliveryLine(receivedAt, event, webhookId));
    res.writeHead(204).end();
  } catch (err) {
    const rejection = err instanceof Rejection ? err : new Rejection(500, `internal error: ${(err as Error).message}`);
    const from = req.headers["webhook-id"] ? ` webhook-id ${req.headers["webhook-id"]}` : "";
    options.stderr.write(printable(`${receivedAt.toISOString()} rejected ${req.method} ${req.url}${from}: ${rejection.message}`) + "\n");
    // After a 413 the client may still be sending: close the connection once answered.
    res.writeHead(rejection.status, { "content-type": "text/plain; charset=utf-8", ...rejection.headers, ...(rejection.status === 413 ? { connection: "close" } : {}) });
    res.end(`${rejection.message}\n`);
  }
}

/** `http://host:port/path`, IPv6 hosts in brackets. */
function listenerUrl(host: string, port: number, path = "/"): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}${path}`;
}

/** Starts a webhook receiver; resolves once it listens (rejects if it cannot, e.g. EADDRINUSE). */
export async function startWebhookListener(options: WebhookListenerOptions): Promise<WebhookListener> {
  const server = http.createServer((req, res) => void handle(req, res, options));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.removeListener("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: listenerUrl(options.host, port, options.path),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
