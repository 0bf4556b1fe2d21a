// One local cloud per state folder (local/cloud/stateLock.ts): a second `npm start` on the same state
// says which cloud has it and how to run a second one, and leaves the first one's state unharmed;
// a lock whose owner died (SIGKILL) is taken over.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { lockStateDir, StateInUseError } from "../../local/cloud/stateLock";
import { clientFor, startCloud, type CloudHandle } from "../support/localCloud";
import { tempDir } from "../support/tmp";

const ROOT = path.resolve(__dirname, "..", "..");

/** `npm start` as a second process on `stateDir`: its exit code and what it printed. */
function secondStart(stateDir: string, cwd = ROOT): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["-r", path.join(ROOT, "scripts/register-ts.js"), path.join(ROOT, "local/cli.ts"), "--port", "0", "--state-dir", stateDir, "--config", "backend=lambda", "--config", "auth=none"], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.once("exit", (code) => resolve({ code, out }));
  });
}

describe("local cloud: one cloud per state folder", function () {
  this.timeout(120_000);

  describe("lockStateDir", () => {
    it("refuses a second lock while the first holder lives, naming it, and gives the folder back on release", () => {
      const dir = tempDir("async-api-lock-");
      const first = lockStateDir(dir, "dev");
      let err: unknown;
      try {
        lockStateDir(dir, "dev");
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(StateInUseError);
      expect((err as StateInUseError).pid).to.equal(process.pid);
      expect((err as Error).message).to.match(/another local cloud \(pid \d+\) is using the state of stack dev in .*--stack NAME.*--state-dir DIR/);
      first.release();
      expect(fs.existsSync(path.join(dir, ".lock"))).to.equal(false);
      lockStateDir(dir, "dev").release();
    });

    it("takes over a lock whose owner is gone, or whose pid now belongs to another process", () => {
      const dir = tempDir("async-api-lock-");
      fs.writeFileSync(path.join(dir, ".lock"), JSON.stringify({ pid: 2 ** 22 + 17, token: "x" })); // no such pid
      const notes: string[] = [];
      lockStateDir(dir, "dev", (l) => notes.push(l)).release();
      expect(notes.join("\n")).to.match(/is gone/);
      // Our own pid, but another start time: a reused pid.
      fs.writeFileSync(path.join(dir, ".lock"), JSON.stringify({ pid: process.pid, startTicks: "1", token: "y" }));
      lockStateDir(dir, "dev").release();
    });
  });

  describe("two clouds", () => {
    let first: CloudHandle | undefined;
    let restarted: CloudHandle | undefined;
    after(async () => {
      await first?.stop();
      await restarted?.stop();
    });

    it("a second start on the same state exits 1 naming the first cloud's pid and how to run a second one; the first keeps serving, its jobs unharmed; after a SIGKILL the lock is taken over", async () => {
      first = await startCloud(["backend=lambda", "auth=none"]);
      const api = clientFor(first);
      const before = await api.submit({ seconds: 0 });
      expect(before.status).to.equal(202);
      await api.waitFor(before.body.jobId);

      const second = await secondStart(first.stateDir);
      expect(second.code, second.out).to.equal(1);
      const pid = Number(JSON.parse(fs.readFileSync(path.join(first.stateDir, ".lock"), "utf8")).pid);
      expect(second.out).to.include(`another local cloud (pid ${pid}) is using the state of stack dev in ${first.stateDir}`);
      expect(second.out).to.include("--stack NAME").and.to.include("--state-dir DIR");
      expect(second.out).not.to.include("Database is closed");

      expect((await api.get(before.body.jobId)).body.status, "a job from before is still there").to.equal("SUCCEEDED");
      const after = await api.submit({ seconds: 0 });
      expect((await api.waitFor(after.body.jobId)).last.body.status, "the first cloud still runs jobs").to.equal("SUCCEEDED");

      first.kill();
      await new Promise((r) => setTimeout(r, 300));
      restarted = await startCloud(["backend=lambda", "auth=none"], { stateDir: first.stateDir });
      expect((await clientFor(restarted).get(before.body.jobId)).body.status, "the state survives, the stale lock is taken over").to.equal("SUCCEEDED");
    });
  });
});
