import { CORS_EXPOSE_HEADERS } from "../../lambdas/shared/http";
import { JOB_ID_PATTERN } from "../../lambdas/shared/ids";
import { CALLBACK_URL_HEADER, MAX_CALLBACK_URL_CHARS } from "../../lambdas/shared/webhooks/callbackUrl";
import type { AuthMode } from "../../lambdas/shared/types";
import type { ApiGatewayIntegration } from "./openapiTypes";
import { IN_PROGRESS_RETRY_AFTER, SERVICE_UNAVAILABLE_RETRY_AFTER } from "../../lambdas/shared/retryAfter";

/*
 * Backend `stream`: POST /jobs as a direct API Gateway → DynamoDB integration (no Lambda on the
 * submit path). One `TransactWriteItems` call per request:
 *
 * - no Idempotency-Key: [create the job record (PENDING) if its id is new];
 * - with a key: [create the job record; create the key's record (job id, createdAt) unless an
 *   unexpired one exists; create the key's body record unless an unexpired one with ANOTHER body
 *   exists]. A replay fails the second condition only: the cancellation reasons carry the first
 *   request's record (ReturnValuesOnConditionCheckFailure ALL_OLD), whose job id is answered. A
 *   conflict fails the third too. Two records per key, because one condition cannot say which of
 *   "exists" and "exists with another body" failed, and a response template cannot see the request.
 * - a request the template rejects (a bad Idempotency-Key, a body over 256 KiB, an
 *   X-Amzn-RequestId that is not a UUID): a condition that always fails, on an `error/<Reason>`
 *   item the stack seeds in the table; its status, code and message come back as the old item.
 *
 * The job id is `$context.requestId`, the only per-request value a mapping template has (a client
 * may set it with X-Amzn-RequestId: it must then be a UUID, and can only take an unused id).
 * Times: `createdAt` is built from `$context.requestTime` and the milliseconds of
 * `$context.requestTimeEpoch` (a template cannot do date arithmetic); `expiresAt` is summed by
 * DynamoDB itself (`:now + :life`); the record has no `deadline`: readers derive it from
 * `createdAt` (lambdas/shared/store: `pendingDeadlineSeconds`).
 */

/** Requests the template rejects, answered from the `error/<reason>` items of the jobs table. */
export const SUBMIT_REJECTIONS = {
  IdempotencyKey: { status: 400, code: "BadRequest", message: "Idempotency-Key must be 1 to 64 of A-Z a-z 0-9 _ -." },
  PayloadTooLarge: { status: 413, code: "PayloadTooLarge", message: "The request body is over 256 KiB." },
  RequestId: { status: 400, code: "BadRequest", message: "X-Amzn-RequestId, when given, must be a UUID." },
  // API Gateway takes a request without Content-Type as JSON: the template refuses it.
  ContentType: { status: 415, code: "UnsupportedMediaType", message: "The request body must be JSON (Content-Type: application/json)." },
  // Refused by the template rather than stored and failed by the worker, whatever the validator lets through.
  EmptyBody: { status: 400, code: "BadRequest", message: "The body is not valid JSON." },
  // auth iam or apiKey: API Gateway always names the caller; a request without one is not recorded under a shared name.
  NoCaller: { status: 403, code: "Forbidden", message: "The request has no caller identity." },
  CallbackUrl: {
    status: 400,
    code: "ValidationError",
    message: "Callback-Url must be an https:// URL of at most 2,048 characters, without a user name or password, naming a public host.",
  },
} as const;

export type SubmitRejection = keyof typeof SUBMIT_REJECTIONS;

const REJECTION_STATUSES = [...new Set(Object.values(SUBMIT_REJECTIONS).map((r) => r.status))];

/**
 * `Callback-Url` in VTL (the Lambda backends: lambdas/shared/webhooks/callbackUrl.ts): at most
 * 2,048 characters; `https://`, no white space, no user info; not a name of this network
 * (localhost, a single label) and no private, loopback, link-local or metadata IPv4 literal, nor
 * any IPv6 literal (a template cannot parse one). On the local cloud (the request's own host is
 * localhost) `http://` and loopback are allowed too. Names that resolve to such an address are
 * refused where the webhook is sent (lambdas/webhooks/send.ts).
 */
