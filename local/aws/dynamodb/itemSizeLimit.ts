/**
 * DynamoDB's item size limit, counted as DynamoDB counts it: 400 KB of attribute names and values,
 * strings in UTF-8 bytes (AWS, "DynamoDB item sizes and formats": "Strings are Unicode with UTF-8
 * binary encoding"; "Constraints in Amazon DynamoDB": 400 KB, 1 KB = 1024 bytes). dynalite counts
 * string lengths in UTF-16 units, which under-counts anything but ASCII: the service checks the
 * written item itself whenever the request could hold such characters.
 */
import type { DynamoDbItem } from "../types";
import { itemSize } from "./items";
import { errorReply, type Reply } from "./protocol";

export const MAX_ITEM_BYTES = 400 * 1024;

/** Whether a request's JSON text may carry characters that dynalite under-counts (non-ASCII, or `\u` escapes). */
export const mayUnderCount = (text: string): boolean => /[^\x00-\x7f]|\\u/.test(text);

export const oversized = (item: DynamoDbItem | undefined): boolean => item !== undefined && itemSize(item) > MAX_ITEM_BYTES;

/** AWS's answer to a write whose item would pass the limit. */
export const itemTooLarge = (): Reply => errorReply(400, "ValidationException", "Item size has exceeded the maximum allowed size");
