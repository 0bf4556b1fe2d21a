import { createHash } from "node:crypto";
import { expect } from "chai";
import type { APIGatewayProxyHandler } from "aws-lambda";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import { createStatusHandler } from "../../lambdas/api/status";
import { createSubmitHandler } from "../../lambdas/api/submit";
import { timerSchema } from "../../lambdas/jobs/timer";
import { isJobId } from "../../lambdas/shared/ids";
import { storeFromEnv } from "../../lambdas/shared/store";
import { SERVICE_UNAVAILABLE_RETRY_AFTER } from "../../lambdas/shared/retryAfter";
import { errorLogOf } from "./support/errorLog";
import { awsError } from "./support/fakeAws";
import { ALICE, BOB, BOB_KEY, Clock, JOB_TIMEOUT_SECONDS, STATE_MACHINE_ARN, STORES, T0, TTL_SECONDS, WORKER_FUNCTION, apiEvent, assertNoLeak, call, configure, rawJob, useFakeAws, writeRaw } from "./support/harness";

const json = (value: unknown) => JSON.stringify(value);

// The factories' handlers are what the bundler exports as `handler`.
const typeCheck: APIGatewayProxyHandler[] = [createSubmitHandler({ schema: timerSchema }), createStatusHandler()];
void typeCheck;