function callbackUrlVtl(): string[] {
  const host = "[^\\s/?#@:\\[\\]]+";
  const privateHost =
    "(localhost|[^.]+|(\\d+\\.)*localhost|0\\.\\d+\\.\\d+\\.\\d+|10\\.\\d+\\.\\d+\\.\\d+|127\\.\\d+\\.\\d+\\.\\d+|169\\.254\\.\\d+\\.\\d+|172\\.(1[6-9]|2\\d|3[01])\\.\\d+\\.\\d+|192\\.168\\.\\d+\\.\\d+|100\\.(6[4-9]|[7-9]\\d|1[01]\\d|12[0-7])\\.\\d+\\.\\d+|2(2[4-9]|[3-5]\\d)\\.\\d+\\.\\d+\\.\\d+)";
  // Single-quoted: Velocity interpolates $ and # (directives) in double-quoted strings.
  return [
    `#set($local = $context.domainName.startsWith("localhost") || $context.domainName.startsWith("127.0.0.1"))`,
    `#set($callbackOk = $callback.length() <= ${MAX_CALLBACK_URL_CHARS} && $callback.matches('https://${host}(:\\d+)?([/?#][^\\s]*)?'))`,
    `#if($callbackOk && $callback.matches('https://${privateHost}([:/?#].*)?'))#set($callbackOk = false)#end`,
    `#if($local && $callback.length() <= ${MAX_CALLBACK_URL_CHARS} && $callback.matches('https?://(localhost|127\\.0\\.0\\.1|${host})(:\\d+)?([/?#][^\\s]*)?') && !$callback.matches('https?://(10|172|192|169|100|0)\\..*'))#set($callbackOk = true)#end`,
  ];
}

/** The contract's body limit, in UTF-8 bytes. */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * Whether the body is over MAX_BODY_BYTES, in VTL, which sees the body as a Java string (its
 * `length()` counts UTF-16 units). A unit is 1 to 3 UTF-8 bytes (a surrogate pair is 4 bytes for 2
 * units), so more units than the limit is always over it and fewer than a third of it never is.
 * Between the two, the bytes are counted from `$util.base64Encode`, which encodes "the UTF-8 bytes"
 * ("API Gateway mapping template and access logging variable reference": UTF-8 unless said).
 */
function bodyTooLargeVtl(): string[] {
  return [
    // Quiet: an absent body is empty text, never the reference's own text.
    `#set($bodyText = "$!input.body")`,
    `#set($units = $bodyText.length())`,
    `#set($tooLarge = $units > ${MAX_BODY_BYTES})`,
    `#if(!$tooLarge && $units * 3 > ${MAX_BODY_BYTES})`,
    `#set($b64 = $util.base64Encode($bodyText))`,
    `#set($bytes = $b64.length() / 4 * 3)`,
    `#if($b64.endsWith("=="))#set($bytes = $bytes - 2)#elseif($b64.endsWith("="))#set($bytes = $bytes - 1)#end`,
    `#set($tooLarge = $bytes > ${MAX_BODY_BYTES})`,
    `#end`,
  ];
}

export interface StreamSubmitArgs {
  /** The jobs table. */
  tableName: string;
  /** The role API Gateway assumes to write it (components/iam/policies.ts `gatewaySubmitStatements`). */
  credentialsRoleArn: string;
  region: string;
  auth: AuthMode;
  /** Seconds from submission to the record's expiry: the start allowance + the job timeout + the result TTL. */
  recordLifetimeSeconds: number;
  /** Allowed CORS origins (`*` allows any); none: no CORS headers. @default [] */
  corsOrigins?: string[];
}

/**
 * CORS headers on a direct integration's answer. API Gateway adds none to non-proxy responses
 * (AWS, "Enabling CORS for a REST API resource"), so without these a browser would block the 202
 * and every 4xx of POST /jobs after a successful preflight. As the Lambda routes do
 * (lambdas/shared/http.ts corsHeaders): the request's Origin echoed only when allowed, the
 * contract's headers exposed, and `Vary: Origin` whenever CORS is on. The header map is
 * case-sensitive, and HTTP/2 clients send `origin` in lower case.
 */
export function corsOverrides(corsOrigins: readonly string[] = []): string[] {
  if (corsOrigins.length === 0) return [];
  const quote = (o: string) => `"${o.replace(/["\\$#]/g, "")}"`;
  const allowed = corsOrigins.includes("*") ? `$origin != ""` : corsOrigins.map((o) => `$origin == ${quote(o)}`).join(" || ");
  return [
    `#set($origin = "$!input.params().header.get('Origin')")`,
    `#if($origin == "")#set($origin = "$!input.params().header.get('origin')")#end`,
    `#set($context.responseOverride.header.Vary = "Origin")`,
    `#if(${allowed})`,
    `#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)`,
    `#set($context.responseOverride.header.Access-Control-Expose-Headers = "${CORS_EXPOSE_HEADERS}")`,
    `#end`,
  ];
}

