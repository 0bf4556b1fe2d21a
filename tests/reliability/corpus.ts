// The hostile-request corpus: every entry is data (a request and the contract's answer to it).
// hostile.test.ts sends each one to the local cloud for every backend x store and checks the
// status, the error shape `{"error":{"code","message"}}`, that nothing leaks and that nothing 5xx's.
//
// Conventions:
// - `path` is below `apiUrl` and sent byte for byte (percent-encoding as written); a path that
//   starts with `!` is below the API's origin instead (other stages). `{job}` is replaced by the
//   id of a job the suite submitted first (as identity `alice` for auth iam).
// - `auth: "any"` entries are about something else than auth: they are sent with valid
//   credentials for the cloud's auth mode (SigV4 as alice, or the API key). `iam` entries run only
//   on auth-iam clouds and say how to (mis)sign; `apiKey` entries only on auth-apiKey clouds.
// - Header values are sent as latin1 bytes: a UTF-8 value is written as `utf8("...")`.
// - `expect.code` is the contract's error code; entries with a 2xx status are controls (the same
//   hostile area, but a request the contract accepts), which keep the accounting honest.

export type Sign =
  /** SigV4 as the SDKs sign (identity alice). */
  | "valid"
  | "unsigned"
  | "wrongSecret"
  /** Signed with the secret `nope` by an access key id that is all digits (must not be echoed). */
  | "wrongSecretDigitsKey"
  | "wrongRegion"
  | "wrongService"
  /** Signed over `{"seconds":0}`, sent with another body. */
  | "tamperedBody"
  /** x-amz-date 16 minutes ago (a captured signature replayed after the 15-minute window). */
  | "oldDate"
  /** x-amz-date 16 minutes ahead. */
  | "futureDate"
  /** Signed for another path of the API. */
  | "otherPath"
  /** Signed for GET, sent as the entry's method. */
  | "otherMethod"
  /** Signed for another Host. */
  | "otherHost"
  | "garbageAuthorization"
  /** The X-Amz-Date header removed after signing. */
  | "droppedDate"
  /** One hex digit of the signature changed. */
  | "flippedSignature"
  /** A valid signature, sent twice within the window (SigV4 has no nonce: both are answered). */
  | "replayed"
  /** Valid signature of another identity (bob): alice's job is not his. */
  | "otherIdentity";

export type ApiKeyMode = "missing" | "wrong" | "empty" | "otherCase" | "inQuery" | "bearer" | "appended" | "prefix";

export type BodyRecipe =
  | string
  /** `{"seconds":0,"pad":"xxx…"}` of exactly `bytes` bytes (or padded with whitespace). */
  | { padded: number; with?: "field" | "whitespace" }
  /** `depth` nested arrays, or `{"seconds":{"a":{"a":…}}}` of `depth` levels. */
  | { nested: number; shape: "arrays" | "objectInSeconds" }
  /** Raw bytes, hex. */
  | { hex: string };

export interface HostileRequest {
  name: string;
  category: "method" | "route" | "contentType" | "json" | "size" | "schema" | "id" | "idempotency" | "sigv4" | "apiKey" | "wait" | "list" | "callback";
  auth: "any" | "iam" | "apiKey";
  method: string;
  path: string;
  /** Added to the request (no Content-Type unless given here). */
  headers?: Record<string, string>;
  body?: BodyRecipe;
  sign?: Sign;
  apiKey?: ApiKeyMode;
  /**
   * `awsMessage`: the answer is API Gateway's own `{"message"}`, outside the contract's shape
   * (a REQUEST_TOO_LARGE, which "isn't currently supported" for customizing).
   */
  expect: { status: number; code?: string; awsMessage?: string };
}

/** A UTF-8 string as the latin1 string of its bytes (how raw header bytes are written). */
export const utf8 = (s: string): string => Buffer.from(s, "utf8").toString("latin1");

const JSON_CT = { "Content-Type": "application/json" };
const VALID = '{"seconds":0}';
const forbidden = { status: 403, code: "Forbidden" };
const notFound = { status: 404, code: "NotFound" };
const badRequest = { status: 400, code: "BadRequest" };
const invalid = { status: 400, code: "ValidationError" };
const unsupported = { status: 415, code: "UnsupportedMediaType" };
const tooLarge = { status: 413, code: "PayloadTooLarge" };
/** "Amazon API Gateway important notes for REST APIs": customizing REQUEST_TOO_LARGE "isn't currently supported". */
const gatewayTooLarge = { status: 413, awsMessage: "Request Too Long" };
const accepted = { status: 202 };

