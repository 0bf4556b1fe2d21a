// The CLI in-process: argument parsing, where the URL and auth come from, and progress on a TTY,
// against a tiny scripted HTTP server. (tests/client/localCloud.test.ts runs it as a real process.)
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import { EXIT, USAGE, jobTable, main, parseArgs, progressText, resolveTarget, type CliIo } from "../../client/cli";
import type { JobStatus, JobSummary } from "../../client/index";
import { tempDir } from "../support/tmp";
import { gitPath } from "../support/tools";

function fakeIo(options: { tty?: boolean; env?: NodeJS.ProcessEnv; cwd?: string; stackOutputs?: (args: string[]) => string; stdin?: string } = {}) {
  const out = { stdout: "", stderr: "", pulumiCalls: [] as string[][] };
  const io: CliIo = {
    stdout: { write: (t: string) => (out.stdout += t), isTTY: false },
    stderr: { write: (t: string) => (out.stderr += t), isTTY: options.tty ?? false },
    env: options.env ?? {},
    cwd: options.cwd ?? tempDir("async-api-cli-unit-"),
    readStdin: async () => options.stdin ?? "",
    stackOutputs: (args) => {
      out.pulumiCalls.push(args);
      if (!options.stackOutputs) throw new Error("error: no Pulumi.yaml project file found");
      return options.stackOutputs(args);
    },
  };
  return { io, out };
}

