/**
 * Local only: the browser console's static files, served below every stage at
 * `GET /<stage>/console/` without auth. Not an API Gateway feature; the gateway answers these
 * before it looks for a route, and does not meter them.
 */
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import type { Answer } from "./exchange";

/** Local only: the browser console's static files (`console/` at the repository's root). */
export const CONSOLE_DIR = path.resolve(__dirname, "..", "..", "..", "console");
const CONSOLE_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};
const CONSOLE_CSP = "default-src 'self'; connect-src 'self' http: https:; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * `GET /<stage>/console[/<file>]`, local only: a regular file directly in `dir` (name of letters,
 * digits, `._-`, not starting with a dot; known extensions only), `index.html` for the folder
 * itself, a redirect from `/console` to `/console/`. Anything else under `/console` is a 404, so
 * no `..`, encoded or not, leaves the folder. `undefined` when the path is not under `/console`.
 */
export async function consoleAsset(dir: string, belowStage: string, rawQuery: string): Promise<Answer | undefined> {
  let decoded: string | undefined;
  try {
    decoded = decodeURIComponent(belowStage);
  } catch {
    /* malformed escape */
  }
  const target = decoded ?? belowStage;
  if (target !== "/console" && !target.startsWith("/console/")) return undefined;
  const notFound = {
    status: 404,
    headers: [["Content-Type", "application/json; charset=utf-8"]] as Array<[string, string]>,
    body: Buffer.from(JSON.stringify({ error: { code: "NotFound", message: "No such console file." } })),
  };
  if (decoded === undefined) return notFound;
  if (target === "/console") return { status: 302, headers: [["Location", `console/${rawQuery ? `?${rawQuery}` : ""}`]], body: Buffer.alloc(0) };
  const name = target.slice("/console/".length) || "index.html";
  const type = CONSOLE_TYPES[path.extname(name).toLowerCase()];
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name) || !type) return notFound;
  const file = path.join(dir, name);
  if (path.dirname(file) !== dir) return notFound;
  try {
    if (!(await fsp.lstat(file)).isFile()) return notFound;
    const body = await fsp.readFile(file);
    const headers: Array<[string, string]> = [
      ["Content-Type", type],
      ["Cache-Control", "no-cache"],
      ["X-Content-Type-Options", "nosniff"],
      ["Referrer-Policy", "no-referrer"],
    ];
    if (type.startsWith("text/html")) headers.push(["Content-Security-Policy", CONSOLE_CSP]);
    return { status: 200, headers, body };
  } catch {
    return notFound;
  }
}