const submit = (name: string, category: HostileRequest["category"], body: BodyRecipe, expect: HostileRequest["expect"], headers: Record<string, string> = JSON_CT): HostileRequest => ({
  name,
  category,
  auth: "any",
  method: "POST",
  path: "/jobs",
  headers,
  body,
  expect,
});
const read = (name: string, path: string, method = "GET"): HostileRequest => ({ name, category: "id", auth: "any", method, path, expect: notFound });
const idem = (name: string, key: string, expect: HostileRequest["expect"] = badRequest): HostileRequest =>
  submit(name, "idempotency", VALID, expect, { ...JSON_CT, "Idempotency-Key": key });
const sig = (name: string, sign: Sign, method = "POST", path = "/jobs", expect: HostileRequest["expect"] = forbidden): HostileRequest => ({
  name,
  category: "sigv4",
  auth: "iam",
  method,
  path,
  headers: method === "POST" ? JSON_CT : undefined,
  body: method === "POST" ? VALID : undefined,
  sign,
  expect,
});
const key = (name: string, apiKey: ApiKeyMode, method = "POST", path = "/jobs"): HostileRequest => ({
  name,
  category: "apiKey",
  auth: "apiKey",
  method,
  path,
  headers: method === "POST" ? JSON_CT : undefined,
  body: method === "POST" ? VALID : undefined,
  apiKey,
  expect: forbidden,
});

