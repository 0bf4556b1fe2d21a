/**
 * Buckets' lifecycle configurations, as far as the local S3 uses them: which keys an
 * `Expiration { Days }` rule covers, so the cost meter knows how long an object will be stored
 * ("Expiring objects", Amazon S3 User Guide). Nothing is ever expired locally: readers check
 * `expiresAt` themselves, as they must on AWS, where lifecycle rules run once a day.
 *
 * A configuration arrives either through the S3 API (`PUT /<bucket>?lifecycle`,
 * PutBucketLifecycleConfiguration; GetBucketLifecycleConfiguration and DeleteBucketLifecycle are
 * answered too), or from a Pulumi `aws.s3.BucketLifecycleConfiguration` (`lifecycleRulesOfPulumi`).
 * It is kept next to the bucket's objects (`<dir>/<bucket>/._S3rver_lifecycle.json`), so a restart
 * keeps it and deleting the bucket drops it.
 *
 * Kept per rule: its ID, status, key prefix, expiration days and the days after which incomplete
 * multipart uploads are aborted. A rule that also filters on tags or object size is kept but never
 * applied (the local S3 does not keep object tags); date expirations and version rules are not kept.
 */
import * as fs from "fs";
import type * as http from "http";
import { xmlError } from "./restXml";

export interface LifecycleRule {
  id?: string;
  enabled: boolean;
  /** The rule covers keys that start with it ("" = every key). */
  prefix: string;
  /** `Expiration { Days }`. */
  expirationDays?: number;
  /** `AbortIncompleteMultipartUpload { DaysAfterInitiation }` (kept, not applied). */
  abortIncompleteUploadDays?: number;
  /** The rule also filters on tags or object size: never applied locally. */
  otherFilters?: boolean;
}

/** The `Expiration { Days }` that applies to `key`: the soonest of the enabled rules that cover it. */
export function expirationDaysFor(rules: readonly LifecycleRule[] | undefined, key: string): number | undefined {
  const days = (rules ?? []).filter((r) => r.enabled && !r.otherFilters && r.expirationDays !== undefined && key.startsWith(r.prefix)).map((r) => r.expirationDays!);
  return days.length ? Math.min(...days) : undefined;
}

const decode = (text: string) => text.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" })[e]!);
const encode = (text: string) => text.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]!);
const element = (xml: string, name: string): string | undefined => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1];
const days = (text: string | undefined): number | undefined => (text !== undefined && /^\s*\d+\s*$/.test(text) ? Number(text) : undefined);

/** The rules of a PutBucketLifecycleConfiguration body; throws on a body with no rule or a rule without a status. */
export function parseLifecycleXml(xml: string): LifecycleRule[] {
  const rules = [...xml.matchAll(/<Rule>([\s\S]*?)<\/Rule>/g)].map(([, rule]): LifecycleRule => {
    const status = element(rule, "Status");
    if (status !== "Enabled" && status !== "Disabled") throw new Error("a rule's Status must be Enabled or Disabled");
    const filter = element(rule, "Filter") ?? "";
    const id = element(rule, "ID");
    const expirationDays = days(element(element(rule, "Expiration") ?? "", "Days"));
    const abortIncompleteUploadDays = days(element(element(rule, "AbortIncompleteMultipartUpload") ?? "", "DaysAfterInitiation"));
    return {
      ...(id !== undefined ? { id: decode(id) } : {}),
      enabled: status === "Enabled",
      prefix: decode(element(filter, "Prefix") ?? element(rule.replace(/<Filter>[\s\S]*?<\/Filter>/, ""), "Prefix") ?? ""),
      ...(expirationDays !== undefined ? { expirationDays } : {}),
      ...(abortIncompleteUploadDays !== undefined ? { abortIncompleteUploadDays } : {}),
      ...(/<(Tag|ObjectSizeGreaterThan|ObjectSizeLessThan)>/.test(filter) ? { otherFilters: true } : {}),
    };
  });
  if (!rules.length) throw new Error("a lifecycle configuration needs at least one Rule");
  return rules;
}

/** A GetBucketLifecycleConfiguration answer. */
export function lifecycleXml(rules: readonly LifecycleRule[]): string {
  const rule = (r: LifecycleRule) =>
    "<Rule>" +
    (r.id !== undefined ? `<ID>${encode(r.id)}</ID>` : "") +
    `<Filter><Prefix>${encode(r.prefix)}</Prefix></Filter><Status>${r.enabled ? "Enabled" : "Disabled"}</Status>` +
    (r.expirationDays !== undefined ? `<Expiration><Days>${r.expirationDays}</Days></Expiration>` : "") +
    (r.abortIncompleteUploadDays !== undefined ? `<AbortIncompleteMultipartUpload><DaysAfterInitiation>${r.abortIncompleteUploadDays}</DaysAfterInitiation></AbortIncompleteMultipartUpload>` : "") +
    "</Rule>";
  return `<?xml version="1.0" encoding="UTF-8"?>\n<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${rules.map(rule).join("")}</LifecycleConfiguration>`;
}

