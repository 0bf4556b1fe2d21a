// CONTRACT.md, "Webhooks": Callback-Url rules, Standard Webhooks signatures, the SSRF guard, and the
// delivery function's retries and dead letters. Signatures are checked with the `standardwebhooks`
// package (https://www.standardwebhooks.com), an implementation nobody here wrote.
import { expect } from "chai";
import * as http from "http";
import type { AddressInfo } from "net";
import type { SQSEvent } from "aws-lambda";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { Webhook } from "standardwebhooks";
import { createSubmitHandler } from "../../lambdas/api/submit";
import { timerSchema } from "../../lambdas/jobs/timer";
import { ENV } from "../../lambdas/shared/env";
import { isForbiddenAddress } from "../../lambdas/shared/webhooks/addresses";
import { checkCallbackUrl, MAX_CALLBACK_URL_CHARS } from "../../lambdas/shared/webhooks/callbackUrl";
import { newWebhookSecret, signWebhook } from "../../lambdas/shared/webhooks/signature";
import { createWebhookDelivery, MAX_RETRY_DELAY_SECONDS, RETRY_WINDOW_SECONDS, retryDelaySeconds, type DeadLetter } from "../../lambdas/webhooks/delivery";
import { sendWebhook, type SendOutcome } from "../../lambdas/webhooks/send";
import { verifyWebhook } from "../../client/index";
import { Clock, STORES, T0, apiEvent, call, configure, makeRecord, rawJob, seed, useFakeAws } from "./support/harness";

const SECRET = newWebhookSecret();
const JOB = "3b241101-e2bb-4255-8caf-4136c566a962";
const iso = (ms: number) => new Date(ms).toISOString();

