/** Test helpers for the local API Gateway: a scripted Lambda, a raw HTTP client and a SigV4 signer. */
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { buildApiDocument } from "../../../components/api/openapi";
import type { AuthMode } from "../../../lambdas/shared/types";
import type { InvokeResult } from "../../../local/aws/types";
import { rawHttp } from "../../support/rawHttp";

export const ACCOUNT = "000000000000";
export const REGION = "us-east-1";

export const functionArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
export const invokeUri = (name: string) => `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${functionArn(name)}/invocations`;

/** The program's own document, with functions `submit`, `status` and `cancel`. */
export function apiDocument(auth: AuthMode, corsOrigins: string[] = []) {
  return buildApiDocument({
    title: "test-api",
    auth,
    jobSchema: { type: "object", required: ["seconds"], properties: { seconds: { type: "number" } }, additionalProperties: false },
    integrations: { submit: invokeUri("submit"), list: invokeUri("list"), status: invokeUri("status"), cancel: invokeUri("cancel") },
    corsOrigins,
  });
}

/** What the fake function answers: a proxy result object (sent as JSON), or a raw InvokeResult. */
export type Script = (fn: string, event: any) => unknown | Promise<unknown>;

/** A Lambda service that records every event and answers from a script. */
export class FakeLambda {
  readonly calls: Array<{ fn: string; event: any }> = [];
  script: Script = () => ({ statusCode: 200, headers: { "Content-Type": "application/json" }, body: '{"ok":true}' });

  invoke = async (fn: string, payload: string, type: "RequestResponse" | "Event"): Promise<InvokeResult> => {
    if (type !== "RequestResponse") throw new Error(`API Gateway invoked ${fn} with ${type}`);
    const event = JSON.parse(payload);
    this.calls.push({ fn, event });
    const answer = await this.script(fn, event);
    if (answer && typeof answer === "object" && "payload" in (answer as object)) return answer as InvokeResult;
    return { statusCode: 200, payload: JSON.stringify(answer) };
  };

  get last() {
    const call = this.calls[this.calls.length - 1];
    if (!call) throw new Error("the function was not invoked");
    return call;
  }
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): any;
}

/** A plain HTTP request (node:http, so the Host header and header casing are ours). */
export async function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<HttpResult> {
  const u = new URL(url);
  const body = init.body === undefined ? undefined : Buffer.isBuffer(init.body) ? init.body : Buffer.from(init.body, "utf8");
  const headers: Record<string, string> = { ...init.headers };
  if (body !== undefined) headers["Content-Length"] = String(body.length);
  const setHost = !Object.keys(headers).some((k) => k.toLowerCase() === "host");
  const r = await rawHttp({ host: "127.0.0.1", port: Number(u.port), method: init.method ?? "GET", path: `${u.pathname}${u.search}`, headers, setHost }, body);
  return { ...r, json: () => JSON.parse(r.text) };
}

export interface SignOptions {
  accessKeyId?: string;
  secret?: string;
  region?: string;
  service?: string;
  date?: Date;
  /** Add `x-amz-content-sha256` (the SDKs' `applyChecksum`). */
  checksum?: boolean;
}

/** Signs a request the way the AWS SDKs do (`@smithy/signature-v4`) and returns its headers. */
export async function signHeaders(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
  options: SignOptions = {},
): Promise<Record<string, string>> {
  const u = new URL(url);
  const signer = new SignatureV4({
    service: options.service ?? "execute-api",
    region: options.region ?? REGION,
    credentials: { accessKeyId: options.accessKeyId ?? "alice", secretAccessKey: options.secret ?? "test" },
    sha256: Sha256,
    applyChecksum: options.checksum ?? false,
  });
  const query: Record<string, string | string[]> = {};
  u.searchParams.forEach((v, k) => {
    const prior = query[k];
    query[k] = prior === undefined ? v : ([] as string[]).concat(prior, v);
  });
  const signed = await signer.sign(
    { method: init.method ?? "GET", protocol: "http:", hostname: u.hostname, port: Number(u.port), path: u.pathname, query, headers: { host: u.host, ...init.headers }, body: init.body },
    { signingDate: options.date ?? new Date() },
  );
  return signed.headers as Record<string, string>;
}

/** Signs and sends. */
export async function sendSigned(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}, options: SignOptions = {}): Promise<HttpResult> {
  const headers = await signHeaders(url, init, options);
  return send(url, { method: init.method, headers, body: init.body });
}

export const proxyResult = (statusCode: number, body: unknown, headers: Record<string, string> = {}) => ({
  statusCode,
  headers: { "Content-Type": "application/json; charset=utf-8", ...headers },
  body: JSON.stringify(body),
});
