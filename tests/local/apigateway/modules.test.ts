import { expect } from "chai";
import { compileApi, matchRoute } from "../../../local/aws/apigateway/document";
import { renderGatewayResponse, substituteContext } from "../../../local/aws/apigateway/gatewayResponses";
import { runMockIntegration } from "../../../local/aws/apigateway/mock";
import { missingParameters } from "../../../local/aws/apigateway/validation";
import { arnLike, executeApiArns, functionNameOf, LambdaPermissions } from "../../../local/aws/apigateway/permissions";
import { buildProxyEvent, parseProxyResponse } from "../../../local/aws/apigateway/proxy";
import { startApiGatewayService } from "../../../local/aws/apigateway/server";
import { ACCOUNT, FakeLambda, REGION, apiDocument, send } from "./helpers";

const op = (summary: string) => ({ summary, responses: {}, "x-amazon-apigateway-integration": { type: "mock", passthroughBehavior: "when_no_match" } });

describe("local API Gateway modules", () => {
  describe("route matching", () => {
    const api = compileApi(
      JSON.stringify({
        openapi: "3.0.1",
        info: { title: "t", version: "1" },
        paths: {
          "/": { get: op("root") },
          "/jobs": { post: op("submit") },
          "/jobs/{jobId}": { get: op("get"), delete: op("delete") },
          "/jobs/latest": { get: op("latest") },
          "/files/{path+}": { "x-amazon-apigateway-any-method": op("files") },
        },
      }),
    );
    const hit = (path: string, method: string) => {
      const m = matchRoute(api, path, method);
      return m && { resource: m.resource.path, method: m.method.httpMethod, params: m.pathParameters };
    };

    it("prefers literal segments over parameters and fills parameters", () => {
      expect(hit("/jobs/latest", "GET")).to.deep.equal({ resource: "/jobs/latest", method: "GET", params: {} });
      expect(hit("/jobs/abc", "GET")).to.deep.equal({ resource: "/jobs/{jobId}", method: "GET", params: { jobId: "abc" } });
      expect(hit("/jobs/abc/", "DELETE")).to.deep.equal({ resource: "/jobs/{jobId}", method: "DELETE", params: { jobId: "abc" } });
      expect(hit("/", "GET")).to.deep.equal({ resource: "/", method: "GET", params: {} });
    });

    it("matches greedy parameters and ANY, and nothing for an undefined method or path", () => {
      expect(hit("/files/a/b/c.txt", "PUT")).to.deep.equal({ resource: "/files/{path+}", method: "ANY", params: { path: "a/b/c.txt" } });
      expect(hit("/files", "GET")).to.equal(undefined);
      expect(hit("/jobs", "GET")).to.equal(undefined);
      expect(hit("/jobs/a/b", "GET")).to.equal(undefined);
      expect(hit("/nope", "GET")).to.equal(undefined);
    });

    it("reads auth and validation from the program's documents", () => {
      const iam = compileApi(JSON.stringify(apiDocument("iam", ["http://a.example"])));
      expect(matchRoute(iam, "/jobs", "POST")!.method).to.include({ iam: true, apiKeyRequired: false, validateParameters: true, validateBody: false });
      expect(matchRoute(iam, "/jobs", "OPTIONS")!.method).to.include({ iam: false, apiKeyRequired: false });
      const key = compileApi(JSON.stringify(apiDocument("apiKey")));
      expect(matchRoute(key, "/jobs/x", "GET")!.method).to.include({ iam: false, apiKeyRequired: true });
      const open = compileApi(JSON.stringify(apiDocument("none")));
      expect(matchRoute(open, "/jobs/x", "DELETE")!.method).to.include({ iam: false, apiKeyRequired: false });
      expect(() => compileApi("not json")).to.throw(/not JSON/);
    });
  });

  // "Amazon API Gateway important notes for REST APIs": "API Gateway doesn't use root level
  // security defined in the OpenAPI specification"; "Enable request validation in API Gateway":
  // required parameters are "included and non-blank".
  describe("security and parameters as AWS applies them", () => {
    const api = compileApi(
      JSON.stringify({
        openapi: "3.0.1",
        info: { title: "t", version: "1" },
        security: [{ sigv4: [] }],
        components: { securitySchemes: { sigv4: { type: "apiKey", name: "Authorization", in: "header", "x-amazon-apigateway-authtype": "awsSigv4" } } },
        paths: {
          "/open": { get: op("open") },
          "/signed": { get: { ...op("signed"), security: [{ sigv4: [] }] } },
        },
      }),
    );

    it("ignores root-level security: an operation without its own is open", () => {
      expect(matchRoute(api, "/open", "GET")!.method.iam).to.equal(false);
      expect(matchRoute(api, "/signed", "GET")!.method.iam).to.equal(true);
    });

    it("takes a blank required header or query value as missing", () => {
      const method = { parameters: [{ name: "X-Foo", in: "header", required: true }, { name: "q", in: "query", required: true }] } as unknown as Parameters<typeof missingParameters>[0];
      expect(missingParameters(method, { headers: { "x-foo": " " }, query: { q: "" }, pathParameters: {} })).to.deep.equal(["X-Foo", "q"]);
      expect(missingParameters(method, { headers: { "x-foo": "1" }, query: { q: "a" }, pathParameters: {} })).to.deep.equal([]);
    });
  });

  describe("Lambda permissions", () => {
    it("matches source ARNs like IAM's ArnLike", () => {
      expect(arnLike("arn:aws:execute-api:us-east-1:1:api/*/GET/jobs/*", "arn:aws:execute-api:us-east-1:1:api/v1/GET/jobs/abc")).to.equal(true);
      expect(arnLike("arn:aws:execute-api:us-east-1:1:api/*/GET/jobs/*", "arn:aws:execute-api:us-east-1:1:api/v1/GET/jobs")).to.equal(false);
      expect(arnLike("arn:aws:execute-api:us-east-1:1:api/*/POST/jobs", "arn:aws:execute-api:us-east-1:1:api/v1/POST/jobs")).to.equal(true);
      expect(arnLike("arn:aws:execute-api:us-east-1:1:api/*/POST/jobs", "arn:aws:execute-api:us-east-1:1:api/v1/POST/jobsx")).to.equal(false);
      expect(arnLike("arn:aws:execute-api:us-east-1:1:api/v?/*", "arn:aws:execute-api:us-east-1:1:api/v1/GET/")).to.equal(true);
    });

    it("keys permissions by function name, whether given a name or an ARN", () => {
      expect(functionNameOf("arn:aws:lambda:us-east-1:1:function:fn:live")).to.equal("fn");
      expect(functionNameOf("fn")).to.equal("fn");
      const p = new LambdaPermissions();
      p.add("arn:aws:lambda:us-east-1:1:function:fn", "arn:aws:execute-api:us-east-1:1:api/*/GET/jobs/*");
      const arns = executeApiArns({ region: "us-east-1", accountId: "1", apiId: "api", stage: "v1", httpMethod: "get", resourcePath: "/jobs/{jobId}", path: "/jobs/x" });
      expect(arns).to.deep.equal(["arn:aws:execute-api:us-east-1:1:api/v1/GET/jobs/{jobId}", "arn:aws:execute-api:us-east-1:1:api/v1/GET/jobs/x"]);
      expect(p.allows("fn", arns)).to.equal(true);
      expect(p.allows("other", arns)).to.equal(false);
    });
  });

  describe("gateway responses", () => {
    const req = { headers: { Origin: "http://o", Accept: "application/json" }, query: {}, pathParameters: {}, context: { requestId: "rid-1", identity: { sourceIp: "1.2.3.4" } } };

    it("falls back to AWS's own body when the document has no response for the type or class", () => {
      const r = renderGatewayResponse(undefined, { type: "MISSING_AUTHENTICATION_TOKEN" }, req);
      expect(r.status).to.equal(403);
      expect(JSON.parse(r.body)).to.deep.equal({ message: "Missing Authentication Token" });
      expect(r.headers).to.include({ "Content-Type": "application/json", "x-amzn-ErrorType": "MissingAuthenticationTokenException" });
    });

    it("uses DEFAULT_4XX / DEFAULT_5XX for an uncustomised type, keeping the type's status unless they set one", () => {
      const responses = {
        DEFAULT_4XX: { responseParameters: { "gatewayresponse.header.X-Origin": "method.request.header.origin" }, responseTemplates: { "application/json": '{"m":$context.error.messageString,"id":"$context.requestId"}' } },
        DEFAULT_5XX: { statusCode: "503", responseParameters: {}, responseTemplates: { "application/json": '{"t":"$context.error.responseType"}' } },
      };
      const four = renderGatewayResponse(responses, { type: "INVALID_API_KEY" }, req);
      expect(four.status).to.equal(403);
      expect(JSON.parse(four.body)).to.deep.equal({ m: "Forbidden", id: "rid-1" });
      expect(four.headers["X-Origin"]).to.equal("http://o");
      const five = renderGatewayResponse(responses, { type: "INTEGRATION_TIMEOUT" }, req);
      expect(five.status).to.equal(503);
      expect(JSON.parse(five.body)).to.deep.equal({ t: "INTEGRATION_TIMEOUT" });
    });

    // "Gateway response types for API Gateway": INTEGRATION_FAILURE's default status is 504.
    // "Amazon API Gateway important notes for REST APIs": customizing REQUEST_TOO_LARGE "isn't currently supported".
    it("answers INTEGRATION_FAILURE with 504 by default, and REQUEST_TOO_LARGE always as AWS's own", () => {
      expect(renderGatewayResponse(undefined, { type: "INTEGRATION_FAILURE" }, req).status).to.equal(504);
      const custom = { REQUEST_TOO_LARGE: { statusCode: "413", responseParameters: {}, responseTemplates: { "application/json": '{"error":{"code":"PayloadTooLarge"}}' } } };
      const r = renderGatewayResponse(custom, { type: "REQUEST_TOO_LARGE" }, req);
      expect(r.status).to.equal(413);
      expect(JSON.parse(r.body)).to.deep.equal({ message: "Request Too Long" });
    });

    it("substitutes $context references, leaving unknown ones empty", () => {
      const ctx = { requestId: "r", identity: { sourceIp: "1.2.3.4" }, error: { messageString: '"hi"' } };
      expect(substituteContext('{"a":$context.error.messageString,"ip":"$context.identity.sourceIp","x":"$context.nope.no","b":"${context.requestId}"}', ctx)).to.equal(
        '{"a":"hi","ip":"1.2.3.4","x":"","b":"r"}',
      );
    });
  });

  describe("Lambda proxy", () => {
    it("builds null maps for an empty request and base64 bodies for binary media types", () => {
      const requestContext = {} as any;
      const empty = buildProxyEvent({ resourcePath: "/", path: "/", httpMethod: "GET", headers: [], rawQuery: "", pathParameters: {}, body: Buffer.alloc(0), binaryMediaTypes: [], requestContext });
      expect(empty).to.include({ headers: null, multiValueHeaders: null, queryStringParameters: null, pathParameters: null, body: null, isBase64Encoded: false });
      const bin = buildProxyEvent({
        resourcePath: "/",
        path: "/",
        httpMethod: "POST",
        headers: [["Content-Type", "image/png"]],
        rawQuery: "",
        pathParameters: {},
        body: Buffer.from([0xff, 0x00]),
        binaryMediaTypes: ["image/*"],
        requestContext,
      });
      expect(bin).to.include({ body: "/wA=", isBase64Encoded: true });
    });

    it("merges headers with multiValueHeaders, remaps reserved headers and defaults the content type", () => {
      const r = parseProxyResponse(JSON.stringify({ statusCode: 201, headers: { A: "1", Date: "x", n: 5 }, multiValueHeaders: { a: ["2"] } }), { binaryMediaTypes: [] });
      expect(r.status).to.equal(201);
      expect(r.headers).to.deep.include.members([
        ["a", "2"],
        ["a", "1"],
        ["x-amzn-Remapped-Date", "x"],
        ["n", "5"],
        ["Content-Type", "application/json"],
      ]);
      expect(r.body.length).to.equal(0);
    });

    it("decodes a base64 body only for a binary media type the client accepts", () => {
      const payload = JSON.stringify({ statusCode: 200, headers: { "Content-Type": "image/png" }, body: "/wA=", isBase64Encoded: true });
      expect([...parseProxyResponse(payload, { accept: "image/png", binaryMediaTypes: ["image/png"] }).body]).to.deep.equal([0xff, 0x00]);
      expect(parseProxyResponse(payload, { accept: "image/png", binaryMediaTypes: [] }).body.toString()).to.equal("/wA=");
    });

    it("rejects malformed responses", () => {
      for (const bad of ["[]", "null", '{"statusCode":99}', '{"body":1}', '{"headers":{"a":{}}}', '{"statusCode":200,"cookies":[]}']) {
        expect(() => parseProxyResponse(bad, { binaryMediaTypes: [] }), bad).to.throw();
      }
    });
  });

  describe("mock integration", () => {
    it("selects the integration response by status and applies responseOverride", () => {
      const integration = {
        type: "mock",
        passthroughBehavior: "when_no_match",
        requestTemplates: { "application/json": "{\"statusCode\": $input.params('code')}" },
        responses: {
          "4\\d{2}": { statusCode: "404", responseParameters: { "method.response.header.X-A": "'static'" }, responseTemplates: { "application/json": '{"missing":true}' } },
          default: {
            statusCode: "200",
            responseTemplates: { "application/json": "#set($context.responseOverride.status = 201)#set($context.responseOverride.header.X-B = 'o')ok" },
          },
        },
      };
      const base = { headers: {}, pathParams: {}, body: "", context: {} };
      const notFound = runMockIntegration(integration, { ...base, query: { code: "404" } });
      expect(notFound).to.deep.include({ ok: true, status: 404, body: '{"missing":true}' });
      expect((notFound as any).headers).to.include({ "X-A": "static", "Content-Type": "application/json" });
      const ok = runMockIntegration(integration, { ...base, query: { code: "200" } });
      expect(ok).to.deep.include({ ok: true, status: 201, body: "ok" });
      expect((ok as any).headers["X-B"]).to.equal("o");
      expect(runMockIntegration({ ...integration, passthroughBehavior: "never" }, { ...base, headers: { "Content-Type": "text/plain" }, query: {} })).to.include({
        ok: false,
        unsupportedMediaType: true,
      });
    });
  });

  describe("unknown stages", () => {
    it("answer with AWS's default body while several APIs are served, and with the API's own response when only one is", async () => {
      const gw = await startApiGatewayService({ lambda: new FakeLambda(), accountId: ACCOUNT, region: REGION, port: 0 });
      try {
        const nothing = await send(`${gw.endpoint}/v1/jobs`);
        expect(nothing.status).to.equal(403);
        expect(nothing.json()).to.deep.equal({ message: "Missing Authentication Token" });
        gw.putRestApi("a", JSON.stringify(apiDocument("none")));
        gw.createDeployment("a", "d");
        gw.createStage("a", "v1", "d");
        expect((await send(`${gw.endpoint}/v2/jobs`)).json().error.code).to.equal("Forbidden");
        gw.putRestApi("b", JSON.stringify(apiDocument("none")));
        gw.createDeployment("b", "d");
        gw.createStage("b", "other", "d");
        expect((await send(`${gw.endpoint}/v2/jobs`)).json()).to.deep.equal({ message: "Missing Authentication Token" });
      } finally {
        await gw.stop();
      }
    });
  });
});
