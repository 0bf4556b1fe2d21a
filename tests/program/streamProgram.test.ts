import { expect } from "chai";
import { ENV } from "../../lambdas/shared/env";
import { SUBMIT_REJECTIONS } from "../../components/api/streamSubmit";
import { JOB_INSERT_FILTER } from "../../components/asyncApi/streamBackend";
import { simulate } from "../support/iam";
import { ACCOUNT_ID, REGION } from "../support/mocks";
import { runProgram, type ProgramRun } from "../support/program";

const T = {
  table: "aws:dynamodb/table:Table",
  tableItem: "aws:dynamodb/tableItem:TableItem",
  fn: "aws:lambda/function:Function",
  mapping: "aws:lambda/eventSourceMapping:EventSourceMapping",
  invokeConfig: "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
  permission: "aws:lambda/permission:Permission",
  sm: "aws:sfn/stateMachine:StateMachine",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  restApi: "aws:apigateway/restApi:RestApi",
  bus: "aws:cloudwatch/eventBus:EventBus",
  rule: "aws:cloudwatch/eventRule:EventRule",
  archive: "aws:cloudwatch/eventArchive:EventArchive",
  queue: "aws:sqs/queue:Queue",
};

const names = (run: ProgramRun, type: string) => run.byType(type).map((r) => r.name).sort();
const policyOf = (run: ProgramRun, owner: string) => JSON.parse(run.one(T.rolePolicy, `${owner}-policy`).inputs.policy);

