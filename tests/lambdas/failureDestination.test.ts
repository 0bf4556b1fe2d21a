import { expect } from "chai";
import { createFailureDestination, failurePatch } from "../../lambdas/worker/failureDestination";
import type { FailureDestinationEvent } from "../../lambdas/worker/failureDestination";
import { awsError } from "./support/fakeAws";
import { Clock, STORES, TTL_SECONDS, T0, configure, makeRecord, rawJob, seed, useFakeAws } from "./support/harness";

const ID = "e4eaaaf2-d142-41f5-8c0b-2a1d6f0e7b93";
const RUN = "11111111-aaaa-4bbb-8ccc-000000000001";

function destinationRecord(condition: string, responsePayload: FailureDestinationEvent["responsePayload"], requestId = RUN): FailureDestinationEvent {
  return {
    version: "1.0",
    timestamp: "2026-03-01T12:15:00.000Z",
    requestContext: { requestId, functionArn: "arn:aws:lambda:us-east-1:123456789012:function:async-api-worker:$LATEST", condition, approximateInvokeCount: 3 },
    requestPayload: { jobId: ID },
    responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
    responsePayload,
  };
}

describe("lambdas/worker/failureDestination (backend lambda)", () => {
  describe("mapping", () => {
    const cases: Array<[string, FailureDestinationEvent, string, string]> = [
      [
        "a Lambda timeout",
        destinationRecord("RetriesExhausted", { errorMessage: "2026-03-01T12:15:00.000Z 6f1e... Task timed out after 900.00 seconds" }),
        "TIMED_OUT",
        "TimedOut",
      ],
      ["a sandbox timeout", destinationRecord("RetriesExhausted", { errorType: "Sandbox.Timedout", errorMessage: "RequestId: x Error: Task timed out" }), "TIMED_OUT", "TimedOut"],
      ["an expired event", destinationRecord("EventAgeExceeded", null), "FAILED", "EventAgeExceeded"],
      ["a crash", destinationRecord("RetriesExhausted", { errorType: "Runtime.ExitError", errorMessage: "RequestId: abc Error: Runtime exited with error: signal: killed" }), "FAILED", "Runtime.ExitError"],
      [
        "a store failure thrown by the worker",
        destinationRecord("RetriesExhausted", { errorType: "AccessDeniedException", errorMessage: "User: arn:aws:sts::123456789012:assumed-role/w is not authorized" }),
        "FAILED",
        "AccessDeniedException",
      ],
      ["no error type", destinationRecord("RetriesExhausted", { errorMessage: "weird" }), "FAILED", "WorkerFailed"],
      ["a hostile error type", destinationRecord("RetriesExhausted", { errorType: "arn:aws:iam::123456789012:x <script>" }), "FAILED", "WorkerFailed"],
    ];
    for (const [name, event, status, code] of cases) {
      it(`${name} → ${status} (${code}), with a static message`, () => {
        const patch = failurePatch(event);
        expect(patch.status).to.equal(status);
        expect(patch.error!.code).to.equal(code);
        const message = patch.error!.message;
        expect(message).to.not.match(/arn:|RequestId|killed|weird|123456789012/);
      });
    }
  });

  const fake = useFakeAws();
  let clock: Clock;
  beforeEach(() => {
    clock = new Clock();
  });

  for (const store of STORES) {
    describe(`store ${store}`, () => {
      beforeEach(() => configure({ store, backend: "lambda" }));
      const handler = () => createFailureDestination({ now: clock.now });

      for (const status of ["PENDING", "RUNNING"] as const) {
        it(`records a crash of a ${status} job as FAILED, with the TTL from now`, async () => {
          await seed(makeRecord({ jobId: ID, status, runId: status === "RUNNING" ? RUN : undefined }));
          const out = await handler()(destinationRecord("RetriesExhausted", { errorType: "Runtime.ExitError", errorMessage: "x" }));
          expect(out).to.deep.equal({ applied: true });
          const r = rawJob(fake, ID)!;
          expect(r).to.deep.include({ status: "FAILED", error: { code: "Runtime.ExitError", message: "The job's worker failed before it could record an outcome." } });
          expect(r.expiresAt).to.equal(T0 / 1000 + TTL_SECONDS);
        });
      }

      it("records a timeout as TIMED_OUT", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING", runId: RUN }));
        await handler()(destinationRecord("RetriesExhausted", { errorMessage: "Task timed out after 63.00 seconds" }));
        expect(rawJob(fake, ID)?.status).to.equal("TIMED_OUT");
      });

      it("leaves a finished or cancelled job alone (first terminal state wins)", async () => {
        for (const status of ["SUCCEEDED", "CANCELLED", "FAILED", "TIMED_OUT"] as const) {
          fake.reset();
          configure({ store, backend: "lambda" });
          await seed(makeRecord({ jobId: ID, status }));
          expect(await handler()(destinationRecord("RetriesExhausted", { errorType: "Runtime.ExitError" }))).to.deep.equal({ applied: false });
          expect(rawJob(fake, ID)).to.include({ status, version: 1 });
        }
      });

      it("leaves a job RUNNING under another delivery alone", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING", runId: "33333333-aaaa-4bbb-8ccc-000000000003" }));
        expect(await handler()(destinationRecord("RetriesExhausted", { errorType: "Runtime.ExitError" }))).to.deep.equal({ applied: false });
        expect(rawJob(fake, ID)?.status).to.equal("RUNNING");
      });

      it("ignores a record without a valid job id, without touching AWS", async () => {
        const event = destinationRecord("RetriesExhausted", null);
        event.requestPayload = { jobId: "../../etc" };
        expect(await handler()(event)).to.deep.equal({ applied: false });
        expect(fake.callCount()).to.equal(0);
      });

      it("throws when the write fails for another reason than the rules (Lambda retries it)", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING", runId: RUN }));
        fake.failAlways(store === "s3" ? "s3:PutObject" : "dynamodb:Put", () => awsError("InternalServerError", "oops", 500));
        const err = await handler()(destinationRecord("RetriesExhausted", { errorType: "Runtime.ExitError" })).catch((e) => e);
        expect(err).to.be.instanceOf(Error);
        expect(rawJob(fake, ID)?.status).to.equal("RUNNING");
      });
    });
  }
});
