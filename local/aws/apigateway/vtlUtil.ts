/**
 * API Gateway's `$util` functions, byte for byte where AWS's behaviour is known (they are Java:
 * Apache Commons Lang and java.net.URLEncoder/URLDecoder).
 */

const hex4 = (code: number) => code.toString(16).toUpperCase().padStart(4, "0");

/**
 * `$util.escapeJavaScript`: Commons Lang's JavaScript escaping. `'` becomes `\'`, which is not a
 * valid JSON escape, so its output must not be put inside a JSON string; `/` becomes `\/`; control
 * characters and everything outside ASCII become `\uXXXX` (UTF-16 units, upper-case hex).
 */
export function escapeJavaScript(value: unknown): string | undefined {
  // Java returns null for null, which a template prints as the reference's text unless `$!`.
  if (value === undefined || value === null) return undefined;
  const s = stringOf(value);
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    const ch = s[i];
    if (code > 0x7f) out += `\\u${hex4(code)}`;
    else if (code < 0x20) {
      const named: Record<number, string> = { 8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r" };
      out += named[code] ?? `\\u${hex4(code)}`;
    } else if (ch === "'" || ch === '"' || ch === "\\" || ch === "/") out += `\\${ch}`;
    else out += ch;
  }
  return out;
}

/** `$util.parseJson`: JSON text to an object (JSON `null` is a null reference). Throws on bad JSON. */
export function parseJson(value: unknown): unknown {
  const parsed: unknown = JSON.parse(stringOf(value));
  return parsed === null ? undefined : parsed;
}

const URL_SAFE = /[A-Za-z0-9.\-*_]/;

/** `$util.urlEncode`: `java.net.URLEncoder.encode(s, "UTF-8")` (space → `+`, `~` encoded). */
export function urlEncode(value: unknown): string {
  let out = "";
  for (const ch of stringOf(value)) {
    if (ch === " ") out += "+";
    else if (URL_SAFE.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, "utf8")) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** `$util.urlDecode`: `java.net.URLDecoder.decode(s, "UTF-8")` (`+` → space). Throws on a bad `%` escape. */
export function urlDecode(value: unknown): string {
  const s = stringOf(value);
  let out = "";
  for (let i = 0; i < s.length; ) {
    if (s[i] === "+") {
      out += " ";
      i++;
    } else if (s[i] === "%") {
      const bytes: number[] = [];
      while (i < s.length && s[i] === "%") {
        const pair = s.slice(i + 1, i + 3);
        if (!/^[0-9A-Fa-f]{2}$/.test(pair)) throw new Error(`urlDecode: illegal escape at index ${i} of ${JSON.stringify(s)}`);
        bytes.push(parseInt(pair, 16));
        i += 3;
      }
      out += Buffer.from(bytes).toString("utf8");
    } else {
      out += s[i];
      i++;
    }
  }
  return out;
}

/** `$util.base64Encode`: the UTF-8 bytes of the string, standard alphabet, padded. */
export function base64Encode(value: unknown): string {
  return Buffer.from(stringOf(value), "utf8").toString("base64");
}

/** `$util.base64Decode`: base64 to the UTF-8 text it encodes. */
export function base64Decode(value: unknown): string {
  return Buffer.from(stringOf(value), "base64").toString("utf8");
}

function stringOf(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : String(value);
}

/** The `$util` object of a template. */
export function createUtil() {
  return { escapeJavaScript, parseJson, urlEncode, urlDecode, base64Encode, base64Decode };
}