const TABLE = "jobs-store-jobs-0123abcd";
const TABLE_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT_ID}:table/${TABLE}`;
const STREAM_ARN = `${TABLE_ARN}/stream/2026-01-01T00:00:00.000`;
const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:jobs-stream-failures-0123abcd`;
const DLQ_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:jobs-stream-failures-dlq-0123abcd`;

for (const auth of ["iam", "apiKey", "none"] as const) {
  describe(`program: backend=stream store=dynamodb auth=${auth}`, function () {
    this.timeout(60000);
    let run: ProgramRun;
    before(async () => {
      run = await runProgram({ backend: "stream", store: "dynamodb", auth, resultTtlMinutes: "60", jobTimeoutSeconds: "120" });
    });

    // The worker reads new images; the job events publisher compares them with the old ones.
    it("turns on the jobs table's stream with new and old images", () => {
      const table = run.one(T.table, "jobs-store-jobs").inputs;
      expect(table).to.include({ streamEnabled: true, streamViewType: "NEW_AND_OLD_IMAGES", hashKey: "pk" });
      expect(table.ttl).to.deep.equal({ attributeName: "expiresAt", enabled: true });
    });

    it("has no submit function, no state machine, no failures bus: API Gateway writes the job, the stream feeds the worker", () => {
      expect(names(run, T.fn)).to.deep.equal([
        "jobs-cancel-function",
        "jobs-events-publisher-function",
        "jobs-list-function",
        "jobs-status-function",
        "jobs-stream-failure-recorder-function",
        "jobs-webhook-delivery-function",
        "jobs-worker-function",
      ]);
      expect(names(run, T.sm)).to.deep.equal([]);
      // The job events bus and its webhook rule are the only ones.
      expect(names(run, T.bus)).to.deep.equal(["jobs-job-events"]);
      expect(names(run, T.rule)).to.deep.equal(["jobs-webhooks"]);
      for (const type of [T.archive, T.invokeConfig]) expect(run.byType(type), type).to.have.length(0);
      const perms = run.byType(T.permission).map((p) => p.inputs.sourceArn).sort();
      expect(perms).to.deep.equal([
        `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:a1b2c3d4e5/*/DELETE/jobs/*`,
        `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:a1b2c3d4e5/*/GET/jobs`,
        `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:a1b2c3d4e5/*/GET/jobs/*`,
      ]);
    });

    it("maps the stream to the worker: inserted jobs only, one per batch, bisect, bounded retries and age, failures to SQS", () => {
      const mapping = run.one(T.mapping, "jobs-worker-mapping").inputs;
      expect(mapping).to.deep.include({
        eventSourceArn: STREAM_ARN,
        functionName: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:jobs-worker-function-0123abcd`,
        startingPosition: "TRIM_HORIZON",
        batchSize: 1,
        bisectBatchOnFunctionError: true,
        maximumRetryAttempts: 2,
        maximumRecordAgeInSeconds: 3600,
        parallelizationFactor: 10,
      });
      const patterns = mapping.filterCriteria.filters.map((f: { pattern: string }) => JSON.parse(f.pattern));
      expect(patterns).to.deep.equal([JOB_INSERT_FILTER]);
      // AWS, "Using event filtering with a DynamoDB event source": "DynamoDB event source mappings only
      // support filtering on the dynamodb key" (a filter on eventName is not supported).
      expect(patterns.flatMap((p: object) => Object.keys(p))).to.deep.equal(["dynamodb"]);
      expect(JOB_INSERT_FILTER.dynamodb.NewImage).to.deep.equal({ kind: { S: ["job"] }, status: { S: ["PENDING"] } });
      expect(mapping.destinationConfig).to.deep.equal({ onFailure: { destinationArn: QUEUE_ARN } });
    });

    it("records failed deliveries from that queue, which dead-letters to a second queue after 5 receives", () => {
      const mapping = run.one(T.mapping, "jobs-stream-failures-mapping").inputs;
      expect(mapping).to.deep.include({
        eventSourceArn: QUEUE_ARN,
        functionName: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:jobs-stream-failure-recorder-function-0123abcd`,
        batchSize: 10,
        functionResponseTypes: ["ReportBatchItemFailures"],
      });
      const queue = run.one(T.queue, "jobs-stream-failures").inputs;
      expect(queue).to.include({ sqsManagedSseEnabled: true, visibilityTimeoutSeconds: 360, messageRetentionSeconds: 14 * 24 * 3600 });
      expect(JSON.parse(queue.redrivePolicy)).to.deep.equal({ deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 5 });
      expect(run.outputs.deadLetterQueueUrl).to.equal(`https://sqs.${REGION}.amazonaws.com/${ACCOUNT_ID}/jobs-stream-failures-dlq-0123abcd`);
    });

    it("seeds the rejection items the submit template answers from", () => {
      const items = run.byType(T.tableItem).map((r) => ({ table: r.inputs.tableName, hashKey: r.inputs.hashKey, item: JSON.parse(r.inputs.item) }));
      expect(items.map((i) => i.item.pk.S).sort()).to.deep.equal(Object.keys(SUBMIT_REJECTIONS).map((r) => `error/${r}`).sort());
      for (const i of items) {
        expect(i).to.deep.include({ table: TABLE, hashKey: "pk" });
        expect(i.item.kind.S).to.equal("error");
        expect(Number(i.item.httpStatus.N)).to.be.within(400, 499);
        expect(i.item.code.S).to.match(/^[A-Z][A-Za-z]+$/);
      }
    });

    it("posts jobs with a direct DynamoDB integration under the gateway's own role, validating the body", () => {
      const doc = JSON.parse(run.one(T.restApi, "jobs-api").inputs.body);
      const post = doc.paths["/jobs"].post;
      const integration = post["x-amazon-apigateway-integration"];
      expect(integration).to.include({ type: "aws", httpMethod: "POST", uri: `arn:aws:apigateway:${REGION}:dynamodb:action/TransactWriteItems`, passthroughBehavior: "never" });
      expect(integration.credentials).to.equal(`arn:aws:iam::${ACCOUNT_ID}:role/jobs-submit-role-0123abcd`);
      expect(integration.requestTemplates["application/json"]).to.contain(`"TableName":"${TABLE}"`);
      // start allowance 300 + timeout 120 + TTL 3600
      expect(integration.requestTemplates["application/json"]).to.contain(`":life":{"N":"4020"}`);
      expect(post["x-amazon-apigateway-request-validator"]).to.equal("paramsAndBody");
      expect(doc["x-amazon-apigateway-request-validators"].paramsAndBody).to.deep.equal({ validateRequestParameters: true, validateRequestBody: true });
      expect(doc["x-amazon-apigateway-request-validator"], "GET and DELETE keep the parameter validator").to.equal("params");
      // API Gateway refuses to import a mapping to a header the method response does not declare.
      for (const [pattern, response] of Object.entries(integration.responses as Record<string, { statusCode: string; responseParameters?: Record<string, string> }>)) {
        for (const key of Object.keys(response.responseParameters ?? {})) {
          const header = key.replace(/^method\.response\.header\./, "");
          expect(Object.keys(post.responses[response.statusCode]?.headers ?? {}), `${pattern} → ${response.statusCode} maps ${header}`).to.include(header);
        }
      }
      const lambdaUri = (m: string) => doc.paths["/jobs/{jobId}"][m]["x-amazon-apigateway-integration"].uri;
      expect(lambdaUri("get")).to.contain(":function:jobs-status-function-0123abcd/invocations");
      expect(lambdaUri("delete")).to.contain(":function:jobs-cancel-function-0123abcd/invocations");
    });

    it("lets every role do what it needs and no more (no * but dynamodb:ListStreams, which takes no resource)", async () => {
      for (const p of run.byType(T.rolePolicy)) {
        for (const s of JSON.parse(p.inputs.policy).Statement) {
          for (const a of s.Action) expect(a, `${p.name} action`).not.to.contain("*");
          if (s.Resource.includes("*")) {
            expect(["jobs-worker-policy", "jobs-events-publisher-policy"], "the only roles with a wildcard resource").to.include(p.name);
            expect(s.Action, "the only wildcard resource").to.deep.equal(["dynamodb:ListStreams"]);
            continue;
          }
          for (const r of s.Resource) expect(r.indexOf("*"), `${p.name} ${r}`).to.satisfy((i: number) => i === -1 || i === r.length - 1);
        }
      }
      const gateway = policyOf(run, "jobs-submit");
      expect(await simulate(gateway, "dynamodb:UpdateItem", TABLE_ARN)).to.equal("Allowed");
      expect(await simulate(gateway, "dynamodb:ConditionCheckItem", TABLE_ARN)).to.equal("Allowed");
      expect(await simulate(gateway, "dynamodb:PutItem", TABLE_ARN)).to.equal("ImplicitlyDenied");
      expect(await simulate(gateway, "dynamodb:DeleteItem", TABLE_ARN)).to.equal("ImplicitlyDenied");
      expect(await simulate(gateway, "dynamodb:UpdateItem", `${TABLE_ARN}-other`)).to.equal("ImplicitlyDenied");
      const trust = JSON.parse(run.one(T.role, "jobs-submit-role").inputs.assumeRolePolicy);
      expect(trust.Statement[0].Principal).to.deep.equal({ Service: "apigateway.amazonaws.com" });
      expect(trust.Statement[0].Condition, "API Gateway sets no aws:SourceAccount when it assumes an integration role").to.equal(undefined);

      const worker = policyOf(run, "jobs-worker");
      for (const action of ["dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream"]) expect(await simulate(worker, action, STREAM_ARN), action).to.equal("Allowed");
      expect(await simulate(worker, "sqs:SendMessage", QUEUE_ARN)).to.equal("Allowed");
      expect(await simulate(worker, "sqs:SendMessage", DLQ_ARN)).to.equal("ImplicitlyDenied");
      expect(await simulate(worker, "dynamodb:PutItem", TABLE_ARN)).to.equal("Allowed");
      expect(await simulate(worker, "dynamodb:DeleteItem", TABLE_ARN)).to.equal("ImplicitlyDenied");

      const recorder = policyOf(run, "jobs-stream-failure-recorder");
      expect(await simulate(recorder, "sqs:ReceiveMessage", QUEUE_ARN)).to.equal("Allowed");
      expect(await simulate(recorder, "sqs:DeleteMessage", QUEUE_ARN)).to.equal("Allowed");
      expect(await simulate(recorder, "dynamodb:GetRecords", STREAM_ARN)).to.equal("Allowed");
      expect(await simulate(recorder, "sqs:SendMessage", QUEUE_ARN)).to.equal("ImplicitlyDenied");
      // It reads a failed batch back by sequence number, and consumes its queue as
      // AWSLambdaSQSQueueExecutionRole allows ("Creating and configuring an Amazon SQS event source mapping").
      expect(await simulate(recorder, "dynamodb:GetShardIterator", STREAM_ARN)).to.equal("Allowed");
      expect(await simulate(recorder, "dynamodb:DescribeStream", STREAM_ARN)).to.equal("ImplicitlyDenied");
      expect(await simulate(recorder, "sqs:ChangeMessageVisibility", QUEUE_ARN)).to.equal("ImplicitlyDenied");

      const status = policyOf(run, "jobs-status");
      expect(await simulate(status, "dynamodb:GetItem", TABLE_ARN)).to.equal("Allowed");
      expect(await simulate(status, "dynamodb:GetRecords", STREAM_ARN)).to.equal("ImplicitlyDenied");
    });

    it("gives the handlers the backend, and the worker its time", () => {
      const worker = run.one(T.fn, "jobs-worker-function").inputs;
      expect(worker.timeout).to.equal(130);
      expect(worker.environment.variables).to.include({ [ENV.BACKEND]: "stream", [ENV.STORE]: "dynamodb", [ENV.JOB_TIMEOUT_SECONDS]: "120" });
      expect(run.one(T.fn, "jobs-status-function").inputs.environment.variables[ENV.BACKEND]).to.equal("stream");
    });

    it("names every resource after the component, and exports the contract's outputs", () => {
      for (const r of run.resources) expect(r.name, r.type).to.match(/^jobs(-[a-z0-9-]+)?$/);
      expect(run.outputs).to.include({ backend: "stream", store: "dynamodb", auth, jobsTableName: TABLE });
      expect(run.outputs.stateMachineArn).to.equal(undefined);
      expect(run.outputs.failureBusArn).to.equal(undefined);
      expect(run.outputs.invokeRoleArn !== undefined).to.equal(auth === "iam");
    });
  });
}

describe("program: backend=stream config errors", () => {
  it("names both keys for store s3", async () => {
    let error: unknown;
    try {
      await runProgram({ backend: "stream", store: "s3" });
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.match(/async-api:backend 'stream' needs async-api:store 'dynamodb'/);
  });
});
