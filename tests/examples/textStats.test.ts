/*
 * examples/text-stats: a Pulumi program of its own that installs this package from its tarball and
 * runs a job of its own (not the timer) through AsyncApi. Evaluated here under the Pulumi mocks.
 */
import { expect } from "chai";
import * as fs from "fs";
import { createRequire } from "module";
import * as path from "path";
import { installExample, packThisPackage, type InstalledExample } from "../support/example";
import { recorded, resetRecorded, valueOf } from "../support/mocks";

describe("examples/text-stats: a program of its own, with this package from npm pack", function () {
  this.timeout(120_000);
  let example: InstalledExample;
  let program: Record<string, unknown>;

  before(async () => {
    example = installExample("text-stats");
    resetRecorded();
    program = require(path.join(example.dir, "index.ts"));
    await valueOf(program.apiUrl as never);
    await new Promise((r) => setTimeout(r, 100));
  });
  after(() => example?.remove());

  it("publishes the components (compiled JavaScript and .d.ts), not the tests, the local cloud or the demo program", () => {
    const { files } = packThisPackage();
    expect(files).to.include.members(["package.json", "dist/components/index.js", "dist/components/index.d.ts", "dist/lambdas/api/submit.js", "dist/lambdas/jobs/types.d.ts"]);
    for (const f of files) expect(f, f).not.to.match(/^(tests|bench|examples|program)\//);
    expect(files).not.to.include("index.ts");
    const pkg = JSON.parse(fs.readFileSync(path.join(example.dir, "node_modules", "async-api", "package.json"), "utf8"));
    expect(pkg.main).to.equal("dist/components/index.js");
    expect(pkg.exports["."]).to.deep.equal({ types: "./dist/components/index.d.ts", default: "./dist/components/index.js" });
  });

  it("resolves async-api from its own node_modules, the installed package", () => {
    const resolved = createRequire(path.join(example.dir, "index.ts")).resolve("async-api");
    expect(resolved).to.equal(path.join(example.dir, "node_modules", "async-api", "dist", "components", "index.js"));
  });

  it("declares its API with its own job: the worker bundles job.ts from the example, the API validates its schema", async () => {
    const fn = recorded.find((r) => r.type === "aws:lambda/function:Function" && r.name === "stats-worker-function");
    expect(fn, "the worker function").to.not.equal(undefined);
    const assets = await (fn!.inputs.code as { assets: Promise<Record<string, { text: Promise<string> }>> }).assets;
    const bundle = await assets["index.js"].text;
    expect(bundle).to.contain("The text has no words.");
    expect(bundle).not.to.contain("TimerFailed");
    const api = recorded.find((r) => r.type === "aws:apigateway/restApi:RestApi");
    const document = JSON.parse(api!.inputs.body as string);
    const schemas = JSON.stringify(document.components.schemas);
    expect(schemas).to.contain('"text"').and.to.contain('"top"');
    expect(program.auth).to.equal("apiKey");
  });

  it("bundles the handlers from the installed package, whatever the current directory", async () => {
    const fn = recorded.find((r) => r.type === "aws:lambda/function:Function" && r.name === "stats-status-function");
    const assets = await (fn!.inputs.code as { assets: Promise<Record<string, { text: Promise<string> }>> }).assets;
    expect((await assets["index.js"].text).length).to.be.greaterThan(1000);
  });
});
