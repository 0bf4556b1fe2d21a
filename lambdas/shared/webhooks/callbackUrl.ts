import { isIP } from "net";
import { isForbiddenAddress } from "./addresses";

/*
 * `Callback-Url` (CONTRACT.md, "Webhooks"): at most 2,048 characters, `https://` (`http://` only
 * on the local cloud), no user name or password, a host; an IP literal or a name of this machine
 * that may never be called is refused at submit time. Names that only resolve to such an address
 * are refused at delivery (./resolve.ts), where the address is known.
 */

export const CALLBACK_URL_HEADER = "Callback-Url";
export const MAX_CALLBACK_URL_CHARS = 2048;

export interface CallbackUrlRules {
  /** The local cloud: `http://` and loopback receivers are allowed. */
  local: boolean;
}

/** The URL to keep with the job, or the 400 message. */
export function checkCallbackUrl(raw: string, rules: CallbackUrlRules): { url?: string; invalid?: string } {
  const invalid = (why: string) => ({ invalid: `Callback-Url ${why}.` });
  if (raw.length === 0) return invalid("is empty");
  if (raw.length > MAX_CALLBACK_URL_CHARS) return invalid(`is over ${MAX_CALLBACK_URL_CHARS} characters`);
  if (/[\s\u0000-\u001f\u007f]/.test(raw)) return invalid("has white space or control characters");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return invalid("is not a URL");
  }
  const schemes = rules.local ? ["https:", "http:"] : ["https:"];
  if (!schemes.includes(url.protocol)) return invalid(rules.local ? "must start with https:// or (on the local cloud) http://" : "must start with https://");
  if (url.username || url.password) return invalid("may not hold a user name or password");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (host.length === 0) return invalid("has no host");
  if (isIP(host) !== 0) {
    if (isForbiddenAddress(host, rules.local)) return invalid("names a private, loopback, link-local or metadata address");
  } else if (!rules.local && (host === "localhost" || host.endsWith(".localhost") || !host.includes("."))) {
    return invalid("names a host of this network, not a public one");
  }
  return { url: url.toString() };
}
