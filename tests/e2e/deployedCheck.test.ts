// `npm run test:deployed` (tests/deployed/), run as a user would, against the local cloud: every
// backend and auth mode and the Fargate worker pass every check that applies; against an API that
// breaks the contract, it fails and names the checks.
import { spawn } from "child_process";
import * as fs from "fs";
import { createServer, type Server } from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import { expect } from "chai";
import { startCloud, type CloudHandle } from "../support/localCloud";
import { tempDir } from "../support/tmp";

const ROOT = path.resolve(__dirname, "..", "..");
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

function testDeployed(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NPM, ["run", "-s", "test:deployed", "--", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, out }));
  });
}

/** The table's rows: check name → result. */
function rows(out: string): Map<string, string> {
  const table = new Map<string, string>();
  for (const line of out.split("\n")) {
    const m = /^(.+?)\s{2,}(PASS|FAIL|N\/A)\s+\d+\.\d\s/.exec(line);
    if (m) table.set(m[1].trim(), m[2]);
  }
  return table;
}

const CONFIGS = [
  { name: "lambda × s3 × none", config: ["backend=lambda", "store=s3", "auth=none"], applies: [] as string[] },
  { name: "stepfunctions × dynamodb × iam", config: ["backend=stepfunctions", "store=dynamodb", "auth=iam"], applies: [] },
  { name: "stream × dynamodb × apiKey", config: ["backend=stream", "store=dynamodb", "auth=apiKey"], applies: ["stream backend"] },
  { name: "stepfunctions × fargate × apiKey", config: ["backend=stepfunctions", "store=s3", "auth=apiKey", "worker=fargate"], applies: ["Fargate worker"] },
];

describe("npm run test:deployed against the local cloud", function () {
  this.timeout(180_000);
  const clouds = new Map<string, CloudHandle>();
  let dir: string;

  before(async () => {
    dir = tempDir("async-api-deployed-");
    const started = await Promise.allSettled(CONFIGS.map((c) => startCloud(c.config).then((cloud) => clouds.set(c.name, cloud))));
    const failed = started.find((s) => s.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
  });
  after(async () => {
    await Promise.all([...clouds.values()].map((c) => c.stop()));
  });

  for (const c of CONFIGS) {
    it(`${c.name}: every check that applies passes, with the stack's outputs`, async () => {
      const cloud = clouds.get(c.name)!;
      const outputs = path.join(dir, `${c.name.replace(/\W+/g, "-")}.json`);
      fs.writeFileSync(outputs, JSON.stringify(cloud.outputs));
      const run = await testDeployed(["--outputs", outputs], { AWS_ACCESS_KEY_ID: "alice", AWS_SECRET_ACCESS_KEY: "test" });
      expect(run.code, run.out).to.equal(0);
      const table = rows(run.out);
      expect(table.size, run.out).to.equal(11);
      for (const [name, result] of table) {
        const optional = name.startsWith("stream backend") || name.startsWith("Fargate worker") || (name.startsWith("auth:") && cloud.outputs.auth === "none");
        const expected = !optional || c.applies.some((a) => name.startsWith(a)) ? "PASS" : "N/A";
        expect(result, `${name}\n${run.out}`).to.equal(expected);
      }
    });
  }

  it("with only --url, it reads the auth from the API's openapi.json (iam: SigV4 from the AWS credential chain)", async () => {
    const cloud = clouds.get("stepfunctions × dynamodb × iam")!;
    const run = await testDeployed(["--url", cloud.apiUrl], { AWS_ACCESS_KEY_ID: "bob", AWS_SECRET_ACCESS_KEY: "test" });
    expect(run.code, run.out).to.equal(0);
    expect(run.out).to.include("auth iam");
    expect(rows(run.out).get("auth: a request without credentials is 403")).to.equal("PASS");
  });

  describe("against an API that breaks the contract", () => {
    let server: Server;
    let url: string;
    before(async () => {
      // Open, and answers 200 {} to everything (the openapi.json it serves declares no auth).
      server = createServer((req, res) => {
        res.setHeader("Content-Type", "application/json");
        res.end(req.url?.endsWith("/openapi.json") ? JSON.stringify({ openapi: "3.0.1", paths: { "/jobs": { post: { security: [] } }, "/jobs/{jobId}": { get: { security: [] } } } }) : "{}");
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("exits 1 and names every check that failed", async () => {
      const run = await testDeployed(["--url", url, "--job-timeout", "5"]);
      expect(run.code, run.out).to.equal(1);
      const table = rows(run.out);
      expect(table.get("submit: 202, Location, Retry-After, PENDING"), run.out).to.equal("FAIL");
      expect(table.get("bad input: 415, 400, 413 and 404 in the contract's shape"), run.out).to.equal("FAIL");
      expect(run.out).to.match(/expected 202 with a jobId, got 200/);
      expect(run.out).to.match(/FAIL [1-9]\d*/);
    });
  });
});
