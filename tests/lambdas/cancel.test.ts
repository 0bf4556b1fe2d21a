import { expect } from "chai";
import { StopExecutionCommand } from "@aws-sdk/client-sfn";
import { createCancelHandler, executionArnOf } from "../../lambdas/api/cancel";
import { createStatusHandler } from "../../lambdas/api/status";
import { errorLogOf } from "./support/errorLog";
import { awsError } from "./support/fakeAws";
import { ALICE, ALICE_KEY, BOB, BOB_KEY, Clock, STATE_MACHINE_ARN, STORES, T0, TTL_SECONDS, apiEvent, call, configure, interleave, makeRecord, rawJob, seed, useFakeAws } from "./support/harness";

const ID = "9a7b330a-a736-41e5-8e0c-7a0e6f3f4c21";
const del = (jobId: string, userArn?: string | null) => apiEvent({ jobId, method: "DELETE", userArn });

describe("lambdas/api/cancel: DELETE /jobs/{jobId}", () => {
  const fake = useFakeAws();
  let clock: Clock;
  let cancel: ReturnType<typeof createCancelHandler>;
  let status: ReturnType<typeof createStatusHandler>;
  beforeEach(() => {
    clock = new Clock();
    cancel = createCancelHandler({ now: clock.now });
    status = createStatusHandler({ now: clock.now });
  });

  it("derives the execution ARN from the state machine ARN", () => {
    expect(executionArnOf(STATE_MACHINE_ARN, ID)).to.equal(`arn:aws:states:us-east-1:123456789012:execution:async-api-run-job:${ID}`);
    expect(executionArnOf("arn:aws-cn:states:cn-north-1:123456789012:stateMachine:sm", "j")).to.equal("arn:aws-cn:states:cn-north-1:123456789012:execution:sm:j");
    expect(executionArnOf("not-an-arn", ID)).to.equal(undefined);
  });

  for (const store of STORES) {
    describe(`store ${store}`, () => {
      for (const from of ["PENDING", "RUNNING"] as const) {
        it(`cancels a ${from} job: 202 {jobId, status CANCELLED}; it reads CANCELLED from then on, for the TTL`, async () => {
          configure({ store, backend: "lambda" });
          await seed(makeRecord({ jobId: ID, status: from }));
          clock.advance(1_000);
          const res = await call(cancel, del(ID));
          expect(res.status).to.equal(202);
          expect(res.body).to.deep.equal({ jobId: ID, status: "CANCELLED" });
          const record = rawJob(fake, ID)!;
          expect(record).to.include({ status: "CANCELLED", version: 2, updatedAt: new Date(T0 + 1_000).toISOString() });
          expect(record.expiresAt).to.equal((T0 + 1_000) / 1000 + TTL_SECONDS);
          const read = await call(status, apiEvent({ jobId: ID }));
          expect(read.body.status).to.equal("CANCELLED");
          expect(read.headers).to.not.have.property("Retry-After");
          expect(fake.sfn.calls()).to.have.length(0);
        });
      }

      for (const finished of ["SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"] as const) {
        it(`answers 409 Conflict for a ${finished} job and leaves it alone`, async () => {
          configure({ store });
          await seed(makeRecord({ jobId: ID, status: finished }));
          const res = await call(cancel, del(ID));
          expect(res.status).to.equal(409);
          expect(res.body.error.code).to.equal("Conflict");
          expect(rawJob(fake, ID)).to.include({ status: finished, version: 1 });
          expect(fake.sfn.calls()).to.have.length(0);
        });
      }

      it("answers 409 for a job past its deadline (it already reads TIMED_OUT)", async () => {
        configure({ store });
        const record = await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        clock.t = Date.parse(record.deadline);
        const res = await call(cancel, del(ID));
        expect(res.status).to.equal(409);
        expect(rawJob(fake, ID)?.status).to.equal("RUNNING");
      });

      it("answers 409 when the job finishes between the cancel's read and write (the finish wins)", async () => {
        configure({ store });
        await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        interleave(fake, ID, () => ({ status: "SUCCEEDED", result: "1", resultSize: 1 }));
        const res = await call(cancel, del(ID));
        expect(res.status).to.equal(409);
        expect(rawJob(fake, ID)?.status).to.equal("SUCCEEDED");
      });

      it("answers 404 for unknown, expired and other callers' jobs, the same body each time", async () => {
        configure({ store });
        await seed(makeRecord({ jobId: ID, owner: ALICE, expiresAt: T0 / 1000 + 100 }));
        const other = await call(cancel, del(ID, BOB));
        const unknown = await call(cancel, del("9a7b330a-a736-41e5-8e0c-7a0e6f3f4c22"));
        clock.advance(100_000);
        const expired = await call(cancel, del(ID, ALICE));
        for (const res of [other, unknown, expired]) {
          expect(res.status).to.equal(404);
          expect(res.raw).to.equal(unknown.raw);
        }
        expect(rawJob(fake, ID)?.status).to.equal("PENDING");
      });

      it("auth apiKey: another key cannot cancel the job (404), the owning key can", async () => {
        configure({ store, auth: "apiKey" });
        await seed(makeRecord({ jobId: ID, owner: ALICE_KEY }));
        expect((await call(cancel, apiEvent({ jobId: ID, method: "DELETE", apiKeyId: BOB_KEY }))).status).to.equal(404);
        expect(rawJob(fake, ID)?.status).to.equal("PENDING");
        expect((await call(cancel, apiEvent({ jobId: ID, method: "DELETE", apiKeyId: ALICE_KEY }))).status).to.equal(202);
        expect(rawJob(fake, ID)?.status).to.equal("CANCELLED");
      });

      // CONTRACT.md, "When a service behind the API fails". AWS, "Error handling with DynamoDB"
      // (400 ThrottlingException, 500 InternalServerError); Amazon S3 "Error responses" (503 SlowDown).
      it("answers 503 ServiceUnavailable with Retry-After when the store fails the read or the write past the SDK's retries; the job is untouched and a later cancel works", async () => {
        configure({ store, backend: "lambda" });
        await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        const failures =
          store === "dynamodb"
            ? ([["dynamodb:Get", awsError("InternalServerError", "Internal server error", 500)], ["dynamodb:Put", awsError("ThrottlingException", "Rate of requests exceeds the allowed throughput for arn:aws:dynamodb:us-east-1:123456789012:table/jobs", 400)]] as const)
            : ([["s3:GetObject", awsError("InternalError", "We encountered an internal error. Please try again.", 500)], ["s3:PutObject", awsError("SlowDown", "Please reduce your request rate.", 503)]] as const);
        for (const [op, failure] of failures) {
          fake.interceptors.length = 0;
          fake.failAlways(op, () => failure);
          const { result: res, lines } = await errorLogOf(() => call(cancel, del(ID)));
          expect(res.status, op).to.equal(503);
          expect(res.body.error.code).to.equal("ServiceUnavailable");
          expect(Number(res.headers["Retry-After"])).to.be.greaterThan(0);
          expect(lines.map((l) => [l.message, l.details.route, l.details.errorName])).to.deep.equal([["A service behind the API failed", "cancel", failure.name]]);
          expect(rawJob(fake, ID)).to.include({ status: "RUNNING", version: 1 });
        }
        fake.interceptors.length = 0;
        expect((await call(cancel, del(ID))).status).to.equal(202);
        expect(rawJob(fake, ID)?.status).to.equal("CANCELLED");
      });
    });
  }

  it("answers 500 InternalError for a bug (not a service failing), with no Retry-After", async () => {
    await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
    fake.failAlways("dynamodb:Put", () => new TypeError("Cannot read properties of undefined (reading 'S')"));
    const res = await call(cancel, del(ID));
    expect(res.status).to.equal(500);
    expect(res.body.error.code).to.equal("InternalError");
    expect(res.headers).to.not.have.property("Retry-After");
    expect(rawJob(fake, ID)?.status).to.equal("RUNNING");
  });

  describe("stopping the execution", () => {
    it("calls StopExecution for the job's execution (backend stepfunctions, STANDARD)", async () => {
      configure({ backend: "stepfunctions", workflowType: "STANDARD" });
      await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
      const res = await call(cancel, del(ID));
      expect(res.status).to.equal(202);
      const stops = fake.sfn.commandCalls(StopExecutionCommand);
      expect(stops).to.have.length(1);
      expect(stops[0].args[0].input.executionArn).to.equal(`arn:aws:states:us-east-1:123456789012:execution:async-api-run-job:${ID}`);
    });

    it("does not call StopExecution for EXPRESS workflows or the lambda backend", async () => {
      for (const setup of [{ backend: "stepfunctions" as const, workflowType: "EXPRESS" as const }, { backend: "lambda" as const }]) {
        fake.reset();
        configure(setup);
        await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        expect((await call(cancel, del(ID))).status).to.equal(202);
        expect(fake.sfn.calls(), JSON.stringify(setup)).to.have.length(0);
      }
    });

    it("still answers 202 when StopExecution fails (the record already says CANCELLED)", async () => {
      configure({ backend: "stepfunctions" });
      fake.failAlways("sfn:StopExecution", () => awsError("ExecutionDoesNotExist", `Execution Does Not Exist: 'arn:aws:states:us-east-1:123456789012:execution:x:${ID}'`, 400));
      await seed(makeRecord({ jobId: ID, status: "PENDING" }));
      const res = await call(cancel, del(ID));
      expect(res.status).to.equal(202);
      expect(rawJob(fake, ID)?.status).to.equal("CANCELLED");
    });
  });
});
