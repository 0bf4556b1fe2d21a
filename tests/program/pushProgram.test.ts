// CONTRACT.md, "Push on completion": the job events bus, its publisher from the store's change
// feed, and the webhook delivery, each with a role that does what it needs and no more.
import { expect } from "chai";
import { ENV } from "../../lambdas/shared/env";
import { simulate } from "../support/iam";
import { ACCOUNT_ID, REGION } from "../support/mocks";
import { runProgram, type ProgramRun } from "../support/program";

const T = {
  table: "aws:dynamodb/table:Table",
  fn: "aws:lambda/function:Function",
  mapping: "aws:lambda/eventSourceMapping:EventSourceMapping",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  bus: "aws:cloudwatch/eventBus:EventBus",
  rule: "aws:cloudwatch/eventRule:EventRule",
  target: "aws:cloudwatch/eventTarget:EventTarget",
  queue: "aws:sqs/queue:Queue",
  queuePolicy: "aws:sqs/queuePolicy:QueuePolicy",
  notification: "aws:s3/bucketNotification:BucketNotification",
  secret: "aws:secretsmanager/secret:Secret",
  secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
  randomBytes: "random:index/randomBytes:RandomBytes",
};

const policyOf = (run: ProgramRun, owner: string) => JSON.parse(run.one(T.rolePolicy, `${owner}-policy`).inputs.policy);
const env = (run: ProgramRun, fn: string): Record<string, string> => run.one(T.fn, `${fn}-function`).inputs.environment.variables;
const arn = (service: string, rest: string) => `arn:aws:${service}:${REGION}:${ACCOUNT_ID}:${rest}`;

const BUS = arn("events", "event-bus/jobs-job-events-0123abcd");
const TABLE = arn("dynamodb", "table/jobs-store-jobs-0123abcd");
const STREAM = `${TABLE}/stream/2026-01-01T00:00:00.000`;
const BUCKET = "arn:aws:s3:::jobs-store-bucket-0123abcd";
const SECRET = arn("secretsmanager", "secret:jobs-webhook-secret-0123abcd-AbCdEf");
const queueArn = (name: string) => arn("sqs", `${name}-0123abcd`);

