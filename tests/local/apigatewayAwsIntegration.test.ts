/**
 * The local API Gateway's `aws` integrations (to a real local DynamoDB), request body validation
 * with API Gateway's (fge) messages, request ids and times, and the Java side of its VTL.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { expect } from "chai";
import { fgeMessages } from "../../local/aws/apigateway/fgeReport";
import { renderGatewayResponse } from "../../local/aws/apigateway/gatewayResponses";
import { chooseRequestTemplate } from "../../local/aws/apigateway/integrationRequest";
import { selectIntegrationResponse } from "../../local/aws/apigateway/integrationResponse";
import { parseAwsIntegrationUri } from "../../local/aws/apigateway/awsIntegration";
import { requestIdFor } from "../../local/aws/apigateway/requestIds";
import { startApiGatewayService, type LocalApiGatewayService } from "../../local/aws/apigateway/server";
import { renderTemplate, VtlError } from "../../local/aws/apigateway/vtl";
import { escapeJavaScript } from "../../local/aws/apigateway/vtlUtil";
import { startDynamoDbService, type LocalDynamoDbService } from "../../local/aws/dynamodb";
import { ACCOUNT, FakeLambda, REGION, send } from "./apigateway/helpers";

const TABLE = "jobs";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/api-dynamodb`;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const JSON_HEADERS = { "Content-Type": "application/json" };

function dynamodb(action: string, template: string, responses: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    type: "aws",
    httpMethod: "POST",
    uri: `arn:aws:apigateway:${REGION}:dynamodb:action/${action}`,
    credentials: ROLE,
    passthroughBehavior: "never",
    requestTemplates: { "application/json": template },
    responses,
    ...extra,
  };
}

// Templates written as API Gateway users write them (escapeJavaScript + undoing its \').
const PUT_TEMPLATE = `#set($name = $util.escapeJavaScript($input.path('$.name')).replaceAll("\\\\'", "'"))
{
  "TableName": "${TABLE}",
  "Item": {
    "id": {"S": "$input.params('id')"},
    "seconds": {"N": "$input.path('$.seconds')"},
    "name": {"S": "$name"},
    "requestId": {"S": "$context.requestId"},
    "at": {"N": "$context.requestTimeEpoch"}
  },
  "ConditionExpression": "attribute_not_exists(id)"
}`;

const CONFLICT_TEMPLATE = `#set($type = $input.path('$.__type'))
#if($type.endsWith('ConditionalCheckFailedException'))
#set($context.responseOverride.status = 409)
{"error": "exists"}
#else
{"error": "bad request", "type": "$type.substring($type.indexOf('#'))"}
#end`;

function awsDocument() {
  return {
    openapi: "3.0.1",
    info: { title: "aws-integrations", version: "1" },
    paths: {
      "/jobs/{id}": {
        post: {
          responses: { "201": { description: "created", headers: { "X-Static": { schema: { type: "string" } }, "X-Ddb-Request-Id": { schema: { type: "string" } } } } },
          "x-amazon-apigateway-integration": dynamodb("PutItem", PUT_TEMPLATE, {
            "2\\d{2}": {
              statusCode: "201",
              responseParameters: { "method.response.header.X-Static": "'yes'", "method.response.header.X-Ddb-Request-Id": "integration.response.header.x-amzn-RequestId" },
              responseTemplates: { "application/json": `#set($context.responseOverride.header.Location = "/v1/jobs/$input.params('id')")\n{"id": "$input.params('id')", "created": true}` },
            },
            "400": { statusCode: "400", responseTemplates: { "application/json": CONFLICT_TEMPLATE } },
          }),
        },
        get: {
          "x-amazon-apigateway-integration": dynamodb(
            "GetItem",
            `{"TableName": "${TABLE}", "Key": {"id": {"S": "$input.params('id')"}}, "ConsistentRead": true}`,
            {
              "200": {
                statusCode: "200",
                responseTemplates: {
                  "application/json": `#set($item = $input.path('$.Item'))
#if(!$item)#set($context.responseOverride.status = 404){"error": "not found"}#else{"id": "$item.id.S", "seconds": $item.seconds.N, "name": "$util.escapeJavaScript($item.name.S).replaceAll("\\\\'", "'")", "idLength": $item.id.S.length(), "secondsDigits": #set($d = $item.seconds.N.length())$d}#end`,
                },
              },
              default: { statusCode: "500", responseTemplates: { "application/json": '{"error": "internal"}' } },
            },
            { passthroughBehavior: "when_no_templates" },
          ),
        },
      },
      "/jobs/{id}/extend": {
        post: {
          "x-amazon-apigateway-integration": dynamodb(
            "UpdateItem",
            `{"TableName": "${TABLE}", "Key": {"id": {"S": "$input.params('id')"}}, "UpdateExpression": "ADD seconds :s", "ConditionExpression": "attribute_exists(id)", "ExpressionAttributeValues": {":s": {"N": "$input.path('$.by')"}}, "ReturnValues": "UPDATED_NEW"}`,
            {
              "2\\d{2}": { statusCode: "200", responseTemplates: { "application/json": `{"seconds": $input.path('$.Attributes.seconds.N')}` } },
              "4\\d{2}": {
                statusCode: "400",
                responseTemplates: { "application/json": `#if($input.path('$.__type').contains('ConditionalCheckFailed'))#set($context.responseOverride.status = 404)#end{"error": "no such job"}` },
              },
            },
          ),
        },
      },
      "/broken": {
        post: { "x-amazon-apigateway-integration": dynamodb("PutItem", `{"TableName": "${TABLE}", oops}`, { "2\\d{2}": { statusCode: "200" } }) },
      },
      "/broken-mapped": {
        post: {
          "x-amazon-apigateway-integration": dynamodb("PutItem", `{"TableName": "${TABLE}", oops}`, {
            "2\\d{2}": { statusCode: "200" },
            "4\\d{2}": { statusCode: "400", responseTemplates: { "application/json": CONFLICT_TEMPLATE } },
          }),
        },
      },
      "/no-credentials": {
        post: { "x-amazon-apigateway-integration": { ...dynamodb("PutItem", "{}", { default: { statusCode: "200" } }), credentials: undefined } },
      },
    },
  };
}

describe("local API Gateway: aws integrations (DynamoDB)", () => {
  let ddb: LocalDynamoDbService;
  let gw: LocalApiGatewayService;
  let url: string;
  let lines: string[];

  before(async () => {
    ddb = await startDynamoDbService({ ttlSweepMs: 0 });
    await ddb.createTable({ name: TABLE, hashKey: "id", attributes: [{ name: "id", type: "S" }] });
    lines = [];
    gw = await startApiGatewayService({
      lambda: new FakeLambda(),
      accountId: ACCOUNT,
      region: REGION,
      consoleDir: null,
      log: (l) => lines.push(l),
      awsEndpoints: () => ({ dynamodb: ddb.endpoint }),
    });
    gw.putRestApi("ddbapi", JSON.stringify(awsDocument()));
    gw.createDeployment("ddbapi", "d1");
    url = gw.createStage("ddbapi", "v1", "d1");
  });
  after(async () => {
    await gw?.stop();
    await ddb?.stop();
  });

  const getItem = async (id: string) => (await ddb.client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: id } }, ConsistentRead: true }))).Item;

  it("PutItem through the request template: the 2xx pattern gives 201 with mapped headers and a Location override", async () => {
    const res = await send(`${url}/jobs/j1`, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ seconds: 30, name: "it's \"quoted\"" }) });
    expect(res.status, res.text).to.equal(201);
    expect(res.json()).to.deep.equal({ id: "j1", created: true });
    expect(res.headers["x-static"]).to.equal("yes");
    expect(res.headers["location"]).to.equal("/v1/jobs/j1");
    expect(res.headers["content-type"]).to.equal("application/json");
    // integration.response.header.x-amzn-RequestId is DynamoDB's id, not the gateway's.
    expect(res.headers["x-ddb-request-id"]).to.be.a("string").and.not.equal(res.headers["x-amzn-requestid"]);
    const item = await getItem("j1");
    expect(item?.seconds).to.deep.equal({ N: "30" });
    expect(item?.name).to.deep.equal({ S: "it's \"quoted\"" });
    expect(item?.requestId).to.deep.equal({ S: res.headers["x-amzn-requestid"] });
    expect(lines[lines.length - 1]).to.contain("dynamodb:PutItem answered 200");
  });

  it("maps DynamoDB's 400 ConditionalCheckFailedException to 409 with the \"400\" response's template", async () => {
    const first = await send(`${url}/jobs/dup`, { method: "POST", headers: JSON_HEADERS, body: '{"seconds": 5, "name": "a"}' });
    expect(first.status).to.equal(201);
    const again = await send(`${url}/jobs/dup`, { method: "POST", headers: JSON_HEADERS, body: '{"seconds": 6, "name": "b"}' });
    expect(again.status, again.text).to.equal(409);
    expect(again.json()).to.deep.equal({ error: "exists" });
    expect((await getItem("dup"))?.seconds).to.deep.equal({ N: "5" });
  });

  it("GetItem: the item through the 200 template, 404 by responseOverride.status when there is none", async () => {
    await send(`${url}/jobs/get-me`, { method: "POST", headers: JSON_HEADERS, body: '{"seconds": 120, "name": "o\'brien"}' });
    const found = await send(`${url}/jobs/get-me`);
    expect(found.status, found.text).to.equal(200);
    expect(found.json()).to.deep.equal({ id: "get-me", seconds: 120, name: "o'brien", idLength: 6, secondsDigits: 3 });
    const missing = await send(`${url}/jobs/nobody`);
    expect(missing.status).to.equal(404);
    expect(missing.json()).to.deep.equal({ error: "not found" });
  });

  it("UpdateItem: ADD returns UPDATED_NEW; a failed attribute_exists condition becomes 404", async () => {
    await send(`${url}/jobs/ext`, { method: "POST", headers: JSON_HEADERS, body: '{"seconds": 10, "name": "x"}' });
    const res = await send(`${url}/jobs/ext/extend`, { method: "POST", headers: JSON_HEADERS, body: '{"by": 5}' });
    expect(res.status, res.text).to.equal(200);
    expect(res.json()).to.deep.equal({ seconds: 15 });
    const none = await send(`${url}/jobs/ghost/extend`, { method: "POST", headers: JSON_HEADERS, body: '{"by": 5}' });
    expect(none.status).to.equal(404);
    expect(none.json()).to.deep.equal({ error: "no such job" });
    expect(await getItem("ghost")).to.equal(undefined);
  });

  it("passthroughBehavior never: a Content-Type without a template is 415 UNSUPPORTED_MEDIA_TYPE and DynamoDB is not called", async () => {
    const res = await send(`${url}/jobs/plain`, { method: "POST", headers: { "Content-Type": "text/plain" }, body: '{"seconds": 1, "name": "p"}' });
    expect(res.status).to.equal(415);
    expect(res.headers["x-amzn-errortype"]).to.equal("UnsupportedMediaTypeException");
    expect(res.json()).to.deep.equal({ message: "Unsupported Media Type" });
    expect(await getItem("plain")).to.equal(undefined);
    // No Content-Type counts as application/json.
    expect((await send(`${url}/jobs/plain`, { method: "POST", body: '{"seconds": 1, "name": "p"}' })).status).to.equal(201);
  });

  it("sends a template that renders invalid JSON as is: DynamoDB's 400 SerializationException selects a response, and with none matching it is 500", async () => {
    const unmapped = await send(`${url}/broken`, { method: "POST", headers: JSON_HEADERS, body: "{}" });
    expect(unmapped.status).to.equal(500);
    expect(unmapped.headers["x-amzn-errortype"]).to.equal("InternalServerErrorException");
    expect(unmapped.json()).to.deep.equal({ message: "Internal server error" });
    expect(lines[lines.length - 1]).to.contain("API_CONFIGURATION_ERROR").and.contain("No match for output mapping").and.contain("Status Code: 400");
    const mapped = await send(`${url}/broken-mapped`, { method: "POST", headers: JSON_HEADERS, body: "{}" });
    expect(mapped.status).to.equal(400);
    expect(mapped.json()).to.deep.equal({ error: "bad request", type: "#SerializationException" });
  });

  it("answers 500 for an aws integration without credentials, and for a service it has no endpoint for", async () => {
    const res = await send(`${url}/no-credentials`, { method: "POST", headers: JSON_HEADERS, body: "{}" });
    expect(res.status).to.equal(500);
    expect(lines[lines.length - 1]).to.contain("API_CONFIGURATION_ERROR").and.contain("credentials");
    const bare = await startApiGatewayService({ lambda: new FakeLambda(), accountId: ACCOUNT, region: REGION, consoleDir: null });
    try {
      bare.putRestApi("a", JSON.stringify(awsDocument()));
      bare.createDeployment("a", "d");
      const u = bare.createStage("a", "v1", "d");
      expect((await send(`${u}/jobs/k`, { method: "POST", headers: JSON_HEADERS, body: '{"seconds":1,"name":"k"}' })).status).to.equal(500);
    } finally {
      await bare.stop();
    }
    expect(await getItem("k")).to.equal(undefined);
  });
});

describe("local API Gateway: aws integration requests on the wire", () => {
  let backend: Server;
  let seen: Array<{ headers: IncomingMessage["headers"]; body: string }>;
  let answer: (body: string) => { status: number; body: string } | "hang";
  let gw: LocalApiGatewayService;
  let url: string;
  let lines: string[];

  before(async () => {
    seen = [];
    backend = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        seen.push({ headers: req.headers, body });
        const a = answer(body);
        if (a === "hang") return;
        res.writeHead(a.status, { "Content-Type": "application/x-amz-json-1.0", "X-Amzn-RequestId": "BACKEND-ID" });
        res.end(a.body);
      });
    });
    await new Promise<void>((r) => backend.listen(0, "127.0.0.1", () => r()));
    const port = (backend.address() as { port: number }).port;
    lines = [];
    gw = await startApiGatewayService({
      lambda: new FakeLambda(),
      accountId: ACCOUNT,
      region: REGION,
      consoleDir: null,
      log: (l) => lines.push(l),
      awsEndpoints: () => ({ dynamodb: `http://127.0.0.1:${port}` }),
    });
    const responses = { "2\\d{2}": { statusCode: "200", responseParameters: { "method.response.header.X-Backend": "integration.response.header.X-Amzn-RequestId" } } };
    const doc = {
      openapi: "3.0.1",
      info: { title: "wire", version: "1" },
      paths: {
        "/items/{id}": {
          put: {
            responses: { "200": { description: "ok", headers: { "X-Backend": { schema: { type: "string" } } } } },
            "x-amazon-apigateway-integration": dynamodb("PutItem", `{"TableName": "t", "id": "$input.params('id')"}`, responses, {
              requestParameters: { "integration.request.header.X-Trace": "method.request.header.X-Trace", "integration.request.header.X-Const": "'fixed'", "integration.request.header.X-Req": "context.requestId" },
              timeoutInMillis: 150,
            }),
          },
        },
        "/raw": { post: { responses: { "200": { description: "ok", headers: { "x-backend": { schema: { type: "string" } } } } }, "x-amazon-apigateway-integration": dynamodb("GetItem", "", responses, { requestTemplates: {}, passthroughBehavior: "when_no_match" }) } },
      },
    };
    gw.putRestApi("wire", JSON.stringify(doc));
    gw.createDeployment("wire", "d");
    url = gw.createStage("wire", "v1", "d");
  });
  after(async () => {
    await gw?.stop();
    backend?.closeAllConnections();
    await new Promise((r) => backend?.close(r));
  });
  beforeEach(() => {
    seen.length = 0;
    answer = () => ({ status: 200, body: '{"ok":true}' });
  });

  it("POSTs the rendered template, SigV4-signed, with the JSON protocol's target and content type and only the mapped headers", async () => {
    const res = await send(`${url}/items/i-1`, { method: "PUT", headers: { ...JSON_HEADERS, "X-Trace": "t-1", "X-Secret": "not forwarded" }, body: "{}" });
    expect(res.status, res.text).to.equal(200);
    expect(res.text).to.equal('{"ok":true}'); // no response template: the backend's body passes through
    expect(res.headers["x-backend"]).to.equal("BACKEND-ID");
    expect(seen).to.have.length(1);
    const { headers, body } = seen[0];
    expect(JSON.parse(body)).to.deep.equal({ TableName: "t", id: "i-1" });
    expect(headers["x-amz-target"]).to.equal("DynamoDB_20120810.PutItem");
    expect(headers["content-type"]).to.equal("application/x-amz-json-1.0");
    expect(headers["authorization"]).to.match(/^AWS4-HMAC-SHA256 Credential=\w+\/\d{8}\/us-east-1\/dynamodb\/aws4_request, SignedHeaders=[^,]*x-amz-target[^,]*, Signature=[0-9a-f]{64}$/);
    expect(headers["x-amz-date"]).to.match(/^\d{8}T\d{6}Z$/);
    expect(headers["x-trace"]).to.equal("t-1");
    expect(headers["x-const"]).to.equal("fixed");
    expect(headers["x-req"]).to.equal(res.headers["x-amzn-requestid"]);
    expect(headers["x-secret"]).to.equal(undefined);
  });

  it("passes the body through unchanged when there is no template and passthroughBehavior allows it", async () => {
    const raw = '{"TableName":"t","Key":{"id":{"S":"x"}}}';
    expect((await send(`${url}/raw`, { method: "POST", headers: JSON_HEADERS, body: raw })).status).to.equal(200);
    expect(seen[0].body).to.equal(raw);
    expect(seen[0].headers["x-amz-target"]).to.equal("DynamoDB_20120810.GetItem");
  });

  it("answers 504 INTEGRATION_TIMEOUT when the service does not answer within the integration's timeoutInMillis", async () => {
    answer = () => "hang";
    const t0 = Date.now();
    const res = await send(`${url}/items/slow`, { method: "PUT", headers: JSON_HEADERS, body: "{}" });
    expect(res.status).to.equal(504);
    expect(res.json()).to.deep.equal({ message: "Endpoint request timed out" });
    expect(Date.now() - t0).to.be.lessThan(2000);
    expect(lines[lines.length - 1]).to.contain("INTEGRATION_TIMEOUT");
  });
});

describe("local API Gateway: request body validation", () => {
  let gw: LocalApiGatewayService;
  let url: string;
  const job = {
    type: "object",
    required: ["seconds"],
    additionalProperties: false,
    properties: {
      seconds: { type: "number", minimum: 1, maximum: 900 },
      name: { type: "string", pattern: "^[a-z]+$", minLength: 2, maxLength: 8 },
      priority: { enum: ["high", "low"] },
      tags: { type: "array", maxItems: 2, items: { type: "string" } },
      limits: { $ref: "#/components/schemas/Limits" },
    },
  };
  const limits = { type: "object", required: ["cpu"], properties: { cpu: { type: "integer" } } };

  before(async () => {
    gw = await startApiGatewayService({ lambda: new FakeLambda(), accountId: ACCOUNT, region: REGION, consoleDir: null });
    const doc = {
      openapi: "3.0.1",
      info: { title: "validated", version: "1" },
      components: { schemas: { Job: { $schema: "http://json-schema.org/draft-04/schema#", ...job }, Limits: limits } },
      "x-amazon-apigateway-request-validators": { body: { validateRequestBody: true, validateRequestParameters: false } },
      "x-amazon-apigateway-gateway-responses": {
        BAD_REQUEST_BODY: {
          statusCode: "400",
          responseTemplates: { "application/json": '{"message": "$context.error.message", "detail": "$context.error.validationErrorString", "type": "$context.error.responseType"}' },
        },
      },
      paths: {
        "/jobs": {
          post: {
            "x-amazon-apigateway-request-validator": "body",
            requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/Job" } } } },
            "x-amazon-apigateway-integration": {
              type: "mock",
              requestTemplates: { "application/json": '{"statusCode": 200}' },
              responses: { default: { statusCode: "200", responseTemplates: { "application/json": '{"accepted": true}' } } },
            },
          },
        },
      },
    };
    gw.putRestApi("v", JSON.stringify(doc));
    gw.createDeployment("v", "d");
    url = gw.createStage("v", "v1", "d");
  });
  after(async () => gw?.stop());

  const post = (body: string) => send(`${url}/jobs`, { method: "POST", headers: JSON_HEADERS, body });

  const cases: Array<[string, unknown, string]> = [
    ["a missing required property", { name: "ab" }, '[object has missing required properties (["seconds"])]'],
    ["a wrong primitive type (number allows integer)", { seconds: "ten" }, '[instance type (string) does not match any allowed primitive type (allowed: ["integer","number"])]'],
    ["a number over the maximum", { seconds: 1000 }, "[numeric instance is greater than the required maximum (maximum: 900, found: 1000)]"],
    ["a number under the minimum", { seconds: 0.5 }, "[numeric instance is lower than the required minimum (minimum: 1, found: 0.5)]"],
    ["properties the model does not allow (sorted)", { seconds: 1, z: 1, x: 2 }, '[object instance has properties which are not allowed by the schema: ["x","z"]]'],
    ["a pattern mismatch", { seconds: 1, name: "ABC" }, '[ECMA 262 regex "^[a-z]+$" does not match input string "ABC"]'],
    ["a short string", { seconds: 1, name: "a" }, '[string "a" is too short (length: 1, required minimum: 2)]'],
    ["a long string", { seconds: 1, name: "abcdefghi" }, '[string "abcdefghi" is too long (length: 9, maximum allowed: 8)]'],
    ["a value outside the enum", { seconds: 1, priority: "mid" }, '[instance value ("mid") not found in enum (possible values: ["high","low"])]'],
    ["a missing property of a referenced model", { seconds: 1, limits: {} }, '[object has missing required properties (["cpu"])]'],
    [
      "sibling members, each reporting (members in sorted order)",
      { seconds: "x", name: 5 },
      '[instance type (integer) does not match any allowed primitive type (allowed: ["string"]), instance type (string) does not match any allowed primitive type (allowed: ["integer","number"])]',
    ],
    ["an object-level failure only: members are then not visited", { name: 5, extra: true }, '[object instance has properties which are not allowed by the schema: ["extra"], object has missing required properties (["seconds"])]'],
    ["the root's type", [1], '[instance type (array) does not match any allowed primitive type (allowed: ["object"])]'],
  ];
  for (const [what, body, detail] of cases) {
    it(`rejects ${what} with BAD_REQUEST_BODY and API Gateway's message`, async () => {
      const res = await post(JSON.stringify(body));
      expect(res.status, res.text).to.equal(400);
      expect(res.headers["x-amzn-errortype"]).to.equal("BadRequestException");
      // The quotes inside the message come out escaped: the template's output stays JSON.
      expect(res.json()).to.deep.equal({ message: "Invalid request body", detail, type: "BAD_REQUEST_BODY" });
    });
  }

  // "Amazon API Gateway important notes for REST APIs": "The maxItems and minItems tags are not
  // included in simple request validation" (the model as imported from OpenAPI).
  it("lets too many items through: an imported model's maxItems is not enforced", async () => {
    const res = await post(JSON.stringify({ seconds: 1, tags: ["a", "b", "c"] }));
    expect(res.status, res.text).to.equal(200);
  });

  it("rejects a body that is not JSON with BAD_REQUEST_BODY", async () => {
    const res = await post('{"seconds": 1');
    expect(res.status).to.equal(400);
    expect(res.json()).to.include({ message: "Invalid request body", type: "BAD_REQUEST_BODY" });
  });

  it("lets a valid body through to the integration", async () => {
    const res = await post(JSON.stringify({ seconds: 900, name: "ok", priority: "low", tags: ["a"], limits: { cpu: 2 } }));
    expect(res.status, res.text).to.equal(200);
    expect(res.json()).to.deep.equal({ accepted: true });
  });

  it("words the other draft-04 keywords as fge does", () => {
    const m = (schema: unknown, value: unknown) => fgeMessages(schema, value, {});
    expect(m({ multipleOf: 0.1 }, 0.35)).to.deep.equal(["remainder of division is not zero (0.35 / 0.1)"]);
    expect(m({ multipleOf: 0.1 }, 0.3)).to.deep.equal([]);
    expect(m({ maximum: 5, exclusiveMaximum: true }, 5)).to.deep.equal(["numeric instance is not strictly lower than the required maximum 5"]);
    expect(m({ minimum: 5, exclusiveMinimum: true }, 5)).to.deep.equal(["numeric instance is not strictly greater than the required minimum 5"]);
    expect(m({ anyOf: [{ type: "string" }, { type: "boolean" }] }, 1)).to.deep.equal(["instance failed to match at least one required schema among 2"]);
    expect(m({ oneOf: [{ type: "integer" }, { type: "number" }] }, 1)).to.deep.equal(["instance failed to match exactly one schema (matched 2 out of 2)"]);
    expect(m({ allOf: [{ type: "integer" }, { minimum: 3 }] }, 1)).to.deep.equal(["instance failed to match all required schemas (matched only 1 out of 2)"]);
    expect(m({ not: { type: "integer" } }, 1)).to.deep.equal(["instance matched a schema which it should not have"]);
    expect(m({ uniqueItems: true, minItems: 3 }, [1, 1])).to.deep.equal(["array is too short: must have at least 3 elements but instance has 2 elements", "array must not contain duplicate elements"]);
    expect(m({ items: [{}], additionalItems: false }, [1, 2])).to.deep.equal(["schema only allows 1 elements in array but instance has 2 elements"]);
    expect(m({ minProperties: 2 }, { a: 1 })).to.deep.equal(["object has too few properties (found 1 but schema requires at least 2)"]);
    expect(m({ dependencies: { a: ["b", "c"] } }, { a: 1, c: 1 })).to.deep.equal(['property "a" of object has missing property dependencies (schema requires ["b","c"]; missing: ["b"])']);
    expect(m({ items: { type: "string" } }, ["a", 1, true])).to.deep.equal([
      'instance type (integer) does not match any allowed primitive type (allowed: ["string"])',
      'instance type (boolean) does not match any allowed primitive type (allowed: ["string"])',
    ]);
  });

  it("escapes $context.error.validationErrorString as the inside of a JSON string, backslashes included", () => {
    const r = renderGatewayResponse(
      { BAD_REQUEST_BODY: { responseTemplates: { "application/json": '{"detail": "$context.error.validationErrorString"}' } } },
      { type: "BAD_REQUEST_BODY", message: "Invalid request body", validationErrorString: '[ECMA 262 regex "^\\d+$" does not match input string "a\\b"]' },
      { headers: {}, query: {}, pathParameters: {}, context: {} },
    );
    expect(r.body).to.equal('{"detail": "[ECMA 262 regex \\"^\\\\d+$\\" does not match input string \\"a\\\\b\\"]"}');
    expect(JSON.parse(r.body).detail).to.equal('[ECMA 262 regex "^\\d+$" does not match input string "a\\b"]');
  });
});

describe("local API Gateway: request ids and request time", () => {
  let gw: LocalApiGatewayService;
  let url: string;

  before(async () => {
    gw = await startApiGatewayService({ lambda: new FakeLambda(), accountId: ACCOUNT, region: REGION, consoleDir: null });
    const doc = {
      openapi: "3.0.1",
      info: { title: "ctx", version: "1" },
      paths: {
        "/context": {
          get: {
            "x-amazon-apigateway-integration": {
              type: "mock",
              requestTemplates: { "application/json": '{"statusCode": 200}' },
              responses: {
                default: {
                  statusCode: "200",
                  responseTemplates: {
                    "application/json":
                      '{"requestId": "$context.requestId", "extendedRequestId": "$context.extendedRequestId", "requestTime": "$context.requestTime", "requestTimeEpoch": $context.requestTimeEpoch}',
                  },
                },
              },
            },
          },
        },
      },
    };
    gw.putRestApi("c", JSON.stringify(doc));
    gw.createDeployment("c", "d");
    url = gw.createStage("c", "v1", "d");
  });
  after(async () => gw?.stop());

  it("takes $context.requestId from a valid X-Amzn-RequestId header, and echoes it", async () => {
    const id = "client-Id_42.!#$%&'*+^|~`";
    const res = await send(`${url}/context`, { headers: { "X-Amzn-RequestId": id } });
    expect(res.status, res.text).to.equal(200);
    expect(res.headers["x-amzn-requestid"]).to.equal(id);
    const ctx = res.json();
    expect(ctx.requestId).to.equal(id);
    expect(ctx.extendedRequestId).to.match(/^[A-Za-z0-9+/]{15}=$/).and.to.equal(res.headers["x-amz-apigw-id"]);
    expect((await send(`${url}/context`, { headers: { "x-amzn-requestid": "x".repeat(128) } })).json().requestId).to.equal("x".repeat(128));
  });

  it("generates a lowercase v4 UUID when the header is absent, too long or has other characters", async () => {
    for (const header of [undefined, "x".repeat(129), "has space", "semi;colon", "quote\"d", "é"]) {
      const res = await send(`${url}/context`, { headers: header === undefined ? {} : { "X-Amzn-RequestId": header } });
      const { requestId } = res.json();
      expect(requestId, String(header)).to.match(UUID_V4);
      expect(res.headers["x-amzn-requestid"]).to.equal(requestId);
    }
    expect(requestIdFor("")).to.match(UUID_V4);
  });

  it("gives requestTime in CLF and requestTimeEpoch as a number of ms, for the same instant", async () => {
    const before = Date.now();
    const ctx = (await send(`${url}/context`)).json();
    const after = Date.now();
    expect(ctx.requestTimeEpoch).to.be.a("number").within(before, after);
    const m = /^(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) \+0000$/.exec(ctx.requestTime);
    expect(m, ctx.requestTime).to.not.equal(null);
    const month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].indexOf(m![2]);
    expect(month).to.be.at.least(0);
    const parsed = Date.UTC(Number(m![3]), month, Number(m![1]), Number(m![4]), Number(m![5]), Number(m![6]));
    expect(parsed).to.equal(Math.floor(ctx.requestTimeEpoch / 1000) * 1000);
  });
});

describe("local API Gateway: VTL as API Gateway's Java Velocity runs it", () => {
  const out = (template: string, req: Parameters<typeof renderTemplate>[1] = {}) => renderTemplate(template, req).output;

  it("has Java's String methods, with Java's edge cases", () => {
    const s = "#set($s = 'Hello, World')";
    expect(out(`${s}$s.length() $s.substring(7) $s.substring(0,5) $s.toLowerCase() $s.toUpperCase()`)).to.equal("12 World Hello hello, world HELLO, WORLD");
    expect(out(`${s}$s.matches('H.*d') $s.matches('World') $s.matches('(?i)hello.*')`)).to.equal("true false true");
    expect(out(`${s}$s.replaceAll('o', '0') $s.replaceAll('(\\w+), (\\w+)', '$2 $1')`)).to.equal("Hell0, W0rld World Hello");
    expect(out(`${s}$s.contains('lo,') $s.startsWith('Hell') $s.startsWith('World', 7) $s.startsWith('H', -1) $s.endsWith('ld')`)).to.equal("true true true false true");
    expect(out(`${s}$s.indexOf('o') $s.indexOf('o', 5) $s.indexOf('z') $s.lastIndexOf('o') $s.charAt(4)`)).to.equal("4 8 -1 8 o");
    expect(out(`${s}$s.equals('Hello, World') $s.equals('hello, world') $s.equalsIgnoreCase('hello, world') $s.isEmpty() #set($e = '')$e.isEmpty()`)).to.equal("true false true false true");
    // Java throws where JS clamps or swaps: the template fails (API Gateway answers 500).
    expect(() => out(`${s}$s.substring(13)`)).to.throw(VtlError, /StringIndexOutOfBounds/);
    expect(() => out(`${s}$s.substring(5, 2)`)).to.throw(VtlError, /StringIndexOutOfBounds/);
    expect(() => out(`${s}$s.charAt(12)`)).to.throw(VtlError, /StringIndexOutOfBounds/);
  });

  it("does integer arithmetic as Java does", () => {
    expect(out("#set($x = 7 / 2)$x #set($y = -7 / 2)$y #set($z = 7 / 2.0)$z")).to.equal("3 -3 3.5");
    expect(out("#set($x = 7 % 3)$x #set($y = -7 % 3)$y #set($n = $input.path('$.n') * 3 + 1)$n", { body: '{"n": 4}' })).to.equal("1 -1 13");
    expect(out("#set($x = 7 % 0)$x #set($y = 7 / 0)$y")).to.equal("$x $y");
  });

  it("escapes as API Gateway's $util.escapeJavaScript, whose \\' templates undo", () => {
    expect(escapeJavaScript(`it's "q" \\ / \n\té😀`)).to.equal(`it\\'s \\"q\\" \\\\ \\/ \\n\\t\\u00E9\\uD83D\\uDE00`);
    const body = JSON.stringify({ s: 'it\'s a "quote"' });
    const json = out(`{"s": "$util.escapeJavaScript($input.path('$.s')).replaceAll("\\\\'", "'")"}`, { body });
    expect(JSON.parse(json)).to.deep.equal({ s: 'it\'s a "quote"' });
    expect(() => JSON.parse(out(`{"s": "$util.escapeJavaScript($input.path('$.s'))"}`, { body }))).to.throw(SyntaxError);
  });

  it("reads the body and parameters through $input", () => {
    const req = { body: '{"a": {"b": [1, 2, 3]}, "s": "x"}', headers: { "X-Thing": "h" }, query: { q: "1" }, pathParams: { id: "p" } };
    expect(out("$input.path('$.a.b').size() $input.path('$.a.b')[1] $input.json('$.a') $input.body.length()", req)).to.equal(`3 2 {"b":[1,2,3]} ${req.body.length}`);
    expect(out("$input.params('id') $input.params('q') $input.params('x-thing') $input.params().header.get('X-Thing') $input.params().path.id $input.params().querystring.q", req)).to.equal(
      "p 1 h h p 1",
    );
  });

  it("runs #foreach, #if/#elseif/#else and #set on responseOverride", () => {
    const body = JSON.stringify({ items: [{ n: 1 }, { n: 5 }, { n: 10 }] });
    const t = `#foreach($i in $input.path('$.items'))#if($i.n > 6)big#elseif($i.n > 2)mid#{else}small#end#if($foreach.hasNext),#end#end`;
    expect(out(t, { body })).to.equal("small,mid,big");
    const r = renderTemplate("#set($context.responseOverride.status = 409)#set($context.responseOverride.header.X-Reason = 'dup')ok");
    expect(r.responseOverride).to.deep.equal({ status: 409, header: { "X-Reason": "dup" } });
    expect(() => renderTemplate("#set($context.responseOverride.status = 'nope')x")).to.throw(VtlError);
  });
});

describe("local API Gateway: integration request and response building blocks", () => {
  it("chooses request templates by Content-Type and passthroughBehavior", () => {
    const integration = { type: "aws", requestTemplates: { "application/json": "T" } };
    expect(chooseRequestTemplate(integration, { "content-type": "application/json; charset=utf-8" })).to.deep.equal({ kind: "template", contentType: "application/json", template: "T" });
    expect(chooseRequestTemplate(integration, {}).kind).to.equal("template");
    expect(chooseRequestTemplate(integration, { "Content-Type": "text/plain" }).kind).to.equal("passthrough");
    expect(chooseRequestTemplate({ ...integration, passthroughBehavior: "WHEN_NO_TEMPLATES" }, { "Content-Type": "text/plain" }).kind).to.equal("unsupported");
    expect(chooseRequestTemplate({ type: "aws", passthroughBehavior: "when_no_templates" }, { "Content-Type": "text/plain" }).kind).to.equal("passthrough");
    expect(chooseRequestTemplate({ ...integration, passthroughBehavior: "never" }, { "Content-Type": "text/plain" }).kind).to.equal("unsupported");
  });

  it("selects integration responses by a whole-string match of the status code, else default", () => {
    const responses = { "2\\d{2}": { statusCode: "200" }, "400": { statusCode: "409" }, default: { statusCode: "500" } };
    expect(selectIntegrationResponse(responses, "201")?.statusCode).to.equal("200");
    expect(selectIntegrationResponse(responses, "400")?.statusCode).to.equal("409");
    expect(selectIntegrationResponse(responses, "4000")?.statusCode).to.equal("500");
    expect(selectIntegrationResponse({ "2\\d{2}": { statusCode: "200" } }, "404")).to.equal(undefined);
  });

  it("reads AWS service integration URIs", () => {
    expect(parseAwsIntegrationUri("arn:aws:apigateway:eu-west-1:dynamodb:action/PutItem")).to.deep.equal({ region: "eu-west-1", service: "dynamodb", action: "PutItem" });
    expect(parseAwsIntegrationUri("arn:aws:apigateway:us-east-1:s3:path/bucket/key")).to.deep.equal({ region: "us-east-1", service: "s3", path: "bucket/key" });
    expect(parseAwsIntegrationUri("arn:aws:lambda:us-east-1:1:function:f")).to.equal(undefined);
  });
});

describe("local API Gateway: importing response header mappings", () => {
  it("refuses a mapping to a header the method response does not declare, as API Gateway's import does", async () => {
    const { compileApi } = await import("../../local/aws/apigateway/document");
    const doc = (headers: Record<string, unknown>) =>
      JSON.stringify({
        openapi: "3.0.1",
        info: { title: "t", version: "1" },
        paths: {
          "/x": {
            post: {
              responses: { "202": { description: "ok", headers } },
              "x-amazon-apigateway-integration": { type: "mock", requestTemplates: { "application/json": '{"statusCode": 200}' }, responses: { default: { statusCode: "202", responseParameters: { "method.response.header.Retry-After": "'1'" } } } },
            },
          },
        },
      });
    expect(() => compileApi(doc({}))).to.throw(/Invalid mapping expression parameter specified: method\.response\.header\.Retry-After/);
    expect(() => compileApi(doc({ "retry-after": { schema: { type: "integer" } } })), "declared (any case)").not.to.throw();
  });
});
