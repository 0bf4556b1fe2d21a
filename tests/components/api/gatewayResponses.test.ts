import { expect } from "chai";
import { AUTH_MODES, CORS_CASES, build } from "./fixtures";
import { gatewayResponses } from "../../../components/api/gatewayResponses";

const EXPECTED: Record<string, [status: string | undefined, code: string]> = {
  DEFAULT_4XX: [undefined, "BadRequest"],
  DEFAULT_5XX: [undefined, "InternalError"],
  ACCESS_DENIED: ["403", "Forbidden"],
  INVALID_SIGNATURE: ["403", "Forbidden"],
  EXPIRED_TOKEN: ["403", "Forbidden"],
  MISSING_AUTHENTICATION_TOKEN: ["403", "Forbidden"],
  INVALID_API_KEY: ["403", "Forbidden"],
  UNAUTHORIZED: ["403", "Forbidden"],
  BAD_REQUEST_PARAMETERS: ["400", "ValidationError"],
  BAD_REQUEST_BODY: ["400", "ValidationError"],
  UNSUPPORTED_MEDIA_TYPE: ["415", "UnsupportedMediaType"],
  REQUEST_TOO_LARGE: ["413", "PayloadTooLarge"],
  THROTTLED: ["429", "TooManyRequests"],
  QUOTA_EXCEEDED: ["429", "TooManyRequests"],
  RESOURCE_NOT_FOUND: ["404", "NotFound"],
  INTEGRATION_FAILURE: ["502", "BadGateway"],
  INTEGRATION_TIMEOUT: ["504", "GatewayTimeout"],
  API_CONFIGURATION_ERROR: ["500", "InternalError"],
};

describe("components/api gateway responses", () => {
  const responses = build()["x-amazon-apigateway-gateway-responses"]!;

  // CONTRACT.md: the gateway's own throttling and quotas answer 429 with Retry-After, as every 429
  // does. AWS, "Gateway response types for API Gateway" (THROTTLED, QUOTA_EXCEEDED) and "Set up
  // gateway responses to customize error responses": headers go in responseParameters as
  // gatewayresponse.header.<name> with a static value in single quotes.
  // Retry-After is not a CORS-safelisted response header (Fetch standard): with an origin, every
  // gateway response exposes it, as the Lambda and stream answers do.
  it("with one CORS origin, exposes Retry-After (and the API's other headers) to the browser on every gateway response", () => {
    for (const [type, response] of Object.entries(gatewayResponses(["https://app.example.com"]))) {
      expect(response.responseParameters?.["gatewayresponse.header.Access-Control-Expose-Headers"], type).to.equal("'Location, Retry-After, Idempotent-Replayed'");
    }
    expect(gatewayResponses([]).THROTTLED!.responseParameters).to.not.have.property("gatewayresponse.header.Access-Control-Expose-Headers");
  });

  it("THROTTLED and QUOTA_EXCEEDED carry Retry-After (1 s, and an hour for a spent quota); no other type does", () => {
    expect(responses.THROTTLED!.responseParameters!["gatewayresponse.header.Retry-After"]).to.equal("'1'");
    expect(responses.QUOTA_EXCEEDED!.responseParameters!["gatewayresponse.header.Retry-After"]).to.equal("'3600'");
    for (const [type, response] of Object.entries(responses)) {
      if (type === "THROTTLED" || type === "QUOTA_EXCEEDED") continue;
      expect(response.responseParameters?.["gatewayresponse.header.Retry-After"], type).to.equal(undefined);
    }
  });

  for (const [type, [status, code]] of Object.entries(EXPECTED)) {
    it(`${type} → ${status ?? "AWS's own status"} ${code}`, () => {
      const response = responses[type];
      expect(response, type).to.not.equal(undefined);
      expect(response!.statusCode).to.equal(status);
      expect(JSON.parse(response!.responseTemplates["application/json"]!).error.code).to.equal(code);
    });
  }

  it("every body is the contract's error shape with a PascalCase code and a static message (BAD_REQUEST_BODY: plus the schema's own words)", () => {
    expect(Object.keys(responses).length).to.be.at.least(Object.keys(EXPECTED).length);
    for (const [type, response] of Object.entries(responses)) {
      expect(Object.keys(response.responseTemplates), type).to.deep.equal(["application/json"]);
      const template = response.responseTemplates["application/json"]!;
      // Gateway response templates substitute $context variables: only the validator's string, which
      // names the failing field and carries no ARN (the caller's identity is never in it).
      expect(template.replace("$context.error.validationErrorString", ""), type).to.not.include("$");
      if (type !== "BAD_REQUEST_BODY") expect(template, type).to.not.include("validationErrorString");
      expect(template, type).to.not.include("messageString");
      expect(template, type).to.not.match(/arn:/i);
      const body = JSON.parse(template);
      expect(Object.keys(body), type).to.deep.equal(["error"]);
      expect(Object.keys(body.error).sort(), type).to.deep.equal(["code", "message"]);
      expect(body.error.code, type).to.match(/^(?:[A-Z][a-z0-9]+)+$/);
      expect(body.error.message, type).to.be.a("string").with.length.greaterThan(0);
      if (response.statusCode !== undefined) expect(response.statusCode, type).to.match(/^[45]\d\d$/);
    }
  });

  it("MISSING_AUTHENTICATION_TOKEN says it can also mean an unknown route", () => {
    const body = JSON.parse(responses.MISSING_AUTHENTICATION_TOKEN!.responseTemplates["application/json"]!);
    expect(body.error.message).to.match(/route/i);
  });

  it("every response is JSON with the contract's content type", () => {
    for (const [type, response] of Object.entries(responses)) {
      expect(response.responseParameters["gatewayresponse.header.Content-Type"], type).to.equal("'application/json; charset=utf-8'");
    }
  });

  it("is the same for every auth mode", () => {
    for (const auth of AUTH_MODES) expect(build({ auth })["x-amazon-apigateway-gateway-responses"]).to.deep.equal(responses);
  });

  describe("CORS header", () => {
    const allowOrigin = (corsOrigins: string[]) =>
      Object.values(build({ corsOrigins })["x-amazon-apigateway-gateway-responses"]!).map(
        (r) => r.responseParameters["gatewayresponse.header.Access-Control-Allow-Origin"],
      );

    it("none without CORS", () => {
      expect(allowOrigin(CORS_CASES["no CORS"]!).every((v) => v === undefined)).to.equal(true);
    });

    it("the static origin when exactly one is configured", () => {
      expect(new Set(allowOrigin(["https://app.example.com"]))).to.deep.equal(new Set(["'https://app.example.com'"]));
    });

    it("none with several origins (a gateway response cannot choose among them)", () => {
      expect(allowOrigin(CORS_CASES["two origins"]!).every((v) => v === undefined)).to.equal(true);
    });
  });
});