/** A scripted API: POST → 202; GET → RUNNING `runningPolls` times (Retry-After: 0), then SUCCEEDED. */
async function fakeApi(options: { runningPolls?: number; finalStatus?: string; progress?: boolean } = {}) {
  const requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  let polls = 0;
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(JSON.stringify(payload));
      };
      const base = { jobId: "j1", createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T00:00:01.000Z" };
      if (req.method === "POST") return send(202, { jobId: "j1", status: "PENDING", createdAt: base.createdAt }, { Location: `http://x/v1/jobs/j1`, "Retry-After": "0" });
      // A plain GET or a long poll (?wait=N): this API answers at once either way.
      if (req.method === "GET" && req.url!.split("?")[0] === "/v1/jobs/j1") {
        polls++;
        const progress = options.progress ? { progress: { percent: polls * 30, message: `step ${polls}`, updatedAt: base.updatedAt } } : {};
        if (polls <= (options.runningPolls ?? 2)) return send(200, { ...base, status: "RUNNING", ...progress }, { "Retry-After": "0" });
        const status = options.finalStatus ?? "SUCCEEDED";
        return send(200, { ...base, status, ...(status === "SUCCEEDED" ? { result: { ok: true } } : status === "CANCELLED" ? {} : { error: { code: "Boom", message: "it broke" } }) });
      }
      send(404, { error: { code: "NotFound", message: "No such job." } });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return { url, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** n jobs, newest first: every third FAILED, the rest SUCCEEDED; the newest one RUNNING with progress. */
function listedJobs(n: number): JobSummary[] {
  return Array.from({ length: n }, (_, i) => {
    const createdAt = new Date(Date.UTC(2026, 0, 1, 0, 0, n - i)).toISOString();
    const status: JobStatus = i === 0 ? "RUNNING" : i % 3 === 0 ? "FAILED" : "SUCCEEDED";
    return {
      jobId: `job-${String(n - i).padStart(2, "0")}`,
      status,
      createdAt,
      updatedAt: createdAt,
      ...(status === "RUNNING" ? { progress: { percent: 40, message: "step 2 of 5", updatedAt: createdAt } } : {}),
      ...(status === "FAILED" ? { error: { code: "TimerFailed", message: "Failed on purpose" } } : {}),
    };
  });
}

/**
 * A scripted GET /jobs over `jobs` (newest first): filters by `status`, pages by `limit` but never
 * more than `maxPage` jobs a page (a short page with a cursor), cursors `o_<offset>-<filter>`.
 */
async function fakeListApi(jobs: JobSummary[], options: { maxPage?: number; answer?: { status: number; body: unknown } } = {}) {
  const requests: URL[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, "http://x");
    requests.push(url);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (options.answer) return send(options.answer.status, options.answer.body);
    if (req.method !== "GET" || url.pathname !== "/v1/jobs") return send(404, { error: { code: "NotFound", message: "No such route." } });
    const filter = url.searchParams.get("status");
    const matching = filter ? jobs.filter((j) => filter.split(",").includes(j.status)) : jobs;
    const offset = Number(/^o_(\d+)-/.exec(url.searchParams.get("cursor") ?? "o_0-")?.[1]);
    const limit = Math.min(Number(url.searchParams.get("limit") ?? 20), options.maxPage ?? 100);
    const end = offset + limit;
    send(200, { jobs: matching.slice(offset, end), ...(end < matching.length ? { nextCursor: `o_${end}-${filter ?? "all"}` } : {}) });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return { url, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("client CLI (in-process)", () => {
  describe("the async-api bin", () => {
    const root = path.resolve(__dirname, "..", "..");
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { bin?: Record<string, string> };

    it("package.json's bin points at an executable shim that loads client/cli.ts here, and the compiled CLI where the client is installed", () => {
      const shim = pkg.bin?.["async-api"];
      expect(shim).to.equal("client/bin/async-api.js");
      const text = fs.readFileSync(path.join(root, shim!), "utf8");
      expect(text.startsWith("#!/usr/bin/env node\n")).to.equal(true);
      expect(text).to.include('"scripts", "register-ts.js"').and.include("../cli.ts").and.include("../dist/cli.js");
    });

    it("the shim is not git-ignored (a clone must have it)", () => {
      // Asked of a scratch repository holding only .gitignore, so it holds in a tarball too.
      const scratch = tempDir("async-api-gitignore-");
      try {
        fs.copyFileSync(path.join(root, ".gitignore"), path.join(scratch, ".gitignore"));
        const init = spawnSync(gitPath(), ["init", "-q"], { cwd: scratch, encoding: "utf8" });
        expect(init.status, init.stderr).to.equal(0);
        const git = spawnSync(gitPath(), ["check-ignore", "--no-index", "-v", pkg.bin!["async-api"]], { cwd: scratch, encoding: "utf8" });
        expect(git.status, git.stderr).to.be.oneOf([0, 1]); // 0: ignored, 1: not ignored
        expect(git.stdout.trim(), "fix .gitignore: 'bin/' ignores client/bin/; use '/bin/'").to.equal("");
      } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
      }
    });
  });

  describe("parseArgs", () => {
    it("reads the command, its arguments and every option, in either --flag value or --flag=value form", () => {
      const o = parseArgs(["submit", '{"seconds":1}', "--wait", "--idempotency-key=k1", "--url", "http://h/v1", "--auth", "apiKey", "--api-key", "K", "--timeout", "2.5", "--retries=0", "--json", "--quiet", "--region", "eu-west-1", "--stack", "prod", "--outputs", "o.json"]);
      expect(o).to.deep.include({ command: "submit", args: ['{"seconds":1}'], wait: true, idempotencyKey: "k1", url: "http://h/v1", auth: "apiKey", apiKey: "K", timeoutSeconds: 2.5, retries: 0, json: true, quiet: true, region: "eu-west-1", stack: "prod", outputs: "o.json" });
    });

    it("rejects unknown options, missing values and bad numbers", () => {
      expect(() => parseArgs(["status", "x", "--nope"])).to.throw(/unknown option '--nope'/);
      expect(() => parseArgs(["status", "x", "--url"])).to.throw(/--url needs a value/);
      expect(() => parseArgs(["wait", "x", "--timeout", "soon"])).to.throw(/--timeout/);
      expect(() => parseArgs(["wait", "x", "--retries", "1.5"])).to.throw(/integer/);
    });
  });

  describe("main: usage and errors", () => {
    it("--help prints the usage and exits 0", async () => {
      const { io, out } = fakeIo();
      expect(await main(["--help"], io)).to.equal(EXIT.OK);
      expect(out.stdout).to.equal(`${USAGE}\n`);
      expect(USAGE).to.include("submit").and.include("status").and.include("wait").and.include("cancel").and.include("list").and.include("--limit").and.include("--json");
    });

    it("usage errors exit 4 without a request", async () => {
      for (const argv of [[], ["frobnicate"], ["status"], ["status", "a", "b"], ["submit"], ["wait", "x", "--wait"], ["submit", "{nope", "--url", "http://127.0.0.1:9/v1"]]) {
        const { io, out } = fakeIo();
        expect(await main(argv, io), argv.join(" ")).to.equal(EXIT.ERROR);
        expect(out.stderr, argv.join(" ")).to.match(/^async-api: /);
        expect(out.pulumiCalls, argv.join(" ")).to.deep.equal([]);
      }
    });

    it("a transport error exits 4 and names the code", async () => {
      const { io, out } = fakeIo();
      // Port 9 (discard) on loopback: connection refused.
      expect(await main(["status", "x", "--url", "http://127.0.0.1:9/v1", "--auth", "none", "--retries", "0"], io)).to.equal(EXIT.ERROR);
      expect(out.stderr).to.include("NetworkError");
    });
  });

  describe("list", () => {
    const run = async (argv: string[], api: { url: string }) => {
      const { io, out } = fakeIo();
      const code = await main(["list", ...argv, "--url", api.url, "--auth", "none"], io);
      return { code, ...out };
    };

    it("prints a table, newest first: id, status, created, progress and error code; 20 jobs by default", async () => {
      const jobs = listedJobs(4);
      const api = await fakeListApi(jobs);
      try {
        const { code, stdout, stderr } = await run([], api);
        expect(code, stderr).to.equal(EXIT.OK);
        const lines = stdout.trimEnd().split("\n");
        expect(lines[0].split(/\s{2,}/)).to.deep.equal(["JOB", "STATUS", "CREATED", "PROGRESS", "ERROR"]);
        expect(lines.slice(1).map((l) => l.split(/\s{2,}/))).to.deep.equal([
          ["job-04", "RUNNING", "2026-01-01T00:00:04.000Z", "[####......] 40% step 2 of 5"],
          ["job-03", "SUCCEEDED", "2026-01-01T00:00:03.000Z"],
          ["job-02", "SUCCEEDED", "2026-01-01T00:00:02.000Z"],
          ["job-01", "FAILED", "2026-01-01T00:00:01.000Z", "TimerFailed"],
        ]);
        // Columns line up: every status starts where the header's does.
        expect(new Set(lines.map((l) => l.search(/STATUS|RUNNING|SUCCEEDED|FAILED/))).size).to.equal(1);
        expect(api.requests.map((u) => u.search)).to.deep.equal(["?limit=20"]);
        expect(stderr).to.equal("");
      } finally {
        await api.close();
      }
    });

    it("--json prints one document {jobs: [...]} with the jobs as the API gave them", async () => {
      const jobs = listedJobs(3);
      const api = await fakeListApi(jobs);
      try {
        const { code, stdout } = await run(["--json"], api);
        expect(code).to.equal(EXIT.OK);
        expect(JSON.parse(stdout)).to.deep.equal({ jobs });
      } finally {
        await api.close();
      }
    });

    it("--limit N reads pages (of at most N, following short pages) until N jobs, and says when there may be more", async () => {
      const jobs = listedJobs(12);
      const api = await fakeListApi(jobs, { maxPage: 2 });
      try {
        const { code, stdout, stderr } = await run(["--limit", "5", "--json"], api);
        expect(code).to.equal(EXIT.OK);
        expect(JSON.parse(stdout).jobs.map((j: { jobId: string }) => j.jobId)).to.deep.equal(["job-12", "job-11", "job-10", "job-09", "job-08"]);
        expect(api.requests.map((u) => Object.fromEntries(u.searchParams))).to.deep.equal([{ limit: "5" }, { limit: "5", cursor: "o_2-all" }, { limit: "5", cursor: "o_4-all" }]);
        expect(stderr).to.include("there may be more");

        const all = await run(["--limit=200"], api);
        expect(all.code).to.equal(EXIT.OK);
        expect(all.stdout.trimEnd().split("\n")).to.have.length(1 + 12);
        expect(all.stderr).to.equal("");
        expect(api.requests.slice(3).every((u) => u.searchParams.get("limit") === "100")).to.equal(true);
      } finally {
        await api.close();
      }
    });

    it("--status takes one status or a comma list, in any case, sent as one comma list", async () => {
      const api = await fakeListApi(listedJobs(7));
      try {
        const { code, stdout } = await run(["--status", "failed,Running", "--json"], api);
        expect(code).to.equal(EXIT.OK);
        expect(api.requests[0].searchParams.get("status")).to.equal("FAILED,RUNNING");
        expect(JSON.parse(stdout).jobs.map((j: { status: string }) => j.status)).to.deep.equal(["RUNNING", "FAILED", "FAILED"]);
        const none = await run(["--status", "CANCELLED"], api);
        expect(none.stdout).to.equal("no jobs in CANCELLED\n");
      } finally {
        await api.close();
      }
    });

    it("a bad --limit or --status, an argument, or list's options on another command exit 4 before any request", async () => {
      const api = await fakeListApi(listedJobs(3));
      try {
        const cases: Array<[string[], RegExp]> = [
          [["list", "--limit", "0"], /--limit takes an integer >= 1, got '0'/],
          [["list", "--limit", "abc"], /--limit takes an integer >= 1, got 'abc'/],
          [["list", "--limit", "2.5"], /--limit takes an integer >= 1/],
          [["list", "--status", "NOPE"], /--status takes one or more of PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED, TIMED_OUT .*'NOPE' is not one/],
          [["list", "--status", "FAILED,"], /'' is not one/],
          [["list", "FAILED"], /list takes no argument/],
          [["status", "j1", "--limit", "2"], /--status and --limit go with list, not status/],
        ];
        for (const [argv, message] of cases) {
          const { io, out } = fakeIo();
          expect(await main([...argv, "--url", api.url, "--auth", "none"], io), argv.join(" ")).to.equal(EXIT.ERROR);
          expect(out.stderr, argv.join(" ")).to.match(message);
          expect(out.stdout).to.equal("");
        }
        expect(api.requests).to.deep.equal([]);
      } finally {
        await api.close();
      }
    });

    it("the API's 400 ValidationError exits 4 with its code and message", async () => {
      const api = await fakeListApi([], { answer: { status: 400, body: { error: { code: "ValidationError", message: "status: unknown status 'PAUSED'" } } } });
      try {
        const { code, stderr, stdout } = await run(["--json"], api);
        expect(code).to.equal(EXIT.ERROR);
        expect(stderr).to.include("ValidationError (HTTP 400): status: unknown status 'PAUSED'");
        expect(JSON.parse(stdout)).to.deep.include({ error: { code: "ValidationError", message: "status: unknown status 'PAUSED'" }, status: 400 });
      } finally {
        await api.close();
      }
    });

    it("jobTable keeps control characters of an error code out of the terminal", () => {
      const [failed] = listedJobs(4).slice(3);
      const table = jobTable([{ ...failed, error: { code: "Bad\x1b[31mCode\n", message: "m" } }]);
      expect(table.split("\n")[1]).to.match(/ Bad \[31mCode$/);
    });
  });

  describe("resolveTarget: where the URL and auth come from", () => {
    const opts = (argv: string[]) => parseArgs(["status", "x", ...argv]);

    it("--url alone: iam by default, apiKey with --api-key, --auth wins", () => {
      const { io } = fakeIo();
      expect(resolveTarget(opts(["--url", "http://a/v1"]), io)).to.deep.equal({ apiUrl: "http://a/v1", auth: { type: "iam" }, source: "--url" });
      expect(resolveTarget(opts(["--url", "http://a/v1", "--api-key", "K"]), io).auth).to.deep.equal({ type: "apiKey", key: "K" });
      expect(resolveTarget(opts(["--url", "http://a/v1", "--auth", "none"]), io).auth).to.deep.equal({ type: "none" });
      expect(resolveTarget(opts(["--url", "http://a/v1", "--region", "eu-west-1"]), io).auth).to.deep.equal({ type: "iam", region: "eu-west-1" });
      expect(() => resolveTarget(opts(["--url", "http://a/v1", "--auth", "oauth"]), io)).to.throw(/iam, apiKey or none/);
      expect(() => resolveTarget(opts(["--url", "http://a/v1", "--auth", "apiKey"]), io)).to.throw(/--api-key/);
    });

    it("then ASYNC_API_URL, then an outputs file (--outputs, ASYNC_API_OUTPUTS, .async-api/outputs.json)", () => {
      const { io } = fakeIo({ env: { ASYNC_API_URL: "http://env/v1", ASYNC_API_KEY: "EK" } });
      expect(resolveTarget(opts(["--auth", "apiKey"]), io)).to.deep.equal({ apiUrl: "http://env/v1", auth: { type: "apiKey", key: "EK" }, source: "ASYNC_API_URL" });

      const dir = tempDir("async-api-cli-unit-");
      fs.mkdirSync(path.join(dir, ".async-api"));
      fs.writeFileSync(path.join(dir, ".async-api", "outputs.json"), JSON.stringify({ apiUrl: "http://default/v1", auth: "apiKey", apiKey: "DK" }));
      fs.writeFileSync(path.join(dir, "other.json"), JSON.stringify({ apiUrl: "http://other/v1", auth: "none" }));
      const local = fakeIo({ cwd: dir });
      expect(resolveTarget(opts([]), local.io)).to.deep.equal({ apiUrl: "http://default/v1", auth: { type: "apiKey", key: "DK" }, source: path.join(".async-api", "outputs.json") });
      expect(resolveTarget(opts(["--outputs", "other.json"]), local.io)).to.deep.include({ apiUrl: "http://other/v1", auth: { type: "none" } });
      const viaEnv = fakeIo({ cwd: dir, env: { ASYNC_API_OUTPUTS: "other.json" } });
      expect(resolveTarget(opts([]), viaEnv.io).apiUrl).to.equal("http://other/v1");
      expect(local.out.pulumiCalls).to.deep.equal([]);
      expect(() => resolveTarget(opts(["--outputs", "missing.json"]), local.io)).to.throw(/cannot read the outputs file/);
    });

    it("then `pulumi stack output --json` (asking for secrets only for an apiKey stack)", () => {
      const { io, out } = fakeIo({
        stackOutputs: (args) => JSON.stringify({ apiUrl: "https://abc.execute-api.eu-west-1.amazonaws.com/v1", auth: "apiKey", apiKey: args.includes("--show-secrets") ? "SECRET" : "[secret]" }),
      });
      expect(resolveTarget(opts(["--stack", "prod"]), io)).to.deep.equal({
        apiUrl: "https://abc.execute-api.eu-west-1.amazonaws.com/v1",
        auth: { type: "apiKey", key: "SECRET" },
        source: "pulumi stack output",
      });
      expect(out.pulumiCalls).to.deep.equal([
        ["stack", "output", "--json", "--stack", "prod"],
        ["stack", "output", "--json", "--stack", "prod", "--show-secrets"],
      ]);
    });

    it("says to pass --url when pulumi fails", async () => {
      const { io, out } = fakeIo();
      expect(await main(["status", "x"], io)).to.equal(EXIT.ERROR);
      expect(out.pulumiCalls).to.have.length(1);
      expect(out.stderr).to.include("no Pulumi.yaml project file found").and.include("Pass --url URL").and.include("npm start -- --outputs .async-api/outputs.json");
    });
  });

  describe("progress and exit codes (scripted API)", () => {
    it("on a TTY, one line redrawn in place with \\r, ended by a newline; the result on stdout", async () => {
      const api = await fakeApi({ runningPolls: 3 });
      try {
        const { io, out } = fakeIo({ tty: true });
        expect(await main(["submit", '{"seconds":1}', "--wait", "--url", api.url, "--auth", "none"], io)).to.equal(EXIT.OK);
        const redraws = out.stderr.split("\r\x1b[2K").slice(1);
        expect(redraws.length).to.be.at.least(2);
        expect(redraws.slice(0, -1).every((r) => !r.includes("\n"))).to.equal(true);
        expect(redraws[0]).to.match(/^j1 RUNNING \d+\.\ds/);
        expect(redraws[redraws.length - 1]).to.match(/^j1 SUCCEEDED \d+\.\ds\n$/);
        expect(out.stdout).to.include("status    SUCCEEDED").and.include('"ok": true');
        expect(api.requests[0].headers["idempotency-key"]).to.match(/^[A-Za-z0-9_-]{1,64}$/);
      } finally {
        await api.close();
      }
    });

    // CONTRACT.md, "Progress": the CLI shows the percent (a bar) and the message while it waits.
    it("shows the job's progress, a bar with the percent and the message, on each change", async () => {
      const api = await fakeApi({ runningPolls: 2, progress: true });
      try {
        const { io, out } = fakeIo();
        expect(await main(["wait", "j1", "--url", api.url, "--auth", "none"], io)).to.equal(EXIT.OK);
        const lines = out.stderr.trim().split("\n").map((l) => l.replace(/ \d+\.\ds/, ""));
        expect(lines).to.deep.equal(["j1 RUNNING [###.......] 30% step 1", "j1 RUNNING [######....] 60% step 2", "j1 SUCCEEDED"]);
      } finally {
        await api.close();
      }
    });

    it("draws progress as bounded text: the percent clamped, control characters out of the message", () => {
      expect(progressText({ percent: 140, message: "a\nb\x1b[31m", updatedAt: "t" })).to.equal("[##########] 140% a b [31m");
      expect(progressText({ message: "only words", updatedAt: "t" })).to.equal("only words");
      expect(progressText(undefined)).to.equal("");
    });

    it("not on a TTY, one plain line per status change", async () => {
      const api = await fakeApi({ runningPolls: 3 });
      try {
        const { io, out } = fakeIo();
        expect(await main(["wait", "j1", "--url", api.url, "--auth", "none"], io)).to.equal(EXIT.OK);
        expect(out.stderr).to.not.include("\r");
        expect(out.stderr.trim().split("\n").map((l) => l.replace(/ \d+\.\ds$/, ""))).to.deep.equal(["j1 RUNNING", "j1 SUCCEEDED"]);
      } finally {
        await api.close();
      }
    });

    it("exit codes: FAILED 1, TIMED_OUT 2, CANCELLED 3, --timeout 5; --quiet prints no progress", async () => {
      const cases: Array<[string, number]> = [
        ["FAILED", EXIT.FAILED],
        ["TIMED_OUT", EXIT.TIMED_OUT],
        ["CANCELLED", EXIT.CANCELLED],
      ];
      for (const [status, code] of cases) {
        const api = await fakeApi({ runningPolls: 0, finalStatus: status });
        try {
          const { io, out } = fakeIo();
          expect(await main(["wait", "j1", "--url", api.url, "--auth", "none", "--quiet"], io), status).to.equal(code);
          expect(out.stderr).to.match(new RegExp(`^async-api: job j1 ${status}: `));
        } finally {
          await api.close();
        }
      }
      const slow = await fakeApi({ runningPolls: 1000 });
      try {
        const { io, out } = fakeIo();
        expect(await main(["wait", "j1", "--url", slow.url, "--auth", "none", "--timeout", "0.3", "--json"], io)).to.equal(EXIT.WAIT_TIMEOUT);
        expect(JSON.parse(out.stdout).error.code).to.equal("WaitTimeout");
      } finally {
        await slow.close();
      }
    });

    it("submit reads its input from stdin ('-') and @file, and --json prints the submit result", async () => {
      const api = await fakeApi();
      try {
        const { io, out } = fakeIo({ stdin: '{"seconds": 3}' });
        expect(await main(["submit", "-", "--json", "--url", api.url, "--auth", "none", "--idempotency-key", "k-1"], io)).to.equal(EXIT.OK);
        expect(JSON.parse(out.stdout)).to.deep.include({ jobId: "j1", status: "PENDING", replayed: false, idempotencyKey: "k-1" });
        expect(api.requests[0].body).to.equal('{"seconds":3}');
        const file = path.join(io.cwd, "input.json");
        fs.writeFileSync(file, '{"seconds": 4}');
        const second = fakeIo({ cwd: io.cwd });
        expect(await main(["submit", "@input.json", "--url", api.url, "--auth", "none"], second.io)).to.equal(EXIT.OK);
        expect(api.requests[1].body).to.equal('{"seconds":4}');
        expect(api.requests[1].headers["callback-url"], "no Callback-Url unless asked").to.equal(undefined);
        expect(second.out.stdout).to.include("job       j1").and.include("follow it: async-api wait j1");
        // --callback-url: the webhook's Callback-Url header; only on submit.
        const third = fakeIo({ cwd: io.cwd });
        expect(await main(["submit", "@input.json", "--url", api.url, "--auth", "none", "--callback-url", "https://hooks.example.com/h"], third.io)).to.equal(EXIT.OK);
        expect(api.requests[2].headers["callback-url"]).to.equal("https://hooks.example.com/h");
        expect(await main(["status", "j1", "--url", api.url, "--auth", "none", "--callback-url", "https://x.example.com/"], fakeIo().io)).to.equal(EXIT.ERROR);
      } finally {
        await api.close();
      }
    });
  });
});
