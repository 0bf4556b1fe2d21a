// Calls to the API (with the API key when there is one), its errors as the contract words them, and the notice bar.
import { SIGV4_NOTE, el } from "./dom.js";
import { apiKey, state } from "./store.js";

/** One request to the API: `{status, headers, body}` or throws a TypeError on network/CORS failure. */
export async function call(method, route, body) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (state.auth === "apiKey" && apiKey()) headers["x-api-key"] = apiKey();
  const res = await fetch(`${state.apiUrl}${route}`, { method, headers, body, cache: "no-store" });
  const text = await res.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** The contract's error `{code, message}` of a response, or a stand-in for a body without one. */
export function errorOf(res) {
  const e = res.body && res.body.error;
  if (e && typeof e.code === "string") return { code: e.code, message: String(e.message || "") };
  if (res.body && typeof res.body.message === "string") return { code: `HTTP ${res.status}`, message: res.body.message };
  return { code: `HTTP ${res.status}`, message: res.text ? res.text.slice(0, 200) : "No error body." };
}

export function networkMessage() {
  const origin = location.origin && location.origin !== "null" ? location.origin : "this page's origin";
  return (
    `Could not reach ${state.apiUrl || "the API"}: the network failed, or the browser blocked the answer (CORS). ` +
    `From another origin the stack needs ${origin} in corsOrigins (a file:// page has no origin: serve the console over http).`
  );
}

/** Seconds to wait before polling again, from `Retry-After` (seconds or an HTTP date). */
export function retryAfter(res, fallback = 2) {
  const value = res && res.headers && res.headers.get("Retry-After");
  let seconds = fallback;
  if (value && /^\d+(\.\d+)?$/.test(value.trim())) seconds = Number(value);
  else if (value && !Number.isNaN(Date.parse(value))) seconds = (Date.parse(value) - Date.now()) / 1000;
  return Math.min(60, Math.max(0.5, seconds));
}

// ---- notices -------------------------------------------------------------------------------

export function showNotice(text) {
  el.notice.textContent = text;
  el.notice.hidden = false;
}

export function clearNotice() {
  el.notice.hidden = true;
  el.notice.textContent = "";
}

/** A 403 means SigV4 (unsupported here) or a wrong API key: say which to try. */
export function forbidden(res) {
  const e = errorOf(res);
  const hint = state.auth === "apiKey" ? "Check the API key. If the stack uses auth iam: " : "";
  showNotice(`The API answered 403 ${e.code}: ${e.message} ${hint}${SIGV4_NOTE}`);
}
