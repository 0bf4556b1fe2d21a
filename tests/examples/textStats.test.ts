/*
 * examples/text-stats: a Pulumi program of its own that installs this package from its tarball and
 * runs a job of its own (not the timer) through AsyncApi. Evaluated here under the Pulumi mocks,
 * then served by `npx async-api-local` in its folder, where one of its jobs completes over HTTP.
 * One file: `npm pack` builds dist/, which two processes must not do at once.
 */
import { execFileSync } from "child_process";
import { expect } from "chai";
import * as fs from "fs";
import { createRequire } from "module";
import * as path from "path";
import { installExample, packThisPackage, type InstalledExample } from "../support/example";
import { clientFor, JobApi, startCloud, type CloudHandle } from "../support/localCloud";
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

  it("publishes the components (compiled JavaScript and .d.ts) and exports only them: not the tests, the examples or the demo program", () => {
    const { files } = packThisPackage();
    expect(files).to.include.members(["package.json", "dist/components/index.js", "dist/components/index.d.ts", "dist/lambdas/api/submit.js", "dist/lambdas/jobs/types.d.ts"]);
    for (const f of files) expect(f, f).not.to.match(/^(tests|bench|examples|program)\//);
    expect(files).not.to.include("index.ts");
    const pkg = JSON.parse(fs.readFileSync(path.join(example.dir, "node_modules", "async-api", "package.json"), "utf8"));
    // "main" is the component provider Pulumi's host runs for other languages; npm consumers resolve through "exports".
    expect(pkg.main).to.equal("plugin.js");
    expect(pkg.exports).to.deep.equal({ ".": { types: "./dist/components/index.d.ts", default: "./dist/components/index.js" }, "./package.json": "./package.json" });
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

  // job.functionArn: the worker invokes an existing function, which it may invoke and nothing else.
  it("runs a job given as an existing Lambda function: the worker knows its ARN and may invoke exactly it", async () => {
    const shoutArn = recorded.find((r) => r.type === "aws:lambda/function:Function" && r.name === "shout-fn")!.state.arn as string;
    const worker = recorded.find((r) => r.type === "aws:lambda/function:Function" && r.name === "shout-workflow-worker-function")!;
    expect(worker.inputs.environment.variables.ASYNC_API_JOB_FUNCTION_ARN).to.equal(shoutArn);
    const policy = JSON.parse(recorded.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.name === "shout-workflow-worker-policy")!.inputs.policy as string);
    expect(policy.Statement).to.deep.include({ Sid: "InvokeJobFunction", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [shoutArn] });
    const assets = await (worker.inputs.code as { assets: Promise<Record<string, { text: Promise<string> }>> }).assets;
    expect(await assets["index.js"].text).to.contain("ASYNC_API_JOB_FUNCTION_ARN");
  });

  it("bundles the handlers from the installed package, whatever the current directory", async () => {
    const fn = recorded.find((r) => r.type === "aws:lambda/function:Function" && r.name === "stats-status-function");
    const assets = await (fn!.inputs.code as { assets: Promise<Record<string, { text: Promise<string> }>> }).assets;
    expect((await assets["index.js"].text).length).to.be.greaterThan(1000);
  });
});

describe("examples/text-stats on the local cloud (npx async-api-local in its folder)", function () {
  this.timeout(180_000);
  let example: InstalledExample;
  let cloud: CloudHandle;

  before(async () => {
    example = installExample("text-stats");
    // The command npx runs (node_modules/.bin/async-api-local), started directly so that stopping
    // it stops the cloud (npx would leave its child behind).
    cloud = await startCloud([], { launcher: { command: process.execPath, args: [path.join(example.dir, "node_modules", ".bin", "async-api-local")], cwd: example.dir }, timeoutMs: 150_000 });
  });
  after(async () => {
    await cloud?.stop();
    example?.remove();
  });

  it("is what `npx async-api-local` finds in the example's folder", () => {
    const help = execFileSync("npx", ["--no-install", "async-api-local", "--help"], { cwd: example.dir, encoding: "utf8" });
    expect(help).to.match(/^usage: .*--stack NAME.*--config KEY=VALUE.*--port N.*--outputs FILE/);
  });

  it("serves the example's program with its config namespace and outputs", () => {
    expect(cloud.outputs.auth).to.equal("apiKey");
    expect(cloud.outputs.apiKey).to.be.a("string");
    // Both APIs of the example use the stage v1: whichever stage the local gateway creates first is
    // served at /v1, the other at /<apiId>/v1 (README, "The local cloud").
    expect(cloud.apiUrl).to.match(/^http:\/\/(localhost|127\.0\.0\.1):\d+(\/[0-9a-f]{10})?\/v1$/);
    expect(cloud.outputs.shoutApiUrl).to.match(/^http:\/\/(localhost|127\.0\.0\.1):\d+(\/[0-9a-f]{10})?\/v1$/);
    expect(cloud.outputs.shoutApiUrl).to.not.equal(cloud.apiUrl);
  });

  it("runs one of its jobs to SUCCEEDED over HTTP, with the example's own result", async () => {
    const api = clientFor(cloud);
    const res = await api.submit({ text: "the cat and the hat and the bat", top: 2 });
    expect(res.status, res.text).to.equal(202);
    const { last } = await api.waitFor(res.body.jobId);
    expect(last.body.status).to.equal("SUCCEEDED");
    expect(last.body.result).to.deep.equal({ characters: 31, words: 8, distinctWords: 5, topWords: [{ word: "the", count: 3 }, { word: "and", count: 2 }] });
  });

  it("runs the job that is a Lambda function of its own (job.functionArn, through Step Functions), its result and its error", async () => {
    const api = new JobApi(cloud.outputs.shoutApiUrl, { kind: "none" });
    const ok = await api.submit({ text: "hello" });
    expect(ok.status, ok.text).to.equal(202);
    const done = await api.waitFor(ok.body.jobId);
    expect(done.last.body.status).to.equal("SUCCEEDED");
    expect(done.last.body.result).to.deep.equal({ jobId: ok.body.jobId, shouted: "HELLO!" });
    const bad = await api.submit({ text: "  " });
    const failed = await api.waitFor(bad.body.jobId);
    expect(failed.last.body.status).to.equal("FAILED");
    expect(failed.last.body.error).to.deep.equal({ code: "NothingToShout", message: "Nothing to shout." });
  });

  it("validates against the example's schema, and records its job's own error", async () => {
    const api = clientFor(cloud);
    expect((await api.submit({ seconds: 1 })).status).to.equal(400);
    const res = await api.submit({ text: "!!! ???" });
    const { last } = await api.waitFor(res.body.jobId);
    expect(last.body.status).to.equal("FAILED");
    expect(last.body.error.code).to.equal("EmptyText");
  });
});
