// `npm run test:deployed` (tests/deployed/), run as a user would, against the local cloud: every
// backend and auth mode and the Fargate worker pass every check that applies; against an API that
// breaks the contract, it exits 1 and names the checks that failed.
import { spawn } from "child_process";
import * as fs from "fs";
import { createServer, type Server } from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { startCloud, type CloudHandle } from "../support/localCloud";

const ROOT = path.resolve(__dirname, "..", "..");
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
// The local cloud takes any access key id with the secret "test"; the runner finds it in the SDK's chain.
const AWS_ENV = { AWS_ACCESS_KEY_ID: "alice", AWS_SECRET_ACCESS_KEY: "test" };

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
    const m = /^(.+?)\s{2,}(PASS|FAIL|N\/A)\s+\d+\.\d\b/.exec(line);
    if (m) table.set(m[1].trim(), m[2]);
  }
  return table;
}

const CHECK_COUNT = 13;

interface Case {
  name: string;
  config: string[];
  /** The runner's arguments, as a user gives them. */
  args(cloud: CloudHandle, outputsFile: string): string[];
  /** Rows that are N/A here (by the start of their name); every other row must PASS. */
  notApplicable: string[];
  /** What the runner must have learnt, in its first line. */
  learnt: string;
}

const CASES: Case[] = [
  {
    name: "lambda × s3 × none, --url",
    config: ["backend=lambda", "store=s3", "auth=none"],
    args: (cloud) => ["--url", cloud.apiUrl],
    notApplicable: ["auth:", "stream backend", "Fargate worker"],
    learnt: "auth none, backend unknown",
  },
  {
    name: "stepfunctions × dynamodb × iam, --url (auth from openapi.json, SigV4 from the credential chain)",
    config: ["backend=stepfunctions", "store=dynamodb", "auth=iam"],
    args: (cloud) => ["--url", cloud.apiUrl],
    notApplicable: ["stream backend", "Fargate worker"],
    learnt: "auth iam, backend unknown",
  },
  {
    name: "stream × dynamodb × apiKey, --url --api-key (the stream backend learnt from the API)",
    config: ["backend=stream", "store=dynamodb", "auth=apiKey"],
    args: (cloud) => ["--url", cloud.apiUrl, "--api-key", cloud.outputs.apiKey],
    notApplicable: ["Fargate worker"],
    learnt: "auth apiKey, backend stream (malformed JSON is ValidationError",
  },
  {
    name: "stepfunctions × s3 × apiKey, worker fargate, --outputs",
    config: ["backend=stepfunctions", "store=s3", "auth=apiKey", "worker=fargate"],
    args: (_cloud, outputsFile) => ["--outputs", outputsFile],
    notApplicable: ["stream backend"],
    learnt: "auth apiKey, backend stepfunctions (outputs), worker fargate",
  },
];

describe("npm run test:deployed against the local cloud", function () {
  this.timeout(180_000);
  const clouds = new Map<string, CloudHandle>();
  let dir: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "async-api-deployed-"));
    const started = await Promise.allSettled(CASES.map((c) => startCloud(c.config, { tmpPrefix: "async-api-deployed-cloud-" }).then((cloud) => clouds.set(c.name, cloud))));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) throw failed.reason;
  });
  after(async () => {
    for (const cloud of clouds.values()) {
      await cloud.stop();
      fs.rmSync(cloud.stateDir, { recursive: true, force: true });
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(`${c.name}: exit 0, every check that applies passes`, async () => {
      const cloud = clouds.get(c.name)!;
      const outputsFile = path.join(dir, `${c.config.join("-").replace(/\W+/g, "-")}.json`);
      fs.writeFileSync(outputsFile, JSON.stringify(cloud.outputs));
      const run = await testDeployed(c.args(cloud, outputsFile), AWS_ENV);
      expect(run.code, run.out).to.equal(0);
      expect(run.out.split("\n")[0], run.out).to.include(c.learnt);
      const table = rows(run.out);
      expect(table.size, run.out).to.equal(CHECK_COUNT);
      for (const [name, result] of table) {
        const expected = c.notApplicable.some((prefix) => name.startsWith(prefix)) ? "N/A" : "PASS";
        expect(result, `${name}\n${run.out}`).to.equal(expected);
      }
      expect(run.out, run.out).to.include(`PASS ${CHECK_COUNT - c.notApplicable.length}, FAIL 0, N/A ${c.notApplicable.length}`);
    });
  }

  it("iam: a run signed with a wrong secret fails every check that needs the API (exit 1)", async () => {
    const cloud = clouds.get(CASES[1].name)!;
    const run = await testDeployed(["--url", cloud.apiUrl, "--job-timeout", "5"], { AWS_ACCESS_KEY_ID: "alice", AWS_SECRET_ACCESS_KEY: "not-test" });
    expect(run.code, run.out).to.equal(1);
    expect(rows(run.out).get("submit: 202, Location, Retry-After, PENDING"), run.out).to.equal("FAIL");
    expect(run.out).to.match(/expected 202 with a jobId, got 403/);
  });

  describe("against an API that breaks the contract", () => {
    let server: Server;
    let url: string;
    before(async () => {
      // Open (its openapi.json declares no auth), and answers 200 {} to everything: no 202, no jobId.
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
      expect(table.size, run.out).to.equal(CHECK_COUNT);
      for (const name of ["submit: 202, Location, Retry-After, PENDING", "result: SUCCEEDED with the job's result", "bad input: 415, 400, 413 and 404 in the contract's shape"]) {
        expect(table.get(name), `${name}\n${run.out}`).to.equal("FAIL");
      }
      expect(run.out).to.match(/expected 202 with a jobId, got 200/);
      const failed = [...table.values()].filter((r) => r === "FAIL").length;
      expect(run.out).to.include(`FAIL ${failed},`);
      expect(failed).to.be.greaterThan(5);
    });
  });
});
