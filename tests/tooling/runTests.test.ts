// `npm test`'s runner (tests/support/runTests.ts) on small fixtures: a run that leaves a temporary
// folder or a process behind fails and names them, and nothing of it is left afterwards, also when
// the run is interrupted as Ctrl-C does (SIGINT to the whole process group).
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { tempDir } from "../support/tmp";

const ROOT = path.resolve(__dirname, "..", "..");

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !fs.readFileSync(`/proc/${pid}/stat`, "latin1").match(/^\d+ \(.*\) Z /s);
  } catch {
    return false;
  }
};

interface Run {
  code: number | null;
  out: string;
  fixture: { pid: number; tmpdir: string };
}

function runRunner(fixture: string, options: { wait?: boolean; interruptWhenReady?: boolean } = {}): Promise<Run> {
  const outFile = path.join(tempDir("async-api-runner-"), "fixture.json");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-r", "./scripts/register-ts.js", "tests/support/runTests.ts", `tests/tooling/fixtures/${fixture}`], {
      cwd: ROOT,
      detached: true, // its own process group, as a terminal's foreground job
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ASYNC_API_TEST_JOBS: "1", ASYNC_API_FIXTURE_OUT: outFile, ASYNC_API_FIXTURE_WAIT: options.wait ? "1" : "0" },
    });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    let poll: NodeJS.Timeout | undefined;
    if (options.interruptWhenReady) {
      poll = setInterval(() => {
        if (fs.existsSync(outFile) && fs.statSync(outFile).size > 0) {
          clearInterval(poll);
          process.kill(-child.pid!, "SIGINT");
        }
      }, 100);
    }
    child.once("error", reject);
    child.once("exit", (code) => {
      if (poll) clearInterval(poll);
      const fixture = fs.existsSync(outFile) ? JSON.parse(fs.readFileSync(outFile, "utf8")) : undefined;
      resolve({ code, out, fixture });
    });
  });
}

describe("npm test's runner: nothing left behind", function () {
  this.timeout(120_000);

  it("passes a run whose tests clean up, and ends with 'N passed, N failed'", async () => {
    const run = await runRunner("clean.ts");
    expect(run.code, run.out).to.equal(0);
    expect(run.out.trim().split("\n").pop()).to.equal("1 passed, 0 failed");
  });

  it("fails a run that leaves a temporary folder and a process behind, names both, and removes them", async () => {
    const run = await runRunner("leaky.ts");
    expect(run.code, run.out).to.equal(1);
    expect(run.out).to.match(/FAILED: the tests left temporary files behind in their TMPDIR .*leftover-by-fixture-\*/);
    expect(run.out).to.match(/FAILED: the tests left 1 process running .*sleep 300/);
    expect(run.out.trim().split("\n").pop()).to.equal("1 passed, 2 failed");
    expect(alive(run.fixture.pid), "the leftover process was stopped").to.equal(false);
    expect(fs.existsSync(run.fixture.tmpdir), "the run's TMPDIR was removed").to.equal(false);
  });

  it("on Ctrl-C (SIGINT to the process group) stops the tests' processes and removes the run's TMPDIR", async () => {
    const run = await runRunner("leaky.ts", { wait: true, interruptWhenReady: true });
    expect(run.code, run.out).to.equal(130);
    expect(run.out).to.include("Interrupted (SIGINT)");
    expect(alive(run.fixture.pid), "the test's process was stopped").to.equal(false);
    expect(fs.existsSync(run.fixture.tmpdir), "the run's TMPDIR was removed").to.equal(false);
  });
});