/** The `rules` input of a Pulumi `aws.s3.BucketLifecycleConfiguration` (camelCase, as the engine passes it). */
export function lifecycleRulesOfPulumi(rules: unknown): LifecycleRule[] {
  return (Array.isArray(rules) ? rules : []).map((r: Record<string, any>): LifecycleRule => {
    const filter = r.filter ?? {};
    const and = filter.and ?? {};
    const otherFilters = Boolean(filter.tag || filter.objectSizeGreaterThan || filter.objectSizeLessThan || and.tags || and.objectSizeGreaterThan || and.objectSizeLessThan);
    const expirationDays = r.expiration?.days;
    const abortDays = r.abortIncompleteMultipartUpload?.daysAfterInitiation;
    return {
      ...(typeof r.id === "string" ? { id: r.id } : {}),
      enabled: r.status === "Enabled",
      prefix: String(filter.prefix ?? and.prefix ?? r.prefix ?? ""),
      ...(typeof expirationDays === "number" && expirationDays > 0 ? { expirationDays } : {}),
      ...(typeof abortDays === "number" ? { abortIncompleteUploadDays: abortDays } : {}),
      ...(otherFilters ? { otherFilters } : {}),
    };
  });
}

/** Each bucket's rules, read once from `fileOf(bucket)` and kept there. */
export class BucketLifecycles {
  private readonly cache = new Map<string, LifecycleRule[] | undefined>();

  constructor(private readonly fileOf: (bucket: string) => string) {}

  async get(bucket: string): Promise<LifecycleRule[] | undefined> {
    if (this.cache.has(bucket)) return this.cache.get(bucket);
    let rules: LifecycleRule[] | undefined;
    try {
      rules = JSON.parse(await fs.promises.readFile(this.fileOf(bucket), "utf8")) as LifecycleRule[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" && (err as NodeJS.ErrnoException).code !== "ENOTDIR") throw err;
    }
    this.cache.set(bucket, rules);
    return rules;
  }

  /** Replaces the bucket's rules (undefined: deletes them). The bucket must exist. */
  async set(bucket: string, rules: readonly LifecycleRule[] | undefined): Promise<void> {
    const file = this.fileOf(bucket);
    if (rules) await fs.promises.writeFile(file, JSON.stringify(rules));
    else await fs.promises.rm(file, { force: true });
    this.cache.set(bucket, rules ? [...rules] : undefined);
  }
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Answers `PUT|GET|DELETE /<bucket>?lifecycle` (s3rver answers them NotImplemented) and returns
 * true; returns false, having done nothing, for any other request.
 */
export function handleLifecycleRequest(req: http.IncomingMessage, res: http.ServerResponse, lifecycles: BucketLifecycles, bucketExists: (bucket: string) => Promise<boolean>): boolean {
  const url = new URL(req.url ?? "/", "http://local");
  const parts = url.pathname.split("/").filter(Boolean);
  if (parts.length !== 1 || !url.searchParams.has("lifecycle") || !["PUT", "GET", "DELETE"].includes(req.method ?? "")) return false;
  const bucket = decodeURIComponent(parts[0]);
  (async () => {
    if (!(await bucketExists(bucket))) return xmlError(res, 404, "NoSuchBucket", "The specified bucket does not exist");
    if (req.method === "GET") {
      const rules = await lifecycles.get(bucket);
      if (!rules) return xmlError(res, 404, "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist");
      res.writeHead(200, { "content-type": "application/xml" }).end(lifecycleXml(rules));
      return;
    }
    if (req.method === "DELETE") {
      await lifecycles.set(bucket, undefined);
      res.writeHead(204).end();
      return;
    }
    let rules: LifecycleRule[];
    try {
      rules = parseLifecycleXml(await readBody(req));
    } catch {
      return xmlError(res, 400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema");
    }
    await lifecycles.set(bucket, rules);
    res.writeHead(200).end();
  })().catch((err) => {
    if (!res.headersSent) xmlError(res, 500, "InternalError", encode((err as Error).message));
    else res.destroy();
  });
  return true;
}
