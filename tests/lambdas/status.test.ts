import { expect } from "chai";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import { createStatusHandler } from "../../lambdas/api/status";
import { createCancelHandler } from "../../lambdas/api/cancel";
import { errorLogOf } from "./support/errorLog";
import { awsError } from "./support/fakeAws";
import { ALICE, ALICE_KEY, BOB, BOB_KEY, Clock, RESULT_READER_ROLE_ARN, RESULTS_BUCKET, STORES, T0, apiEvent, call, configure, makeRecord, rawJob, seed, useFakeAws, writeRaw } from "./support/harness";

const ID = "3b241101-e2bb-4255-8caf-4136c566a962";
const iso = (ms: number) => new Date(ms).toISOString();

export const HOSTILE_IDS = [
  "../x",
  "..%2f..%2fjobs%2fx",
  "arn:aws:states:us-east-1:123456789012:execution:async-api-run-job:3b241101-e2bb-4255-8caf-4136c566a962",
  "3b241101-e2bb-4255-8caf-4136c566a96é",
  "ジョブ",
  "a".repeat(1024),
  "3B241101-E2BB-4255-8CAF-4136C566A962",
  "3b241101e2bb42558caf4136c566a962",
  "",
];

describe("lambdas/api/status: GET /jobs/{jobId}", () => {
  const fake = useFakeAws();
  let clock: Clock;
  let status: ReturnType<typeof createStatusHandler>;
  beforeEach(() => {
    clock = new Clock();
    status = createStatusHandler({ now: clock.now });
  });

  for (const store of STORES) {
    describe(`store ${store}`, () => {
      beforeEach(() => configure({ store }));

      it("answers 200 {jobId, status, createdAt, updatedAt} and Retry-After while PENDING", async () => {
        await seed(makeRecord({ jobId: ID }));
        const res = await call(status, apiEvent({ jobId: ID }));
        expect(res.status).to.equal(200);
        expect(res.body).to.deep.equal({ jobId: ID, status: "PENDING", createdAt: iso(T0), updatedAt: iso(T0) });
        expect(res.headers["Retry-After"]).to.equal("1");
      });

      it("gives a RUNNING job a Retry-After that grows with its running time", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING", startedAt: iso(T0), deadline: iso(T0 + 3_600_000) }));
        clock.advance(200_000);
        const res = await call(status, apiEvent({ jobId: ID }));
        expect(res.body.status).to.equal("RUNNING");
        expect(res.headers["Retry-After"]).to.equal("20");
      });

      it("gives the inline result of a SUCCEEDED job as JSON, and no Retry-After", async () => {
        await seed(makeRecord({ jobId: ID, status: "SUCCEEDED", result: '{"message":"Done after 1 seconds"}', resultSize: 34 }));
        const res = await call(status, apiEvent({ jobId: ID }));
        expect(res.body.result).to.deep.equal({ message: "Done after 1 seconds" });
        expect(res.body).to.not.have.property("resultUrl");
        expect(res.body).to.not.have.property("error");
        expect(res.headers).to.not.have.property("Retry-After");
      });

      it("fetches an offloaded result of at most 256 KiB and gives it as `result`", async () => {
        const text = JSON.stringify({ message: "big", padding: "p".repeat(100_000) });
        fake.objects.set(`${RESULTS_BUCKET}/results/${ID}.json`, { body: text, etag: '"r"' });
        await seed(makeRecord({ jobId: ID, status: "SUCCEEDED", resultRef: `results/${ID}.json`, resultSize: Buffer.byteLength(text) }));
        const res = await call(status, apiEvent({ jobId: ID }));
        expect(res.body.result).to.deep.equal(JSON.parse(text));
        expect(res.body).to.not.have.property("resultUrl");
        const gets = fake.s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input);
        expect(gets).to.deep.include({ Bucket: RESULTS_BUCKET, Key: `results/${ID}.json` });
      });

      it("gives a larger result as a presigned `resultUrl` valid 15 minutes, without fetching it", async () => {
        await seed(makeRecord({ jobId: ID, status: "SUCCEEDED", resultRef: `results/${ID}.json`, resultSize: 256 * 1024 + 1 }));
        const res = await call(status, apiEvent({ jobId: ID }));
        expect(res.body).to.not.have.property("result");
        const url = new URL(res.body.resultUrl);
        expect(url.protocol).to.equal("https:");
        expect(`${url.host}${url.pathname}`).to.include(RESULTS_BUCKET).and.include(`results/${ID}.json`);
        expect(url.searchParams.get("X-Amz-Expires")).to.equal("900");
        expect(url.searchParams.get("X-Amz-Signature")).to.match(/^[0-9a-f]{64}$/);
        expect(fake.s3.commandCalls(GetObjectCommand).filter((c) => c.args[0].input.Bucket === RESULTS_BUCKET)).to.have.length(0);
      });

      // Amazon S3 User Guide, "Download and upload objects with presigned URLs": a URL signed with
      // temporary credentials "expires when the credentials you used to create it expire", and
      // Lambda does not say how long a function's own credentials have left.
      it("signs `resultUrl` with a one-hour session of the result-reader role, not the function's own credentials", async () => {
        fake.stsNow = clock.now;
        await seed(makeRecord({ jobId: ID, status: "SUCCEEDED", resultRef: `results/${ID}.json`, resultSize: 256 * 1024 + 1 }));
        const res = await call(status, apiEvent({ jobId: ID }));
        const url = new URL(res.body.resultUrl);
        const assumed = fake.sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input);
        expect(assumed).to.deep.equal([{ RoleArn: RESULT_READER_ROLE_ARN, RoleSessionName: "result-url", DurationSeconds: 3600 }]);
        expect(url.searchParams.get("X-Amz-Credential")).to.match(/^ASIAFAKEREADER\//);
        expect(url.searchParams.get("X-Amz-Security-Token")).to.match(/^FwoGZXIvYXdzE/);
      });

      it("keeps the session while a URL's 15 minutes and a minute more are left, then takes a new one", async () => {
        fake.stsNow = clock.now;
        await seed(makeRecord({ jobId: ID, status: "SUCCEEDED", resultRef: `results/${ID}.json`, resultSize: 256 * 1024 + 1 }));
        const tokens: string[] = [];
        const read = async () => tokens.push(new URL((await call(status, apiEvent({ jobId: ID }))).body.resultUrl).searchParams.get("X-Amz-Security-Token")!);
        await read();
        clock.advance(44 * 60_000); // 16 minutes left
        await read();
        clock.advance(1);
        await read();
        expect(fake.sts.commandCalls(AssumeRoleCommand)).to.have.length(2);
        expect(tokens[1]).to.equal(tokens[0]);
        expect(tokens[2]).to.not.equal(tokens[0]);
      });

      it("answers 500 rather than give a URL that would die early, when the session is shorter than the URL", async () => {
        fake.stsNow = () => clock.now() - 3600_000 + 10 * 60_000; // the session has 10 minutes left
        await seed(makeRecord({ jobId: ID, status: "SUCCEEDED", resultRef: `results/${ID}.json`, resultSize: 256 * 1024 + 1 }));
        const { result: res, lines } = await errorLogOf(() => call(status, apiEvent({ jobId: ID })));
        expect(res.status).to.equal(500);
        expect(res.body).to.not.have.property("resultUrl");
        expect(lines.map((l) => JSON.stringify(l))).to.satisfy((all: string[]) => all.some((l) => l.includes("less than a resultUrl")));
      });

      it("gives FAILED jobs their error", async () => {
        await seed(makeRecord({ jobId: ID, status: "FAILED", error: { code: "TimerFailed", message: "Failed on purpose after 1 seconds" } }));
        const res = await call(status, apiEvent({ jobId: ID }));
        expect(res.body).to.deep.include({ status: "FAILED", error: { code: "TimerFailed", message: "Failed on purpose after 1 seconds" } });
      });

      it("reads a job past its deadline as TIMED_OUT with error TimedOut, though no one wrote it", async () => {
        const record = await seed(makeRecord({ jobId: ID, status: "RUNNING", startedAt: iso(T0) }));
        clock.t = Date.parse(record.deadline);
        const res = await call(status, apiEvent({ jobId: ID }));
        expect(res.body.status).to.equal("TIMED_OUT");
        expect(res.body.error.code).to.equal("TimedOut");
        expect(res.body.updatedAt).to.equal(record.deadline);
        expect(res.headers).to.not.have.property("Retry-After");
      });

      it("answers 404 once the job has expired", async () => {
        await seed(makeRecord({ jobId: ID, status: "SUCCEEDED", result: "1", expiresAt: T0 / 1000 + 60 }));
        clock.advance(59_999);
        expect((await call(status, apiEvent({ jobId: ID }))).status).to.equal(200);
        clock.advance(1);
        const res = await call(status, apiEvent({ jobId: ID }));
        expect(res.status).to.equal(404);
        expect(res.body).to.deep.equal({ error: { code: "NotFound", message: "No such job." } });
      });

      it("answers another caller (auth iam) with the very same 404 as an unknown id", async () => {
        await seed(makeRecord({ jobId: ID, owner: ALICE }));
        const other = await call(status, apiEvent({ jobId: ID, userArn: BOB }));
        const unknown = await call(status, apiEvent({ jobId: "3b241101-e2bb-4255-8caf-4136c566a963", userArn: BOB }));
        expect(other.status).to.equal(404);
        expect(other.raw).to.equal(unknown.raw);
        expect(other.headers).to.deep.equal(unknown.headers);
        expect((await call(status, apiEvent({ jobId: ID, userArn: ALICE }))).status).to.equal(200);
      });

      describe("?wait=N: the long poll (CONTRACT.md)", () => {
        /** A sleep that moves the test clock, and runs `onSleep` (the world changing meanwhile). */
        const waiting = (onSleep: (t: number) => Promise<void> | void = () => undefined) => {
          const pauses: number[] = [];
          const handler = createStatusHandler({
            now: clock.now,
            sleep: async (ms) => {
              pauses.push(ms);
              clock.advance(ms);
              await onSleep(clock.t - T0);
            },
          });
          return { handler, pauses };
        };

        it("answers as soon as the job's status changes, with the same body and headers as a plain GET", async () => {
          await seed(makeRecord({ jobId: ID, status: "RUNNING", startedAt: iso(T0), deadline: iso(T0 + 3_600_000) }));
          const { handler, pauses } = waiting(async (t) => {
            if (t >= 3000 && rawJob(fake, ID)?.status === "RUNNING") writeRaw(fake, makeRecord({ jobId: ID, status: "SUCCEEDED", result: '{"message":"done"}', resultSize: 18, updatedAt: iso(T0 + 3000), version: 2 }));
          });
          const res = await call(handler, apiEvent({ jobId: ID, query: { wait: "10" } }));
          expect(res.body).to.deep.include({ status: "SUCCEEDED", result: { message: "done" } });
          expect(res.headers).to.not.have.property("Retry-After");
          const waited = pauses.reduce((a, b) => a + b, 0);
          expect(waited, "within a pause (at most 1 s) of the change, not at 10 s").to.be.within(3000, 4000);
        });

        it("reads again after 100 ms, backing off to at most 1 s between reads, and answers after N seconds with the job as it is then", async () => {
          await seed(makeRecord({ jobId: ID, status: "RUNNING", startedAt: iso(T0), deadline: iso(T0 + 3_600_000) }));
          const { handler, pauses } = waiting();
          const res = await call(handler, apiEvent({ jobId: ID, query: { wait: "5" } }));
          expect(res.status).to.equal(200);
          expect(res.body.status).to.equal("RUNNING");
          expect(res.headers["Retry-After"]).to.be.a("string");
          expect(pauses[0]).to.equal(100);
          expect(Math.max(...pauses)).to.be.at.most(1000);
          expect(pauses.reduce((a, b) => a + b, 0)).to.equal(5000);
          expect(pauses.length, "a few reads, not a busy loop").to.be.below(15);
        });

        it("answers at once for a job already finished, and reads a job past its deadline as TIMED_OUT", async () => {
          await seed(makeRecord({ jobId: ID, status: "FAILED", error: { code: "X", message: "y" } }));
          const done = waiting();
          expect((await call(done.handler, apiEvent({ jobId: ID, query: { wait: "20" } }))).body.status).to.equal("FAILED");
          expect(done.pauses).to.deep.equal([]);
          writeRaw(fake, makeRecord({ jobId: ID, status: "RUNNING", startedAt: iso(T0), deadline: iso(T0 + 2000), version: 2 }));
          const late = waiting();
          const res = await call(late.handler, apiEvent({ jobId: ID, query: { wait: "20" } }));
          expect(res.body.status).to.equal("TIMED_OUT");
          expect(late.pauses.reduce((a, b) => a + b, 0)).to.be.below(3500);
        });

        it("refuses a wait that is not a whole number from 1 to 20 with 400 ValidationError naming wait", async () => {
          await seed(makeRecord({ jobId: ID }));
          for (const wait of ["0", "21", "-1", "1.5", "abc", "", "100000000000000000000", "1e1"]) {
            const res = await call(status, apiEvent({ jobId: ID, query: { wait } }));
            expect(res.status, wait).to.equal(400);
            expect(res.body.error.code).to.equal("ValidationError");
            expect(res.body.error.message).to.match(/^wait must be/);
          }
        });

        it("keeps a caller's 404 for someone else's job, without waiting", async () => {
          await seed(makeRecord({ jobId: ID, owner: ALICE }));
          const { handler, pauses } = waiting();
          expect((await call(handler, apiEvent({ jobId: ID, userArn: BOB, query: { wait: "5" } }))).status).to.equal(404);
          expect(pauses).to.deep.equal([]);
        });
      });

      // CONTRACT.md, "Who owns a job": on auth apiKey, the key that submitted it.
      it("answers another API key (auth apiKey) with the very same 404 as an unknown id; the owning key reads it", async () => {
        configure({ store, auth: "apiKey" });
        await seed(makeRecord({ jobId: ID, owner: ALICE_KEY }));
        const other = await call(status, apiEvent({ jobId: ID, apiKeyId: BOB_KEY }));
        const unknown = await call(status, apiEvent({ jobId: "3b241101-e2bb-4255-8caf-4136c566a963", apiKeyId: BOB_KEY }));
        expect(other.status).to.equal(404);
        expect(other.raw).to.equal(unknown.raw);
        expect((await call(status, apiEvent({ jobId: ID, apiKeyId: ALICE_KEY }))).status).to.equal(200);
        configure({ store, auth: "none" });
        expect((await call(status, apiEvent({ jobId: ID, apiKeyId: null }))).status, "auth none: everyone's").to.equal(200);
      });

      // AWS, "$context variables…": an assumed role's userArn ends with a session name the caller's
      // SDK renews and may choose; the owner is the role without it (lambdas/shared/owner.ts).
      it("auth iam: an assumed role reads its job from any session; another role reads 404", async () => {
        const role = "arn:aws:sts::123456789012:assumed-role/jobs-invoker";
        await seed(makeRecord({ jobId: ID, owner: role }));
        expect((await call(status, apiEvent({ jobId: ID, userArn: `${role}/aws-sdk-js-1` }))).status).to.equal(200);
        expect((await call(status, apiEvent({ jobId: ID, userArn: `${role}/botocore-session-2` }))).status, "a new session").to.equal(200);
        expect((await call(status, apiEvent({ jobId: ID, userArn: "arn:aws:sts::123456789012:assumed-role/other-role/aws-sdk-js-1" }))).status).to.equal(404);
      });

      it("does not check owners without auth iam", async () => {
        configure({ store, auth: "none" });
        await seed(makeRecord({ jobId: ID, owner: "public" }));
        expect((await call(status, apiEvent({ jobId: ID, userArn: null }))).status).to.equal(200);
      });
    });
  }

  describe("hostile ids", () => {
    const cancel = () => createCancelHandler({ now: clock.now });
    for (const id of HOSTILE_IDS) {
      it(`answers ${JSON.stringify(id.slice(0, 48))} with the same 404 (GET and DELETE) and no AWS call`, async () => {
        const notFound = { error: { code: "NotFound", message: "No such job." } };
        const get = await call(status, apiEvent({ jobId: id }));
        const del = await call(cancel(), apiEvent({ jobId: id, method: "DELETE" }));
        expect(get.status).to.equal(404);
        expect(get.body).to.deep.equal(notFound);
        expect(del.status).to.equal(404);
        expect(del.body).to.deep.equal(notFound);
        expect(fake.callCount()).to.equal(0);
      });
    }

    it("answers a missing path parameter with 404 and no AWS call", async () => {
      const event = apiEvent({ jobId: ID });
      event.pathParameters = null;
      expect((await call(status, event)).status).to.equal(404);
      expect(fake.callCount()).to.equal(0);
    });
  });

  // CONTRACT.md, "When a service behind the API fails". AWS, "Error handling with DynamoDB": throttling
  // is a 400 ThrottlingException / ProvisionedThroughputExceededException, a server fault a 500
  // InternalServerError; Amazon S3 "Error responses": 503 SlowDown, 500 InternalError.
  for (const store of STORES) {
    it(`store ${store}: answers 503 ServiceUnavailable with Retry-After when the store throttles or fails past the SDK's retries, the details only in the log`, async () => {
      configure({ store });
      const op = store === "dynamodb" ? "dynamodb:Get" : "s3:GetObject";
      const failures =
        store === "dynamodb"
          ? [awsError("ThrottlingException", "Rate of requests exceeds the allowed throughput for table arn:aws:dynamodb:us-east-1:123456789012:table/jobs", 400), awsError("InternalServerError", "Internal server error", 500)]
          : [awsError("SlowDown", "Please reduce your request rate.", 503), awsError("InternalError", "We encountered an internal error. Please try again.", 500)];
      await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
      for (const failure of failures) {
        fake.interceptors.length = 0;
        fake.failAlways(op, () => failure);
        const { result: res, lines } = await errorLogOf(() => call(status, apiEvent({ jobId: ID })));
        expect(res.status, failure.name).to.equal(503);
        expect(res.body.error.code).to.equal("ServiceUnavailable");
        expect(Number(res.headers["Retry-After"])).to.be.greaterThan(0);
        expect(lines.map((l) => [l.message, l.details.route, l.details.errorName])).to.deep.equal([["A service behind the API failed", "status", failure.name]]);
      }
    });
  }

  it("answers 500 InternalError for a bug or a missing permission (not a service failing), the details only in the log", async () => {
    for (const failure of [
      new TypeError("Cannot read properties of undefined (reading 'S')"),
      awsError("AccessDeniedException", "User: arn:aws:sts::123456789012:assumed-role/status/fn is not authorized to perform: dynamodb:GetItem", 400),
    ]) {
      fake.interceptors.length = 0;
      fake.failAlways("dynamodb:Get", () => failure);
      const { result: res, lines } = await errorLogOf(() => call(status, apiEvent({ jobId: ID })));
      expect(res.status, failure.name).to.equal(500);
      expect(res.body.error.code).to.equal("InternalError");
      expect(res.headers).to.not.have.property("Retry-After");
      expect(lines.map((l) => [l.message, l.details.errorName])).to.deep.equal([["Unhandled error", failure.name]]);
    }
  });

  it("never calls Step Functions", async () => {
    configure({ backend: "stepfunctions" });
    await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
    await call(status, apiEvent({ jobId: ID }));
    await call(status, apiEvent({ jobId: "3b241101-e2bb-4255-8caf-4136c566a963" }));
    expect(fake.sfn.calls()).to.have.length(0);
  });
});