describe("webhooks: signatures (Standard Webhooks)", () => {
  it("signs what the standardwebhooks package and the client both verify, and nothing tampered", () => {
    const body = JSON.stringify({ type: "job.succeeded", timestamp: iso(T0), data: { jobId: JOB, status: "SUCCEEDED", createdAt: iso(T0), updatedAt: iso(T0), result: { é: "ü" } } });
    const at = Math.floor(Date.now() / 1000);
    const headers = signWebhook(SECRET, `msg_${JOB}`, at, body);
    expect(headers["webhook-signature"]).to.match(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(new Webhook(SECRET).verify(body, { ...headers })).to.deep.equal(JSON.parse(body));
    expect(verifyWebhook(SECRET, { ...headers }, body).data.jobId).to.equal(JOB);
    expect(() => new Webhook(SECRET).verify(body.replace("SUCCEEDED", "FAILED"), { ...headers })).to.throw();
    expect(() => new Webhook(newWebhookSecret()).verify(body, { ...headers })).to.throw();
    expect(SECRET).to.match(/^whsec_[A-Za-z0-9+/]{43}=$/);
  });
});

describe("webhooks: where a webhook may go", () => {
  // IANA special-purpose registries; the metadata service is 169.254.169.254 and fd00:ec2::254.
  const forbidden = ["127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fd00:ec2::254", "fc00::1", "fe80::1", "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "not-an-ip"];
  const allowed = ["93.184.216.34", "1.1.1.1", "172.32.0.1", "2606:4700:4700::1111", "::ffff:93.184.216.34"];
  for (const ip of forbidden) it(`never ${ip}`, () => expect(isForbiddenAddress(ip)).to.equal(true));
  for (const ip of allowed) it(`may call ${ip}`, () => expect(isForbiddenAddress(ip)).to.equal(false));
  it("the local cloud allows loopback only", () => {
    expect(isForbiddenAddress("127.0.0.1", true)).to.equal(false);
    expect(isForbiddenAddress("::1", true)).to.equal(false);
    expect(isForbiddenAddress("10.0.0.1", true)).to.equal(true);
    expect(isForbiddenAddress("169.254.169.254", true)).to.equal(true);
  });

  const aws = { local: false };
  const cases: Array<[string, string, RegExp | undefined]> = [
    ["an https URL", "https://hooks.example.com/async-api?tenant=1", undefined],
    ["http on AWS", "http://hooks.example.com/", /https/],
    ["ftp", "ftp://hooks.example.com/", /https/],
    ["user info", "https://user:pass@hooks.example.com/", /user name or password/],
    ["a private IP literal", "https://10.1.2.3/hook", /private/],
    ["the metadata address", "https://169.254.169.254/latest/meta-data/", /private/],
    ["IPv6 loopback", "https://[::1]/hook", /private/],
    ["localhost", "https://localhost/hook", /this network/],
    ["a name under localhost", "https://a.localhost/hook", /this network/],
    ["a single-label name", "https://intranet/hook", /this network/],
    ["white space", "https://hooks.example.com/a b", /white space/],
    ["not a URL", "hooks.example.com/path", /not a URL/],
    ["empty", "", /empty/],
    ["too long", `https://hooks.example.com/${"a".repeat(MAX_CALLBACK_URL_CHARS)}`, /2048/],
  ];
  for (const [name, url, refused] of cases) {
    it(`Callback-Url: ${name} → ${refused ? "400" : "kept"}`, () => {
      const checked = checkCallbackUrl(url, aws);
      if (refused) expect(checked.invalid).to.match(refused).and.match(/^Callback-Url /);
      else expect(checked.url).to.equal(url);
    });
  }
  it("Callback-Url on the local cloud: http and loopback, nothing else private", () => {
    expect(checkCallbackUrl("http://127.0.0.1:9000/hook", { local: true }).url).to.equal("http://127.0.0.1:9000/hook");
    expect(checkCallbackUrl("http://localhost:9000/hook", { local: true }).url).to.equal("http://localhost:9000/hook");
    expect(checkCallbackUrl("http://10.0.0.1/hook", { local: true }).invalid).to.match(/private/);
  });
});

describe("webhooks: sending", () => {
  let server: http.Server;
  let port: number;
  let answers: number[];
  let received: { headers: http.IncomingHttpHeaders; body: string }[];
  before(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        received.push({ headers: req.headers, body });
        const status = answers.shift();
        if (status === 0) return; // never answers
        res.writeHead(status ?? 204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  beforeEach(() => {
    answers = [];
    received = [];
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const local = { loopbackAllowed: true };

  it("a 2xx is delivered; a 500 and silence past the timeout are failures (retried)", async () => {
    answers = [204, 500, 0];
    expect(await sendWebhook(`http://127.0.0.1:${port}/h`, { "x-a": "1" }, "{}", local)).to.deep.equal({ kind: "delivered", status: 204 });
    expect(await sendWebhook(`http://127.0.0.1:${port}/h`, {}, "{}", local)).to.deep.equal({ kind: "failed", reason: "answered 500" });
    const silent = await sendWebhook(`http://127.0.0.1:${port}/h`, {}, "{}", { ...local, timeoutMs: 300 });
    expect(silent.kind).to.equal("failed");
    expect(received).to.have.length(3);
    expect(received[0].headers["x-a"]).to.equal("1");
  });

  it("refuses, without connecting, a name that resolves to a private address and a private IP literal (on AWS)", async () => {
    const lookup = ((host: string, _o: unknown, cb: (e: Error | null, a: { address: string; family: number }[]) => void) => cb(null, [{ address: "127.0.0.1", family: 4 }])) as any;
    const byName: SendOutcome = await sendWebhook(`https://hooks.example.com:${port}/h`, {}, "{}", { loopbackAllowed: false, lookup });
    expect(byName.kind).to.equal("refused");
    // A name with a public and a private address is refused too (either could be the one used).
    const mixed = ((host: string, _o: unknown, cb: (e: Error | null, a: { address: string; family: number }[]) => void) =>
      cb(null, [
        { address: "93.184.216.34", family: 4 },
        { address: "10.0.0.7", family: 4 },
      ])) as any;
    expect((await sendWebhook(`https://hooks.example.com/h`, {}, "{}", { loopbackAllowed: false, lookup: mixed })).kind).to.equal("refused");
    expect((await sendWebhook(`https://169.254.169.254/latest`, {}, "{}", { loopbackAllowed: false })).kind).to.equal("refused");
    expect((await sendWebhook(`http://127.0.0.1:${port}/h`, {}, "{}", { loopbackAllowed: false })).kind).to.equal("refused");
    expect(received, "nothing was sent").to.have.length(0);
  });
});

describe("lambdas/webhooks/delivery", () => {
  const fake = useFakeAws();
  const sqs = mockClient(SQSClient);
  const secrets = mockClient(SecretsManagerClient);
  let clock: Clock;
  let sent: { url: string; headers: Record<string, string>; body: string }[];
  let outcomes: SendOutcome[];
  const send = async (url: string, headers: Record<string, string>, body: string): Promise<SendOutcome> => {
    sent.push({ url, headers, body });
    return outcomes.shift() ?? { kind: "delivered", status: 204 };
  };
  const event = (...bodies: unknown[]): SQSEvent => ({ Records: bodies.map((b, i) => ({ messageId: `m${i}`, body: JSON.stringify(b) })) }) as unknown as SQSEvent;
  const ended = (jobId = JOB) => ({ source: "async-api", "detail-type": "Job Status Change", detail: { jobId, status: "SUCCEEDED" } });
  beforeEach(() => {
    clock = new Clock();
    sent = [];
    outcomes = [];
    sqs.reset();
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: SECRET });
    sqs.on(SendMessageCommand).resolves({ MessageId: "x" });
    process.env[ENV.WEBHOOK_SECRET_ARN] = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hooks-AbCdEf";
    process.env[ENV.WEBHOOK_QUEUE_URL] = "https://sqs.us-east-1.amazonaws.com/123456789012/hooks";
    process.env[ENV.WEBHOOK_DEAD_LETTER_QUEUE_URL] = "https://sqs.us-east-1.amazonaws.com/123456789012/hooks-dlq";
  });
  after(() => {
    sqs.restore();
    secrets.restore();
  });
  const deliver = () => createWebhookDelivery({ now: clock.now, send, random: () => 0.5 });

  for (const store of STORES) {
    describe(`store ${store}`, () => {
      beforeEach(() => configure({ store }));

      it("POSTs the job as GET shows it, signed, with the same webhook-id on every attempt; never writes the job", async () => {
        const record = await seed(makeRecord({ jobId: JOB, status: "SUCCEEDED", result: '{"message":"done"}', resultSize: 18, callbackUrl: "https://hooks.example.com/h", updatedAt: iso(T0) }));
        const before = JSON.stringify(rawJob(fake, JOB));
        clock.advance(1000);
        expect(await deliver()(event(ended()))).to.deep.equal({ batchItemFailures: [] });
        expect(sent).to.have.length(1);
        const [delivery] = sent;
        expect(delivery.url).to.equal(record.callbackUrl);
        expect(delivery.headers["webhook-id"]).to.equal(`msg_${JOB}`);
        expect(delivery.headers["webhook-timestamp"]).to.equal(String(Math.floor((T0 + 1000) / 1000)));
        expect(JSON.parse(delivery.body)).to.deep.equal({
          type: "job.succeeded",
          timestamp: iso(T0 + 1000),
          data: { jobId: JOB, status: "SUCCEEDED", createdAt: iso(T0), updatedAt: iso(T0), result: { message: "done" } },
        });
        expect(verifyWebhook(SECRET, delivery.headers, delivery.body, { now: clock.now }).type).to.equal("job.succeeded");
        expect(JSON.stringify(rawJob(fake, JOB))).to.equal(before);
      });

      it("retries a failure through the queue with a growing delay; gives up after 24 hours into the dead-letter queue", async () => {
        // Finished jobs readable for 2 days here (resultTtlMinutes), so the job outlives the retries.
        process.env[ENV.RESULT_TTL_SECONDS] = String(2 * 86400);
        await seed(makeRecord({ jobId: JOB, status: "FAILED", error: { code: "TimerFailed", message: "x" }, callbackUrl: "https://hooks.example.com/h", expiresAt: T0 / 1000 + 3 * 86400 }));
        outcomes = [{ kind: "failed", reason: "answered 500" }];
        await deliver()(event(ended()));
        const retry = sqs.commandCalls(SendMessageCommand)[0].args[0].input;
        expect(retry.QueueUrl).to.equal(process.env[ENV.WEBHOOK_QUEUE_URL]);
        expect(retry.DelaySeconds).to.equal(retryDelaySeconds(1, () => 0.5));
        const body = JSON.parse(retry.MessageBody!);
        expect(body.webhookRetry).to.deep.include({ jobId: JOB, attempt: 2, firstAttemptAt: T0, lastError: "answered 500" });

        // The retry, 24 hours after the first attempt, fails too: dead-lettered, not retried.
        clock.advance(RETRY_WINDOW_SECONDS * 1000);
        outcomes = [{ kind: "failed", reason: "no answer in 10 s" }];
        await deliver()(event(body));
        expect(sent.map((s) => s.headers["webhook-id"])).to.deep.equal([`msg_${JOB}`, `msg_${JOB}`]);
        const dead = sqs.commandCalls(SendMessageCommand)[1].args[0].input;
        expect(dead.QueueUrl).to.equal(process.env[ENV.WEBHOOK_DEAD_LETTER_QUEUE_URL]);
        const letter = JSON.parse(dead.MessageBody!) as DeadLetter;
        expect(letter).to.deep.include({ jobId: JOB, webhookId: `msg_${JOB}`, reason: "RetriesExhausted", attempts: 2, lastError: "no answer in 10 s", firstAttemptAt: iso(T0) });
        expect(JSON.parse(sent[1].body).type).to.equal("job.failed");
      });

      it("dead-letters a retry whose job expired meanwhile (JobExpired), rather than dropping it", async () => {
        await seed(makeRecord({ jobId: JOB, status: "SUCCEEDED", result: "1", callbackUrl: "https://hooks.example.com/h" }));
        outcomes = [{ kind: "failed", reason: "answered 503" }];
        await deliver()(event(ended()));
        const retry = JSON.parse(sqs.commandCalls(SendMessageCommand)[0].args[0].input.MessageBody!);
        clock.advance(2 * 86400 * 1000);
        await deliver()(event(retry));
        const letter = JSON.parse(sqs.commandCalls(SendMessageCommand)[1].args[0].input.MessageBody!) as DeadLetter;
        expect(letter).to.deep.include({ reason: "JobExpired", callbackUrl: "https://hooks.example.com/h", attempts: 2, lastError: "answered 503" });
        expect(sent).to.have.length(1);
      });

      it("puts a refused address straight into the dead-letter queue; a dead letter moved back is a new first attempt", async () => {
        await seed(makeRecord({ jobId: JOB, status: "CANCELLED", callbackUrl: "https://hooks.example.com/h" }));
        outcomes = [{ kind: "refused", reason: "hooks.example.com resolves to a private address" }];
        await deliver()(event(ended()));
        const letter = JSON.parse(sqs.commandCalls(SendMessageCommand)[0].args[0].input.MessageBody!) as DeadLetter;
        expect(letter).to.deep.include({ reason: "CallbackRefused", attempts: 1 });
        await deliver()(event(letter));
        expect(sent).to.have.length(2);
        expect(JSON.parse(sent[1].body).type).to.equal("job.cancelled");
      });

      it("sends nothing for a job without a Callback-Url, one not ended, or one expired; a store failure is retried by the queue", async () => {
        await seed(makeRecord({ jobId: JOB, status: "SUCCEEDED", result: "1" }));
        await seed(makeRecord({ jobId: "3b241101-e2bb-4255-8caf-4136c566a963", status: "RUNNING", callbackUrl: "https://hooks.example.com/h" }));
        const res = await deliver()(event(ended(), ended("3b241101-e2bb-4255-8caf-4136c566a963"), ended("3b241101-e2bb-4255-8caf-4136c566a964"), { nonsense: true }));
        expect(res).to.deep.equal({ batchItemFailures: [] });
        expect(sent).to.have.length(0);
        fake.failAlways(store === "s3" ? "s3:GetObject" : "dynamodb:Get", () => Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: { httpStatusCode: 400 } }));
        expect(await deliver()(event(ended()))).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "m0" }] });
      });
    });
  }

  it("backs off from about 2 s, doubling, up to SQS's 15 minutes", () => {
    expect([1, 2, 3, 4].map((n) => retryDelaySeconds(n, () => 1))).to.deep.equal([2, 4, 8, 16]);
    expect(retryDelaySeconds(1, () => 0)).to.equal(1);
    expect(retryDelaySeconds(30, () => 1)).to.equal(MAX_RETRY_DELAY_SECONDS);
    expect(retryDelaySeconds(30, () => 0)).to.equal(MAX_RETRY_DELAY_SECONDS / 2);
    // Enough attempts fit in 24 hours (with the shortest delays) to keep trying all along.
    let elapsed = 0;
    let attempts = 0;
    while (elapsed < RETRY_WINDOW_SECONDS) elapsed += retryDelaySeconds(++attempts, () => 0);
    expect(attempts).to.be.greaterThan(150);
  });
});

