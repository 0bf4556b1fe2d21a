import { expect } from "chai";
import { isJobId, newJobId } from "../../lambdas/shared/ids";
import { canTransition, isTerminal, mayWrite, retryAfterSeconds, view } from "../../lambdas/shared/status";
import { JOB_STATUSES } from "../../lambdas/shared/types";
import type { JobStatus } from "../../lambdas/shared/types";
import { T0, makeRecord } from "./support/harness";

const ID = "0f8fad5b-d9cb-469f-a165-70867728950e";

describe("lambdas/shared/status: the status rules", () => {
  const allowed: Array<[JobStatus, JobStatus]> = [
    ["PENDING", "RUNNING"],
    ["PENDING", "CANCELLED"],
    ["PENDING", "FAILED"],
    ["PENDING", "TIMED_OUT"],
    ["RUNNING", "SUCCEEDED"],
    ["RUNNING", "FAILED"],
    ["RUNNING", "TIMED_OUT"],
    ["RUNNING", "CANCELLED"],
  ];

  for (const from of JOB_STATUSES) {
    for (const to of JOB_STATUSES) {
      const ok = allowed.some(([f, t]) => f === from && t === to);
      it(`${from} -> ${to} is ${ok ? "allowed" : "refused"}`, () => {
        expect(canTransition(from, to)).to.equal(ok);
        expect(mayWrite(makeRecord({ jobId: ID, status: from }), to, T0)).to.equal(ok);
      });
    }
  }

  it("terminal statuses are exactly SUCCEEDED, FAILED, CANCELLED, TIMED_OUT", () => {
    expect(JOB_STATUSES.filter(isTerminal)).to.deep.equal(["SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"]);
  });

  it("past its deadline a non-terminal record accepts only TIMED_OUT", () => {
    const late = T0 + 360_000;
    const running = makeRecord({ jobId: ID, status: "RUNNING" });
    expect(mayWrite(running, "SUCCEEDED", late)).to.equal(false);
    expect(mayWrite(running, "CANCELLED", late)).to.equal(false);
    expect(mayWrite(running, "FAILED", late)).to.equal(false);
    expect(mayWrite(running, "TIMED_OUT", late)).to.equal(true);
    expect(mayWrite(running, "SUCCEEDED", late - 1)).to.equal(true);
  });

  describe("view", () => {
    it("shows a live record as stored, without fields of other statuses", () => {
      const seen = view(makeRecord({ jobId: ID, status: "RUNNING", result: '{"x":1}', error: { code: "X", message: "y" } }), T0);
      expect(seen).to.deep.equal({ jobId: ID, status: "RUNNING", createdAt: new Date(T0).toISOString(), updatedAt: new Date(T0).toISOString() });
    });

    it("reads a non-terminal record past its deadline as TIMED_OUT with error TimedOut", () => {
      for (const status of ["PENDING", "RUNNING"] as const) {
        const record = makeRecord({ jobId: ID, status });
        const seen = view(record, Date.parse(record.deadline));
        expect(seen?.status).to.equal("TIMED_OUT");
        expect(seen?.error?.code).to.equal("TimedOut");
        expect(seen?.error?.message).to.be.a("string").and.not.empty;
        expect(view(record, Date.parse(record.deadline) - 1)?.status).to.equal(status);
      }
    });

    it("keeps a terminal record past its deadline as it is", () => {
      const record = makeRecord({ jobId: ID, status: "SUCCEEDED", result: "1", resultSize: 1 });
      expect(view(record, Date.parse(record.deadline) + 1)).to.include({ status: "SUCCEEDED", result: "1" });
    });

    it("treats a record as absent from expiresAt on", () => {
      const record = makeRecord({ jobId: ID, status: "SUCCEEDED", expiresAt: T0 / 1000 + 10 });
      expect(view(record, T0 + 9_999)).to.not.equal(undefined);
      expect(view(record, T0 + 10_000)).to.equal(undefined);
      expect(view(undefined, T0)).to.equal(undefined);
    });

    // CONTRACT.md: a finished job stays readable resultTtlMinutes after it finished. A state machine's
    // own timeout or crash write cannot move the TTL attribute, which keeps its deadline's expiry
    // (up to a year away on Fargate): readers hold the contract themselves.
    it("treats a finished record as absent from updatedAt + resultTtlSeconds on, whatever its expiresAt", () => {
      const record = makeRecord({ jobId: ID, status: "FAILED", updatedAt: new Date(T0).toISOString(), expiresAt: T0 / 1000 + 365 * 86400 });
      expect(view(record, T0 + 59_999, 60)).to.include({ status: "FAILED" });
      expect(view(record, T0 + 60_000, 60)).to.equal(undefined);
      const running = makeRecord({ jobId: ID, status: "RUNNING", updatedAt: new Date(T0).toISOString(), expiresAt: T0 / 1000 + 365 * 86400, deadline: new Date(T0 + 86_400_000).toISOString() });
      expect(view(running, T0 + 60_000, 60), "a job still running is not finished").to.include({ status: "RUNNING" });
    });
  });

  describe("retryAfterSeconds", () => {
    it("is 1 while PENDING", () => {
      expect(retryAfterSeconds(makeRecord({ jobId: ID }), T0 + 100_000)).to.equal(1);
    });

    it("grows with the running time, clamped to 1..30", () => {
      const started = new Date(T0).toISOString();
      const running = makeRecord({ jobId: ID, status: "RUNNING", startedAt: started, deadline: new Date(T0 + 3_600_000).toISOString() });
      expect(retryAfterSeconds(running, T0 + 1_000)).to.equal(1);
      expect(retryAfterSeconds(running, T0 + 100_000)).to.equal(10);
      expect(retryAfterSeconds(running, T0 + 1_000_000)).to.equal(30);
    });
  });
});

describe("lambdas/shared/ids", () => {
  it("issues lowercase v4 UUIDs, all different", () => {
    const ids = new Set(Array.from({ length: 200 }, () => newJobId()));
    expect(ids.size).to.equal(200);
    for (const id of ids) expect(isJobId(id), id).to.equal(true);
  });

  it("accepts any UUID version (backend stream's ids are API Gateway's request ids, whose version AWS does not document)", () => {
    expect(isJobId("0f8fad5b-d9cb-169f-a165-70867728950e")).to.equal(true);
  });

  for (const hostile of [
    "../x",
    "..%2F..%2Fetc%2Fpasswd",
    "arn:aws:states:us-east-1:123456789012:execution:sm:x",
    "0f8fad5b-d9cb-469f-a165-70867728950é",
    "0F8FAD5B-D9CB-469F-A165-70867728950E",
    "0f8fad5b-d9cb-469f-a165-70867728950g",
    "0f8fad5bd9cb469fa16570867728950e",
    "a".repeat(1024),
    "",
    "0f8fad5b-d9cb-469f-a165-70867728950e\n",
  ]) {
    it(`rejects ${JSON.stringify(hostile.slice(0, 40))}`, () => {
      expect(isJobId(hostile)).to.equal(false);
    });
  }
});
