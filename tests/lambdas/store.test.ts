import { expect } from "chai";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { ConflictError, applyTransition, transition } from "../../lambdas/shared/store";
import type { IdempotencyRecord } from "../../lambdas/shared/types";
import { awsError } from "./support/fakeAws";
import { Clock, STORES, T0, TTL_SECONDS, configure, interleave, makeRecord, rawJob, seed, store, useFakeAws } from "./support/harness";

const ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

for (const kind of STORES) {
  describe(`lambdas/shared/store (${kind})`, () => {
    const fake = useFakeAws();
    let clock: Clock;
    beforeEach(() => {
      configure({ store: kind });
      clock = new Clock();
    });

    it("creates a job once: a second create is a ConflictError", async () => {
      await seed(makeRecord({ jobId: ID }));
      expect((await store(clock).getJob(ID))?.status).to.equal("PENDING");
      let caught: unknown;
      try {
        await store(clock).createJob(makeRecord({ jobId: ID, status: "RUNNING" }));
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(ConflictError);
      expect(rawJob(fake, ID)?.status).to.equal("PENDING");
    });

    it("uses the conditional write of the store", async () => {
      await seed(makeRecord({ jobId: ID }));
      const s = store(clock);
      const current = (await s.getJob(ID))!;
      await s.replaceJob({ ...current, status: "RUNNING" }, current.version);
      if (kind === "dynamodb") {
        const puts = fake.ddb.commandCalls(PutCommand).map((c) => c.args[0].input);
        expect(puts[0].ConditionExpression).to.equal("attribute_not_exists(pk)");
        expect(puts[1].ConditionExpression).to.equal("version = :expected");
        expect(puts[1].ExpressionAttributeValues).to.deep.equal({ ":expected": 1 });
      } else {
        const puts = fake.s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
        // First the owner's index entry (unconditional: written again by a retry), then the job.
        expect(puts[0].Key).to.match(/^index\/[0-9a-f]{64}\/\d{13}_/);
        expect(puts[0]).to.not.have.any.keys("IfNoneMatch", "IfMatch");
        expect(puts[1]).to.include({ Key: `jobs/${ID}.json`, IfNoneMatch: "*" });
        expect(puts[2].IfMatch).to.be.a("string").and.match(/^"/);
      }
    });

    it("replaces only at the expected version, writing version + 1; a stale write is a ConflictError", async () => {
      await seed(makeRecord({ jobId: ID }));
      const a = store(clock);
      const b = store(clock);
      const seenByA = (await a.getJob(ID))!;
      const seenByB = (await b.getJob(ID))!;
      const written = await a.replaceJob({ ...seenByA, status: "RUNNING" }, 1);
      expect(written.version).to.equal(2);
      expect(rawJob(fake, ID)).to.include({ status: "RUNNING", version: 2 });
      let caught: unknown;
      try {
        await b.replaceJob({ ...seenByB, status: "CANCELLED" }, 1);
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(ConflictError);
      expect(rawJob(fake, ID)).to.include({ status: "RUNNING", version: 2 });
    });

    // "Error handling with DynamoDB" (the SDKs retry 5xx and throttling on their own) and S3's
    // conditional writes: a retry of a write that was applied but whose answer was lost fails
    // the condition the first attempt made true.
    describe("an SDK retry of a write that was applied (its answer lost)", () => {
      const put = kind === "dynamodb" ? "dynamodb:Put" : "s3:PutObject";

      it("creates the job: the retry finds the very record it wrote, so no ConflictError (and no 500 for the caller)", async () => {
        fake.loseNextAnswer(put);
        await store(clock).createJob(makeRecord({ jobId: ID }));
        expect(rawJob(fake, ID)).to.include({ status: "PENDING", version: 1 });
      });

      it("replaces at the expected version: the retry finds version + 1 as written, and the write stands", async () => {
        await seed(makeRecord({ jobId: ID }));
        const s = store(clock);
        const current = (await s.getJob(ID))!;
        fake.loseNextAnswer(put);
        const written = await s.replaceJob({ ...current, status: "RUNNING" }, 1);
        expect(written.version).to.equal(2);
        expect(rawJob(fake, ID)).to.include({ status: "RUNNING", version: 2 });
        // The store still knows the object's ETag: the next replace goes through.
        await s.replaceJob({ ...written, status: "SUCCEEDED" }, 2);
        expect(rawJob(fake, ID)).to.include({ status: "SUCCEEDED", version: 3 });
      });

      it("creates the idempotency record", async () => {
        const record: IdempotencyRecord = { pk: `idem#${"ef".repeat(32)}`, kind: "idempotency", jobId: ID, bodyHash: "cd".repeat(32), createdAt: new Date(T0).toISOString(), expiresAt: T0 / 1000 + 60 };
        fake.loseNextAnswer(put);
        await store(clock).createIdempotency(record);
        expect(await store(clock).getIdempotency(record.pk)).to.deep.equal(record);
      });

      it("still refuses a record someone else wrote: a create whose key another job holds is a ConflictError", async () => {
        await seed(makeRecord({ jobId: ID, input: '{"seconds":2}' }));
        const err = await store(clock).createJob(makeRecord({ jobId: ID })).catch((e) => e);
        expect(err).to.be.instanceOf(ConflictError);
      });
    });

    it("reads an expired record as absent", async () => {
      await seed(makeRecord({ jobId: ID, expiresAt: T0 / 1000 + 5 }));
      clock.advance(4_999);
      expect(await store(clock).getJob(ID)).to.not.equal(undefined);
      clock.advance(1);
      expect(await store(clock).getJob(ID)).to.equal(undefined);
      expect(await store(clock).getJob("11111111-2222-4333-8444-555555555555")).to.equal(undefined);
    });

    describe("transition", () => {
      it("applies an allowed change, bumping version and updatedAt", async () => {
        await seed(makeRecord({ jobId: ID }));
        clock.advance(1234);
        const next = await transition(store(clock), ID, () => ({ status: "RUNNING" }), { now: clock.now });
        expect(next).to.include({ status: "RUNNING", version: 2, updatedAt: new Date(T0 + 1234).toISOString() });
        expect(rawJob(fake, ID)).to.include({ status: "RUNNING", version: 2 });
      });

      it("refuses a change the rules forbid, without writing", async () => {
        await seed(makeRecord({ jobId: ID, status: "SUCCEEDED", result: "1" }));
        const outcome = await applyTransition(store(clock), ID, () => ({ status: "CANCELLED" }), { now: clock.now });
        expect(outcome).to.deep.include({ applied: false, reason: "refused" });
        expect(rawJob(fake, ID)).to.include({ status: "SUCCEEDED", version: 1 });
      });

      it("answers missing for an unknown job", async () => {
        const outcome = await applyTransition(store(clock), ID, () => ({ status: "CANCELLED" }), { now: clock.now });
        expect(outcome).to.deep.equal({ applied: false, reason: "missing" });
      });

      it("sets expiresAt = now + TTL on a terminal write and drops fields of other statuses", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING", error: { code: "Old", message: "stale" } }));
        clock.advance(10_000);
        const next = await transition(store(clock), ID, () => ({ status: "SUCCEEDED", result: "{}", resultSize: 2 }), {
          now: clock.now,
          resultTtlSeconds: TTL_SECONDS,
        });
        expect(next?.expiresAt).to.equal(Math.ceil((T0 + 10_000) / 1000) + TTL_SECONDS);
        expect(next).to.not.have.property("error");
      });

      it("retries after a conflict (another writer got in between) and applies on the fresh record", async () => {
        await seed(makeRecord({ jobId: ID, status: "PENDING" }));
        const race = interleave(fake, ID, () => ({ status: "RUNNING" }));
        const seen: string[] = [];
        const outcome = await applyTransition(
          store(clock),
          ID,
          (current) => {
            seen.push(`${current.status}@${current.version}`);
            return { status: "CANCELLED" };
          },
          { now: clock.now },
        );
        expect(race.count).to.equal(1);
        expect(seen).to.deep.equal(["PENDING@1", "RUNNING@2"]);
        expect(outcome).to.deep.include({ applied: true });
        expect(rawJob(fake, ID)).to.include({ status: "CANCELLED", version: 3 });
      });

      it("drops a stale write: when the other writer finished the job, the retry is refused (first terminal state wins)", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        interleave(fake, ID, () => ({ status: "CANCELLED" }));
        const outcome = await applyTransition(store(clock), ID, () => ({ status: "SUCCEEDED", result: "42", resultSize: 2 }), { now: clock.now });
        expect(outcome).to.deep.include({ applied: false, reason: "refused" });
        expect(rawJob(fake, ID)).to.include({ status: "CANCELLED", version: 2 });
        expect(rawJob(fake, ID)).to.not.have.property("result");
      });

      it("gives up with the ConflictError after the attempts run out", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        const race = interleave(fake, ID, () => ({}), 100);
        const err = await applyTransition(store(clock), ID, () => ({ status: "FAILED", error: { code: "E", message: "m" } }), { now: clock.now, attempts: 3 }).catch((e) => e);
        expect(err).to.be.instanceOf(ConflictError);
        expect(race.count).to.equal(3);
        expect(rawJob(fake, ID)?.status).to.equal("RUNNING");
      });

      it("throws errors other than conflicts", async () => {
        await seed(makeRecord({ jobId: ID, status: "RUNNING" }));
        fake.failAlways(kind === "dynamodb" ? "dynamodb:Put" : "s3:PutObject", () => awsError("InternalError", "boom", 500));
        const err = await transition(store(clock), ID, () => ({ status: "CANCELLED" }), { now: clock.now }).catch((e) => e);
        expect(err).to.be.instanceOf(Error).and.not.instanceOf(ConflictError);
      });
    });

    describe("idempotency records", () => {
      const record = (overrides: Partial<IdempotencyRecord> = {}): IdempotencyRecord => ({
        pk: `idem#${"ab".repeat(32)}`,
        kind: "idempotency",
        jobId: ID,
        bodyHash: "cd".repeat(32),
        createdAt: new Date(T0).toISOString(),
        expiresAt: T0 / 1000 + 60,
        ...overrides,
      });

      it("creates once, reads back, deletes", async () => {
        const s = store(clock);
        await s.createIdempotency(record());
        expect(await s.getIdempotency(record().pk)).to.deep.equal(record());
        const err = await s.createIdempotency(record({ jobId: "other" })).catch((e) => e);
        expect(err).to.be.instanceOf(ConflictError);
        await s.deleteIdempotency(record().pk);
        expect(await s.getIdempotency(record().pk)).to.equal(undefined);
        if (kind === "s3") expect([...fake.objects.keys()].some((k) => k.startsWith("async-api-records/idempotency/"))).to.equal(false);
      });

      it("replaces an expired record the store has not deleted yet", async () => {
        await store(clock).createIdempotency(record());
        clock.advance(60_000);
        const s = store(clock);
        expect(await s.getIdempotency(record().pk)).to.equal(undefined);
        await s.createIdempotency(record({ jobId: "replacement", expiresAt: T0 / 1000 + 120 }));
        expect((await s.getIdempotency(record().pk))?.jobId).to.equal("replacement");
      });

      it("keeps idempotency records apart from job records", async () => {
        await store(clock).createIdempotency(record());
        expect(await store(clock).getJob(record().pk)).to.equal(undefined);
      });
    });
  });
}
