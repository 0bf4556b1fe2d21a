/**
 * The MD5 digests SQS answers with (`MD5OfBody`, `MD5OfMessageAttributes`), which the SDKs and
 * CLIs check against what they sent or received.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html#sqs-attributes-md5-message-digest-calculation
 */
import * as crypto from "crypto";
import type { QueueMessageAttribute } from "../types";

export const md5 = (data: Buffer | string) => crypto.createHash("md5").update(data).digest("hex");

/** SQS's MD5 of message attributes (the SDKs and CLIs check it). */
export function md5OfMessageAttributes(attributes: Record<string, QueueMessageAttribute>): string | undefined {
  const names = Object.keys(attributes).sort();
  if (!names.length) return undefined;
  const parts: Buffer[] = [];
  const lengthPrefixed = (b: Buffer) => {
    const n = Buffer.alloc(4);
    n.writeUInt32BE(b.length);
    parts.push(n, b);
  };
  for (const name of names) {
    const a = attributes[name];
    lengthPrefixed(Buffer.from(name, "utf8"));
    lengthPrefixed(Buffer.from(a.DataType, "utf8"));
    parts.push(Buffer.from([1])); // string (and number) transport
    lengthPrefixed(Buffer.from(a.StringValue ?? "", "utf8"));
  }
  return md5(Buffer.concat(parts));
}
