// `async-api listen` (client/listen.ts, client/cli.ts): the local webhook receiver. In-process for
// what it answers and prints, and as a real process for the command's life: started, fed, stopped
// by SIGINT or SIGTERM.
import { expect } from "chai";
import { spawn, spawnSync, type ChildProcess } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import { EXIT, USAGE, main, parseArgs, type CliIo } from "../../client/cli";
import { signWebhook, type WebhookEvent } from "../../client/index";
import { MAX_WEBHOOK_BODY_BYTES, deliveryLine, startWebhookListener, type WebhookListener } from "../../client/listen";
import { tempDir } from "../support/tmp";

const ROOT = path.resolve(__dirname, "..", "..");
const BIN = path.join(ROOT, "client", "bin", "async-api.js");
const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const OTHER_SECRET = `whsec_${randomBytes(32).toString("base64")}`;

const EVENT: WebhookEvent = {
  type: "job.failed",
  timestamp: "2026-01-01T12:00:00.000Z",
  data: { jobId: "job-1", status: "FAILED", createdAt: "2026-01-01T11:59:00.000Z", updatedAt: "2026-01-01T12:00:00.000Z", error: { code: "TimerFailed", message: "Failed on purpose" } },
};
const BODY = JSON.stringify(EVENT);

/** A delivery of `body` signed with `secret` now, as the stack sends it. */
function signed(secret = SECRET, id = "msg_1", body = BODY): Record<string, string> {
  return { ...signWebhook(secret, id, Math.floor(Date.now() / 1000), body), "content-type": "application/json" };
}

/** One request on a fresh connection (no keep-alive left open): the status and the body. */
function request(url: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? "POST", headers: options.headers ?? {}, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Waits until `check` holds (polling), or fails with `what`. */
async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) expect.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function captured() {
  const out = { stdout: "", stderr: "" };
  return { out, stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) } };
}

/** A CliIo whose `listen` runs until `stop` is called; `waiting()` once it listens and waits for that. */
function fakeIo(options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  const { out, stdout, stderr } = captured();
  let stop: (signal: string) => void = () => expect.fail("listen never waited to be stopped");
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  let waiting = false;
  const io: CliIo = {
    stdout,
    stderr,
    env: options.env ?? {},
    cwd: options.cwd ?? tempDir("async-api-listen-"),
    readStdin: async () => "",
    stackOutputs: () => expect.fail("listen must not call pulumi"),
    untilStopped: () => {
      waiting = true;
      return stopped;
    },
  };
  return { io, out, stop: (signal = "SIGINT") => stop(signal), waiting: () => waiting };
}

/** The URL of the "listening on <url>" line. */
function listeningUrl(stderr: string): string | undefined {
  return /^listening on (http:\/\/\S+) /m.exec(stderr)?.[1];
}

