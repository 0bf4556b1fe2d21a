import type * as http from "http";

/**
 * The function a request to a local service comes from: the `app/<id>` of its User-Agent, which the
 * AWS SDK adds from `AWS_SDK_UA_APP_ID` (the local Lambda sets it to the function's name), or
 * undefined (a request of a local service itself, or of a test).
 */
export function callerOf(req: http.IncomingMessage): string | undefined {
  const agent = String(req.headers["user-agent"] ?? "") + " " + String(req.headers["x-amz-user-agent"] ?? "");
  const m = /(?:^|\s)app\/([^\s]+)/.exec(agent);
  return m ? decodeURIComponent(m[1]) : undefined;
}

/** An armed fault fires on a request when it names no function, or the request's caller is that function. */
export function firesOn(fault: { function?: string }, req: http.IncomingMessage): boolean {
  if (fault.function === undefined) return true;
  // Powertools appends its own mark to the app id ("<id>-PT-…").
  const caller = callerOf(req);
  return caller !== undefined && (caller === fault.function || caller.startsWith(`${fault.function}-`));
}
