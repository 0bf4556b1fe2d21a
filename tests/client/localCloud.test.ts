// The client and the CLI against a real local cloud (`npm start`), as a user would run them.
import { expect } from "chai";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { AsyncApiClient, AsyncApiError, IDEMPOTENCY_KEY_PATTERN, type JobList, type WaitProgress } from "../../client/index";
import { startCloud, type CloudHandle } from "../support/localCloud";
import { rejection } from "./fakes";
import { tempDir } from "../support/tmp";

const ROOT = path.resolve(__dirname, "..", "..");
const BIN = path.join(ROOT, "client", "bin", "async-api.js");

interface TimerInput {
  seconds: number;
  fail?: boolean;
  resultBytes?: number;
}
interface TimerResult {
  message: string;
  padding?: string;
}

/** The variables the default credential chain reads, set for the test and restored after. */
const CREDENTIAL_ENV = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION"];

function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  // No `pulumi` on PATH (the npm wrapper would try to download the CLI): the CLI gets --url.
  env.PATH = path.dirname(process.execPath);
  delete env.ASYNC_API_URL;
  delete env.ASYNC_API_OUTPUTS;
  delete env.ASYNC_API_KEY;
  return env;
}

/** Runs `async-api ...` as a child process (stdout and stderr are pipes: not a TTY). */
function cli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env: cliEnv(options.env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("client against the local cloud", function () {
  this.timeout(120_000);
  let iam: CloudHandle;
  let apiKey: CloudHandle;
  const saved: Record<string, string | undefined> = {};

  before(async () => {
    for (const name of CREDENTIAL_ENV) saved[name] = process.env[name];
    // The default credential chain reads these (AWS_PROFILE would make it skip them).
    process.env.AWS_ACCESS_KEY_ID = "alice";
    process.env.AWS_SECRET_ACCESS_KEY = "test";
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    process.env.AWS_REGION = "eu-west-1"; // ignored for a loopback host: the local cloud signs in us-east-1
    [iam, apiKey] = await Promise.all([
      startCloud(["backend=lambda", "auth=iam", "jobTimeoutSeconds=5"]),
      startCloud(["backend=lambda", "auth=apiKey", "store=s3"]),
    ]);
  });

  after(async () => {
    await Promise.all([iam?.stop(), apiKey?.stop()]);
    for (const name of CREDENTIAL_ENV) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  const iamClient = () => new AsyncApiClient<TimerInput, TimerResult>({ apiUrl: iam.apiUrl, auth: { type: "iam" } });
  /** A SigV4 caller of its own: it owns no job yet. */
  const newCaller = (name: string) => {
    const accessKeyId = `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    return { accessKeyId, client: new AsyncApiClient<TimerInput, TimerResult>({ apiUrl: iam.apiUrl, auth: { type: "iam", credentials: { accessKeyId, secretAccessKey: "test" } } }) };
  };
  /** Submits one after the other (createdAt apart), and returns the ids oldest first. */
  async function submitInTurn(client: AsyncApiClient<TimerInput, TimerResult>, inputs: TimerInput[]): Promise<string[]> {
    const ids: string[] = [];
    for (const input of inputs) {
      ids.push((await client.submit(input)).jobId);
      await new Promise((r) => setTimeout(r, 5));
    }
    return ids;
  }

  describe("the library", () => {
    it("submit → wait → SUCCEEDED with the result (SigV4 from the default credential chain)", async () => {
      const client = iamClient();
      const submitted = await client.submit({ seconds: 1 });
      expect(submitted.status).to.equal("PENDING");
      expect(submitted.replayed).to.equal(false);
      expect(submitted.location).to.equal(`${iam.apiUrl}/jobs/${submitted.jobId}`);
      expect(submitted.retryAfterSeconds).to.be.a("number").and.at.least(0);
      expect(submitted.idempotencyKey).to.match(IDEMPOTENCY_KEY_PATTERN);
      expect(Date.parse(submitted.createdAt)).to.be.closeTo(Date.now(), 60_000);

      const progress: WaitProgress<TimerResult>[] = [];
      const job = await client.wait(submitted.jobId, { timeoutMs: 30_000, onProgress: (p) => progress.push(p) });
      expect(job.status).to.equal("SUCCEEDED");
      expect(job.result).to.deep.equal({ message: "Done after 1 seconds" });
      expect(progress[progress.length - 1].status).to.equal("SUCCEEDED");
      expect(progress.filter((p) => p.changed).map((p) => p.status)).to.include("SUCCEEDED");
      expect(progress.every((p, i) => i === 0 || p.elapsedMs >= progress[i - 1].elapsedMs)).to.equal(true);
    });

    it("an Idempotency-Key replays the same job", async () => {
      const client = iamClient();
      const key = `client-test-${Date.now()}`;
      const first = await client.submit({ seconds: 0 }, { idempotencyKey: key });
      const second = await client.submit({ seconds: 0 }, { idempotencyKey: key });
      expect(second.jobId).to.equal(first.jobId);
      expect(second.replayed).to.equal(true);
      const conflict = await rejection(client.submit({ seconds: 1 }, { idempotencyKey: key }));
      expect(conflict).to.include({ code: "IdempotencyConflict", status: 409 });
    });

    it("a failing job: wait returns it FAILED, waitForResult throws TimerFailed", async () => {
      const client = iamClient();
      const { jobId } = await client.submit({ seconds: 0, fail: true });
      const job = await client.wait(jobId, { timeoutMs: 30_000 });
      expect(job.status).to.equal("FAILED");
      expect(job.error?.code).to.equal("TimerFailed");
      const err = await rejection(client.waitForResult(jobId, { timeoutMs: 30_000 }));
      expect(err).to.be.instanceOf(AsyncApiError);
      expect(err).to.include({ code: "TimerFailed", jobId });
      expect(err.job.status).to.equal("FAILED");
    });

    it("a job past jobTimeoutSeconds: waitForResult throws TimedOut", async () => {
      const client = iamClient();
      const err = await rejection(client.run({ seconds: 30 }, { timeoutMs: 60_000 }));
      expect(err).to.include({ code: "TimedOut" });
      expect(err.job.status).to.equal("TIMED_OUT");
    });

    it("cancel: CANCELLED, wait returns it, waitForResult throws Cancelled, a second cancel is Conflict", async () => {
      const client = iamClient();
      const { jobId } = await client.submit({ seconds: 60 });
      expect(await client.cancel(jobId)).to.deep.equal({ jobId, status: "CANCELLED" });
      expect((await client.get(jobId)).status).to.equal("CANCELLED");
      expect((await client.wait(jobId, { timeoutMs: 10_000 })).status).to.equal("CANCELLED");
      expect(await rejection(client.waitForResult(jobId))).to.include({ code: "Cancelled", jobId });
      expect(await rejection(client.cancel(jobId))).to.include({ code: "Conflict", status: 409, jobId });
    });

    it("a 1 MiB result comes as resultUrl and wait downloads it transparently", async () => {
      const client = iamClient();
      const { jobId } = await client.submit({ seconds: 0, resultBytes: 1024 * 1024 });
      const job = await client.wait(jobId, { timeoutMs: 30_000 });
      expect(job.status).to.equal("SUCCEEDED");
      expect(job.resultUrl).to.be.a("string");
      expect(job.result?.message).to.equal("Done after 0 seconds");
      expect(JSON.stringify(job.result).length).to.be.within(1024 * 1024 - 1024, 1024 * 1024 + 1024);
      const raw = await client.get(jobId);
      expect(raw.result).to.equal(undefined);
      expect(raw.resultUrl).to.be.a("string");
    });

    it("another identity (explicit credentials) reads alice's job as NotFound; a wrong secret is Forbidden", async () => {
      const { jobId } = await iamClient().submit({ seconds: 0 });
      const bob = new AsyncApiClient({ apiUrl: iam.apiUrl, auth: { type: "iam", credentials: { accessKeyId: "bob", secretAccessKey: "test" } } });
      expect(await rejection(bob.get(jobId))).to.include({ code: "NotFound", status: 404, jobId });
      const forged = new AsyncApiClient({ apiUrl: iam.apiUrl, auth: { type: "iam", credentials: async () => ({ accessKeyId: "alice", secretAccessKey: "wrong" }) }, retries: 0 });
      expect(await rejection(forged.get(jobId))).to.include({ status: 403 });
      const unsigned = new AsyncApiClient({ apiUrl: iam.apiUrl, auth: { type: "none" }, retries: 0 });
      expect(await rejection(unsigned.submit({ seconds: 0 }))).to.include({ status: 403 });
    });

    it("an unknown id is NotFound; invalid input is ValidationError", async () => {
      const client = iamClient();
      expect(await rejection(client.get("00000000-0000-4000-8000-000000000000"))).to.include({ code: "NotFound", status: 404 });
      const invalid = await rejection(client.submit({ seconds: -1 }));
      expect(invalid).to.include({ code: "ValidationError", status: 400 });
      expect(invalid.message).to.include("seconds");
    });

    // CONTRACT.md, "GET {apiUrl}/jobs": the caller's jobs, newest first, page by page.
    it("list: a new caller's 3 jobs across pages of 2, newest first; the status filter (a signed comma list); no one else's", async () => {
      const { client } = newCaller("lister");
      const [a, b, c] = await submitInTurn(client, [{ seconds: 0 }, { seconds: 0, fail: true }, { seconds: 0 }]);
      const pages: JobList[] = [];
      for await (const page of client.list({ pageSize: 2 })) pages.push(page);
      expect(pages.length, JSON.stringify(pages)).to.be.at.least(2);
      expect(pages.every((p) => p.jobs.length <= 2)).to.equal(true);
      expect(pages.flatMap((p) => p.jobs.map((j) => j.jobId))).to.deep.equal([c, b, a]);
      expect(pages[pages.length - 1]).to.not.have.property("nextCursor");
      const listed = pages.flatMap((p) => p.jobs);
      expect(listed.every((j) => !("result" in j) && !("resultUrl" in j)), "no results in a list").to.equal(true);
      expect(listed.map((j) => Date.parse(j.createdAt))).to.deep.equal(listed.map((j) => Date.parse(j.createdAt)).sort((x, y) => y - x));

      for (const jobId of [a, b, c]) await client.wait(jobId, { timeoutMs: 30_000 });
      const ids = async (status: Parameters<typeof client.jobs>[0]) => {
        const out: string[] = [];
        for await (const job of client.jobs(status)) out.push(job.jobId);
        return out;
      };
      expect(await ids({ status: "FAILED" })).to.deep.equal([b]);
      expect(await ids({ status: ["SUCCEEDED", "FAILED"], pageSize: 1 })).to.deep.equal([c, b, a]);
      const failed = await client.listPage({ status: "FAILED" });
      expect(failed.jobs[0].error?.code).to.equal("TimerFailed");
      expect(await ids({ status: ["PENDING", "RUNNING"] })).to.deep.equal([]);

      expect(await ids({})).to.have.length(3);
      const { client: other } = newCaller("other");
      expect((await other.listPage()).jobs).to.deep.equal([]);
    });

    it("list: a cursor from another filter or caller, or a malformed one, is a 400 ValidationError", async () => {
      const { client } = newCaller("cursors");
      await submitInTurn(client, [{ seconds: 0 }, { seconds: 0 }]);
      const first = await client.listPage({ limit: 1 });
      expect(first.nextCursor).to.be.a("string");
      expect((await client.listPage({ limit: 1, cursor: first.nextCursor })).jobs).to.have.length(1);
      const { client: other } = newCaller("thief");
      const attempts = [() => client.listPage({ status: "FAILED", cursor: first.nextCursor }), () => other.listPage({ cursor: first.nextCursor }), () => client.listPage({ cursor: "not+a/cursor" })];
      for (const attempt of attempts) {
        const err = await rejection(attempt());
        expect(err).to.be.instanceOf(AsyncApiError);
        expect(err).to.include({ code: "ValidationError", status: 400 });
        expect(err.message).to.include("cursor");
      }
    });

    it("list on auth apiKey and store s3: the jobs just submitted are the newest", async () => {
      const client = new AsyncApiClient<TimerInput, TimerResult>({ apiUrl: apiKey.apiUrl, auth: { type: "apiKey", key: apiKey.outputs.apiKey } });
      const submitted = await submitInTurn(client, [{ seconds: 0 }, { seconds: 0 }, { seconds: 0 }]);
      const newest: string[] = [];
      for await (const job of client.jobs({ pageSize: 1 })) {
        newest.push(job.jobId);
        if (newest.length === 3) break;
      }
      expect(newest).to.deep.equal([...submitted].reverse());
    });

    it("auth apiKey: the key works, a wrong key is Forbidden", async () => {
      const client = new AsyncApiClient<TimerInput, TimerResult>({ apiUrl: apiKey.apiUrl, auth: { type: "apiKey", key: apiKey.outputs.apiKey } });
      expect(await client.run({ seconds: 0 }, { timeoutMs: 30_000 })).to.deep.equal({ message: "Done after 0 seconds" });
      const wrong = new AsyncApiClient({ apiUrl: apiKey.apiUrl, auth: { type: "apiKey", key: "not-the-key" }, retries: 0 });
      expect(await rejection(wrong.submit({ seconds: 0 }))).to.include({ code: "Forbidden", status: 403 });
    });
  });

  describe("the CLI (a child process, not a TTY)", () => {
    const url = () => ["--url", iam.apiUrl];
    const creds = { AWS_ACCESS_KEY_ID: "alice", AWS_SECRET_ACCESS_KEY: "test" };

    it("submit --wait prints one status line per change and exits 0 with the result", async () => {
      const res = await cli(["submit", '{"seconds": 1}', "--wait", ...url()], { env: creds });
      expect(res.code, res.stderr).to.equal(0);
      expect(res.stderr).to.not.include("\r");
      const lines = res.stderr.trim().split("\n");
      expect(lines[0]).to.match(/^submitted job [\w-]+$/);
      const jobId = lines[0].split(" ")[2];
      const statuses = lines.slice(1).map((l) => l.split(" "));
      expect(statuses.every(([id, , elapsed]) => id === jobId && /^\d+\.\ds$/.test(elapsed))).to.equal(true);
      expect(statuses[statuses.length - 1][1]).to.equal("SUCCEEDED");
      expect(new Set(statuses.map((s) => s[1])).size).to.equal(statuses.length); // one line per change
      expect(res.stdout).to.include(`job       ${jobId}`).and.include("status    SUCCEEDED").and.include('"message": "Done after 1 seconds"');
    });

    it("--json prints one JSON document: the finished job with its result", async () => {
      const res = await cli(["submit", '{"seconds": 0}', "--wait", "--json", ...url()], { env: creds });
      expect(res.code, res.stderr).to.equal(0);
      const job = JSON.parse(res.stdout);
      expect(job).to.include({ status: "SUCCEEDED" });
      expect(job.result).to.deep.equal({ message: "Done after 0 seconds" });
    });

    it("a failing job exits 1 and prints its error", async () => {
      const res = await cli(["submit", '{"seconds": 0, "fail": true}', "--wait", ...url()], { env: creds });
      expect(res.code).to.equal(1);
      expect(res.stderr).to.match(/FAILED: TimerFailed: /);
      expect(res.stdout).to.include("status    FAILED");
    });

    it("submit, status, cancel, then wait exits 3 (CANCELLED)", async () => {
      // On the apiKey stack (jobTimeoutSeconds 900): four CLI processes can take longer than the iam stack's 5 s timeout under load.
      const keyed = () => ["--url", apiKey.apiUrl, "--api-key", String(apiKey.outputs.apiKey)];
      const submitted = await cli(["submit", '{"seconds": 60}', "--json", "--idempotency-key", `cli-${Date.now()}`, ...keyed()], { env: creds });
      expect(submitted.code, submitted.stderr).to.equal(0);
      const { jobId, status, location } = JSON.parse(submitted.stdout);
      expect(status).to.equal("PENDING");
      expect(location).to.equal(`${apiKey.apiUrl}/jobs/${jobId}`);

      const shown = await cli(["status", jobId, "--json", ...keyed()], { env: creds });
      expect(shown.code, shown.stderr).to.equal(0);
      expect(JSON.parse(shown.stdout).status).to.be.oneOf(["PENDING", "RUNNING"]);

      const cancelled = await cli(["cancel", jobId, ...keyed()], { env: creds });
      expect(cancelled.code, cancelled.stderr).to.equal(0);
      expect(cancelled.stdout).to.equal(`job ${jobId} CANCELLED\n`);

      const human = await cli(["status", jobId, ...keyed()], { env: creds });
      expect(human.stdout).to.include("status    CANCELLED");

      const waited = await cli(["wait", jobId, ...keyed()], { env: creds });
      expect(waited.code).to.equal(3);

      const again = await cli(["cancel", jobId, ...keyed()], { env: creds });
      expect(again.code).to.equal(4);
      expect(again.stderr).to.include("Conflict (HTTP 409)");
    });

    it("an unknown id exits 4 with the NotFound error (and the error as JSON with --json)", async () => {
      const res = await cli(["status", "no-such-job", ...url()], { env: creds });
      expect(res.code).to.equal(4);
      expect(res.stderr).to.include("NotFound (HTTP 404)");
      const json = await cli(["wait", "no-such-job", "--json", ...url()], { env: creds });
      expect(json.code).to.equal(4);
      expect(JSON.parse(json.stdout)).to.deep.include({ error: { code: "NotFound", message: JSON.parse(json.stdout).error.message }, status: 404, jobId: "no-such-job" });
    });

    it("another identity's job is NotFound (the credentials come from the environment)", async () => {
      const submitted = JSON.parse((await cli(["submit", '{"seconds": 0}', "--json", ...url()], { env: creds })).stdout);
      const bob = await cli(["status", submitted.jobId, ...url()], { env: { AWS_ACCESS_KEY_ID: "bob", AWS_SECRET_ACCESS_KEY: "test" } });
      expect(bob.code).to.equal(4);
      expect(bob.stderr).to.include("NotFound");
    });

    it("reads apiUrl, auth and apiKey from --outputs (the file `npm start -- --outputs` writes)", async () => {
      const dir = tempDir("async-api-cli-");
      const file = path.join(dir, "outputs.json");
      fs.writeFileSync(file, JSON.stringify(apiKey.outputs));
      const res = await cli(["submit", '{"seconds": 0}', "--wait", "--json", "--outputs", file]);
      expect(res.code, res.stderr).to.equal(0);
      expect(JSON.parse(res.stdout).status).to.equal("SUCCEEDED");
      // .async-api/outputs.json in the working directory is the default
      fs.mkdirSync(path.join(dir, ".async-api"));
      fs.renameSync(file, path.join(dir, ".async-api", "outputs.json"));
      const byDefault = await cli(["submit", '{"seconds": 0}', "--json"], { cwd: dir });
      expect(byDefault.code, byDefault.stderr).to.equal(0);
      expect(JSON.parse(byDefault.stdout).status).to.equal("PENDING");
      const wrongKey = await cli(["submit", '{"seconds": 0}', "--api-key", "nope"], { cwd: dir });
      expect(wrongKey.code).to.equal(4);
      expect(wrongKey.stderr).to.include("Forbidden");
    });

    it("list prints the caller's jobs as a table, --json as {jobs}, --limit and --status over the signed query", async () => {
      const { client, accessKeyId } = newCaller("cli");
      const [a, b] = await submitInTurn(client, [{ seconds: 0 }, { seconds: 0, fail: true }]);
      for (const jobId of [a, b]) await client.wait(jobId, { timeoutMs: 30_000 });
      const env = { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: "test" };

      const table = await cli(["list", ...url()], { env });
      expect(table.code, table.stderr).to.equal(0);
      const lines = table.stdout.trimEnd().split("\n");
      expect(lines[0]).to.match(/^JOB +STATUS +CREATED +PROGRESS +ERROR$/);
      expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2))).to.deep.equal([
        [b, "FAILED"],
        [a, "SUCCEEDED"],
      ]);
      expect(lines[1]).to.match(/TimerFailed$/);

      const limited = await cli(["list", "--limit", "1", "--json", ...url()], { env });
      expect(limited.code, limited.stderr).to.equal(0);
      expect(JSON.parse(limited.stdout).jobs.map((j: { jobId: string }) => j.jobId)).to.deep.equal([b]);
      expect(limited.stderr).to.include("there may be more");

      const filtered = await cli(["list", "--status", "SUCCEEDED,FAILED", "--json", ...url()], { env });
      expect(filtered.code, filtered.stderr).to.equal(0);
      expect(JSON.parse(filtered.stdout).jobs.map((j: { jobId: string }) => j.jobId)).to.deep.equal([b, a]);

      const bad = await cli(["list", "--status", "NOPE", ...url()], { env });
      expect(bad.code).to.equal(4);
      expect(bad.stderr).to.include("'NOPE' is not one");
    });

    it("with no URL anywhere, exits 4 and says to pass --url", async () => {
      const dir = tempDir("async-api-cli-");
      const res = await cli(["status", "x"], { cwd: dir });
      expect(res.code).to.equal(4);
      expect(res.stderr).to.include("--url").and.include("npm start -- --outputs .async-api/outputs.json");
    });

    it("bad input exits 4 before any request", async () => {
      const res = await cli(["submit", "{seconds: 1}", ...url()], { env: creds });
      expect(res.code).to.equal(4);
      expect(res.stderr).to.include("not JSON");
      const invalid = await cli(["submit", '{"seconds": "soon"}', ...url()], { env: creds });
      expect(invalid.code).to.equal(4);
      expect(invalid.stderr).to.include("ValidationError (HTTP 400)");
    });
  });
});
