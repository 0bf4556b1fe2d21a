/*
 * The client on its own: the async-api-client workspace (client/package.json) packs into a tarball
 * that an application installs without Pulumi, esbuild or any emulator (`npm run bench:footprint`
 * measures that install from the registry). Here, without a registry: the tarball's files, that
 * everything its code requires is Node's, its own, or a declared dependency, and that it works as
 * installed (the library loads, the command answers --help).
 */
import { execFileSync } from "child_process";
import { expect } from "chai";
import * as fs from "fs";
import { builtinModules } from "module";
import * as path from "path";
import { tempDir } from "../support/tmp";

const ROOT = path.resolve(__dirname, "..", "..");

describe("the client package (client/, async-api-client)", function () {
  this.timeout(120_000);
  let files: string[];
  let pkg: { dependencies: Record<string, string>; bin: Record<string, string>; main: string };
  let installed: string;
  let base: string;

  before(() => {
    const dest = tempDir("client-pack-");
    const out = execFileSync("npm", ["pack", "-w", "client", "--json", "--pack-destination", dest], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const [info] = JSON.parse(out.slice(out.indexOf("["))) as { filename: string; files: { path: string }[] }[];
    files = info.files.map((f) => f.path).sort();
    // Installed as npm would, where this repository's node_modules holds its dependencies.
    base = path.join(ROOT, ".async-api", `client-app-${process.pid}-${Date.now()}`);
    installed = path.join(base, "node_modules", "async-api-client");
    fs.mkdirSync(installed, { recursive: true });
    execFileSync("tar", ["-xzf", path.join(dest, info.filename), "-C", installed, "--strip-components=1"]);
    pkg = JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8"));
  });
  after(() => {
    if (base) fs.rmSync(base, { recursive: true, force: true });
  });

  it("ships its compiled code, types and command, and nothing of the components, the local cloud or the tests", () => {
    expect(files).to.include.members(["package.json", "dist/index.js", "dist/index.d.ts", "dist/client.js", "dist/cli.js", "bin/async-api.js"]);
    for (const f of files) expect(f, f).to.match(/^(package\.json|dist\/[a-zA-Z]+\.(js|d\.ts)|bin\/async-api\.js)$/);
  });

  it("depends on neither Pulumi nor esbuild nor an emulator", () => {
    const deps = Object.keys(pkg.dependencies);
    expect(deps).to.have.members(["@aws-crypto/sha256-js", "@aws-sdk/credential-providers", "@smithy/signature-v4"]);
    for (const d of deps) expect(d).not.to.match(/pulumi|esbuild|dynalite|s3rver|stepfunctions/);
  });

  it("requires only Node's modules, its own files and its declared dependencies", () => {
    const allowed = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`), ...Object.keys(pkg.dependencies)]);
    for (const file of files.filter((f) => f.endsWith(".js"))) {
      const code = fs.readFileSync(path.join(installed, file), "utf8");
      for (const [, spec] of code.matchAll(/require\("([^"]+)"\)/g)) {
        if (spec.startsWith(".")) {
          expect(fs.existsSync(path.resolve(path.dirname(path.join(installed, file)), spec.endsWith(".js") ? spec : `${spec}.js`)) || spec === "../cli.ts", `${file}: ${spec}`).to.equal(true);
        } else {
          expect(allowed.has(spec) || allowed.has(spec.split("/").slice(0, spec.startsWith("@") ? 2 : 1).join("/")), `${file} requires ${spec}`).to.equal(true);
        }
      }
    }
  });

  it("works as installed: the library loads and makes a client, and the command answers --help", () => {
    const app = path.join(base, "app.js");
    fs.writeFileSync(app, "const { AsyncApiClient } = require('async-api-client'); const c = new AsyncApiClient({ apiUrl: 'https://x.execute-api.us-east-1.amazonaws.com/v1', auth: { type: 'none' } }); console.log(typeof c.submit);");
    expect(execFileSync(process.execPath, [app], { cwd: base, encoding: "utf8" }).trim()).to.equal("function");
    const help = execFileSync(process.execPath, [path.join(installed, pkg.bin["async-api"]), "--help"], { cwd: base, encoding: "utf8" });
    expect(help).to.match(/^usage: async-api <command>/);
    expect(help).to.include("listen --port N");
  });

  it("works as installed: verifyWebhook takes what signWebhook signs, and rejects a forgery", () => {
    const app = path.join(base, "webhook.js");
    fs.writeFileSync(
      app,
      `const { signWebhook, verifyWebhook } = require('async-api-client');
       const secret = 'whsec_' + Buffer.alloc(32, 1).toString('base64');
       const body = JSON.stringify({ type: 'job.cancelled', timestamp: new Date().toISOString(), data: { jobId: 'j', status: 'CANCELLED', createdAt: 'c', updatedAt: 'u' } });
       const headers = signWebhook(secret, 'msg_1', Math.floor(Date.now() / 1000), body);
       let forged;
       try { verifyWebhook(secret, headers, body.replace('"j"', '"k"')); } catch (err) { forged = err.reason; }
       console.log(verifyWebhook(secret, headers, body).data.jobId, forged);`,
    );
    expect(execFileSync(process.execPath, [app], { cwd: base, encoding: "utf8" }).trim()).to.equal("j BadSignature");
  });
});
