import { expect } from "chai";
import { EXECUTION_STATUS_CHANGE_DETAIL_TYPE, LAMBDA_FAILURE_DETAIL_TYPE, executionFailurePattern, workerFailurePattern } from "../../components/events/failureEvents";
import { RECORDING_FAILED_ERROR } from "../../components/workflow/definition";
import { matchesPattern } from "../../local/aws/eventbridge/pattern";
import { CANCELLED_STOP_ERROR, RECORDING_FAILED, createFailureDestination, executionPatch, failurePatch } from "../../lambdas/worker/failureDestination";
import type { EventBridgeEvent, ExecutionStatusChange, FailureDestinationEvent } from "../../lambdas/worker/failureDestination";
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

// ---------------------------------------------------------------------------------------------
// The events of the failures bus (EventBridge): Lambda destination records and Step Functions
// execution status changes, as first delivered and as a replay re-sends them.

const WORKER_ARN = "arn:aws:lambda:us-east-1:123456789012:function:async-api-worker";
const STATE_MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:async-api-run-job";
const BUS = "arn:aws:events:us-east-1:123456789012:event-bus/jobs-failures";

/** A Lambda destination record as Lambda puts it on an EventBridge bus. */
function onBus(record: FailureDestinationEvent, replay?: string): EventBridgeEvent<FailureDestinationEvent> {
  return {
    version: "0",
    id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": LAMBDA_FAILURE_DETAIL_TYPE,
    source: "lambda",
    account: "123456789012",
    time: "2026-03-01T12:15:00Z",
    region: "us-east-1",
    resources: [BUS, `${WORKER_ARN}:$LATEST`],
    detail: record,
    ...(replay ? { "replay-name": replay } : {}),
  };
}

/** A "Step Functions Execution Status Change" event of the job's execution. */
function statusChange(status: string, error: string | null = null, name: unknown = ID, replay?: string): EventBridgeEvent<ExecutionStatusChange> {
  return {
    version: "0",
    id: "315c1398-40ff-a850-213b-158f73e60175",
    "detail-type": EXECUTION_STATUS_CHANGE_DETAIL_TYPE,
    source: "aws.states",
    account: "123456789012",
    time: "2026-03-01T12:15:00Z",
    region: "us-east-1",
    resources: [`arn:aws:states:us-east-1:123456789012:execution:async-api-run-job:${String(name)}`],
    detail: {
      executionArn: `arn:aws:states:us-east-1:123456789012:execution:async-api-run-job:${String(name)}`,
      stateMachineArn: STATE_MACHINE,
      name,
      status,
      error,
      cause: error ? "arn:aws:lambda:us-east-1:123456789012:function:x failed at line 3" : null,
      input: JSON.stringify({ jobId: name }),
    },
    ...(replay ? { "replay-name": replay } : {}),
  };
}

