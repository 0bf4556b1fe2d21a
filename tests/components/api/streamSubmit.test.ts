import { expect } from "chai";
import { JOB_ID_PATTERN } from "../../../lambdas/shared/ids";
import {
  MAX_BODY_BYTES,
  SUBMIT_REJECTIONS,
  rejectionItems,
  streamSubmitIntegration,
  submitErrorTemplate,
  submitRequestTemplate,
  submitSuccessTemplate,
  type StreamSubmitArgs,
} from "../../../components/api/streamSubmit";
import { renderTemplate, type VtlRequest } from "../../../local/aws/apigateway/vtl";

/*
 * The stream backend's mapping templates, rendered by the local gateway's Velocity engine with API
 * Gateway's $input/$util/$context: pure functions in, DynamoDB requests and HTTP answers out.
 */

const ARGS: StreamSubmitArgs = { tableName: "jobs-table", credentialsRoleArn: "arn:aws:iam::123456789012:role/submit", region: "us-east-1", auth: "iam", recordLifetimeSeconds: 4020 };
const REQUEST_ID = "6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab";
const ALICE = "arn:aws:iam::123456789012:user/alice";
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** API Gateway's `$context.requestTime` (CLF, UTC) of an epoch. */
function clf(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

function request(body: string, options: { key?: string; epoch?: number; requestId?: string; userArn?: string | null; apiKeyId?: string | null } = {}): VtlRequest {
  const epoch = options.epoch ?? Date.parse("2026-11-22T06:59:27.042Z");
  return {
    body,
    headers: { "Content-Type": "application/json", "X-Forwarded-Proto": "https", ...(options.key !== undefined ? { "Idempotency-Key": options.key } : {}) },
    context: {
      requestId: options.requestId ?? REQUEST_ID,
      requestTime: clf(epoch),
      requestTimeEpoch: epoch,
      domainName: "abc.execute-api.us-east-1.amazonaws.com",
      path: "/v1/jobs",
      stage: "v1",
      identity: {
        sourceIp: "1.2.3.4",
        userArn: options.userArn === null ? undefined : (options.userArn ?? ALICE),
        apiKeyId: options.apiKeyId === null ? undefined : (options.apiKeyId ?? "k1alice000"),
      },
    },
  };
}

const renderRequest = (args: StreamSubmitArgs, req: VtlRequest) => JSON.parse(renderTemplate(submitRequestTemplate(args), req).output);

describe("components/api/streamSubmit: the request template", () => {
  it("writes a new PENDING job record, conditional on its id being new, with DynamoDB summing the expiry", () => {
    const body = '{"seconds": 2}';
    const out = renderRequest(ARGS, request(body));
    expect(out.TransactItems).to.have.length(1);
    const update = out.TransactItems[0].Update;
    expect(update.TableName).to.equal("jobs-table");
    expect(update.Key).to.deep.equal({ pk: { S: REQUEST_ID } });
    expect(update.ConditionExpression).to.equal("attribute_not_exists(pk)");
    expect(update.UpdateExpression).to.contain("#expiresAt = :now + :life");
    const names = update.ExpressionAttributeNames;
    for (const placeholder of update.UpdateExpression.match(/#\w+/g) ?? []) expect(names, placeholder).to.have.property(placeholder);
    const v = update.ExpressionAttributeValues;
    expect(v).to.deep.include({
      ":kind": { S: "job" },
      ":jobId": { S: REQUEST_ID },
      ":pending": { S: "PENDING" },
      ":owner": { S: ALICE },
      ":at": { S: "2026-11-22T06:59:27.042Z" },
      ":now": { N: String(Math.floor(Date.parse("2026-11-22T06:59:27.042Z") / 1000)) },
      ":life": { N: "4020" },
      ":one": { N: "1" },
      ":input": { S: body },
    });
    expect(v).not.to.have.property(":key");
  });

  it("keeps the body byte for byte, whatever it holds (quotes, apostrophes, backslashes, unicode, newlines)", () => {
    for (const body of [`{"seconds": 1, "note": "it's \\"quoted\\" \\\\ back"}`, '{"seconds":1,"emoji":"héllo 😀 \\u0000"}', '{\n  "seconds": 1\n}\n', '{"a":"</script>"}']) {
      expect(renderRequest(ARGS, request(body)).TransactItems[0].Update.ExpressionAttributeValues[":input"].S, body).to.equal(body);
    }
  });

  it("builds createdAt from requestTime and the epoch's milliseconds, exactly as toISOString, in every month", () => {
    const epochs = [Date.UTC(2026, 0, 1, 0, 0, 0, 0), Date.UTC(2026, 1, 28, 23, 59, 59, 999), Date.UTC(2028, 1, 29, 12, 0, 0, 7)];
    for (let m = 0; m < 12; m++) epochs.push(Date.UTC(2027, m, 9 + m, m, 2 * m, 3 * m, 10 * m + 1));
    for (const epoch of epochs) {
      const v = renderRequest(ARGS, request("{}", { epoch })).TransactItems[0].Update.ExpressionAttributeValues;
      expect(v[":at"].S).to.equal(new Date(epoch).toISOString());
      expect(Number(v[":now"].N)).to.equal(Math.floor(epoch / 1000));
    }
  });

  // AWS, "$context variables for data models, authorizers, mapping templates": identity.userArn of
  // an assumed role is arn:aws:sts::<account>:assumed-role/<role>/<session>; the SDKs start a new
  // session name when they refresh the role's credentials, and whoever may assume the role chooses it.
  it("owns the job by an assumed role without its session name: the same owner whatever the session", () => {
    const owner = (userArn: string) => renderRequest(ARGS, request("{}", { userArn })).TransactItems[0].Update.ExpressionAttributeValues[":owner"].S;
    expect(owner("arn:aws:sts::123456789012:assumed-role/jobs-invoker/botocore-session-1")).to.equal("arn:aws:sts::123456789012:assumed-role/jobs-invoker");
    expect(owner("arn:aws:sts::123456789012:assumed-role/jobs-invoker/aws-sdk-js-1764000000000")).to.equal("arn:aws:sts::123456789012:assumed-role/jobs-invoker");
    expect(owner(ALICE), "an IAM user is its own stable principal").to.equal(ALICE);
  });

  // CONTRACT.md, "Who owns a job": iam the SigV4 caller, apiKey the key ($context.identity.apiKeyId), none everyone.
  it("owns the job by the SigV4 caller on auth iam, by the API key's id on auth apiKey, and by `public` on auth none", () => {
    const owner = (auth: "iam" | "apiKey" | "none", req = request("{}")) => renderRequest({ ...ARGS, auth }, req).TransactItems[0].Update.ExpressionAttributeValues[":owner"].S;
    expect(owner("iam")).to.equal(ALICE);
    expect(owner("apiKey")).to.equal("k1alice000");
    expect(owner("apiKey", request("{}", { apiKeyId: "k2bob00000" }))).to.equal("k2bob00000");
    expect(owner("none")).to.equal("public");
    // The key's id also scopes its Idempotency-Keys.
    expect(renderRequest({ ...ARGS, auth: "apiKey" }, request("{}", { key: "k" })).TransactItems[1].Update.Key.pk.S).to.equal("idem/k/k1alice000");
    // A key-enabled request always has one; without it, nothing is recorded under a shared name.
    expect(rejected(renderRequest({ ...ARGS, auth: "apiKey" }, request("{}", { apiKeyId: null })))).to.equal("error/NoCaller");
  });

  it("with an Idempotency-Key, adds the key's record (ALL_OLD on failure) and its body record (conflict only on another body)", () => {
    const out = renderRequest(ARGS, request('{"seconds":1}', { key: "order-42_A" }));
    expect(out.TransactItems).to.have.length(3);
    const [job, key, body] = out.TransactItems.map((t: any) => t.Update);
    expect(job.ExpressionAttributeValues[":key"]).to.deep.equal({ S: "order-42_A" });
    expect(key.Key.pk.S).to.equal(`idem/order-42_A/${ALICE}`);
    expect(key.ConditionExpression).to.equal("attribute_not_exists(pk) OR #expiresAt <= :now");
    expect(key.ReturnValuesOnConditionCheckFailure).to.equal("ALL_OLD");
    expect(key.ExpressionAttributeValues).to.deep.include({ ":jobId": { S: REQUEST_ID }, ":kind": { S: "idempotency" } });
    expect(body.Key.pk.S).to.equal(`idem-body/order-42_A/${ALICE}`);
    expect(body.ConditionExpression).to.equal("attribute_not_exists(pk) OR #expiresAt <= :now OR #input = :input");
    expect(body.ExpressionAttributeValues[":input"]).to.deep.equal({ S: '{"seconds":1}' });
    for (const t of [job, key, body]) for (const placeholder of `${t.UpdateExpression} ${t.ConditionExpression}`.match(/#\w+/g) ?? []) expect(t.ExpressionAttributeNames, placeholder).to.have.property(placeholder);
  });

  const rejected = (out: any) => {
    expect(out.TransactItems).to.have.length(1);
    const check = out.TransactItems[0].ConditionCheck;
    expect(check.ConditionExpression).to.equal("attribute_exists(pk) AND attribute_not_exists(pk)");
    expect(check.ReturnValuesOnConditionCheckFailure).to.equal("ALL_OLD");
    return check.Key.pk.S as string;
  };

  it("rejects a bad Idempotency-Key, a body over 256 KiB and a request id that is no UUID, with a check that always fails", () => {
    for (const key of ["has space", "x".repeat(65), "semi;colon", "ü", "a/b"]) expect(rejected(renderRequest(ARGS, request("{}", { key }))), key).to.equal("error/IdempotencyKey");
    expect(rejected(renderRequest(ARGS, request(`{"p":"${"x".repeat(MAX_BODY_BYTES)}"}`)))).to.equal("error/PayloadTooLarge");
    expect(renderRequest(ARGS, request(`{"p":"${"x".repeat(MAX_BODY_BYTES - 8)}"}`)).TransactItems[0].Update, "exactly 256 KiB").to.be.an("object");
    for (const requestId of ["not-a-uuid", "../../x", "6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab-extra"]) {
      expect(rejected(renderRequest(ARGS, request("{}", { requestId }))), requestId).to.equal("error/RequestId");
    }
    // An upper-case UUID (a client's X-Amzn-RequestId) is lower-cased, not rejected.
    expect(renderRequest(ARGS, request("{}", { requestId: REQUEST_ID.toUpperCase() })).TransactItems[0].Update.Key.pk.S).to.equal(REQUEST_ID);
  });

  // CONTRACT.md, "Webhooks": Callback-Url, as the Lambda backends check it (lambdas/shared/webhooks/callbackUrl.ts),
  // but for IPv6 literals, which a template cannot parse: all are refused.
  it("keeps a good Callback-Url with the job and refuses a bad one (400 ValidationError), any header case", () => {
    const withCallback = (url: string, header = "Callback-Url", domainName?: string) => {
      const req = request("{}");
      req.headers = { ...req.headers, [header]: url };
      if (domainName) req.context = { ...req.context, domainName };
      return renderRequest(ARGS, req);
    };
    const kept = withCallback("https://hooks.example.com/a?b=c&d='e'", "callback-url").TransactItems[0].Update;
    expect(kept.UpdateExpression).to.contain("#callbackUrl = :callback");
    expect(kept.ExpressionAttributeNames["#callbackUrl"]).to.equal("callbackUrl");
    expect(kept.ExpressionAttributeValues[":callback"]).to.deep.equal({ S: "https://hooks.example.com/a?b=c&d='e'" });
    expect(renderRequest(ARGS, request("{}")).TransactItems[0].Update.UpdateExpression, "none without the header").to.not.contain("callbackUrl");
    for (const bad of [
      "http://hooks.example.com/",
      "ftp://hooks.example.com/",
      "https://user:pw@hooks.example.com/",
      "https://hooks.example.com/a b",
      `https://hooks.example.com/${"a".repeat(2048)}`,
      "https://localhost/h",
      "https://intranet/h",
      "https://10.0.0.1/h",
      "https://127.0.0.1:8080/h",
      "https://169.254.169.254/latest/meta-data",
      "https://172.20.1.1/h",
      "https://192.168.0.10/h",
      "https://100.64.0.1/h",
      "https://[::1]/h",
      "https://[fd00:ec2::254]/h",
      "",
    ]) {
      expect(rejected(withCallback(bad)), bad).to.equal("error/CallbackUrl");
    }
    expect(SUBMIT_REJECTIONS.CallbackUrl).to.include({ status: 400, code: "ValidationError" });
    // The local cloud (its own host is localhost): http and loopback receivers, nothing else private.
    expect(withCallback("http://127.0.0.1:9000/hook", "Callback-Url", "localhost:8080").TransactItems[0].Update.ExpressionAttributeValues[":callback"]).to.deep.equal({ S: "http://127.0.0.1:9000/hook" });
    expect(rejected(withCallback("http://10.0.0.1/hook", "Callback-Url", "localhost:8080"))).to.equal("error/CallbackUrl");
    expect(rejected(withCallback("http://127.0.0.1:9000/hook"))).to.equal("error/CallbackUrl");
  });

  // CONTRACT.md: "a body over 256 KiB: 413", in bytes, as the Lambda backends count it. VTL sees a
  // Java string (UTF-16 units); $util.base64Encode encodes its UTF-8 bytes ("API Gateway mapping
  // template and access logging variable reference").
  it("counts the 256 KiB in UTF-8 bytes, not characters: 1-, 2-, 3- and 4-byte characters at the limit and one byte over", () => {
    for (const [char, size] of [["x", 1], ["é", 2], ["€", 3], ["😀", 4]] as const) {
      const wrapper = 8; // {"p":""}
      const fill = Math.floor((MAX_BODY_BYTES - wrapper) / size);
      const pad = "x".repeat(MAX_BODY_BYTES - wrapper - fill * size);
      const atLimit = `{"p":"${char.repeat(fill)}${pad}"}`;
      expect(Buffer.byteLength(atLimit), char).to.equal(MAX_BODY_BYTES);
      expect(renderRequest(ARGS, request(atLimit)).TransactItems[0].Update, `${char}: exactly 256 KiB`).to.be.an("object");
      expect(rejected(renderRequest(ARGS, request(`{"p":"${char.repeat(fill)}${pad}x"}`))), `${char}: one byte over`).to.equal("error/PayloadTooLarge");
    }
    // 150,008 characters, 300,008 bytes: far over, though under the limit in characters.
    expect(rejected(renderRequest(ARGS, request(`{"p":"${"é".repeat(150_000)}"}`)))).to.equal("error/PayloadTooLarge");
  });

  it("refuses an empty body (400), and on iam a request without a caller (403), instead of recording it", () => {
    expect(rejected(renderRequest(ARGS, request("")))).to.equal("error/EmptyBody");
    expect(rejected(renderRequest(ARGS, request("  \n")))).to.equal("error/EmptyBody");
    expect(rejected(renderRequest(ARGS, request("{}", { userArn: null })))).to.equal("error/NoCaller");
  });

  it("rejects a request without Content-Type (API Gateway would take it as JSON), and an empty Idempotency-Key, whatever the headers' case", () => {
    const withHeaders = (headers: Record<string, string>) => ({ ...request("{}"), headers });
    expect(rejected(renderRequest(ARGS, withHeaders({})))).to.equal("error/ContentType");
    expect(rejected(renderRequest(ARGS, withHeaders({ "Content-Type": " " })))).to.equal("error/ContentType");
    expect(rejected(renderRequest(ARGS, withHeaders({ "content-type": "application/json", "idempotency-key": "" })))).to.equal("error/IdempotencyKey");
    const lower = renderRequest(ARGS, withHeaders({ "content-type": "application/json", "idempotency-key": "k1" }));
    expect(lower.TransactItems, "a lower-case key header counts").to.have.length(3);
  });

  it("accepts exactly the job ids the handlers accept", () => {
    expect(submitRequestTemplate(ARGS)).to.contain(JOB_ID_PATTERN.slice(1, -1));
  });

  it("refuses build-time values that would break out of a template", () => {
    expect(() => submitRequestTemplate({ ...ARGS, tableName: 'x","y' })).to.throw(/tableName cannot go into a mapping template/);
    expect(() => streamSubmitIntegration({ ...ARGS, region: "us-east-1$x" })).to.throw(/region/);
  });
});

describe("components/api/streamSubmit: the response templates", () => {
  const render = (template: string, dynamo: unknown, req = request("{}")) => {
    const out = renderTemplate(template, { ...req, body: JSON.stringify(dynamo) });
    return { status: out.responseOverride.status, headers: out.responseOverride.header, body: JSON.parse(out.output) };
  };
  const canceled = (...reasons: unknown[]) => ({ __type: "com.amazonaws.dynamodb.v20120810#TransactionCanceledException", Message: "Transaction cancelled", CancellationReasons: reasons });
  const CCF = { Code: "ConditionalCheckFailed", Message: "The conditional request failed" };
  const NONE = { Code: "None" };

  // $input.params('X-Forwarded-Proto') would also read the query string ("$input Variables" in
  // AWS's mapping template reference: path, then query string, then header), so a caller could
  // make the Location "javascript://…". Only the header counts, and only http or https.
  it("builds Location from the X-Forwarded-Proto header only, and only http or https", () => {
    const location = (headers: Record<string, string>, query: Record<string, string> = {}) => {
      const req = request("{}");
      const out = renderTemplate(submitSuccessTemplate(ARGS), { ...req, headers: { "Content-Type": "application/json", ...headers }, query });
      return out.responseOverride.header.Location as string;
    };
    const url = `abc.execute-api.us-east-1.amazonaws.com/v1/jobs/${REQUEST_ID}`;
    expect(location({ "X-Forwarded-Proto": "https" }, { "X-Forwarded-Proto": "javascript" })).to.equal(`https://${url}`);
    expect(location({}, { "X-Forwarded-Proto": "javascript" })).to.equal(`https://${url}`);
    expect(location({}, { "X-Forwarded-Proto": "http" }), "not from the query string").to.equal(`https://${url}`);
    expect(location({ "X-Forwarded-Proto": "javascript" })).to.equal(`https://${url}`);
    expect(location({ "X-Forwarded-Proto": "http" })).to.equal(`http://${url}`);
  });

  // AWS, "Enabling CORS for a REST API resource": API Gateway adds no CORS headers to the answers of
  // a non-proxy integration; the templates must, or the browser blocks the 202 and every 4xx.
  it("with corsOrigins, every answer of the integration carries CORS headers for an allowed Origin (any case), and only Vary for another", () => {
    const cors = { ...ARGS, corsOrigins: ["https://app.example.com"] };
    const withOrigin = (name: string, origin: string) => ({ ...request("{}"), headers: { "Content-Type": "application/json", "X-Forwarded-Proto": "https", [name]: origin } });
    const templates = {
      "202": submitSuccessTemplate(cors),
      "4xx": submitErrorTemplate(cors),
      "503": streamSubmitIntegration(cors).responses!.default.responseTemplates!["application/json"],
    };
    for (const [which, template] of Object.entries(templates)) {
      for (const header of ["Origin", "origin"]) {
        const out = renderTemplate(template, { ...withOrigin(header, "https://app.example.com"), body: "{}" });
        expect(out.responseOverride.header, `${which} ${header}`).to.include({
          "Access-Control-Allow-Origin": "https://app.example.com",
          "Access-Control-Expose-Headers": "Location, Retry-After, Idempotent-Replayed",
          Vary: "Origin",
        });
      }
      const other = renderTemplate(template, { ...withOrigin("Origin", "https://evil.example"), body: "{}" });
      expect(other.responseOverride.header["Access-Control-Allow-Origin"], which).to.equal(undefined);
      expect(other.responseOverride.header.Vary, which).to.equal("Origin");
    }
    const none = renderTemplate(submitSuccessTemplate(ARGS), { ...withOrigin("Origin", "https://app.example.com"), body: "{}" });
    expect(none.responseOverride.header["Access-Control-Allow-Origin"], "no corsOrigins: no CORS").to.equal(undefined);
    const any = renderTemplate(submitSuccessTemplate({ ...ARGS, corsOrigins: ["*"] }), { ...withOrigin("Origin", "https://any.example"), body: "{}" });
    expect(any.responseOverride.header["Access-Control-Allow-Origin"]).to.equal("https://any.example");
  });

  it("answers a new job 202 with its id, createdAt and Location", () => {
    const out = render(submitSuccessTemplate(ARGS), {});
    expect(out.status).to.equal(202);
    expect(out.headers.Location).to.equal(`https://abc.execute-api.us-east-1.amazonaws.com/v1/jobs/${REQUEST_ID}`);
    expect(out.body).to.deep.equal({ jobId: REQUEST_ID, status: "PENDING", createdAt: "2026-11-22T06:59:27.042Z" });
  });

  it("answers a replay with the first request's job, and Idempotent-Replayed", () => {
    const first = "0b7e3a52-1c1d-4e0e-9f3a-6d2f1c9e8a41";
    const out = render(submitErrorTemplate(ARGS), canceled(NONE, { ...CCF, Item: { pk: { S: "idem/k/x" }, jobId: { S: first }, createdAt: { S: "2026-11-22T06:00:00.000Z" } } }, NONE));
    expect(out.status).to.equal(202);
    expect(out.headers).to.include({ "Idempotent-Replayed": "true", "Retry-After": "1", Location: `https://abc.execute-api.us-east-1.amazonaws.com/v1/jobs/${first}` });
    expect(out.body).to.deep.equal({ jobId: first, status: "PENDING", createdAt: "2026-11-22T06:00:00.000Z" });
  });

  it("answers the same key with another body 409 IdempotencyConflict", () => {
    const out = render(submitErrorTemplate(ARGS), canceled(NONE, { ...CCF, Item: { jobId: { S: "x" } } }, CCF));
    expect(out.status).to.equal(409);
    expect(out.body.error.code).to.equal("IdempotencyConflict");
  });

  it("answers each rejection from its error item, and a missing error item with a plain 400", () => {
    for (const [reason, item] of Object.entries(rejectionItems())) {
      const out = render(submitErrorTemplate(ARGS), canceled({ ...CCF, Item: item }));
      const spec = SUBMIT_REJECTIONS[reason as keyof typeof SUBMIT_REJECTIONS];
      expect(out.status, reason).to.equal(spec.status);
      expect(out.body, reason).to.deep.equal({ error: { code: spec.code, message: spec.message } });
    }
    const out = render(submitErrorTemplate(ARGS), canceled(CCF));
    expect(out.status).to.equal(400);
    expect(out.body.error.code).to.equal("BadRequest");
    // $util.escapeJavaScript turns ' into \' (not JSON): an apostrophe in a message stays valid JSON.
    const apostrophe = { ...rejectionItems().EmptyBody, message: { S: "Can't read \"that\"." } };
    expect(render(submitErrorTemplate(ARGS), canceled({ ...CCF, Item: apostrophe })).body.error.message).to.equal('Can\'t read "that".');
  });

  // CONTRACT.md, "When a service behind the API fails": the store throttling is 503 ServiceUnavailable
  // with Retry-After on every backend. AWS, "Error handling with DynamoDB" and TransactWriteItems:
  // throttling inside a transaction is a cancellation reason (ThrottlingError,
  // ProvisionedThroughputExceeded); TransactionConflict is another request on the same items.
  // AWS API reference, TransactWriteItems: the cancellation reason codes (ConditionalCheckFailed,
  // TransactionConflict, ProvisionedThroughputExceeded, ThrottlingError, ValidationError, None).
  it("answers a taken id 409, a concurrent request with the same key 409 Conflict (Retry-After: 1, as the Lambda backends), throttling 503 ServiceUnavailable (Retry-After: 2), an oversized item 413, anything else 500, never echoing DynamoDB", () => {
    // [DynamoDB's answer, status, code, Retry-After]
    const cases: [unknown, number, string, string | undefined][] = [
      [canceled(CCF), 400, "BadRequest", undefined],
      [canceled({ ...CCF, Item: { pk: { S: REQUEST_ID }, kind: { S: "job" } } }), 409, "Conflict", undefined],
      [canceled({ ...CCF, Item: { pk: { S: REQUEST_ID }, kind: { S: "job" } } }, NONE, NONE), 409, "Conflict", undefined],
      [canceled({ Code: "ValidationError", Message: "Item size has exceeded the maximum allowed size" }, NONE, NONE), 413, "PayloadTooLarge", undefined],
      [canceled({ Code: "ThrottlingError", Message: "Throughput exceeds the current capacity" }), 503, "ServiceUnavailable", "2"],
      [canceled(NONE, { Code: "ThrottlingError", Message: "Throughput exceeds the current capacity" }, NONE), 503, "ServiceUnavailable", "2"],
      [canceled(NONE, { Code: "ProvisionedThroughputExceeded", Message: "x" }, NONE), 503, "ServiceUnavailable", "2"],
      [canceled(NONE, NONE, { Code: "ProvisionedThroughputExceeded", Message: "x" }), 503, "ServiceUnavailable", "2"],
      [canceled(NONE, { Code: "TransactionConflict", Message: "Transaction is ongoing for the item" }, NONE), 409, "Conflict", "1"],
      [canceled(NONE, NONE, { Code: "TransactionConflict", Message: "Transaction is ongoing for the item" }), 409, "Conflict", "1"],
      [{ __type: "com.amazonaws.dynamodb.v20120810#ThrottlingException", message: "Rate exceeded for table arn:aws:dynamodb:us-east-1:123456789012:table/jobs" }, 503, "ServiceUnavailable", "2"],
      [{ __type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", message: "The level of configured provisioned throughput for the table was exceeded" }, 503, "ServiceUnavailable", "2"],
      [{ __type: "com.amazonaws.dynamodb.v20120810#RequestLimitExceeded", message: "Throughput exceeds the current throughput limit for your account" }, 503, "ServiceUnavailable", "2"],
      [{ __type: "com.amazon.coral.validate#ValidationException", message: "Item size has exceeded the maximum allowed size" }, 413, "PayloadTooLarge", undefined],
      [{ __type: "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", message: "Requested resource not found: Table: arn:aws:dynamodb:us-east-1:123456789012:table/jobs" }, 500, "InternalError", undefined],
      [{ __type: "com.amazon.coral.service#AccessDeniedException", message: "User: arn:aws:sts::123456789012:assumed-role/submit/x is not authorized" }, 500, "InternalError", undefined],
    ];
    for (const [dynamo, status, code, retryAfter] of cases) {
      const out = render(submitErrorTemplate(ARGS), dynamo);
      const what = JSON.stringify(dynamo);
      expect(out.status, what).to.equal(status);
      expect(out.body.error.code, what).to.equal(code);
      expect(out.headers["Retry-After"], what).to.equal(retryAfter);
      expect(JSON.stringify(out.body)).not.to.match(/arn:|123456789012|Exception|Throttling|Provisioned|TransactionConflict/);
    }
  });

  it("writes the job with ALL_OLD on a failed condition, so a taken id is told apart from a rejection", () => {
    expect(renderRequest(ARGS, request("{}")).TransactItems[0].Update.ReturnValuesOnConditionCheckFailure).to.equal("ALL_OLD");
  });

  it("declares the integration: TransactWriteItems with the gateway's role, JSON only, success on 200, errors on 4xx, DynamoDB's 5xx as 503 with Retry-After", () => {
    const integration = streamSubmitIntegration(ARGS);
    expect(integration).to.include({ type: "aws", httpMethod: "POST", uri: "arn:aws:apigateway:us-east-1:dynamodb:action/TransactWriteItems", credentials: ARGS.credentialsRoleArn, passthroughBehavior: "never" });
    expect(Object.keys(integration.requestTemplates!)).to.deep.equal(["application/json"]);
    expect(Object.keys(integration.responses!)).to.deep.equal(["200", "4\\d{2}", "default"]);
    expect(integration.responses!.default.statusCode).to.equal("503");
    expect(integration.responses!.default.responseParameters).to.deep.equal({ "method.response.header.Retry-After": "'2'" });
    expect(JSON.parse(integration.responses!.default.responseTemplates!["application/json"]).error.code).to.equal("ServiceUnavailable");
  });
});