export const CORPUS: HostileRequest[] = [
  // --- methods the API does not have (API Gateway: no such route → 403) ----------------------
  { name: "PUT /jobs", category: "method", auth: "any", method: "PUT", path: "/jobs", headers: JSON_CT, body: VALID, expect: forbidden },
  { name: "PATCH /jobs", category: "method", auth: "any", method: "PATCH", path: "/jobs", headers: JSON_CT, body: VALID, expect: forbidden },
  { name: "DELETE /jobs", category: "method", auth: "any", method: "DELETE", path: "/jobs", expect: forbidden },
  { name: "POST /jobs/{id}", category: "method", auth: "any", method: "POST", path: "/jobs/{job}", headers: JSON_CT, body: VALID, expect: forbidden },
  { name: "PUT /jobs/{id}", category: "method", auth: "any", method: "PUT", path: "/jobs/{job}", headers: JSON_CT, body: '{"status":"SUCCEEDED"}', expect: forbidden },
  { name: "PATCH /jobs/{id}", category: "method", auth: "any", method: "PATCH", path: "/jobs/{job}", headers: JSON_CT, body: '{"status":"SUCCEEDED"}', expect: forbidden },
  { name: "OPTIONS /jobs without CORS", category: "method", auth: "any", method: "OPTIONS", path: "/jobs", expect: forbidden },

  // --- the long poll's wait (CONTRACT.md: an integer 1..20, else 400 ValidationError) ---------
  ...["0", "21", "-1", "1.5", "abc", "", "1e1", "99999999999999999999999", "%00", "1%20", "ten"].map(
    (wait): HostileRequest => ({ name: `GET /jobs/{id}?wait=${wait}`, category: "wait", auth: "any", method: "GET", path: `/jobs/{job}?wait=${wait}`, expect: invalid }),
  ),
  { name: "GET /jobs/{id}?wait=1&wait=2 (twice)", category: "wait", auth: "any", method: "GET", path: "/jobs/{job}?wait=1&wait=2", expect: invalid },
  { name: "GET /jobs/{unknown}?wait=20: 404 at once", category: "wait", auth: "any", method: "GET", path: "/jobs/00000000-0000-4000-8000-000000000000?wait=20", expect: notFound },

  // --- Callback-Url (CONTRACT.md, "Webhooks": https, at most 2,048 characters; http and loopback
  // only on the local cloud, where this corpus runs; never a private, link-local or metadata address)
  submit("Callback-Url: https (control)", "callback", VALID, accepted, { ...JSON_CT, "Callback-Url": "https://hooks.example.com/async-api" }),
  submit("Callback-Url: http to loopback on the local cloud (control)", "callback", VALID, accepted, { ...JSON_CT, "Callback-Url": "http://127.0.0.1:9/hook" }),
  ...[
    ["ftp", "ftp://hooks.example.com/"],
    ["javascript:", "javascript:alert(1)"],
    ["file:", "file:///etc/passwd"],
    ["no scheme", "hooks.example.com/hook"],
    ["empty", ""],
    ["white space", "https://hooks.example.com/a b"],
    ["user info", "https://user:secret@hooks.example.com/"],
    ["2,049 characters", `https://hooks.example.com/${"a".repeat(2049 - "https://hooks.example.com/".length)}`],
    ["10.0.0.1", "https://10.0.0.1/hook"],
    ["172.16.5.4", "http://172.16.5.4/hook"],
    ["192.168.1.1", "https://192.168.1.1/hook"],
    ["the metadata address", "http://169.254.169.254/latest/meta-data/"],
    ["100.64.0.1 (shared)", "https://100.64.0.1/hook"],
    ["0.0.0.0", "http://0.0.0.0/hook"],
    ["IPv6 unique-local (fd00:ec2::254, the metadata service)", "http://[fd00:ec2::254]/latest"],
    ["IPv6 link-local", "https://[fe80::1]/hook"],
    ["an ARN", "arn:aws:lambda:us-east-1:123456789012:function:x"],
  ].map(([what, url]) => submit(`Callback-Url: ${what}`, "callback", VALID, invalid, { ...JSON_CT, "Callback-Url": url })),

  // --- the list's query (CONTRACT.md, "GET /jobs": a bad status, limit or cursor is 400 ValidationError)
  { name: "GET /jobs (control)", category: "list", auth: "any", method: "GET", path: "/jobs", expect: { status: 200 } },
  { name: "GET /jobs?status=SUCCEEDED,FAILED&limit=100 (control)", category: "list", auth: "any", method: "GET", path: "/jobs?status=SUCCEEDED,FAILED&limit=100", expect: { status: 200 } },
  { name: "GET /jobs?debug=1 (an unknown parameter is ignored: control)", category: "list", auth: "any", method: "GET", path: "/jobs?debug=1", expect: { status: 200 } },
  ...["0", "101", "-1", "1.5", "abc", "", "1e1", "99999999999999999999999", "%00", "1%20", "0x10", "%EF%BC%91"].map(
    (limit): HostileRequest => ({ name: `GET /jobs?limit=${limit}`, category: "list", auth: "any", method: "GET", path: `/jobs?limit=${limit}`, expect: invalid }),
  ),
  { name: "GET /jobs?limit=1&limit=2 (twice)", category: "list", auth: "any", method: "GET", path: "/jobs?limit=1&limit=2", expect: invalid },
  ...["DONE", "running", "", ",", "SUCCEEDED,", ",FAILED", "SUCCEEDED;FAILED", "SUCCEEDED%2CDONE", "%00", "*", "arn:aws:iam::123456789012:root", "SUCCEEDED,".repeat(500)].map(
    (status): HostileRequest => ({ name: `GET /jobs?status=${status.slice(0, 40)}${status.length > 40 ? `… (${status.length} chars)` : ""}`, category: "list", auth: "any", method: "GET", path: `/jobs?status=${status}`, expect: invalid }),
  ),
  ...[
    ["empty", ""],
    ["not base64url", "a+b/c="],
    ["base64url of text", "aGVsbG8"],
    ["a JSON cursor of no list", Buffer.from('{"b":"x","c":"2026-01-01T00:00:00.000Z","j":"00000000-0000-4000-8000-000000000000"}').toString("base64url")],
    ["a JSON array", Buffer.from("[1,2,3]").toString("base64url")],
    ["a path", "..%2F..%2Fjobs"],
    ["an ARN", "arn:aws:dynamodb:us-east-1:123456789012:table/jobs"],
    ["a NUL byte", "%00"],
    ["huge (5,000 characters, within API Gateway's 10,240-byte request line and headers)", "A".repeat(5000)],
  ].map(([what, cursor]): HostileRequest => ({ name: `GET /jobs?cursor= ${what}`, category: "list", auth: "any", method: "GET", path: `/jobs?cursor=${cursor}`, expect: invalid })),
  { name: "GET /jobs?cursor=x&cursor=y (twice)", category: "list", auth: "any", method: "GET", path: "/jobs?cursor=x&cursor=y", expect: invalid },

  // --- routes that do not exist -------------------------------------------------------------
  { name: "GET / (stage root)", category: "route", auth: "any", method: "GET", path: "/", expect: forbidden },
  { name: "GET /job/{id} (typo)", category: "route", auth: "any", method: "GET", path: "/job/{job}", expect: forbidden },
  { name: "GET /JOBS/{id} (case)", category: "route", auth: "any", method: "GET", path: "/JOBS/{job}", expect: forbidden },
  { name: "GET /jobs/{id}/result (sub-resource)", category: "route", auth: "any", method: "GET", path: "/jobs/{job}/result", expect: forbidden },
  { name: "POST /jobs/{id}/cancel", category: "route", auth: "any", method: "POST", path: "/jobs/{job}/cancel", headers: JSON_CT, body: VALID, expect: forbidden },
  { name: "GET another stage (/v2/jobs/{id})", category: "route", auth: "any", method: "GET", path: "!/v2/jobs/{job}", expect: forbidden },
  { name: "GET the origin root", category: "route", auth: "any", method: "GET", path: "!/", expect: forbidden },
  { name: "a query string on a real route is ignored (control)", category: "route", auth: "any", method: "GET", path: "/jobs/{job}?status=SUCCEEDED&debug=1", expect: { status: 200 } },

  // --- content types --------------------------------------------------------------------------
  submit("text/plain", "contentType", VALID, unsupported, { "Content-Type": "text/plain" }),
  submit("form-urlencoded", "contentType", "seconds=0", unsupported, { "Content-Type": "application/x-www-form-urlencoded" }),
  submit("multipart/form-data", "contentType", '--x\r\nContent-Disposition: form-data; name="seconds"\r\n\r\n0\r\n--x--\r\n', unsupported, { "Content-Type": "multipart/form-data; boundary=x" }),
  submit("application/xml", "contentType", "<job><seconds>0</seconds></job>", unsupported, { "Content-Type": "application/xml" }),
  submit("text/json", "contentType", VALID, unsupported, { "Content-Type": "text/json" }),
  submit("application/json-patch+json", "contentType", VALID, unsupported, { "Content-Type": "application/json-patch+json" }),
  submit("application/jsonx (prefix trick)", "contentType", VALID, unsupported, { "Content-Type": "application/jsonx" }),
  submit("no Content-Type", "contentType", VALID, unsupported, {}),
  submit("empty Content-Type", "contentType", VALID, unsupported, { "Content-Type": "" }),
  submit("application/json; charset=utf-8 (control)", "contentType", VALID, accepted, { "Content-Type": "application/json; charset=utf-8" }),
  submit("Application/JSON, any case (control)", "contentType", VALID, accepted, { "Content-Type": "Application/JSON" }),

  // --- malformed JSON ---------------------------------------------------------------------------
  submit("truncated object", "json", '{"seconds":', badRequest),
  submit("missing closing brace", "json", '{"seconds":0', badRequest),
  submit("empty body", "json", "", badRequest),
  submit("single quotes", "json", "{'seconds':0}", badRequest),
  submit("trailing comma", "json", '{"seconds":0,}', badRequest),
  submit("NaN", "json", '{"seconds":NaN}', badRequest),
  submit("leading zero", "json", '{"seconds":00}', badRequest),
  submit("comment", "json", '{"seconds":0 /* hi */}', badRequest),
  submit("two documents", "json", '{"seconds":0}{"seconds":1}', badRequest),
  submit("an invalid UTF-8 byte after the document", "json", { hex: Buffer.from(VALID).toString("hex") + "ff" }, badRequest),
  submit("invalid UTF-8 bytes as the whole body", "json", { hex: "c328a0a1e28228" }, badRequest),
  submit("lone surrogate escape is JSON, then extra field", "json", '{"seconds":0,"x":"\\ud800"}', invalid),
  submit("10,000 nested arrays", "json", { nested: 10_000, shape: "arrays" }, invalid),
  submit("10,000 nested objects as seconds", "json", { nested: 10_000, shape: "objectInSeconds" }, invalid),
  submit("100,000 nested arrays", "json", { nested: 100_000, shape: "arrays" }, invalid),
  submit("UTF-8 BOM before the JSON (control: the BOM is not content)", "json", { hex: "efbbbf" + Buffer.from(VALID).toString("hex") }, accepted),
  submit("duplicate key: the last one wins (control)", "json", '{"seconds":"x","seconds":0}', accepted),

  // --- sizes ------------------------------------------------------------------------------------
  submit("256 KiB + 1 byte", "size", { padded: 256 * 1024 + 1 }, tooLarge),
  submit("300 KiB of whitespace around valid JSON", "size", { padded: 300 * 1024, with: "whitespace" }, tooLarge),
  submit("7 MB (over Lambda's 6 MB invoke limit)", "size", { padded: 7 * 1024 * 1024 }, gatewayTooLarge),
  submit("11 MB (over API Gateway's 10 MB)", "size", { padded: 11 * 1024 * 1024 }, gatewayTooLarge),
  submit("250 KiB, under the limit: an extra field", "size", { padded: 250 * 1024 }, invalid),

  // --- wrong types, extra fields, ranges ----------------------------------------------------------
  submit("{}", "schema", "{}", invalid),
  submit("seconds as a string", "schema", '{"seconds":"1"}', invalid),
  submit("seconds null", "schema", '{"seconds":null}', invalid),
  submit("seconds true", "schema", '{"seconds":true}', invalid),
  submit("seconds an array", "schema", '{"seconds":[1]}', invalid),
  submit("seconds -1", "schema", '{"seconds":-1}', invalid),
  submit("seconds -0.0001", "schema", '{"seconds":-0.0001}', invalid),
  submit("seconds 900.0001", "schema", '{"seconds":900.0001}', invalid),
  submit("seconds 901", "schema", '{"seconds":901}', invalid),
  submit("seconds 1e309 (Infinity)", "schema", '{"seconds":1e309}', invalid),
  submit("Seconds (wrong case)", "schema", '{"Seconds":1}', invalid),
  submit("fail as a string", "schema", '{"seconds":0,"fail":"yes"}', invalid),
  submit("resultBytes 1.5", "schema", '{"seconds":0,"resultBytes":1.5}', invalid),
  submit("resultBytes -1", "schema", '{"seconds":0,"resultBytes":-1}', invalid),
  submit("resultBytes 10485761", "schema", '{"seconds":0,"resultBytes":10485761}', invalid),
  submit("an extra field", "schema", '{"seconds":0,"colour":"red"}', invalid),
  submit("__proto__ field", "schema", '{"seconds":0,"__proto__":{"admin":true}}', invalid),
  submit("constructor.prototype field", "schema", '{"seconds":0,"constructor":{"prototype":{"admin":true}}}', invalid),
  submit("an array body", "schema", "[]", invalid),
  submit("null body", "schema", "null", invalid),
  submit("a string body", "schema", '"seconds"', invalid),
  submit("a number body", "schema", "42", invalid),

  // --- hostile job ids (GET and DELETE): all read as a job that does not exist ---------------------
  read("path traversal ..%2f..%2fetc%2fpasswd", "/jobs/..%2f..%2fetc%2fpasswd"),
  read("path traversal, upper-case %2F", "/jobs/..%2F..%2F..%2F"),
  read("path traversal, backslashes", "/jobs/..%5c..%5cwindows%5cwin.ini"),
  read("DELETE with path traversal", "/jobs/..%2f..%2f", "DELETE"),
  read("an execution ARN, encoded", "/jobs/arn%3Aaws%3Astates%3Aus-east-1%3A123456789012%3Aexecution%3Ajobs%3Ax"),
  read("a function ARN, raw colons", "/jobs/arn:aws:lambda:us-east-1:123456789012:function:worker"),
  read("a snowman", "/jobs/%E2%98%83"),
  read("an emoji", "/jobs/%F0%9F%92%A9"),
  read("quotes and markup", "/jobs/%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
  read("SQL-ish quotes", "/jobs/'%20OR%20'1'%3D'1"),
  read("1 KB id", `/jobs/${"a".repeat(1024)}`),
  read("DELETE with a 1 KB id", `/jobs/${"f".repeat(1024)}`, "DELETE"),
  read("a NUL byte", "/jobs/%00"),
  read("a real id + NUL", "/jobs/{job}%00"),
  read("a real id + space", "/jobs/{job}%20"),
  read("a real id, upper-case", "/jobs/{JOB}"),
  read("an idempotency record's key (idem#...)", "/jobs/idem%23" + "0".repeat(64)),
  read("a well-formed id never issued", "/jobs/00000000-0000-4000-8000-000000000000"),
  read("DELETE a well-formed id never issued", "/jobs/0f8fad5b-d9cb-469f-a165-70867728950e", "DELETE"),

  // --- Idempotency-Key --------------------------------------------------------------------------
  idem("empty Idempotency-Key", ""),
  idem("65-character Idempotency-Key", "k".repeat(65)),
  idem("Idempotency-Key with a space", "two words"),
  idem("Idempotency-Key with a tab", "a\tb"),
  idem("Idempotency-Key in Cyrillic (UTF-8)", utf8("ключ")),
  idem("Idempotency-Key with an emoji (UTF-8)", utf8("key-🔑")),
  idem("Idempotency-Key with a slash and dots", "../etc"),
  idem("Idempotency-Key with a semicolon", "a;b"),
  idem("Idempotency-Key with a quote", 'a"b'),
  idem("64-character Idempotency-Key (control)", "K".repeat(64), accepted),
  idem("Idempotency-Key of every allowed kind (control)", "Az09_-xY", accepted),

  // --- SigV4 (auth iam) -----------------------------------------------------------------------------
  sig("unsigned POST", "unsigned"),
  sig("unsigned GET of a real job", "unsigned", "GET", "/jobs/{job}"),
  sig("unsigned, unknown route", "unsigned", "GET", "/nothing-here"),
  sig("wrong secret", "wrongSecret"),
  sig("wrong secret, access key id of 12 digits (never echoed)", "wrongSecretDigitsKey"),
  sig("wrong region", "wrongRegion"),
  sig("wrong service (s3)", "wrongService"),
  sig("body tampered after signing", "tamperedBody"),
  sig("x-amz-date 16 minutes old (replayed too late)", "oldDate"),
  sig("x-amz-date 16 minutes ahead", "futureDate"),
  sig("GET signed 16 minutes ago", "oldDate", "GET", "/jobs/{job}"),
  sig("signature for another path", "otherPath"),
  sig("a GET's signature replayed on DELETE", "otherMethod", "DELETE", "/jobs/{job}"),
  sig("signature for another Host", "otherHost"),
  sig("garbage Authorization header", "garbageAuthorization"),
  sig("X-Amz-Date removed after signing", "droppedDate"),
  sig("one hex digit of the signature changed", "flippedSignature"),
  sig("another identity reads alice's job", "otherIdentity", "GET", "/jobs/{job}", notFound),
  sig("another identity cancels alice's job", "otherIdentity", "DELETE", "/jobs/{job}", notFound),
  sig("a valid POST replayed within the window (control: SigV4 has no nonce)", "replayed", "POST", "/jobs", accepted),

  // --- API keys (auth apiKey) -----------------------------------------------------------------------
  key("no x-api-key", "missing"),
  key("a wrong x-api-key", "wrong"),
  key("an empty x-api-key", "empty"),
  key("the key in another case", "otherCase"),
  key("the key in the query string", "inQuery"),
  key("the key as a Bearer token", "bearer"),
  key("the key plus one character", "appended"),
  key("the key's first half", "prefix"),
  key("GET a real job without a key", "missing", "GET", "/jobs/{job}"),
  key("DELETE a real job with a wrong key", "wrong", "DELETE", "/jobs/{job}"),
];

/** The bytes of a body recipe. */
export function bodyBytes(recipe: BodyRecipe | undefined): Buffer | undefined {
  if (recipe === undefined) return undefined;
  if (typeof recipe === "string") return Buffer.from(recipe, "utf8");
  if ("hex" in recipe) return Buffer.from(recipe.hex, "hex");
  if ("padded" in recipe) {
    if (recipe.with === "whitespace") return Buffer.from(VALID + " ".repeat(Math.max(0, recipe.padded - VALID.length)));
    const head = '{"seconds":0,"pad":"';
    const tail = '"}';
    return Buffer.from(head + "x".repeat(Math.max(0, recipe.padded - head.length - tail.length)) + tail);
  }
  if (recipe.shape === "arrays") return Buffer.from("[".repeat(recipe.nested) + "]".repeat(recipe.nested));
  return Buffer.from('{"seconds":' + '{"a":'.repeat(recipe.nested - 1) + "{}" + "}".repeat(recipe.nested - 1) + "}");
}