for (const [backend, store] of [
  ["stepfunctions", "dynamodb"],
  ["stepfunctions", "s3"],
  ["lambda", "dynamodb"],
  ["lambda", "s3"],
  ["stream", "dynamodb"],
] as const) {
  describe(`program: job events and webhooks, backend=${backend} store=${store}`, function () {
    this.timeout(60000);
    let run: ProgramRun;
    before(async () => {
      run = await runProgram({ backend, store, auth: "iam" });
    });

    it("exports the bus, the webhook secret (as a secret, whsec_…) and both dead-letter queues", () => {
      expect(run.outputs.jobEventsBusArn).to.equal(BUS);
      expect(run.outputs.webhookSecret).to.match(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect([...run.secrets]).to.include("webhookSecret");
      expect(run.outputs.webhookDeadLetterQueueUrl).to.equal(`https://sqs.${REGION}.amazonaws.com/${ACCOUNT_ID}/jobs-webhooks-dlq-0123abcd`);
      expect(run.outputs.jobEventsDeadLetterQueueUrl).to.equal(`https://sqs.${REGION}.amazonaws.com/${ACCOUNT_ID}/jobs-job-events-dlq-0123abcd`);
      expect(run.one(T.randomBytes, "jobs-webhook-secret-bytes").inputs.length).to.equal(32);
      // Kept in Secrets Manager as a secret input too (the engine's secret wrapper in the mocks).
      const kept = run.one(T.secretVersion, "jobs-webhook-secret-value").inputs.secretString;
      expect(typeof kept === "object" ? kept.value : kept).to.equal(run.outputs.webhookSecret);
      expect(typeof kept, "a secret input").to.equal("object");
    });

    it("publishes from the store's change feed, in order, with a dead-letter queue", async () => {
      const publisher = policyOf(run, "jobs-events-publisher");
      expect(env(run, "jobs-events-publisher")[ENV.JOB_EVENTS_BUS]).to.equal("jobs-job-events-0123abcd");
      expect(await simulate(publisher, "events:PutEvents", BUS)).to.equal("Allowed");
      expect(await simulate(publisher, "events:PutEvents", arn("events", "event-bus/default"))).to.equal("ImplicitlyDenied");
      const mapping = run.one(T.mapping, "jobs-events-mapping").inputs;
      if (store === "dynamodb") {
        expect(run.one(T.table, "jobs-store-jobs").inputs).to.include({ streamEnabled: true, streamViewType: "NEW_AND_OLD_IMAGES" });
        expect(mapping).to.include({ eventSourceArn: STREAM, startingPosition: "TRIM_HORIZON", parallelizationFactor: 1, maximumRecordAgeInSeconds: 86400 });
        expect(mapping.functionResponseTypes).to.deep.equal(["ReportBatchItemFailures"]);
        expect(mapping.destinationConfig.onFailure.destinationArn).to.equal(queueArn("jobs-job-events-dlq"));
        expect(await simulate(publisher, "dynamodb:GetRecords", STREAM)).to.equal("Allowed");
        expect(await simulate(publisher, "sqs:SendMessage", queueArn("jobs-job-events-dlq"))).to.equal("Allowed");
        for (const action of ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"]) expect(await simulate(publisher, action, TABLE), action).to.equal("ImplicitlyDenied");
      } else {
        expect(run.one(T.notification, "jobs-job-notifications").inputs).to.deep.include({ eventbridge: true, bucket: "jobs-store-bucket-0123abcd" });
        const rule = run.one(T.rule, "jobs-job-changes").inputs;
        expect(rule.eventBusName ?? "default").to.equal("default");
        expect(JSON.parse(rule.eventPattern)).to.deep.equal({
          source: ["aws.s3"],
          "detail-type": ["Object Created"],
          detail: { bucket: { name: ["jobs-store-bucket-0123abcd"] }, object: { key: [{ prefix: "jobs/" }] } },
        });
        expect(run.one(T.target, "jobs-job-changes-target").inputs.arn).to.equal(queueArn("jobs-job-changes"));
        const changes = run.one(T.queue, "jobs-job-changes").inputs;
        expect(JSON.parse(changes.redrivePolicy)).to.deep.equal({ deadLetterTargetArn: queueArn("jobs-job-events-dlq"), maxReceiveCount: 10 });
        const queuePolicy = JSON.parse(run.one(T.queuePolicy, "jobs-job-changes-policy").inputs.policy).Statement[0];
        expect(queuePolicy.Principal).to.deep.equal({ Service: "events.amazonaws.com" });
        expect(queuePolicy.Condition).to.deep.equal({ ArnEquals: { "aws:SourceArn": [arn("events", "rule/jobs-job-changes-0123abcd")] } });
        expect(mapping).to.include({ eventSourceArn: queueArn("jobs-job-changes") });
        expect(await simulate(publisher, "s3:GetObject", `${BUCKET}/jobs/x.json`)).to.equal("Allowed");
        expect(await simulate(publisher, "s3:PutObject", `${BUCKET}/events/x.json`)).to.equal("Allowed");
        for (const key of ["jobs/x.json", "results/x.json", "idempotency/x.json"]) expect(await simulate(publisher, "s3:PutObject", `${BUCKET}/${key}`), key).to.equal("ImplicitlyDenied");
      }
    });

    it("queues each job's terminal event for its webhook; the delivery reads the job and never writes it", async () => {
      const rule = run.one(T.rule, "jobs-webhooks").inputs;
      expect(rule.eventBusName).to.equal("jobs-job-events-0123abcd");
      expect(JSON.parse(rule.eventPattern)).to.deep.equal({
        source: ["async-api"],
        "detail-type": ["Job Status Change"],
        detail: { status: ["SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"] },
      });
      expect(run.one(T.target, "jobs-webhooks-target").inputs.arn).to.equal(queueArn("jobs-webhooks"));
      const queue = run.one(T.queue, "jobs-webhooks").inputs;
      expect(JSON.parse(queue.redrivePolicy)).to.deep.equal({ deadLetterTargetArn: queueArn("jobs-webhooks-dlq"), maxReceiveCount: 5 });
      expect(queue.messageRetentionSeconds, "retries wait on this queue for at least 24 hours").to.be.greaterThan(86400);
      const e = env(run, "jobs-webhook-delivery");
      expect(e[ENV.WEBHOOK_SECRET_ARN]).to.equal(SECRET);
      expect(e[ENV.WEBHOOK_QUEUE_URL]).to.match(/jobs-webhooks-0123abcd$/);
      expect(e[ENV.WEBHOOK_DEAD_LETTER_QUEUE_URL]).to.match(/jobs-webhooks-dlq-0123abcd$/);
      expect(e).to.not.have.property(ENV.LOCAL_CLOUD);

      const delivery = policyOf(run, "jobs-webhook-delivery");
      // Secrets Manager: that one secret, its value only.
      expect(await simulate(delivery, "secretsmanager:GetSecretValue", SECRET)).to.equal("Allowed");
      expect(await simulate(delivery, "secretsmanager:GetSecretValue", arn("secretsmanager", "secret:other-AbCdEf"))).to.equal("ImplicitlyDenied");
      expect(await simulate(delivery, "secretsmanager:PutSecretValue", SECRET)).to.equal("ImplicitlyDenied");
      for (const q of ["jobs-webhooks", "jobs-webhooks-dlq"]) expect(await simulate(delivery, "sqs:SendMessage", queueArn(q)), q).to.equal("Allowed");
      expect(await simulate(delivery, "sqs:ReceiveMessage", queueArn("jobs-webhooks"))).to.equal("Allowed");
      const write = store === "dynamodb" ? ["dynamodb:PutItem", TABLE] : ["s3:PutObject", `${BUCKET}/jobs/x.json`];
      expect(await simulate(delivery, write[0], write[1]), "a delivery never writes a job").to.equal("ImplicitlyDenied");
      const statements = delivery.Statement as { Resource: string[] }[];
      for (const s of statements) for (const r of s.Resource) expect(r, "no wildcard but object keys and log streams").to.not.equal("*");
    });
  });
}
