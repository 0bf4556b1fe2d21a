// The local gateway's static route for the browser console: GET /<stage>/console[/<file>], files
// directly in console/ only, right content types, no auth, and no way out of the folder.
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { CONSOLE_DIR, startApiGatewayService, type LocalApiGatewayService } from "../../local/aws/apigateway/server";
import { ACCOUNT, FakeLambda, REGION, apiDocument, type HttpResult } from "../local/apigateway/helpers";
import { rawHttp } from "../support/rawHttp";
import { tempDir } from "../support/tmp";

const API_ID = "abc123";

/** A request whose path is sent byte for byte (WHATWG URLs would resolve `..` and `%2e%2e` first). */
async function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpResult> {
  const m = /^http:\/\/127\.0\.0\.1:(\d+)(\/.*)$/.exec(url);
  if (!m) throw new Error(`not a local URL: ${url}`);
  const r = await rawHttp({ host: "127.0.0.1", port: Number(m[1]), method: init.method ?? "GET", path: m[2], headers: init.headers }, init.body);
  return { ...r, json: () => JSON.parse(r.text) };
}
const PACKAGE_NAME = /"name":\s*"async-api"/;

async function gateway(options: { consoleDir?: string | null; auth?: "iam" | "apiKey" | "none"; stages?: string[] } = {}) {
  const gw = await startApiGatewayService({ lambda: new FakeLambda(), accountId: ACCOUNT, region: REGION, consoleDir: options.consoleDir });
  gw.putRestApi(API_ID, JSON.stringify(apiDocument(options.auth ?? "iam")));
  gw.createDeployment(API_ID, "dep1");
  const urls = (options.stages ?? ["v1"]).map((stage) => gw.createStage(API_ID, stage, "dep1"));
  return { gw, base: `http://127.0.0.1:${gw.port}`, urls };
}

describe("console: the local gateway's static route", () => {
  let gw: LocalApiGatewayService;
  let base: string;

  before(async () => {
    // auth iam: the console route must answer without any signature.
    ({ gw, base } = await gateway({ auth: "iam", stages: ["v1", "prod"] }));
  });
  after(async () => gw.stop());

  it("serves console/index.html at /<stage>/console/ as text/html, unsigned, on every stage", async () => {
    const expected = fs.readFileSync(path.join(CONSOLE_DIR, "index.html"), "utf8");
    for (const route of ["/v1/console/", "/v1/console/index.html", "/prod/console/"]) {
      const res = await send(`${base}${route}`);
      expect(res.status, route).to.equal(200);
      expect(res.headers["content-type"], route).to.equal("text/html; charset=utf-8");
      expect(res.headers["x-content-type-options"]).to.equal("nosniff");
      expect(res.headers["content-security-policy"]).to.match(/script-src|default-src 'self'/);
      expect(res.text).to.equal(expected);
    }
  });

  it("redirects /<stage>/console to /<stage>/console/, keeping the query", async () => {
    const res = await send(`${base}/v1/console?apiUrl=http%3A%2F%2Fx`);
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal("console/?apiUrl=http%3A%2F%2Fx");
    expect(new URL(String(res.headers.location), `${base}/v1/console`).pathname).to.equal("/v1/console/");
  });

  it("serves the page's assets with their content types, and HEAD without a body", async () => {
    const js = await send(`${base}/v1/console/app.js`);
    expect(js.status).to.equal(200);
    expect(js.headers["content-type"]).to.equal("text/javascript; charset=utf-8");
    const css = await send(`${base}/v1/console/style.css`);
    expect(css.status).to.equal(200);
    expect(css.headers["content-type"]).to.equal("text/css; charset=utf-8");
    const head = await send(`${base}/v1/console/`, { method: "HEAD" });
    expect(head.status).to.equal(200);
    expect(head.text).to.equal("");
  });

  const hostile = [
    "/v1/console/../../package.json",
    "/v1/console/../package.json",
    "/v1/console/%2e%2e/%2e%2e/package.json",
    "/v1/console/..%2f..%2fpackage.json",
    "/v1/console/..%2F..%2Fpackage.json",
    "/v1/console/%2e%2e%2f%2e%2e%2fpackage.json",
    "/v1/console%2f..%2f..%2fpackage.json",
    "/v1/console/..%5c..%5cpackage.json",
    "/v1/console/%252e%252e%252f%252e%252e%252fpackage.json",
    "/v1/console/%2fwork%2fmain%2fpackage.json",
    "/v1/console//etc/passwd",
    "/v1/console/.%2e/.%2e/package.json",
    "/v1/console/index.html%00.css",
    "/v1/console/index.html/",
    "/v1/console/.gitignore",
    "/v1/console/%zz",
    "/v1/console/nope.html",
  ];
  for (const route of hostile) {
    it(`refuses ${route}`, async () => {
      const res = await send(`${base}${route}`);
      expect(res.status, res.text).to.equal(404);
      expect(res.json()).to.deep.equal({ error: { code: "NotFound", message: "No such console file." } });
      expect(res.text).not.to.match(PACKAGE_NAME);
    });
  }

  it("leaves other methods and paths to the API's routes", async () => {
    const post = await send(`${base}/v1/console/`, { method: "POST", body: "{}", headers: { "Content-Type": "application/json" } });
    expect(post.status).to.equal(403); // no such route: API Gateway's MISSING_AUTHENTICATION_TOKEN
    expect(post.text).not.to.include("<html");
    const other = await send(`${base}/v1/consoles/`);
    expect(other.status).to.equal(403);
    const noStage = await send(`${base}/nostage/console/`);
    expect(noStage.status).to.equal(403);
  });
});

describe("console: static route options", () => {
  let dir: string;
  before(() => {
    dir = tempDir("async-api-console-");
    fs.mkdirSync(path.join(dir, "console"));
    fs.mkdirSync(path.join(dir, "console", "sub"));
    fs.writeFileSync(path.join(dir, "console", "index.html"), "<!doctype html><title>x</title>");
    fs.writeFileSync(path.join(dir, "console", "sub", "inner.html"), "inner");
    fs.writeFileSync(path.join(dir, "secret.html"), "secret");
    fs.symlinkSync(path.join(dir, "secret.html"), path.join(dir, "console", "link.html"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("serves only regular files directly in the folder: no subfolder, no symlink", async () => {
    const { gw, base } = await gateway({ consoleDir: path.join(dir, "console") });
    try {
      expect((await send(`${base}/v1/console/`)).text).to.equal("<!doctype html><title>x</title>");
      for (const route of ["/v1/console/sub/inner.html", "/v1/console/sub%2finner.html", "/v1/console/link.html", "/v1/console/sub", "/v1/console/..%2fsecret.html"]) {
        const res = await send(`${base}${route}`);
        expect(res.status, route).to.equal(404);
        expect(res.text, route).not.to.match(/inner|secret/);
      }
    } finally {
      await gw.stop();
    }
  });

  it("is off with consoleDir: null", async () => {
    const { gw, base } = await gateway({ consoleDir: null });
    try {
      const res = await send(`${base}/v1/console/`);
      expect(res.status).to.equal(403);
      expect(res.text).not.to.include("<html");
    } finally {
      await gw.stop();
    }
  });
});