describe("lambdas/worker/failureDestination: events of the failures bus", () => {
  it("uses the strings the rest of the project uses (Fail state, cancel's stop error, detail types)", () => {
    expect(RECORDING_FAILED).to.equal(RECORDING_FAILED_ERROR);
    expect(CANCELLED_STOP_ERROR).to.equal("Cancelled");
    // The events the recorder is built for are the events the program's rules select.
    expect(matchesPattern(workerFailurePattern(WORKER_ARN), onBus(destinationRecord("RetriesExhausted", null)))).to.equal(true);
    expect(matchesPattern(executionFailurePattern(STATE_MACHINE), statusChange("FAILED", RECORDING_FAILED))).to.equal(true);
    expect(matchesPattern(executionFailurePattern(STATE_MACHINE), statusChange("SUCCEEDED"))).to.equal(false);
  });

  describe("execution mapping", () => {
    const cases: Array<[string, string, string | null, string | undefined, string | undefined]> = [
      ["a record write that kept failing", "FAILED", "RecordingFailed", "FAILED", "RecordingFailed"],
      ["another execution error", "FAILED", "States.Runtime", "FAILED", "States.Runtime"],
      ["a hostile error name", "FAILED", "arn:aws:iam::123456789012:x <b>", "FAILED", "ExecutionFailed"],
      ["no error name", "FAILED", null, "FAILED", "ExecutionFailed"],
      ["the execution's own timeout", "TIMED_OUT", "States.Timeout", "TIMED_OUT", "TimedOut"],
      ["a stop by someone else than a cancel", "ABORTED", null, "FAILED", "ExecutionAborted"],
      ["a cancel's StopExecution (CANCELLED is recorded already)", "ABORTED", "Cancelled", undefined, undefined],
      ["a success", "SUCCEEDED", null, undefined, undefined],
      ["a start", "RUNNING", null, undefined, undefined],
    ];
    for (const [name, status, error, to, code] of cases) {
      it(`${name}: ${status}${error ? ` (${error})` : ""} → ${to ?? "nothing"}${code ? ` (${code})` : ""}`, () => {
        const patch = executionPatch(statusChange(status, error).detail!);
        expect(patch?.status).to.equal(to);
        expect(patch?.error?.code).to.equal(code);
        if (patch?.error) expect(patch.error.message).not.to.match(/arn:|123456789012|line 3/);
      });
    }
  });

  const fake = useFakeAws();
  let clock: Clock;
  beforeEach(() => {
    clock = new Clock();
  });
  const handler = () => createFailureDestination({ now: clock.now });

  for (const store of STORES) {
    describe(`backend lambda, store ${store}: the destination record as an event's detail`, () => {
      beforeEach(() => configure({ store, backend: "lambda" }));

      it("records the crash, and a replay of the same event changes nothing (the first terminal state wins)", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING", runId: RUN }));
        const event = onBus(destinationRecord("RetriesExhausted", { errorType: "InternalServerError", errorMessage: "x" }));
        expect(await handler()(event)).to.deep.equal({ applied: true });
        expect(rawJob(fake, ID)).to.deep.include({ status: "FAILED", error: { code: "InternalServerError", message: "The job's worker failed before it could record an outcome." }, version: 2 });
        expect(await handler()({ ...event, "replay-name": "replay-1" })).to.deep.equal({ applied: false });
        expect(rawJob(fake, ID)).to.include({ status: "FAILED", version: 2 });
      });

      it("records it on a replay when the first recording failed", async () => {
        await seed(makeRecord({ jobId: ID, status: "PENDING" }));
        const event = onBus(destinationRecord("RetriesExhausted", { errorType: "Runtime.ExitError" }));
        fake.failAlways(store === "s3" ? "s3:PutObject" : "dynamodb:Put", () => awsError("InternalServerError", "down", 500));
        expect(await handler()(event).catch((e) => e)).to.be.instanceOf(Error);
        expect(rawJob(fake, ID)?.status).to.equal("PENDING");
        fake.reset();
        configure({ store, backend: "lambda" });
        await seed(makeRecord({ jobId: ID, status: "PENDING" }));
        expect(await handler()(onBus(event.detail!, "failures-replay"))).to.deep.equal({ applied: true });
        expect(rawJob(fake, ID)).to.deep.include({ status: "FAILED", error: { code: "Runtime.ExitError", message: "The job's worker failed before it could record an outcome." } });
      });

      it("ignores events of other kinds, without touching AWS", async () => {
        for (const event of [
          { source: "my.app", "detail-type": "Something", detail: { requestPayload: { jobId: ID } } },
          { source: "lambda", "detail-type": "Lambda Function Invocation Result - Success", detail: { requestPayload: { jobId: ID } } },
          null,
          "text",
        ]) {
          expect(await handler()(event as never)).to.deep.equal({ applied: false });
        }
        expect(fake.callCount()).to.equal(0);
      });
    });

    describe(`backend stepfunctions, store ${store}: execution status changes`, () => {
      beforeEach(() => configure({ store, backend: "stepfunctions" }));

      it("records an execution that ended in RecordingFailed as FAILED (RecordingFailed); its replay is a no-op", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        const event = statusChange("FAILED", "RecordingFailed");
        expect(await handler()(event)).to.deep.equal({ applied: true });
        const r = rawJob(fake, ID)!;
        expect(r).to.deep.include({ status: "FAILED", error: { code: "RecordingFailed", message: "The job's outcome could not be recorded." } });
        expect(r.expiresAt).to.equal(T0 / 1000 + TTL_SECONDS);
        expect(await handler()(statusChange("FAILED", "RecordingFailed", ID, "replay-2"))).to.deep.equal({ applied: false });
        expect(rawJob(fake, ID)).to.include({ version: 2 });
      });

      it("records a job that never got RUNNING (MarkRunning could not write)", async () => {
        await seed(makeRecord({ jobId: ID, status: "PENDING" }));
        expect(await handler()(statusChange("FAILED", "RecordingFailed"))).to.deep.equal({ applied: true });
        expect(rawJob(fake, ID)?.status).to.equal("FAILED");
      });

      it("records an execution timeout as TIMED_OUT, even past the deadline", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        clock.advance(400_000); // past the record's deadline (T0 + 360 s)
        expect(await handler()(statusChange("TIMED_OUT", "States.Timeout"))).to.deep.equal({ applied: true });
        expect(rawJob(fake, ID)).to.deep.include({ status: "TIMED_OUT", error: { code: "TimedOut", message: "The job did not finish within its time limit." } });
      });

      it("does not turn a job past its deadline into FAILED (it reads TIMED_OUT already)", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        clock.advance(400_000);
        expect(await handler()(statusChange("FAILED", "RecordingFailed"))).to.deep.equal({ applied: false });
        expect(rawJob(fake, ID)?.status).to.equal("RUNNING");
      });

      it("leaves a cancelled job alone: a cancel's stop without touching the store, any other event by the rules", async () => {
        await seed(makeRecord({ jobId: ID, status: "CANCELLED" }));
        const before = fake.callCount();
        expect(await handler()(statusChange("ABORTED", "Cancelled"))).to.deep.equal({ applied: false });
        expect(fake.callCount()).to.equal(before);
        expect(await handler()(statusChange("ABORTED", null))).to.deep.equal({ applied: false });
        expect(await handler()(statusChange("FAILED", "RecordingFailed"))).to.deep.equal({ applied: false });
        expect(rawJob(fake, ID)).to.include({ status: "CANCELLED", version: 1 });
      });

      it("records a stop by anyone but a cancel as FAILED (ExecutionAborted)", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        expect(await handler()(statusChange("ABORTED", null))).to.deep.equal({ applied: true });
        expect(rawJob(fake, ID)).to.deep.include({ status: "FAILED", error: { code: "ExecutionAborted", message: "The job's workflow was stopped before it could record an outcome." } });
      });

      it("ignores an execution whose name is not a job id, without touching AWS", async () => {
        for (const name of ["../../etc", 42, null]) expect(await handler()(statusChange("FAILED", "RecordingFailed", name))).to.deep.equal({ applied: false });
        expect(fake.callCount()).to.equal(0);
      });

      it("throws when the write fails for another reason than the rules (Lambda retries, then dead-letters it)", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        fake.failAlways(store === "s3" ? "s3:PutObject" : "dynamodb:Put", () => awsError("InternalServerError", "oops", 500));
        expect(await handler()(statusChange("FAILED", "RecordingFailed")).catch((e) => e)).to.be.instanceOf(Error);
        expect(rawJob(fake, ID)?.status).to.equal("RUNNING");
      });
    });
  }
});
