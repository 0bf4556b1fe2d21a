import { expect } from "chai";
import { renderTemplate } from "../../../local/aws/apigateway/vtl";
import { build, preflightTemplate } from "./fixtures";

const ALLOWED = ["https://app.example.com", "http://localhost:5173"];

const HOSTILE = [
  "https://evil.example.com",
  "https://app.example.com.evil.example",
  "https://APP.example.com",
  "https://app.example.com ",
  " https://app.example.com",
  "https://app.example.com/",
  "null",
  "",
  "'",
  '"',
  "\\",
  "https://app.example.com'",
  "https://app.example.com\"",
  "https://app.example.com\\",
  "'https://app.example.com'",
  "https://app.example.com' || '1' == '1",
  "$context.requestId",
  "${context.requestId}",
  "$input.params('Origin')",
  "#set($context.responseOverride.header.Access-Control-Allow-Origin = '*')",
  "#set($context.responseOverride.status = 500)",
  "## comment",
  "#* block",
  "\u0000\u001f\u007f",
  "https://äpp.example.com",
  "https://app.example.com\u2028",
  "😀",
  "https://app.example.com,https://evil.example.com",
  "x".repeat(1024),
  "https://app.example.com" + "a".repeat(1024),
];

function preflight(origin: string | undefined, headerName = "Origin", origins = ALLOWED) {
  const doc = build({ corsOrigins: origins });
  const headers = origin === undefined ? {} : { [headerName]: origin };
  return ["/jobs", "/jobs/{jobId}"].map((path) =>
    renderTemplate(preflightTemplate(doc, path), { headers, context: { httpMethod: "OPTIONS", resourcePath: path } }),
  );
}

describe("components/api CORS preflight template (rendered with local/aws/apigateway/vtl)", () => {
  for (const origin of ALLOWED) {
    it(`allows ${origin}`, () => {
      for (const result of preflight(origin)) {
        expect(result.responseOverride.header).to.deep.equal({ "Access-Control-Allow-Origin": origin });
        expect(result.responseOverride.status).to.equal(undefined);
        expect(JSON.parse(result.output)).to.deep.equal({});
      }
    });
  }

  it("reads a lower-case origin header too (HTTP/2)", () => {
    for (const result of preflight("http://localhost:5173", "origin")) {
      expect(result.responseOverride.header["Access-Control-Allow-Origin"]).to.equal("http://localhost:5173");
    }
  });

  it("works with a single origin", () => {
    const [jobs] = preflight("https://only.example", "Origin", ["https://only.example"]);
    expect(jobs!.responseOverride.header["Access-Control-Allow-Origin"]).to.equal("https://only.example");
    const [other] = preflight("https://app.example.com", "Origin", ["https://only.example"]);
    expect(other!.responseOverride.header).to.deep.equal({});
  });

  it("sets no header without an Origin", () => {
    for (const result of preflight(undefined)) {
      expect(result.responseOverride.header).to.deep.equal({});
      expect(JSON.parse(result.output)).to.deep.equal({});
    }
  });

  for (const origin of HOSTILE) {
    const label = JSON.stringify(origin.length > 60 ? `${origin.slice(0, 40)}… (${origin.length} chars)` : origin);
    it(`sets no header for Origin ${label}, and the body stays JSON`, () => {
      for (const result of preflight(origin)) {
        expect(result.responseOverride.header).to.deep.equal({});
        expect(result.responseOverride.status).to.equal(undefined);
        expect(JSON.parse(result.output)).to.deep.equal({});
      }
    });
  }

  it("only ever sets the header to a configured origin, byte for byte", () => {
    for (const origin of [...ALLOWED, ...HOSTILE]) {
      for (const result of preflight(origin)) {
        const value = result.responseOverride.header["Access-Control-Allow-Origin"];
        if (value !== undefined) {
          expect(ALLOWED).to.include(value);
          expect(value).to.equal(origin);
        }
      }
    }
  });

  it("keeps origins with VTL-special characters literal", () => {
    // Allowed by the origin rule; VTL must neither interpolate `$` nor treat `#` as a directive.
    const odd = "http://a$context.stage##b#set";
    const [result] = preflight(odd, "Origin", [odd, "https://app.example.com"]);
    expect(result!.responseOverride.header["Access-Control-Allow-Origin"]).to.equal(odd);
    const [other] = preflight("http://alocal##b#set", "Origin", [odd]);
    expect(other!.responseOverride.header).to.deep.equal({});
  });
});