describe("lambdas/api/submit: Callback-Url", () => {
  const fake = useFakeAws();
  let clock: Clock;
  beforeEach(() => (clock = new Clock()));
  for (const store of STORES) {
    it(`keeps a good one with the job, refuses a bad one with 400 ValidationError (store ${store})`, async () => {
      configure({ store });
      const submit = createSubmitHandler({ schema: timerSchema, now: clock.now });
      const headers = (url: string) => ({ "Content-Type": "application/json", "Callback-Url": url });
      const ok = await call(submit, apiEvent({ headers: headers("https://hooks.example.com/h") }));
      expect(ok.status).to.equal(202);
      expect(rawJob(fake, ok.body.jobId)?.callbackUrl).to.equal("https://hooks.example.com/h");
      // http and loopback only where the local cloud says so (it sets ASYNC_API_LOCAL_CLOUD=1).
      expect((await call(submit, apiEvent({ headers: headers("http://127.0.0.1:9000/h") }))).status).to.equal(400);
      process.env[ENV.LOCAL_CLOUD] = "1";
      try {
        const local = await call(submit, apiEvent({ headers: headers("http://127.0.0.1:9000/h") }));
        expect(rawJob(fake, local.body.jobId)?.callbackUrl).to.equal("http://127.0.0.1:9000/h");
      } finally {
        delete process.env[ENV.LOCAL_CLOUD];
      }
      // An idempotent replay keeps the first Callback-Url.
      const keyed = (url: string) => apiEvent({ headers: { ...headers(url), "Idempotency-Key": `cb-${store}` } });
      const first = await call(submit, keyed("https://first.example.com/h"));
      const replay = await call(submit, keyed("https://second.example.com/h"));
      expect(replay.headers["Idempotent-Replayed"]).to.equal("true");
      expect(replay.body.jobId).to.equal(first.body.jobId);
      expect(rawJob(fake, first.body.jobId)?.callbackUrl).to.equal("https://first.example.com/h");
      for (const bad of ["http://hooks.example.com/", "https://10.0.0.1/", `https://x.example.com/${"a".repeat(2048)}`, "https://u:p@hooks.example.com/"]) {
        const res = await call(submit, apiEvent({ headers: headers(bad) }));
        expect([res.status, res.body.error.code], bad).to.deep.equal([400, "ValidationError"]);
        expect(res.body.error.message).to.match(/^Callback-Url /);
      }
    });
  }
});