describe("lambdas/api/submit: POST /jobs", () => {
  const fake = useFakeAws();
  let clock: Clock;
  let submit: ReturnType<typeof createSubmitHandler>;
  let status: ReturnType<typeof createStatusHandler>;
  beforeEach(() => {
    clock = new Clock();
    submit = createSubmitHandler({ schema: timerSchema, now: clock.now });
    status = createStatusHandler({ now: clock.now });
  });

  for (const store of STORES) {
    for (const backend of ["stepfunctions", "lambda"] as const) {
      describe(`store ${store}, backend ${backend}`, () => {
        beforeEach(() => configure({ store, backend }));

        it("answers 202 with Location, Retry-After and {jobId, status PENDING, createdAt}; the record is there first", async () => {
          let recordAtStart: unknown;
          fake.interceptors.push((op, input) => {
            if (op === "sfn:StartExecution" || op === "lambda:Invoke") {
              const id = op === "sfn:StartExecution" ? input.name : JSON.parse(Buffer.from(input.Payload).toString()).jobId;
              recordAtStart = rawJob(fake, id);
            }
            return undefined;
          });
          const res = await call(submit, apiEvent({ body: json({ seconds: 5, fail: false }) }));
          expect(res.status).to.equal(202);
          expect(Object.keys(res.body)).to.deep.equal(["jobId", "status", "createdAt"]);
          expect(res.body.status).to.equal("PENDING");
          expect(res.body.createdAt).to.equal(new Date(T0).toISOString());
          expect(isJobId(res.body.jobId)).to.equal(true);
          expect(res.headers.Location).to.equal(`https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/v1/jobs/${res.body.jobId}`);
          expect(res.headers["Retry-After"]).to.equal("1");
          expect(res.headers).to.not.have.property("Idempotent-Replayed");

          // Written before the start, so a GET right after the POST never 404s.
          expect(recordAtStart).to.include({ jobId: res.body.jobId, status: "PENDING", version: 1 });
          const record = rawJob(fake, res.body.jobId)!;
          // Step Functions starts the job at once (30 s allowance); Lambda's event queue may hold it (300 s).
          const deadline = T0 + (JOB_TIMEOUT_SECONDS + (backend === "stepfunctions" ? 30 : 300)) * 1000;
          expect(record).to.include({ pk: res.body.jobId, kind: "job", status: "PENDING", owner: ALICE, version: 1, input: json({ seconds: 5, fail: false }) });
          expect(record.deadline).to.equal(new Date(deadline).toISOString());
          expect(record.expiresAt).to.equal(deadline / 1000 + TTL_SECONDS);
          const read = await call(status, apiEvent({ jobId: res.body.jobId }));
          expect(read.status).to.equal(200);
          expect(read.body.status).to.equal("PENDING");

          if (backend === "stepfunctions") {
            const starts = fake.sfn.commandCalls(StartExecutionCommand);
            expect(starts).to.have.length(1);
            expect(starts[0].args[0].input).to.deep.equal({ stateMachineArn: STATE_MACHINE_ARN, name: res.body.jobId, input: json({ jobId: res.body.jobId }) });
            expect(fake.lambda.calls()).to.have.length(0);
          } else {
            const invokes = fake.lambda.commandCalls(InvokeCommand);
            expect(invokes).to.have.length(1);
            const input = invokes[0].args[0].input;
            expect(input.FunctionName).to.equal(WORKER_FUNCTION);
            expect(input.InvocationType).to.equal("Event");
            expect(JSON.parse(Buffer.from(input.Payload as Uint8Array).toString())).to.deep.equal({ jobId: res.body.jobId });
            expect(fake.sfn.calls()).to.have.length(0);
          }
        });

        it("makes a new job for every POST without Idempotency-Key", async () => {
          const a = await call(submit, apiEvent());
          const b = await call(submit, apiEvent());
          expect(a.body.jobId).to.not.equal(b.body.jobId);
        });

        describe("Idempotency-Key", () => {
          const withKey = (key: string, body: unknown = { seconds: 1 }, userArn: string = ALICE) =>
            apiEvent({ body: json(body), userArn, headers: { "content-type": "application/json", "idempotency-key": key } });

          it("replays the first response (same jobId, status PENDING, createdAt) with Idempotent-Replayed: true", async () => {
            const first = await call(submit, withKey("order-42_A"));
            expect(first.status).to.equal(202);
            clock.advance(5_000);
            const record = rawJob(fake, first.body.jobId)!;
            expect(record.idempotencyKey).to.equal("order-42_A");
            // The job finished meanwhile: the replay still answers what the first POST answered.
            writeRaw(fake, { ...record, status: "SUCCEEDED", result: JSON.stringify({ message: "done" }), version: record.version + 1 });
            const second = await call(submit, apiEvent({ body: json({ seconds: 1 }), headers: { "Content-Type": "application/json", "IDEMPOTENCY-KEY": "order-42_A" } }));
            expect(second.status).to.equal(202);
            expect(second.body).to.deep.equal(first.body);
            expect(second.headers["Idempotent-Replayed"]).to.equal("true");
            expect(second.headers.Location).to.equal(first.headers.Location);
            // Only one job was started.
            expect(fake.sfn.calls().length + fake.lambda.calls().length).to.equal(1);
          });

          it("treats the same JSON with other whitespace as the same body", async () => {
            const first = await call(submit, apiEvent({ body: '{"seconds":1}', headers: { "Content-Type": "application/json", "Idempotency-Key": "k" } }));
            const second = await call(submit, apiEvent({ body: '{ "seconds" : 1 }\n', headers: { "Content-Type": "application/json", "Idempotency-Key": "k" } }));
            expect(second.status).to.equal(202);
            expect(second.body.jobId).to.equal(first.body.jobId);
          });

          it("answers 409 IdempotencyConflict for the same key with another body", async () => {
            await call(submit, withKey("k1", { seconds: 1 }));
            const res = await call(submit, withKey("k1", { seconds: 2 }));
            expect(res.status).to.equal(409);
            expect(res.body.error.code).to.equal("IdempotencyConflict");
          });

          it("keeps keys of different callers apart", async () => {
            const a = await call(submit, withKey("same", { seconds: 1 }, ALICE));
            const b = await call(submit, withKey("same", { seconds: 2 }, BOB));
            expect(b.status).to.equal(202);
            expect(b.body.jobId).to.not.equal(a.body.jobId);
          });

          it("starts a new job once the key's record has expired", async () => {
            const first = await call(submit, withKey("k2"));
            clock.advance(TTL_SECONDS * 1000);
            const second = await call(submit, withKey("k2"));
            expect(second.status).to.equal(202);
            expect(second.body.jobId).to.not.equal(first.body.jobId);
            expect(second.headers).to.not.have.property("Idempotent-Replayed");
          });

          const sha = (text: string) => createHash("sha256").update(text).digest("hex");
          const orphan = async (createdAt: number) => {
            const record = {
              pk: `idem#${sha(`${ALICE}\nk3`)}`,
              kind: "idempotency" as const,
              jobId: "0f8fad5b-d9cb-469f-a165-70867728950e",
              bodyHash: sha(json({ seconds: 1 })),
              createdAt: new Date(createdAt).toISOString(),
              expiresAt: T0 / 1000 + TTL_SECONDS,
            };
            await storeFromEnv().createIdempotency(record);
          };

          it("answers 409 Conflict with Retry-After while the first request with the key is between its writes", async () => {
            await orphan(T0 - 1_000);
            const res = await call(submit, withKey("k3"));
            expect(res.status).to.equal(409);
            expect(res.body.error.code).to.equal("Conflict");
            expect(res.headers["Retry-After"]).to.equal("1");
            expect(fake.sfn.calls().length + fake.lambda.calls().length).to.equal(0);
          });

          it("releases a key left by a submit that crashed between its writes, and makes the job", async () => {
            await orphan(T0 - 60_000);
            const res = await call(submit, withKey("k3"));
            expect(res.status).to.equal(202);
            expect(res.body.jobId).to.not.equal("0f8fad5b-d9cb-469f-a165-70867728950e");
            const replay = await call(submit, withKey("k3"));
            expect(replay.body.jobId).to.equal(res.body.jobId);
            expect(replay.headers["Idempotent-Replayed"]).to.equal("true");
          });

          for (const bad of ["", "has space", "x".repeat(65), "ünïcode", "semi;colon", "../x"]) {
            it(`answers 400 BadRequest for the key ${JSON.stringify(bad.slice(0, 20))}`, async () => {
              const res = await call(submit, withKey(bad));
              expect(res.status).to.equal(400);
              expect(res.body.error.code).to.equal("BadRequest");
              expect(res.body.error.message).to.match(/Idempotency-Key/);
              expect(fake.callCount()).to.equal(0);
            });
          }

          it("accepts a 64-character key", async () => {
            const res = await call(submit, withKey("a".repeat(64)));
            expect(res.status).to.equal(202);
          });
        });

        // AWS Step Functions API reference, StartExecution: ThrottlingException (400); AWS Lambda API
        // reference, Invoke: TooManyRequestsException (429). Both past the SDK's retries.
        it("when the workflow service throttles: 503 ServiceUnavailable with Retry-After, the job FAILED (StartFailed), the key released", async () => {
          fake.failAlways(backend === "stepfunctions" ? "sfn:StartExecution" : "lambda:Invoke", () =>
            backend === "stepfunctions"
              ? awsError("ThrottlingException", "Rate exceeded for arn:aws:states:us-east-1:123456789012:stateMachine:run", 400)
              : awsError("TooManyRequestsException", "Rate Exceeded.", 429),
          );
          const event = apiEvent({ body: json({ seconds: 1 }), headers: { "Content-Type": "application/json", "Idempotency-Key": "retry-me" } });
          const { result: res, lines } = await errorLogOf(() => call(submit, event));
          expect(res.status).to.equal(503);
          expect(res.body.error.code).to.equal("ServiceUnavailable");
          expect(res.headers["Retry-After"]).to.equal(SERVICE_UNAVAILABLE_RETRY_AFTER);
          expect(lines[0].message).to.equal("Could not start the job");
          const jobs = store === "s3" ? [...fake.objects.keys()].filter((k) => k.includes("/jobs/")) : [...fake.items.keys()].filter((k) => !k.includes("idem#"));
          expect(jobs).to.have.length(1);
          const jobId = jobs[0].replace(/^.*\/(jobs\/)?/, "").replace(/\.json$/, "");
          const record = rawJob(fake, jobId)!;
          expect(record.status).to.equal("FAILED");
          expect(record.error).to.deep.equal({ code: "StartFailed", message: "The job could not be started." });
          const read = await call(status, apiEvent({ jobId }));
          expect(read.body.status).to.equal("FAILED");
          expect(read.body.error.code).to.equal("StartFailed");

          // The key is free again: a retry makes a new job.
          fake.interceptors.length = 0;
          const retry = await call(submit, event);
          expect(retry.status).to.equal(202);
          expect(retry.body.jobId).to.not.equal(jobId);
          expect(retry.headers).to.not.have.property("Idempotent-Replayed");
        });

        it("when the workflow service refuses for good (a missing permission): 500 InternalError, the job FAILED (StartFailed), the key released", async () => {
          fake.failAlways(backend === "stepfunctions" ? "sfn:StartExecution" : "lambda:Invoke", () =>
            awsError("AccessDeniedException", `User: arn:aws:sts::123456789012:assumed-role/x is not authorized`, 403),
          );
          const event = apiEvent({ body: json({ seconds: 1 }), headers: { "Content-Type": "application/json", "Idempotency-Key": "retry-me" } });
          const res = await call(submit, event);
          expect(res.status).to.equal(500);
          expect(res.body.error.code).to.equal("InternalError");
          const jobs = store === "s3" ? [...fake.objects.keys()].filter((k) => k.includes("/jobs/")) : [...fake.items.keys()].filter((k) => !k.includes("idem#"));
          expect(jobs.map((k) => rawJob(fake, k.replace(/^.*\/(jobs\/)?/, "").replace(/\.json$/, ""))?.status)).to.deep.equal(["FAILED"]);
          fake.interceptors.length = 0;
          expect((await call(submit, event)).status).to.equal(202);
        });
      });
    }
  }

  describe("request checks, in order", () => {
    it("415 UnsupportedMediaType without a JSON Content-Type", async () => {
      for (const headers of [{}, { "Content-Type": "text/plain" }, { "content-type": "application/jsonx" }, { "Content-Type": "application/x-www-form-urlencoded" }]) {
        const res = await call(submit, apiEvent({ headers: headers as Record<string, string>, body: "{\"seconds\": 1}" }));
        expect(res.status, JSON.stringify(headers)).to.equal(415);
        expect(res.body.error.code).to.equal("UnsupportedMediaType");
      }
      expect(fake.callCount()).to.equal(0);
    });

    it("accepts application/json with any charset, in any case", async () => {
      for (const type of ["application/json", "Application/JSON; charset=UTF-8", "application/json;charset=utf-8"]) {
        const res = await call(submit, apiEvent({ headers: { "CONTENT-TYPE": type } }));
        expect(res.status, type).to.equal(202);
      }
    });

    it("415 comes before 413", async () => {
      const res = await call(submit, apiEvent({ headers: { "Content-Type": "text/plain" }, body: "x".repeat(300 * 1024) }));
      expect(res.status).to.equal(415);
    });

    it("413 PayloadTooLarge over 256 KiB (base64 bodies decoded first)", async () => {
      const big = json({ seconds: 1, pad: "x".repeat(256 * 1024) });
      let res = await call(submit, apiEvent({ body: big }));
      expect(res.status).to.equal(413);
      expect(res.body.error.code).to.equal("PayloadTooLarge");
      res = await call(submit, apiEvent({ body: Buffer.from(big).toString("base64"), isBase64Encoded: true }));
      expect(res.status).to.equal(413);
      // 256 KiB exactly is allowed past the size check (it then fails validation: "pad" is not allowed).
      const exact = `{"seconds":1,"pad":"${"x".repeat(256 * 1024 - 22)}"}`;
      expect(Buffer.byteLength(exact)).to.equal(256 * 1024);
      res = await call(submit, apiEvent({ body: exact }));
      expect(res.status).to.equal(400);
      expect(fake.callCount()).to.equal(0);
    });

    it("413 comes before a bad Idempotency-Key, which comes before malformed JSON", async () => {
      let res = await call(submit, apiEvent({ body: "{".repeat(300 * 1024), headers: { "Content-Type": "application/json", "Idempotency-Key": "bad key" } }));
      expect(res.status).to.equal(413);
      res = await call(submit, apiEvent({ body: "{", headers: { "Content-Type": "application/json", "Idempotency-Key": "bad key" } }));
      expect(res.status).to.equal(400);
      expect(res.body.error.message).to.match(/Idempotency-Key/);
    });

    it("400 BadRequest for malformed JSON (or an empty body, or bad base64 text)", async () => {
      for (const body of ["{", "", "{'seconds': 1}", "nul", null]) {
        const res = await call(submit, apiEvent({ body }));
        expect(res.status, String(body)).to.equal(400);
        expect(res.body.error.code).to.equal("BadRequest");
      }
      const res = await call(submit, apiEvent({ body: Buffer.from([0xff, 0xfe, 0x7b]).toString("base64"), isBase64Encoded: true }));
      expect(res.status).to.equal(400);
      expect(res.body.error.code).to.equal("BadRequest");
      expect(fake.callCount()).to.equal(0);
    });

    it("decodes a base64 body", async () => {
      const res = await call(submit, apiEvent({ body: Buffer.from(json({ seconds: 2 })).toString("base64"), isBase64Encoded: true }));
      expect(res.status).to.equal(202);
    });

    const cases: Array<[unknown, string]> = [
      [{ seconds: 901 }, "seconds: must be <= 900"],
      [{ seconds: -1 }, "seconds: must be >= 0"],
      [{ seconds: "5" }, "seconds: must be number"],
      [{}, "missing required property 'seconds'"],
      [{ seconds: 1, foo: 1 }, "property 'foo' is not allowed"],
      [{ seconds: 1, fail: "yes" }, "fail: must be boolean"],
      [{ seconds: 1, resultBytes: 1.5 }, "resultBytes: must be integer"],
      [[1], "body: must be object"],
    ];
    for (const [body, message] of cases) {
      it(`400 ValidationError "${message}" for ${json(body)}`, async () => {
        const res = await call(submit, apiEvent({ body: json(body) }));
        expect(res.status).to.equal(400);
        expect(res.body.error).to.deep.equal({ code: "ValidationError", message });
        expect(fake.callCount()).to.equal(0);
      });
    }

    it("clips an echoed property name to about 100 characters", async () => {
      const res = await call(submit, apiEvent({ body: json({ seconds: 1, ["n".repeat(1000)]: 1 }) }));
      expect(res.status).to.equal(400);
      expect(res.body.error.message.length).to.be.lessThan(140);
      expect(res.body.error.message).to.match(/^property 'n{100}…' is not allowed$/);
    });

    // CONTRACT.md, "Who owns a job": iam the caller, apiKey the key that was sent, none everyone.
    it("403 Forbidden without a caller identity (iam) or key id (apiKey); the key owns the job on apiKey, 'public' on none", async () => {
      let res = await call(submit, apiEvent({ userArn: null }));
      expect(res.status).to.equal(403);
      expect(res.body.error.code).to.equal("Forbidden");
      configure({ auth: "apiKey" });
      res = await call(submit, apiEvent({ userArn: null, apiKeyId: null }));
      expect(res.status).to.equal(403);
      res = await call(submit, apiEvent({ userArn: null, apiKeyId: BOB_KEY }));
      expect(res.status).to.equal(202);
      expect(rawJob(fake, res.body.jobId)?.owner).to.equal(BOB_KEY);
      configure({ auth: "none" });
      res = await call(submit, apiEvent({ userArn: null, apiKeyId: null }));
      expect(rawJob(fake, res.body.jobId)?.owner).to.equal("public");
    });

    it("Location keeps the forwarded protocol and the stage path", async () => {
      const event = apiEvent({ headers: { "Content-Type": "application/json", "X-Forwarded-Proto": "http" } });
      event.requestContext.domainName = "127.0.0.1:8080";
      event.requestContext.path = "/local/jobs";
      const res = await call(submit, event);
      expect(res.headers.Location).to.equal(`http://127.0.0.1:8080/local/jobs/${res.body.jobId}`);
    });

    it("CORS: echoes an allowed Origin with Vary: Origin; nothing for others; no CORS headers when none are configured", async () => {
      configure({ corsOrigins: ["http://localhost:5173"] });
      let res = await call(submit, apiEvent({ headers: { "Content-Type": "application/json", Origin: "http://localhost:5173" } }));
      expect(res.headers["Access-Control-Allow-Origin"]).to.equal("http://localhost:5173");
      expect(res.headers.Vary).to.equal("Origin");
      expect(res.headers["Access-Control-Expose-Headers"]).to.include("Location");
      res = await call(submit, apiEvent({ headers: { "Content-Type": "text/plain", Origin: "https://evil.example" } }));
      expect(res.headers).to.not.have.property("Access-Control-Allow-Origin");
      expect(res.headers.Vary).to.equal("Origin");
      configure({});
      res = await call(submit, apiEvent({ headers: { "Content-Type": "application/json", Origin: "http://localhost:5173" } }));
      expect(res.headers).to.not.have.property("Access-Control-Allow-Origin");
      expect(res.headers).to.not.have.property("Vary");
    });

    // CONTRACT.md, "When a service behind the API fails"; AWS, "Error handling with DynamoDB":
    // throttling is a 400 ThrottlingException / ProvisionedThroughputExceededException, a server
    // fault a 500 InternalServerError; Amazon S3 "Error responses": 503 SlowDown, 500 InternalError.
    it("503 ServiceUnavailable with Retry-After when the store throttles or fails past the SDK's retries, with the details only in the log", async () => {
      const cases = [
        ["dynamodb", "dynamodb:Put", "ProvisionedThroughputExceededException", 400],
        ["dynamodb", "dynamodb:Put", "ThrottlingException", 400],
        ["dynamodb", "dynamodb:Put", "InternalServerError", 500],
        ["s3", "s3:PutObject", "SlowDown", 503],
        ["s3", "s3:PutObject", "InternalError", 500],
      ] as const;
      for (const [store, op, name, httpStatus] of cases) {
        fake.reset();
        configure({ store });
        fake.failAlways(op, () => awsError(name, "Rate exceeded for table arn:aws:dynamodb:us-east-1:123456789012:table/async-api-jobs", httpStatus));
        const { result: res, lines } = await errorLogOf(() => call(submit, apiEvent()));
        expect(res.status, name).to.equal(503);
        expect(res.body.error.code).to.equal("ServiceUnavailable");
        expect(Number(res.headers["Retry-After"])).to.be.greaterThan(0);
        assertNoLeak(res.raw);
        expect(lines.map((l) => [l.message, l.details.route, l.details.errorName]), name).to.deep.equal([["A service behind the API failed", "submit", name]]);
        expect(fake.sfn.calls()).to.have.length(0);
      }
    });

    it("a submit with an Idempotency-Key that the store refused left nothing behind: the retry with the key makes the one job", async () => {
      for (const store of STORES) {
        fake.reset();
        configure({ store });
        const event = apiEvent({ body: json({ seconds: 1 }), headers: { "Content-Type": "application/json", "Idempotency-Key": "store-down" } });
        fake.failAlways(store === "dynamodb" ? "dynamodb:Put" : "s3:PutObject", () => awsError("InternalServerError", "Internal server error", 500));
        expect((await call(submit, event)).status, store).to.equal(503);
        expect(fake.items.size + fake.objects.size, `${store}: records left by the refused submit`).to.equal(0);
        fake.interceptors.length = 0;
        const retry = await call(submit, event);
        expect(retry.status, store).to.equal(202);
        expect(retry.headers).to.not.have.property("Idempotent-Replayed");
        const again = await call(submit, event);
        expect([again.status, again.body.jobId, again.headers["Idempotent-Replayed"]], store).to.deep.equal([202, retry.body.jobId, "true"]);
      }
    });

    it("500 InternalError for a bug (not a service failing), with the details only in the log", async () => {
      fake.failAlways("dynamodb:Put", () => new TypeError("Cannot read properties of undefined (reading 'S')"));
      const { result: res, lines } = await errorLogOf(() => call(submit, apiEvent()));
      expect(res.status).to.equal(500);
      expect(res.body.error.code).to.equal("InternalError");
      expect(res.headers).to.not.have.property("Retry-After");
      expect(lines.map((l) => [l.message, l.details.errorName, l.details.errorMessage])).to.deep.equal([["Unhandled error", "TypeError", "Cannot read properties of undefined (reading 'S')"]]);
    });
  });
});
