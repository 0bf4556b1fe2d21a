// The local cloud's own promises: restart keeps finished jobs, expiry after resultTtlMinutes,
// the CLI's flags and its start-up errors.
import { execFile } from "child_process";
import * as path from "path";
import { expect } from "chai";
import { parseArgs, curlExample } from "../../local/cli";
import { loadStackConfig } from "../../local/stackConfig";
import { clientFor, startCloud, type CloudHandle } from "../support/localCloud";

const ROOT = path.resolve(__dirname, "..", "..");

describe("local cloud: command line", () => {
  it("parses the contract's flags", () => {
    expect(parseArgs([])).to.deep.include({ stack: "dev", port: 8080, config: [] });
    const o = parseArgs(["--stack", "prod", "--config", "backend=lambda", "--config", 'corsOrigins=["http://localhost:5173"]', "--port", "0", "--outputs", "o.json"]);
    expect(o).to.deep.include({ stack: "prod", port: 0, outputs: "o.json", config: ["backend=lambda", 'corsOrigins=["http://localhost:5173"]'] });
    expect(() => parseArgs(["--port", "http"])).to.throw(/--port takes 0 to 65535/);
    expect(() => parseArgs(["--bogus"])).to.throw(/unknown option '--bogus'/);
    expect(() => parseArgs(["--config"])).to.throw(/--config needs a value/);
  });

  it("reads Pulumi.yaml defaults, then Pulumi.<stack>.yaml, then --config (with or without the prefix)", () => {
    const c = loadStackConfig(ROOT, "dev", ["store=s3", "async-api:auth=none", 'corsOrigins=["http://localhost:5173"]']);
    expect(c["async-api:backend"]).to.equal("stepfunctions");
    expect(c["async-api:resultTtlMinutes"]).to.equal("1440");
    expect(c["async-api:store"]).to.equal("s3");
    expect(c["async-api:auth"]).to.equal("none");
    expect(c["async-api:corsOrigins"]).to.equal('["http://localhost:5173"]');
    expect(c["aws:region"]).to.equal("us-east-1");
    expect(() => loadStackConfig(ROOT, "nosuchstack")).to.throw(/No Pulumi.nosuchstack.yaml/);
    expect(() => loadStackConfig(ROOT, "dev", ["backend"])).to.throw(/--config takes KEY=VALUE/);
  });

  it("prints a curl example for each auth mode", () => {
    expect(curlExample({ apiUrl: "http://localhost:1/v1", auth: "iam" })).to.contain('--aws-sigv4 "aws:amz:us-east-1:execute-api" --user test:test');
    expect(curlExample({ apiUrl: "http://localhost:1/v1", auth: "apiKey", apiKey: "k" })).to.contain("x-api-key: k");
    expect(curlExample({ apiUrl: "http://localhost:1/v1", auth: "none" })).to.match(/^curl -i -H/);
  });

  it("fails to start with exit code 1 and the config error naming the key", async function () {
    this.timeout(60_000);
    const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = execFile(process.execPath, ["-r", "ts-node/register/transpile-only", "local/cli.ts", "--port", "0", "--config", "store=redis", "--state-dir", "/tmp/async-api-bad-config"], { cwd: ROOT }, (err, stdout, stderr) =>
        resolve({ code: child.exitCode, out: stdout + stderr }),
      );
    });
    expect(result.code).to.equal(1);
    expect(result.out).to.contain("async-api:store is 'redis'; allowed values: dynamodb, s3");
  });
});

describe("local cloud: state across restarts, and expiry", function () {
  this.timeout(180_000);
  let cloud: CloudHandle | undefined;
  after(async () => {
    if (cloud) await cloud.stop();
  });

  it("prints the outputs and a working curl on start, keeps finished jobs over a restart, and expires them after resultTtlMinutes", async () => {
    const config = ["backend=lambda", "store=dynamodb", "auth=none", "resultTtlMinutes=1"];
    cloud = await startCloud(config);
    let api = clientFor(cloud);
    const res = await api.submit({ seconds: 0 });
    const { last } = await api.waitFor(res.body.jobId);
    expect(last.body.status).to.equal("SUCCEEDED");
    const finishedAt = Date.now();

    expect(await cloud.stop()).to.equal(0);
    cloud = await startCloud(config, { stateDir: cloud.stateDir });
    api = clientFor(cloud);
    const afterRestart = await api.get(res.body.jobId);
    expect(afterRestart.status, "a restart keeps finished jobs readable").to.equal(200);
    expect(afterRestart.body.result).to.deep.equal({ message: "Done after 0 seconds" });

    // resultTtlMinutes=1: readable for a minute after it finished, then 404.
    await new Promise((r) => setTimeout(r, Math.max(0, finishedAt + 61_000 - Date.now())));
    const expired = await api.get(res.body.jobId);
    expect(expired.status, expired.text).to.equal(404);
    expect(expired.body.error.code).to.equal("NotFound");
  });
});