/** The `error/<reason>` items to seed in the jobs table (DynamoDB JSON, for `aws.dynamodb.TableItem`). */
export function rejectionItems(): Record<SubmitRejection, Record<string, Record<string, string>>> {
  const items = {} as Record<SubmitRejection, Record<string, Record<string, string>>>;
  for (const [reason, { status, code, message }] of Object.entries(SUBMIT_REJECTIONS) as [SubmitRejection, (typeof SUBMIT_REJECTIONS)[SubmitRejection]][]) {
    items[reason] = { pk: { S: `error/${reason}` }, kind: { S: "error" }, httpStatus: { N: String(status) }, code: { S: code }, message: { S: message } };
  }
  return items;
}

const JSON_STRING = /^[^"\\\u0000-\u001f$#]*$/;

/** A build-time value placed inside a JSON string of a template: no quote, backslash or VTL sigil. */
function literal(name: string, value: string): string {
  if (!JSON_STRING.test(value)) throw new Error(`stream submit: ${name} cannot go into a mapping template: ${JSON.stringify(value)}`);
  return value;
}

/**
 * VTL both templates start with: the job id, createdAt, the caller and `$h` (a `#` that Velocity
 * will not read as a directive, for DynamoDB's `#name` placeholders).
 */
function prelude(auth: AuthMode): string {
  return [
    `#set($h = "#")`,
    `#set($jobId = $context.requestId.toLowerCase())`,
    `#set($epoch = "$context.requestTimeEpoch")`,
    `#set($t = "$context.requestTime")`,
    // dd/MMM/yyyy:HH:mm:ss +0000 → yyyy-MM-ddTHH:mm:ss.SSSZ
    `#set($months = "JanFebMarAprMayJunJulAugSepOctNovDec")`,
    `#set($numbers = "01 02 03 04 05 06 07 08 09 10 11 12 ")`,
    `#set($mi = $months.indexOf($t.substring(3, 6)))`,
    // Velocity takes no arithmetic inside a method's arguments: every sum gets its own #set.
    `#set($mj = $mi + 2)`,
    `#set($mm = $numbers.substring($mi, $mj))`,
    `#set($cut = $epoch.length() - 3)`,
    `#set($yyyy = $t.substring(7, 11))`,
    `#set($dd = $t.substring(0, 2))`,
    `#set($hms = $t.substring(12, 20))`,
    `#set($ms = $epoch.substring($cut))`,
    // Formal \${...} references: Velocity reads a '-' after a name as part of the name.
    `#set($createdAt = "\${yyyy}-\${mm}-\${dd}T\${hms}.\${ms}Z")`,
    `#set($nowSeconds = $epoch.substring(0, $cut))`,
    ...(auth === "iam"
      ? [
          // Quiet: a missing caller is an empty owner (refused), never the reference's own text.
          `#set($owner = "$!context.identity.userArn")`,
          // A caller's stable principal: an assumed role without its session name, which the SDKs
          // renew with their credentials and which anyone who may assume the role can choose
          // (lambdas/shared/owner.ts does the same for the Lambda backends).
          `#if($owner.contains(":assumed-role/"))#set($owner = $owner.substring(0, $owner.lastIndexOf("/")))#end`,
        ]
      : auth === "apiKey"
        ? [
            // The API key that was sent owns the job (CONTRACT.md, "Who owns a job").
            `#set($owner = "$!context.identity.apiKeyId")`,
          ]
        : [`#set($owner = "public")`]),
    // The header only ($input.params('name') also reads the path and the query string, where a
    // caller could put "javascript"), and only http or https. Quiet and quoted: #set keeps the old
    // value when the right side is null (Velocity 1.7).
    `#set($proto = "$!input.params().header.get('X-Forwarded-Proto')")`,
    `#if($proto != "http")#set($proto = "https")#end`,
    `#set($location = "$proto://$context.domainName$context.path/$jobId")`,
  ].join("\n");
}

/** The request template: the TransactWriteItems request (see the comment at the top). */
export function submitRequestTemplate(args: StreamSubmitArgs): string {
  const table = literal("tableName", args.tableName);
  const life = String(Math.trunc(args.recordLifetimeSeconds));
  const nameList = (keys: string[]) => keys.map((k) => `"\${h}${k}":"${k}"`).join(",");
  const names = (keys: string[]) => `{${nameList(keys)}}`;
  const jobUpdate = [
    `{"Update":{"TableName":"${table}","Key":{"pk":{"S":"$jobId"}},`,
    `"UpdateExpression":"SET \${h}kind = :kind, \${h}jobId = :jobId, \${h}status = :pending, \${h}owner = :owner, \${h}createdAt = :at, \${h}updatedAt = :at, \${h}expiresAt = :now + :life, \${h}version = :one, \${h}input = :input#if($key != ""), \${h}idempotencyKey = :key#end#if($hasCallback), \${h}callbackUrl = :callback#end",`,
    `"ConditionExpression":"attribute_not_exists(pk)",`,
    // A taken id hands back its record (kind "job"): told apart from a rejection's missing item.
    `"ReturnValuesOnConditionCheckFailure":"ALL_OLD",`,
    `"ExpressionAttributeNames":{${nameList(["kind", "jobId", "status", "owner", "createdAt", "updatedAt", "expiresAt", "version", "input"])}#if($key != ""),"\${h}idempotencyKey":"idempotencyKey"#end#if($hasCallback),"\${h}callbackUrl":"callbackUrl"#end},`,
    `"ExpressionAttributeValues":{":kind":{"S":"job"},":jobId":{"S":"$jobId"},":pending":{"S":"PENDING"},":owner":{"S":"$util.escapeJavaScript($owner).replaceAll("\\\\'", "'")"},":at":{"S":"$createdAt"},":now":{"N":"$nowSeconds"},":life":{"N":"${life}"},":one":{"N":"1"},":input":{"S":"$body"}#if($key != ""),":key":{"S":"$key"}#end#if($hasCallback),":callback":{"S":"$util.escapeJavaScript($callback).replaceAll("\\\\'", "'")"}#end}}}`,
  ].join("");
  const keyUpdate = [
    `{"Update":{"TableName":"${table}","Key":{"pk":{"S":"idem/$key/$util.escapeJavaScript($owner).replaceAll("\\\\'", "'")"}},`,
    `"UpdateExpression":"SET \${h}kind = :kind, \${h}jobId = :jobId, \${h}createdAt = :at, \${h}expiresAt = :now + :life",`,
    `"ConditionExpression":"attribute_not_exists(pk) OR \${h}expiresAt <= :now",`,
    `"ReturnValuesOnConditionCheckFailure":"ALL_OLD",`,
    `"ExpressionAttributeNames":${names(["kind", "jobId", "createdAt", "expiresAt"])},`,
    `"ExpressionAttributeValues":{":kind":{"S":"idempotency"},":jobId":{"S":"$jobId"},":at":{"S":"$createdAt"},":now":{"N":"$nowSeconds"},":life":{"N":"${life}"}}}}`,
  ].join("");
  const bodyUpdate = [
    `{"Update":{"TableName":"${table}","Key":{"pk":{"S":"idem-body/$key/$util.escapeJavaScript($owner).replaceAll("\\\\'", "'")"}},`,
    `"UpdateExpression":"SET \${h}kind = :kind, \${h}input = :input, \${h}expiresAt = :now + :life",`,
    `"ConditionExpression":"attribute_not_exists(pk) OR \${h}expiresAt <= :now OR \${h}input = :input",`,
    `"ExpressionAttributeNames":${names(["kind", "input", "expiresAt"])},`,
    `"ExpressionAttributeValues":{":kind":{"S":"idempotency-body"},":input":{"S":"$body"},":now":{"N":"$nowSeconds"},":life":{"N":"${life}"}}}}`,
  ].join("");
  return [
    prelude(args.auth),
    // Headers by name, whatever their case; an empty Idempotency-Key is a bad one, not none.
    `#set($key = "")`,
    `#set($hasKey = false)`,
    `#set($callback = "")`,
    `#set($hasCallback = false)`,
    `#set($contentType = "")`,
    `#set($headers = $input.params().header)`,
    ...bodyTooLargeVtl(),
    `#foreach($name in $headers.keySet())`,
    `#if($name.equalsIgnoreCase("Idempotency-Key"))#set($hasKey = true)#set($key = $headers.get($name))#end`,
    `#if($name.equalsIgnoreCase("Content-Type"))#set($contentType = $headers.get($name))#end`,
    `#if($name.equalsIgnoreCase("${CALLBACK_URL_HEADER}"))#set($hasCallback = true)#set($callback = $headers.get($name))#end`,
    `#end`,
    ...callbackUrlVtl(),
    `#set($reject = "")`,
    `#if(!$jobId.matches("${JOB_ID_PATTERN.slice(1, -1)}"))#set($reject = "RequestId")`,
    `#elseif($contentType.trim() == "")#set($reject = "ContentType")`,
    ...(args.auth !== "none" ? [`#elseif($owner == "")#set($reject = "NoCaller")`] : []),
    `#elseif($tooLarge)#set($reject = "PayloadTooLarge")`,
    `#elseif($bodyText.trim() == "")#set($reject = "EmptyBody")`,
    `#elseif($hasKey && !$key.matches("[A-Za-z0-9_-]{1,64}"))#set($reject = "IdempotencyKey")`,
    `#elseif($hasCallback && !$callbackOk)#set($reject = "CallbackUrl")`,
    `#end`,
    `#if($reject != "")`,
    // A condition that cannot hold: the transaction always fails, and hands back the error item.
    `{"TransactItems":[{"ConditionCheck":{"TableName":"${table}","Key":{"pk":{"S":"error/$reject"}},"ConditionExpression":"attribute_exists(pk) AND attribute_not_exists(pk)","ReturnValuesOnConditionCheckFailure":"ALL_OLD"}}]}`,
    `#else`,
    `#set($body = $util.escapeJavaScript($input.body).replaceAll("\\\\'", "'"))`,
    `{"TransactItems":[${jobUpdate}#if($key != ""),${keyUpdate},${bodyUpdate}#end]}`,
    `#end`,
  ].join("\n");
}

const errorBody = (code: string, message: string) => `{"error":{"code":"${code}","message":"${message}"}}`;

/** The 202 of a new job. */
export function submitSuccessTemplate(args: Pick<StreamSubmitArgs, "auth" | "corsOrigins">): string {
  return [
    prelude(args.auth),
    ...corsOverrides(args.corsOrigins),
    `#set($context.responseOverride.status = 202)`,
    `#set($context.responseOverride.header.Location = $location)`,
    `{"jobId":"$jobId","status":"PENDING","createdAt":"$createdAt"}`,
  ].join("\n");
}

/**
 * DynamoDB's 400s: the transaction's cancellation reasons (a rejection, a replay, a conflict, a
 * taken id, a concurrent request with the same key) and its other client errors.
 */
export function submitErrorTemplate(args: Pick<StreamSubmitArgs, "auth" | "corsOrigins">): string {
  const reason = (i: number) => `#set($c${i} = "$!input.path('$.CancellationReasons[${i}].Code')")`;
  return [
    prelude(args.auth),
    ...corsOverrides(args.corsOrigins),
    `#set($type = "$!input.path('$.__type')")`,
    // DynamoDB's errors name their message `message` or `Message`.
    `#set($message = "$!input.path('$.message')$!input.path('$.Message')")`,
    reason(0),
    reason(1),
    reason(2),
    `#set($item0 = "$!input.path('$.CancellationReasons[0].Item.kind.S')")`,
    `#if($item0 == "error")`,
    // The item's status as a number literal (responseOverride.status takes an integer).
    `#set($status = "$!input.path('$.CancellationReasons[0].Item.httpStatus.N')")`,
    ...REJECTION_STATUSES.map((code, i) => `#${i === 0 ? "if" : "elseif"}($status == "${code}")#set($context.responseOverride.status = ${code})`),
    `#else#set($context.responseOverride.status = 400)#end`,
    `{"error":{"code":"$util.escapeJavaScript($input.path('$.CancellationReasons[0].Item.code.S')).replaceAll("\\\\'", "'")","message":"$util.escapeJavaScript($input.path('$.CancellationReasons[0].Item.message.S')).replaceAll("\\\\'", "'")"}}`,
    // Inside a transaction, an item over 400 KB and throttling are cancellation reasons, not errors of their own.
    `#elseif($c0 == "ValidationError" || $c1 == "ValidationError" || $c2 == "ValidationError")`,
    `#set($context.responseOverride.status = 413)`,
    errorBody("PayloadTooLarge", "The request body is too large to record."),
    // Another request with the same Idempotency-Key is in flight: as the Lambda backends answer it.
    `#elseif($c0 == "TransactionConflict" || $c1 == "TransactionConflict" || $c2 == "TransactionConflict")`,
    `#set($context.responseOverride.status = 409)`,
    `#set($context.responseOverride.header.Retry-After = "${IN_PROGRESS_RETRY_AFTER}")`,
    errorBody("Conflict", "A request with this Idempotency-Key is still in progress. Retry shortly."),
    // The store throttling: CONTRACT.md's 503 with Retry-After, as on every backend (this integration has no SDK retries).
    `#elseif($c0 == "ThrottlingError" || $c1 == "ThrottlingError" || $c2 == "ThrottlingError" || $c0 == "ProvisionedThroughputExceeded" || $c1 == "ProvisionedThroughputExceeded" || $c2 == "ProvisionedThroughputExceeded" || $type.endsWith("ThrottlingException") || $type.endsWith("ProvisionedThroughputExceededException") || $type.endsWith("RequestLimitExceeded"))`,
    `#set($context.responseOverride.status = 503)`,
    `#set($context.responseOverride.header.Retry-After = "${SERVICE_UNAVAILABLE_RETRY_AFTER}")`,
    errorBody("ServiceUnavailable", "The job store is throttled. Please retry after Retry-After."),
    `#elseif($c2 == "ConditionalCheckFailed")`,
    `#set($context.responseOverride.status = 409)`,
    errorBody("IdempotencyConflict", "This Idempotency-Key was used with a different body."),
    `#elseif($c1 == "ConditionalCheckFailed")`,
    `#set($context.responseOverride.status = 202)`,
    `#set($first = "$!input.path('$.CancellationReasons[1].Item.jobId.S')")`,
    `#set($context.responseOverride.header.Location = "$proto://$context.domainName$context.path/$first")`,
    `#set($context.responseOverride.header.Idempotent-Replayed = "true")`,
    `#set($context.responseOverride.header.Retry-After = "1")`,
    `{"jobId":"$first","status":"PENDING","createdAt":"$!input.path('$.CancellationReasons[1].Item.createdAt.S')"}`,
    `#elseif($c0 == "ConditionalCheckFailed" && $item0 == "job")`,
    `#set($context.responseOverride.status = 409)`,
    errorBody("Conflict", "This request id is taken: send the request again without X-Amzn-RequestId."),
    `#elseif($c0 == "ConditionalCheckFailed")`,
    // A condition that cannot hold on a missing error item (the seeded item was deleted).
    `#set($context.responseOverride.status = 400)`,
    errorBody("BadRequest", "The request was rejected."),
    `#elseif($type.endsWith("ValidationException") && $message.contains("size"))`,
    `#set($context.responseOverride.status = 413)`,
    errorBody("PayloadTooLarge", "The request body is too large to record."),
    `#else`,
    `#set($context.responseOverride.status = 500)`,
    errorBody("InternalError", "Internal server error."),
    `#end`,
  ].join("\n");
}

/** The `x-amazon-apigateway-integration` of POST /jobs on backend `stream`. */
export function streamSubmitIntegration(args: StreamSubmitArgs): ApiGatewayIntegration {
  // Only headers the method responses declare may be mapped (API Gateway refuses the import
  // otherwise): Retry-After on 202 and 503. The content type comes from each template's override.
  return {
    type: "aws",
    httpMethod: "POST",
    uri: `arn:aws:apigateway:${literal("region", args.region)}:dynamodb:action/TransactWriteItems`,
    credentials: args.credentialsRoleArn,
    // Only JSON gets a template: anything else is 415 (UNSUPPORTED_MEDIA_TYPE).
    passthroughBehavior: "never",
    requestTemplates: { "application/json": submitRequestTemplate(args) },
    responses: {
      "200": {
        statusCode: "202",
        responseParameters: { "method.response.header.Retry-After": "'1'" },
        responseTemplates: { "application/json": submitSuccessTemplate(args) },
      },
      "4\\d{2}": { statusCode: "400", responseTemplates: { "application/json": submitErrorTemplate(args) } },
      // DynamoDB's 5xx (InternalServerError, ServiceUnavailable): CONTRACT.md's 503 with Retry-After.
      default: {
        statusCode: "503",
        responseParameters: { "method.response.header.Retry-After": `'${SERVICE_UNAVAILABLE_RETRY_AFTER}'` },
        responseTemplates: { "application/json": [...corsOverrides(args.corsOrigins), errorBody("ServiceUnavailable", "The job store failed to answer. Please retry after Retry-After.")].join("\n") },
      },
    },
  };
}