describe("async-api listen: the local webhook receiver", function () {
  this.timeout(30_000);

  describe("the listener (in-process)", () => {
    let listener: WebhookListener | undefined;
    afterEach(async () => {
      await listener?.close();
      listener = undefined;
    });

    async function start(options: { path?: string; json?: boolean } = {}) {
      const io = captured();
      listener = await startWebhookListener({ secret: SECRET, host: "127.0.0.1", port: 0, json: options.json ?? false, stdout: io.stdout, stderr: io.stderr, ...(options.path ? { path: options.path } : {}) });
      return { url: listener.url, out: io.out };
    }

    it("answers 204 to a verified delivery and prints one line: time, type, job, status, webhook-id", async () => {
      const { url, out } = await start();
      expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const res = await request(url, { headers: signed(SECRET, "msg_first"), body: BODY });
      expect(res).to.deep.equal({ status: 204, body: "" });
      expect(out.stdout).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z job\.failed job-1 FAILED msg_first\n$/);
      expect(out.stderr).to.equal("");
    });

    it("answers 401 with the reason to a delivery that fails verification, and prints it on stderr", async () => {
      const { url, out } = await start();
      const wrongSecret = await request(url, { headers: signed(OTHER_SECRET, "msg_bad"), body: BODY });
      expect(wrongSecret.status).to.equal(401);
      expect(wrongSecret.body).to.match(/^BadSignature: /);
      const tampered = await request(url, { headers: signed(SECRET, "msg_t"), body: BODY.replace("job-1", "job-2") });
      expect(tampered.status).to.equal(401);
      const unsigned = await request(url, { headers: { "content-type": "application/json" }, body: BODY });
      expect(unsigned).to.deep.include({ status: 401 });
      expect(unsigned.body).to.match(/^MissingHeaders: missing headers webhook-id, webhook-timestamp, webhook-signature/);
      expect(out.stdout).to.equal("");
      const lines = out.stderr.trimEnd().split("\n");
      expect(lines).to.have.length(3);
      expect(lines[0]).to.match(/ rejected POST \/ webhook-id msg_bad: BadSignature: /);
      expect(lines[2]).to.match(/ rejected POST \/: MissingHeaders: /);
    });

    it("prints every delivery, retries of the same webhook-id included (the stack delivers at least once)", async () => {
      const { url, out } = await start();
      const headers = signed(SECRET, "msg_again");
      expect((await request(url, { headers, body: BODY })).status).to.equal(204);
      expect((await request(url, { headers, body: BODY })).status).to.equal(204);
      expect(out.stdout.trimEnd().split("\n").map((l) => l.split(" ").slice(1).join(" "))).to.deep.equal(["job.failed job-1 FAILED msg_again", "job.failed job-1 FAILED msg_again"]);
    });

    it("json: prints each verified body as one JSON line", async () => {
      const { url, out } = await start({ json: true });
      expect((await request(url, { headers: signed(), body: BODY })).status).to.equal(204);
      expect((await request(url, { headers: signed(OTHER_SECRET), body: BODY })).status).to.equal(401);
      expect(out.stdout.endsWith("\n")).to.equal(true);
      expect(out.stdout.trimEnd().split("\n").map((l) => JSON.parse(l))).to.deep.equal([EVENT]);
    });

    it("takes POSTs only (405), on --path only when given (404), and bodies up to a bound (413)", async () => {
      const { url, out } = await start({ path: "/hooks/async-api" });
      expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/hooks\/async-api$/);
      const base = url.replace(/\/hooks\/async-api$/, "");
      expect((await request(url, { method: "GET" })).status).to.equal(405);
      expect((await request(`${base}/`, { headers: signed(), body: BODY })).status).to.equal(404);
      expect((await request(`${url}?attempt=2`, { headers: signed(), body: BODY })).status).to.equal(204);
      const huge = Buffer.alloc(MAX_WEBHOOK_BODY_BYTES + 1, 0x20);
      expect((await request(url, { headers: signed(SECRET, "msg_big", huge.toString()), body: huge })).status).to.equal(413);
      expect(out.stdout.trimEnd().split("\n")).to.have.length(1);
      expect(out.stderr).to.include("GET is not POST").and.include("deliveries go to /hooks/async-api, not /").and.include(`over ${MAX_WEBHOOK_BODY_BYTES} bytes`);
    });

    it("close() stops it: a new connection is refused", async () => {
      const { url } = await start();
      await listener!.close();
      listener = undefined;
      const err = await request(url, { headers: signed(), body: BODY }).then(
        () => undefined,
        (e: NodeJS.ErrnoException) => e,
      );
      expect(err?.code).to.equal("ECONNREFUSED");
    });

    it("deliveryLine keeps control characters out of the terminal", () => {
      const line = deliveryLine(new Date(0), { ...EVENT, data: { ...EVENT.data, jobId: "a\x1b[31m\nb" } }, "id\r");
      expect(line).to.equal("1970-01-01T00:00:00.000Z job.failed a [31m b FAILED id \n");
    });
  });

  describe("the command (in-process)", () => {
    it("USAGE and parseArgs know listen and its options", () => {
      expect(USAGE).to.include("listen --port N [--secret S] [--path P] [--host H]").and.include("ASYNC_API_WEBHOOK_SECRET").and.include("Callback-Url: http://127.0.0.1:9000/");
      expect(parseArgs(["listen", "--port", "0", "--host=::1", "--path", "/h", "--secret", "whsec_x", "--json"])).to.deep.include({ command: "listen", port: 0, host: "::1", path: "/h", secret: "whsec_x", json: true });
      for (const port of ["-1", "65536", "80.5", "x", ""]) expect(() => parseArgs(["listen", "--port", port]), port).to.throw(/--port takes an integer 0\.\.65535/);
    });

    it("listens with the secret from ASYNC_API_WEBHOOK_SECRET, prints where, and exits 0 when stopped", async () => {
      const { io, out, stop } = fakeIo({ env: { ASYNC_API_WEBHOOK_SECRET: SECRET } });
      const running = main(["listen", "--port", "0"], io);
      await until(() => listeningUrl(out.stderr) !== undefined, "the listening line");
      const url = listeningUrl(out.stderr)!;
      expect(out.stderr).to.include("(verifying with the secret from ASYNC_API_WEBHOOK_SECRET)");
      expect((await request(url, { headers: signed(), body: BODY })).status).to.equal(204);
      expect(out.stdout).to.match(/ job\.failed job-1 FAILED msg_1\n$/);
      stop("SIGTERM");
      expect(await running).to.equal(EXIT.OK);
      expect(out.stderr).to.match(/stopped listening \(SIGTERM\)\n$/);
      const refused = await request(url, { body: BODY }).catch((e: NodeJS.ErrnoException) => e.code);
      expect(refused).to.equal("ECONNREFUSED");
    });

    it("--secret wins over the env; else the webhookSecret of the outputs file (.async-api/outputs.json or --outputs)", async () => {
      const cwd = tempDir("async-api-listen-");
      fs.mkdirSync(path.join(cwd, ".async-api"));
      fs.writeFileSync(path.join(cwd, ".async-api", "outputs.json"), JSON.stringify({ apiUrl: "http://x/v1", webhookSecret: SECRET }));
      fs.writeFileSync(path.join(cwd, "other.json"), JSON.stringify({ apiUrl: "http://x/v1", webhookSecret: OTHER_SECRET }));
      const cases: Array<[string[], NodeJS.ProcessEnv, string, string]> = [
        [["--secret", OTHER_SECRET], { ASYNC_API_WEBHOOK_SECRET: SECRET }, "--secret", OTHER_SECRET],
        [[], {}, `${path.join(".async-api", "outputs.json")} (webhookSecret)`, SECRET],
        [["--outputs", "other.json"], {}, "other.json (webhookSecret)", OTHER_SECRET],
        [[], { ASYNC_API_OUTPUTS: "other.json" }, "other.json (webhookSecret)", OTHER_SECRET],
      ];
      for (const [argv, env, source, secret] of cases) {
        const { io, out, stop } = fakeIo({ cwd, env });
        const running = main(["listen", "--port", "0", ...argv], io);
        await until(() => listeningUrl(out.stderr) !== undefined, "the listening line");
        expect(out.stderr, argv.join(" ")).to.include(`(verifying with the secret from ${source})`);
        const url = listeningUrl(out.stderr)!;
        expect((await request(url, { headers: signed(secret), body: BODY })).status, source).to.equal(204);
        stop();
        expect(await running).to.equal(EXIT.OK);
      }
    });

    it("--quiet: no listening or stopped line", async () => {
      const { io, out, stop, waiting } = fakeIo({ env: { ASYNC_API_WEBHOOK_SECRET: SECRET } });
      const running = main(["listen", "--port", "0", "--quiet"], io);
      await until(waiting, "listen to wait for a signal");
      stop();
      expect(await running).to.equal(EXIT.OK);
      expect(out).to.deep.equal({ stdout: "", stderr: "" });
    });

    it("exits 4 without a usable secret, port, path or address, and listen's options elsewhere", async () => {
      const cwd = tempDir("async-api-listen-");
      fs.writeFileSync(path.join(cwd, "hidden.json"), JSON.stringify({ apiUrl: "http://x/v1", webhookSecret: "[secret]" }));
      const busy = http.createServer();
      await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
      const busyPort = (busy.address() as AddressInfo).port;
      try {
        const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
          [["listen", "--port", "0"], {}, /listen needs the stack's webhook secret: set env ASYNC_API_WEBHOOK_SECRET or pass --secret/],
          [["listen", "--port", "0", "--outputs", "hidden.json"], {}, /hidden\.json has no usable webhookSecret/],
          [["listen", "--port", "0", "--outputs", "missing.json"], {}, /cannot read the outputs file/],
          [["listen", "--port", "0", "--secret", "hunter2"], {}, /the webhook secret from --secret is not whsec_<base64>/],
          [["listen", "--port", "0"], { ASYNC_API_WEBHOOK_SECRET: "whsec_!" }, /from ASYNC_API_WEBHOOK_SECRET is not whsec_<base64>/],
          [["listen"], { ASYNC_API_WEBHOOK_SECRET: SECRET }, /listen needs --port N/],
          [["listen", "extra", "--port", "0"], { ASYNC_API_WEBHOOK_SECRET: SECRET }, /listen takes no argument/],
          [["listen", "--port", "0", "--path", "hooks"], { ASYNC_API_WEBHOOK_SECRET: SECRET }, /--path takes a path that starts with '\/'/],
          [["listen", "--port", String(busyPort)], { ASYNC_API_WEBHOOK_SECRET: SECRET }, /cannot listen on 127\.0\.0\.1 port \d+: .*EADDRINUSE/],
          [["status", "j1", "--secret", SECRET, "--url", "http://127.0.0.1:9/v1"], {}, /--port, --host, --path and --secret go with listen, not status/],
        ];
        for (const [argv, env, message] of cases) {
          const { io, out } = fakeIo({ cwd, env });
          expect(await main(argv, io), argv.join(" ")).to.equal(EXIT.ERROR);
          expect(out.stderr, argv.join(" ")).to.match(message);
          expect(listeningUrl(out.stderr), argv.join(" ")).to.equal(undefined);
        }
      } finally {
        await new Promise<void>((r) => busy.close(() => r()));
      }
    });
  });

  describe("the command (a real process)", () => {
    const children: ChildProcess[] = [];
    after(() => {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });

    /** The environment without any ASYNC_API_ variable of whoever runs the tests. */
    function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
      return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ASYNC_API_"))), ...extra };
    }

    function startListen(args: string[]) {
      const child = spawn(process.execPath, [BIN, "listen", "--port", "0", ...args], { cwd: tempDir("async-api-listen-"), env: cleanEnv({ ASYNC_API_WEBHOOK_SECRET: SECRET }), stdio: ["ignore", "pipe", "pipe"] });
      children.push(child);
      const out = { stdout: "", stderr: "" };
      child.stdout!.on("data", (d: Buffer) => (out.stdout += d.toString()));
      child.stderr!.on("data", (d: Buffer) => (out.stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      return { child, out, exited };
    }

    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      it(`verifies and prints deliveries, rejects forgeries, and exits 0 on ${signal}`, async () => {
        const { child, out, exited } = startListen([]);
        await until(() => listeningUrl(out.stderr) !== undefined, `the listening line (stderr: ${out.stderr})`);
        const url = listeningUrl(out.stderr)!;
        expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);

        expect((await request(url, { headers: signed(SECRET, "msg_ok"), body: BODY })).status).to.equal(204);
        const forged = await request(url, { headers: signed(OTHER_SECRET, "msg_forged"), body: BODY });
        expect(forged.status).to.equal(401);
        await until(() => out.stdout.includes("msg_ok") && out.stderr.includes("msg_forged"), "the delivery lines");
        expect(out.stdout).to.match(/^\S+Z job\.failed job-1 FAILED msg_ok\n$/);
        expect(out.stderr).to.match(/rejected POST \/ webhook-id msg_forged: BadSignature: /);

        child.kill(signal);
        expect(await exited).to.equal(EXIT.OK);
        expect(out.stderr).to.include(`stopped listening (${signal})`);
      });
    }

    it("without a secret: exits 4 at once and says where a secret comes from", () => {
      const res = spawnSync(process.execPath, [BIN, "listen", "--port", "0"], { cwd: tempDir("async-api-listen-"), env: cleanEnv(), encoding: "utf8", timeout: 20_000 });
      expect(res.status, res.stderr).to.equal(EXIT.ERROR);
      expect(res.stderr).to.include("listen needs the stack's webhook secret").and.include("ASYNC_API_WEBHOOK_SECRET").and.include("--secret");
      expect(res.stdout).to.equal("");
    });
  });
});
