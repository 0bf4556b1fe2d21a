import { lookup as dnsLookup, type LookupAddress } from "dns";
import * as http from "http";
import * as https from "https";
import { isIP } from "net";
import { isForbiddenAddress } from "../shared/webhooks/addresses";

/** How long a receiver has to answer (CONTRACT.md, "Webhooks": no answer in 10 s is a failure). */
export const DELIVERY_TIMEOUT_MS = 10_000;

export type SendOutcome =
  | { kind: "delivered"; status: number }
  /** A non-2xx answer, no answer in time, or no connection: retried. */
  | { kind: "failed"; reason: string }
  /** The host is (or resolves to) an address never called: not retried, nothing was sent. */
  | { kind: "refused"; reason: string };

export interface SendOptions {
  /** The local cloud: loopback receivers (and `http://`) are allowed. */
  loopbackAllowed: boolean;
  timeoutMs?: number;
  /** Tests: a resolver (else the system's). */
  lookup?: typeof dnsLookup;
}

class Refused extends Error {
  readonly code = "ECALLBACKREFUSED";
}

/**
 * POSTs `body` to `url`. The address is checked where the connection is made (the `lookup` of
 * the request, for every address the name resolves to), so a name cannot pass a check and then
 * resolve elsewhere (DNS rebinding). Redirects are not followed.
 */
export function sendWebhook(url: string, headers: Record<string, string>, body: string, options: SendOptions): Promise<SendOutcome> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, "");
  if (isIP(host) !== 0 && isForbiddenAddress(host, options.loopbackAllowed)) {
    return Promise.resolve({ kind: "refused", reason: "the callback's address is private, loopback, link-local or metadata" });
  }
  if (target.protocol === "http:" && !options.loopbackAllowed) return Promise.resolve({ kind: "refused", reason: "callbacks use https" });
  const resolve = options.lookup ?? dnsLookup;
  const guardedLookup = ((hostname: string, opts: object, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    resolve(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as LookupAddress[];
      if (list.length === 0 || list.some((a) => isForbiddenAddress(a.address, options.loopbackAllowed))) {
        return callback(new Refused(`${hostname} resolves to a private, loopback, link-local or metadata address`), []);
      }
      if ((opts as { all?: boolean }).all) return callback(null, list);
      return callback(null, list[0].address, list[0].family);
    });
  }) as unknown as typeof dnsLookup;

  return new Promise((done) => {
    const client = target.protocol === "https:" ? https : http;
    const req = client.request(
      target,
      { method: "POST", headers: { ...headers, "Content-Length": String(Buffer.byteLength(body)) }, lookup: guardedLookup, timeout: options.timeoutMs ?? DELIVERY_TIMEOUT_MS },
      (res) => {
        res.resume();
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          done(status >= 200 && status < 300 ? { kind: "delivered", status } : { kind: "failed", reason: `answered ${status}` });
        });
        res.on("error", (err) => done({ kind: "failed", reason: err.message }));
      },
    );
    const deadline = setTimeout(() => req.destroy(new Error(`no answer in ${(options.timeoutMs ?? DELIVERY_TIMEOUT_MS) / 1000} s`)), options.timeoutMs ?? DELIVERY_TIMEOUT_MS);
    req.on("timeout", () => req.destroy(new Error(`no answer in ${(options.timeoutMs ?? DELIVERY_TIMEOUT_MS) / 1000} s`)));
    req.on("error", (err) => done(err instanceof Refused ? { kind: "refused", reason: err.message } : { kind: "failed", reason: err.message }));
    req.on("close", () => clearTimeout(deadline));
    req.end(body);
  });
}
