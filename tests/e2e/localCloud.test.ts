// The local cloud's own promises: restart keeps finished jobs, expiry after resultTtlMinutes,
// the CLI's flags and its start-up errors.
import { execFile } from "child_process";
import * as path from "path";
import { expect } from "chai";
import { parseArgs, curlExample } from "../../local/cli";
import { loadStackConfig } from "../../local/cloud/stackConfig";
import { clientFor, startCloud, type CloudHandle } from "../support/localCloud";
import { setClock, storedJob, type FaultCloud } from "../reliability/support";
import { tempDir } from "../support/tmp";

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
      const child = execFile(process.execPath, ["-r", "./scripts/register-ts.js", "local/cli.ts", "--port", "0", "--config", "store=redis", "--state-dir", tempDir("async-api-bad-config-")], { cwd: ROOT }, (err, stdout, stderr) =>
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

  /** The admin API of a cloud started with --faults (the test clock lives there). */
  const adminOf = (c: CloudHandle): string => {
    expect(c.outputs.adminUrl, "--faults adds adminUrl to the outputs").to.be.a("string");
    return c.outputs.adminUrl;
  };

  it("prints the outputs and a working curl on start, keeps finished jobs over a restart, and expires them after resultTtlMinutes (test clock)", async () => {
    const config = ["backend=lambda", "store=dynamodb", "auth=none", "resultTtlMinutes=1"];
    // --faults: the admin API's test clock moves "now" for the functions and the TTL sweep.
    cloud = await startCloud(config, { faults: true });
    let api = clientFor(cloud);
    const res = await api.submit({ seconds: 0 });
    const { last } = await api.waitFor(res.body.jobId);
    expect(last.body.status).to.equal("SUCCEEDED");
    // The record's expiry is its finish (updatedAt) + 60 s, rounded up to the second: no read
    // before updatedAt + 60 s can find it expired, and every read from updatedAt + 61 s must.
    const finished = Date.parse(last.body.updatedAt);
    expect(Number.isFinite(finished), last.text).to.equal(true);

    // resultTtlMinutes=1: still readable 59 s after it finished. A read counts when it was answered
    // within 1 s of moving the clock (so it surely ran before updatedAt + 60 s); a slower one is retried.
    let conclusive = false;
    for (let attempt = 1; attempt <= 5 && !conclusive; attempt++) {
      const offset = finished + 59_000 - Date.now();
      expect(offset, "the job finished less than 59 s ago").to.be.at.least(0);
      await setClock(adminOf(cloud), offset);
      const before = await api.get(res.body.jobId);
      if (Date.now() + offset >= finished + 60_000) continue;
      conclusive = true;
      expect(before.status, `59 s after it finished: ${before.text}`).to.equal(200);
      expect(before.body.status).to.equal("SUCCEEDED");
    }
    expect(conclusive, "a read at +59 s answered within 1 s of moving the clock").to.equal(true);
    await setClock(adminOf(cloud), 0);

    expect(await cloud.stop()).to.equal(0);
    cloud = await startCloud(config, { stateDir: cloud.stateDir, faults: true });
    api = clientFor(cloud);
    const afterRestart = await api.get(res.body.jobId);
    expect(afterRestart.status, "a restart keeps finished jobs readable").to.equal(200);
    expect(afterRestart.body.result).to.deep.equal({ message: "Done after 0 seconds" });

    // 61 s after it finished: gone for readers at once, and swept from the table.
    const moved = await setClock(adminOf(cloud), Math.max(0, finished + 61_000 - Date.now()));
    expect(Date.parse(moved.now)).to.be.at.least(finished + 61_000);
    const expired = await api.get(res.body.jobId);
    expect(expired.status, expired.text).to.equal(404);
    expect(expired.body.error.code).to.equal("NotFound");
    const faultCloud: FaultCloud = { ...cloud, adminUrl: adminOf(cloud), endpoints: cloud.outputs.localEndpoints };
    expect(await storedJob(faultCloud, res.body.jobId), "the TTL sweep on the moved clock deleted the record").to.equal(undefined);
  });
});
