// The cost meter against a ledger worked out by hand: one job on backend lambda, store dynamodb,
// auth none, each call it causes written out below from the code that makes it. A call that is
// added, dropped or left uncounted changes a figure here; a call that names no job shows in
// notPerJob, which must stay empty.
import { expect } from "chai";
import type { Units } from "../../local/usage/meter";
import type { UsageDocument } from "../../local/usage/report";
import { clientFor, startCloud, type CloudHandle } from "../support/localCloud";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the cost meter: one job against a hand-worked ledger (backend lambda, store dynamodb)", function () {
  this.timeout(120_000);
  let cloud: CloudHandle;

  before(async () => {
    cloud = await startCloud(["backend=lambda", "store=dynamodb", "auth=none"]);
  });
  after(async () => {
    if (cloud) await cloud.stop();
  });

  async function usage(): Promise<UsageDocument> {
    const res = await fetch(`${new URL(cloud.apiUrl).origin}/__local/usage`);
    expect(res.status).to.equal(200);
    return (await res.json()) as UsageDocument;
  }

  /** The job's units once nothing changes for 3 s (the events pipeline runs after the job). */
  async function settled(jobId: string): Promise<{ job: Units; doc: UsageDocument }> {
    let last = "";
    for (let quiet = 0, i = 0; quiet < 6 && i < 120; i++) {
      const doc = await usage();
      const now = JSON.stringify(doc.jobs[jobId]?.units);
      quiet = now === last ? quiet + 1 : 0;
      last = now;
      if (quiet === 6) return { job: doc.jobs[jobId].units, doc };
      await sleep(500);
    }
    throw new Error(`the usage of job ${jobId} did not settle: ${last}`);
  }

  it("counts each call of a job (a POST, plain GETs until SUCCEEDED) as worked out by hand, and nothing that names no job", async () => {
    const api = clientFor(cloud);
    const started = Date.now();
    const submitted = await api.submit({ seconds: 0 });
    expect(submitted.status).to.equal(202);
    const jobId = submitted.body.jobId as string;
    let gets = 0;
    for (;;) {
      gets++;
      const res = await api.get(jobId);
      expect(res.status).to.equal(200);
      if (res.body.status === "SUCCEEDED") break;
      await sleep(250);
    }
    const { job, doc } = await settled(jobId);
    const wallSeconds = (Date.now() - started) / 1000;

    // The events publisher runs once per batch of the table's stream; the job's three writes come
    // in one to three batches, each one read of the stream (free when Lambda reads it).
    const publisherRuns = job["dynamodb.streamReadRequestsByLambda"] ?? 0;
    expect(publisherRuns, "stream batches of the job's three writes").to.be.within(1, 3);

    const ledger: Units = {
      // https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-pricing.html:
      // every request to the API: the POST and each GET.
      "apigateway.requests": 1 + gets,
      // https://aws.amazon.com/lambda/pricing/ (a request each time a function starts):
      // submit 1 (lambdas/api/submitCore.ts), status 1 per GET (lambdas/api/status.ts),
      // worker 1 (an Event invoke, lambdas/worker/asyncWorker.ts), the events publisher once per
      // stream batch (lambdas/events/tablePublisher.ts), the webhook delivery 1 (the SUCCEEDED
      // event through the rule and queue, lambdas/webhooks/delivery.ts).
      "lambda.requests": 1 + gets + 1 + publisherRuns + 1,
      // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
      // and GSI.html#GSI.ThroughputConsiderations: each job item is under 1 KB.
      // Submit's PutItem 1 + its new byOwner index entry 1; the worker's RUNNING and SUCCEEDED
      // (conditional PutItems, lambdas/shared/store/transition.ts) 1 each + 1 each for the index
      // entry whose projected status changes.
      "dynamodb.writeRequestUnits": 2 + 2 + 2,
      // Strongly consistent GetItems of an item under 4 KB, 1 unit each: one per GET (status),
      // the worker's two transitions read first, and the webhook delivery reads the job to find
      // its Callback-Url (none here).
      "dynamodb.readRequestUnits": gets + 2 + 1,
      "dynamodb.streamReadRequestsByLambda": publisherRuns,
      // https://aws.amazon.com/eventbridge/pricing/: one custom event per status change:
      // PENDING, RUNNING, SUCCEEDED (lambdas/shared/jobEvents.ts).
      "eventbridge.events": 3,
      // https://aws.amazon.com/sqs/pricing/ ("every Amazon SQS action counts as a request"): the
      // rule's SendMessage of the SUCCEEDED event to the webhooks queue, the event source
      // mapping's ReceiveMessage that returned it and its DeleteMessageBatch.
      "sqs.requests": 3,
    };
    const { "lambda.gbSecondsArm64": gbSeconds, "logs.ingestedBytes": logBytes, ...counted } = job;
    expect(counted).to.deep.equal(ledger);

    // GB-seconds and log bytes depend on measured durations and printed lines: bounded by hand.
    // All functions are arm64 (components/lambda/bundledFunction.ts): no x86 GB-seconds.
    const invocations = ledger["lambda.requests"]!;
    expect(gbSeconds, "at least 1 ms of 256 MB per invocation").to.be.at.least(invocations * 0.25 * 0.001);
    expect(gbSeconds, "at most every function (≤ 512 MB) running the whole test").to.be.at.most(invocations * 0.5 * wallSeconds);
    // Lambda's platform start and report records alone are over 150 bytes each.
    expect(logBytes, "platform records of every invocation").to.be.at.least(invocations * 2 * 150);
    expect(doc.totals.usd).to.be.greaterThan(0);

    // Every call named the job: nothing billable happened for no job.
    expect(doc.notPerJob.units).to.deep.equal({});
  });
});
