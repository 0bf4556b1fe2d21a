import { expect } from "chai";
import { ENV } from "../../lambdas/shared/env";
import { simulate } from "../support/iam";
import { ACCOUNT_ID, REGION } from "../support/mocks";
import { runProgram, type ProgramRun } from "../support/program";

const T = {
  table: "aws:dynamodb/table:Table",
  bucket: "aws:s3/bucket:Bucket",
  lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  publicAccess: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  fn: "aws:lambda/function:Function",
  invokeConfig: "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
  permission: "aws:lambda/permission:Permission",
  sm: "aws:sfn/stateMachine:StateMachine",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  restApi: "aws:apigateway/restApi:RestApi",
  deployment: "aws:apigateway/deployment:Deployment",
  stage: "aws:apigateway/stage:Stage",
  apiKey: "aws:apigateway/apiKey:ApiKey",
  usagePlan: "aws:apigateway/usagePlan:UsagePlan",
  usagePlanKey: "aws:apigateway/usagePlanKey:UsagePlanKey",
  account: "aws:apigateway/account:Account",
  bus: "aws:cloudwatch/eventBus:EventBus",
  rule: "aws:cloudwatch/eventRule:EventRule",
  target: "aws:cloudwatch/eventTarget:EventTarget",
  archive: "aws:cloudwatch/eventArchive:EventArchive",
  queue: "aws:sqs/queue:Queue",
  queuePolicy: "aws:sqs/queuePolicy:QueuePolicy",
};

const names = (run: ProgramRun, type: string) => run.byType(type).map((r) => r.name).sort();
const env = (run: ProgramRun, fn: string): Record<string, string> => run.one(T.fn, `${fn}-function`).inputs.environment.variables;
const policyOf = (run: ProgramRun, owner: string) => JSON.parse(run.one(T.rolePolicy, `${owner}-policy`).inputs.policy);

/** Resources whose wildcard is inherent to the resource type, with the reason. */
const ALLOWED_TYPE_WILDCARDS: Record<string, string> = {
  [`arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:*`]: "API Gateway's CloudWatch role is one per account and region, shared by every REST API",
};

const TTL_MINUTES = 2880;
const TIMEOUT = 120;

for (const backend of ["stepfunctions", "lambda"] as const) {
  for (const store of ["dynamodb", "s3"] as const) {
    for (const auth of ["iam", "apiKey", "none"] as const) {
      describe(`program: backend=${backend} store=${store} auth=${auth}`, function () {
        this.timeout(60000);
        let run: ProgramRun;
        before(async () => {
          run = await runProgram({ backend, store, auth, resultTtlMinutes: String(TTL_MINUTES), jobTimeoutSeconds: String(TIMEOUT) });
        });

        it("declares the store this config asks for, and not the other", () => {
          expect(names(run, T.table)).to.deep.equal(store === "dynamodb" ? ["jobs-store-jobs"] : []);
          expect(names(run, T.bucket)).to.deep.equal(["jobs-store-bucket"]);
          expect(run.byType(T.publicAccess)[0].inputs).to.include({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
          expect(run.byType(T.encryption)).to.have.length(1);
        });

        it("declares the backend's functions and state machine, and none of the other backend's", () => {
          const fns = names(run, T.fn);
          const api = ["jobs-cancel-function", "jobs-events-publisher-function", "jobs-list-function", "jobs-status-function", "jobs-submit-function", "jobs-webhook-delivery-function"];
          if (backend === "stepfunctions") {
            const wf = store === "s3" ? ["jobs-workflow-recorder-function", "jobs-workflow-worker-function"] : ["jobs-workflow-worker-function"];
            expect(fns).to.deep.equal([...api, "jobs-failure-recorder-function", ...wf].sort());
            expect(names(run, T.sm)).to.deep.equal(["jobs-workflow-state-machine"]);
            expect(run.one(T.sm, "jobs-workflow-state-machine").inputs.type).to.equal("STANDARD");
            expect(names(run, T.invokeConfig)).to.deep.equal(["jobs-failure-recorder-invoke-config"]);
          } else {
            expect(fns).to.deep.equal([...api, "jobs-failure-recorder-function", "jobs-worker-function"].sort());
            expect(names(run, T.sm)).to.deep.equal([]);
            const cfg = run.one(T.invokeConfig, "jobs-worker-invoke-config").inputs;
            expect(cfg).to.include({ maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 });
            // Crashes, timeouts and expired events go to the failures bus (its rule has them recorded).
            expect(cfg.destinationConfig.onFailure.destination).to.equal(`arn:aws:events:${REGION}:${ACCOUNT_ID}:event-bus/jobs-failures-0123abcd`);
          }
          for (const fn of run.byType(T.fn)) {
            expect(fn.inputs.runtime, fn.name).to.equal("nodejs22.x");
            expect(fn.inputs.loggingConfig.logFormat).to.equal("JSON");
          }
        });

        it("declares the auth mode's resources only", () => {
          expect(names(run, T.apiKey)).to.deep.equal(auth === "apiKey" ? ["jobs-key"] : []);
          expect(names(run, T.usagePlan)).to.deep.equal(auth === "apiKey" ? ["jobs-usage-plan"] : []);
          expect(names(run, T.usagePlanKey)).to.deep.equal(auth === "apiKey" ? ["jobs-usage-plan-key"] : []);
          expect(names(run, T.role).includes("jobs-invoker")).to.equal(auth === "iam");
        });

        it("builds the REST API from one OpenAPI document wired to the three route functions", () => {
          const api = run.one(T.restApi, "jobs-api").inputs;
          expect(api.endpointConfiguration.types).to.equal("REGIONAL");
          const doc = JSON.parse(api.body);
          const uri = (path: string, method: string) => doc.paths[path][method]["x-amazon-apigateway-integration"].uri as string;
          expect(uri("/jobs", "post")).to.contain(":function:jobs-submit-function-0123abcd/invocations");
          expect(uri("/jobs", "get")).to.contain(":function:jobs-list-function-0123abcd/invocations");
          expect(uri("/jobs/{jobId}", "get")).to.contain(":function:jobs-status-function-0123abcd/invocations");
          expect(uri("/jobs/{jobId}", "delete")).to.contain(":function:jobs-cancel-function-0123abcd/invocations");
          expect(run.one(T.deployment, "jobs-deployment").inputs.triggers.documentSha256).to.match(/^[0-9a-f]{64}$/);
          const stage = run.one(T.stage, "jobs-stage").inputs;
          expect(stage.stageName).to.equal("v1");
          // No access logs by default: they need the account's API Gateway CloudWatch role, an account
          // setting this stack leaves alone (tests/components/accountSetting.test.ts).
          expect(stage.accessLogSettings).to.equal(undefined);
          expect(run.byType(T.account)).to.deep.equal([]);
          const perms = run.byType(T.permission).filter((p) => p.inputs.principal === "apigateway.amazonaws.com").map((p) => p.inputs.sourceArn).sort();
          expect(perms).to.deep.equal([
            `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:a1b2c3d4e5/*/DELETE/jobs/*`,
            `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:a1b2c3d4e5/*/GET/jobs`,
            `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:a1b2c3d4e5/*/GET/jobs/*`,
            `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:a1b2c3d4e5/*/POST/jobs`,
          ]);
        });

        it("names every resource after the component, with a suffix", () => {
          for (const r of run.resources) expect(r.name, r.type).to.match(/^jobs(-[a-z0-9-]+)?$/);
        });

        it("gives every role policy named actions on named resources (no *)", () => {
          const policies = run.byType(T.rolePolicy);
          expect(policies.length).to.be.greaterThan(3);
          for (const p of policies) {
            for (const s of JSON.parse(p.inputs.policy).Statement) {
              expect(s.Effect, p.name).to.equal("Allow");
              expect(s.Action, p.name).to.be.an("array").that.is.not.empty;
              expect(s.Resource, p.name).to.be.an("array").that.is.not.empty;
              for (const a of s.Action) expect(a, `${p.name} action`).to.match(/^[a-z0-9-]+:[A-Za-z]+$/);
              for (const res of s.Resource) {
                if (ALLOWED_TYPE_WILDCARDS[res]) continue;
                // An action that takes no resource in IAM, each named: the stream mapping's ListStreams.
                if (res === "*" && JSON.stringify(s.Action) === JSON.stringify(["dynamodb:ListStreams"]) && p.name === "jobs-events-publisher-policy") continue;
                expect(res, `${p.name} resource`).to.match(/^arn:aws:/);
                // A wildcard may only follow a named resource (versions, log streams, object keys, executions).
                expect(res, `${p.name} resource`).not.to.match(/^arn:aws:[^:]*:[^:]*:[^:]*:\*/);
                expect(res.indexOf("*"), `${p.name} ${res}`).to.satisfy((i: number) => i === -1 || i === res.length - 1);
              }
            }
          }
        });

        it("lets each function's role do what it needs and no more", async () => {
          const table = `arn:aws:dynamodb:${REGION}:${ACCOUNT_ID}:table/jobs-store-jobs-0123abcd`;
          const job = store === "dynamodb" ? ["dynamodb:GetItem", table] : ["s3:GetObject", "arn:aws:s3:::jobs-store-bucket-0123abcd/jobs/x.json"];
          const write = store === "dynamodb" ? ["dynamodb:PutItem", table] : ["s3:PutObject", "arn:aws:s3:::jobs-store-bucket-0123abcd/jobs/x.json"];
          const status = policyOf(run, "jobs-status");
          expect(await simulate(status, job[0], job[1])).to.equal("Allowed");
          expect(await simulate(status, write[0], write[1])).to.equal("ImplicitlyDenied");
          expect(await simulate(status, "s3:GetObject", "arn:aws:s3:::jobs-store-bucket-0123abcd/results/x.json")).to.equal("Allowed");
          const submit = policyOf(run, "jobs-submit");
          expect(await simulate(submit, write[0], write[1])).to.equal("Allowed");
          const cancel = policyOf(run, "jobs-cancel");
          const sm = `arn:aws:states:${REGION}:${ACCOUNT_ID}:stateMachine:jobs-workflow-state-machine-0123abcd`;
          if (backend === "stepfunctions") {
            expect(await simulate(submit, "states:StartExecution", sm)).to.equal("Allowed");
            expect(await simulate(status, "states:DescribeExecution", sm.replace("stateMachine", "execution") + ":x")).to.equal("ImplicitlyDenied");
            expect(await simulate(cancel, "states:StopExecution", sm.replace("stateMachine", "execution") + ":x")).to.equal("Allowed");
            expect(await simulate(cancel, "states:StartExecution", sm)).to.equal("ImplicitlyDenied");
          } else {
            const worker = `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:jobs-worker-function-0123abcd`;
            expect(await simulate(submit, "lambda:InvokeFunction", worker)).to.equal("Allowed");
            expect(await simulate(status, "lambda:InvokeFunction", worker)).to.equal("ImplicitlyDenied");
          }
        });

        // CONTRACT.md, "GET /jobs": "A page never costs a scan of the whole store". DynamoDB: a
        // global secondary index on owner + createdAt ("Using Global Secondary Indexes in
        // DynamoDB"), which the list function may Query and nothing else; S3: the index prefix.
        it("lists jobs from an owner index the list function alone may query, and nothing more", async () => {
          const table = `arn:aws:dynamodb:${REGION}:${ACCOUNT_ID}:table/jobs-store-jobs-0123abcd`;
          const list = policyOf(run, "jobs-list");
          expect(run.one(T.fn, "jobs-list-function").inputs.timeout).to.equal(10);
          if (store === "dynamodb") {
            const inputs = run.one(T.table, "jobs-store-jobs").inputs;
            expect(inputs.globalSecondaryIndexes).to.deep.equal([
              {
                name: "byOwner",
                hashKey: "owner",
                rangeKey: "createdAt",
                projectionType: "INCLUDE",
                nonKeyAttributes: ["kind", "jobId", "status", "updatedAt", "deadline", "expiresAt", "progress", "error"],
              },
            ]);
            expect(inputs.attributes).to.deep.include.members([
              { name: "owner", type: "S" },
              { name: "createdAt", type: "S" },
            ]);
            expect(list.Statement.filter((st: any) => st.Sid !== "WriteOwnLogs")).to.deep.equal([
              { Sid: "ListOwnJobs", Effect: "Allow", Action: ["dynamodb:Query"], Resource: [`${table}/index/byOwner`] },
            ]);
            expect(await simulate(list, "dynamodb:Query", `${table}/index/byOwner`)).to.equal("Allowed");
            for (const [action, resource] of [
              ["dynamodb:Query", table],
              ["dynamodb:Scan", `${table}/index/byOwner`],
              ["dynamodb:Scan", table],
              ["dynamodb:GetItem", table],
              ["dynamodb:Query", `${table}/index/other`],
            ]) {
              expect(await simulate(list, action, resource), `${action} ${resource}`).to.equal("ImplicitlyDenied");
            }
            for (const other of ["jobs-status", "jobs-submit", "jobs-cancel"]) expect(await simulate(policyOf(run, other), "dynamodb:Query", `${table}/index/byOwner`), other).to.equal("ImplicitlyDenied");
          } else {
            const bucket = "arn:aws:s3:::jobs-store-bucket-0123abcd";
            expect(await simulate(list, "s3:ListBucket", bucket)).to.equal("Allowed");
            expect(await simulate(list, "s3:GetObject", `${bucket}/jobs/x.json`)).to.equal("Allowed");
            for (const [action, resource] of [
              ["s3:GetObject", `${bucket}/results/x.json`],
              ["s3:GetObject", `${bucket}/idempotency/x.json`],
              ["s3:PutObject", `${bucket}/index/x`],
              ["s3:PutObject", `${bucket}/jobs/x.json`],
            ]) {
              expect(await simulate(list, action, resource), `${action} ${resource}`).to.equal("ImplicitlyDenied");
            }
            expect(await simulate(policyOf(run, "jobs-submit"), "s3:PutObject", `${bucket}/index/abc/123_x`)).to.equal("Allowed");
            expect(await simulate(policyOf(run, "jobs-submit"), "s3:DeleteObject", `${bucket}/index/abc/123_x`)).to.equal("ImplicitlyDenied");
          }
        });

        // Amazon S3 User Guide, "Download and upload objects with presigned URLs": a presigned URL
        // "expires when the credentials you used to create it expire". IAM User Guide, "Methods to
        // assume a role": a session assumed by a role's session lasts at most one hour.
        it("signs resultUrls as a result-reader role that only reads results, assumable by the status function alone", async () => {
          const reader = run.one(T.role, "jobs-result-reader");
          const readerArn = `arn:aws:iam::${ACCOUNT_ID}:role/jobs-result-reader-0123abcd`;
          expect(reader.inputs.maxSessionDuration).to.equal(3600);
          // For a role session, aws:PrincipalArn is the role's ARN ("AWS global condition context keys").
          expect(JSON.parse(reader.inputs.assumeRolePolicy).Statement).to.deep.equal([
            {
              Effect: "Allow",
              Action: ["sts:AssumeRole"],
              Principal: { AWS: `arn:aws:iam::${ACCOUNT_ID}:root` },
              Condition: {
                ArnEquals: {
                  "aws:PrincipalArn": [`arn:aws:iam::${ACCOUNT_ID}:role/jobs-status-role-0123abcd`, `arn:aws:iam::${ACCOUNT_ID}:role/jobs-webhook-delivery-role-0123abcd`],
                },
              },
            },
          ]);
          const readerPolicy = policyOf(run, "jobs-result-reader");
          expect(await simulate(readerPolicy, "s3:GetObject", "arn:aws:s3:::jobs-store-bucket-0123abcd/results/x.json")).to.equal("Allowed");
          expect(await simulate(readerPolicy, "s3:GetObject", "arn:aws:s3:::jobs-store-bucket-0123abcd/jobs/x.json")).to.equal("ImplicitlyDenied");
          expect(await simulate(readerPolicy, "s3:PutObject", "arn:aws:s3:::jobs-store-bucket-0123abcd/results/x.json")).to.equal("ImplicitlyDenied");
          expect(env(run, "jobs-status")[ENV.RESULT_READER_ROLE_ARN]).to.equal(readerArn);
          expect(await simulate(policyOf(run, "jobs-status"), "sts:AssumeRole", readerArn)).to.equal("Allowed");
          expect(await simulate(policyOf(run, "jobs-status"), "sts:AssumeRole", `arn:aws:iam::${ACCOUNT_ID}:role/other`)).to.equal("ImplicitlyDenied");
          // The webhook delivery sends a large result's URL too, signed the same way.
          expect(env(run, "jobs-webhook-delivery")[ENV.RESULT_READER_ROLE_ARN]).to.equal(readerArn);
          expect(await simulate(policyOf(run, "jobs-webhook-delivery"), "sts:AssumeRole", readerArn)).to.equal("Allowed");
          // No other role of the stack may assume it.
          for (const p of run.byType(T.rolePolicy).filter((p) => p.name !== "jobs-status-policy" && p.name !== "jobs-webhook-delivery-policy")) {
            expect(p.inputs.policy, p.name).not.to.contain("sts:AssumeRole");
          }
        });

        describe("failure recording (a job whose failure could not be recorded)", () => {
          const busName = "jobs-failures-0123abcd";
          const busArn = `arn:aws:events:${REGION}:${ACCOUNT_ID}:event-bus/${busName}`;
          const ruleArn = `arn:aws:events:${REGION}:${ACCOUNT_ID}:rule/${busName}/jobs-failures-rule-0123abcd`;
          const executionRuleArn = `arn:aws:events:${REGION}:${ACCOUNT_ID}:rule/jobs-execution-failures-0123abcd`;
          const queueArn = `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:jobs-failures-dlq-0123abcd`;
          const recorderArn = `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:jobs-failure-recorder-function-0123abcd`;
          const smArn = `arn:aws:states:${REGION}:${ACCOUNT_ID}:stateMachine:jobs-workflow-state-machine-0123abcd`;
          const workerArn = `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:jobs-worker-function-0123abcd`;
          const expectedPattern =
            backend === "lambda"
              ? {
                  source: ["lambda"],
                  "detail-type": ["Lambda Function Invocation Result - Failure"],
                  detail: { requestContext: { functionArn: [{ prefix: `${workerArn}:` }] } },
                }
              : {
                  source: ["aws.states"],
                  "detail-type": ["Step Functions Execution Status Change"],
                  detail: { stateMachineArn: [smArn], status: ["FAILED", "TIMED_OUT", "ABORTED"] },
                };

          it("declares the failures bus, its rule, archive and dead-letter queue; on stepfunctions the default-bus rule that forwards to it", () => {
            // The failure channel's own resources (the job events and webhooks have theirs).
            const failureNames = (type: string) => names(run, type).filter((n) => n.includes("failures"));
            expect(failureNames(T.bus)).to.deep.equal(["jobs-failures"]);
            expect(names(run, T.archive)).to.deep.equal(["jobs-failures-archive"]);
            expect(failureNames(T.queue)).to.deep.equal(["jobs-failures-dlq"]);
            expect(failureNames(T.queuePolicy)).to.deep.equal(["jobs-failures-dlq-policy"]);
            expect(failureNames(T.rule)).to.deep.equal(backend === "stepfunctions" ? ["jobs-execution-failures", "jobs-failures-rule"] : ["jobs-failures-rule"]);
            expect(failureNames(T.target)).to.deep.equal(backend === "stepfunctions" ? ["jobs-execution-failures-target", "jobs-failures-target"] : ["jobs-failures-target"]);
            expect(names(run, T.role).includes("jobs-execution-failures-role")).to.equal(backend === "stepfunctions");
          });

          it("matches exactly this API's failures, and archives what the rule matches", () => {
            const rule = run.one(T.rule, "jobs-failures-rule").inputs;
            expect(rule.eventBusName).to.equal(busName);
            expect(JSON.parse(rule.eventPattern)).to.deep.equal(expectedPattern);
            const archive = run.one(T.archive, "jobs-failures-archive").inputs;
            expect(archive.eventSourceArn).to.equal(busArn);
            expect(archive.eventPattern).to.equal(rule.eventPattern);
            expect(archive.retentionDays).to.equal(7);
            if (backend === "stepfunctions") {
              const forward = run.one(T.rule, "jobs-execution-failures").inputs;
              expect(forward.eventBusName, "Step Functions sends to the default bus").to.equal(undefined);
              expect(JSON.parse(forward.eventPattern).detail.stateMachineArn).to.deep.equal([smArn]);
              expect(forward.eventPattern).to.equal(rule.eventPattern);
            }
          });

          it("sends them to the recorder with a retry policy and the dead-letter queue, allowed from that rule only", () => {
            const target = run.one(T.target, "jobs-failures-target").inputs;
            expect(target).to.deep.include({ rule: "jobs-failures-rule-0123abcd", eventBusName: busName, arn: recorderArn });
            expect(target.retryPolicy).to.deep.equal({ maximumRetryAttempts: 185, maximumEventAgeInSeconds: 3600 });
            expect(target.deadLetterConfig).to.deep.equal({ arn: queueArn });
            const permission = run.byType(T.permission).filter((p) => p.inputs.principal === "events.amazonaws.com");
            expect(permission.map((p) => p.inputs)).to.deep.equal([
              { action: "lambda:InvokeFunction", function: "jobs-failure-recorder-function-0123abcd", principal: "events.amazonaws.com", sourceArn: ruleArn },
            ]);
            // A recorder that throws is Lambda's to retry, then to send to the same queue.
            const recorderConfig = run.one(T.invokeConfig, "jobs-failure-recorder-invoke-config").inputs;
            expect(recorderConfig).to.deep.include({ functionName: "jobs-failure-recorder-function-0123abcd", maximumRetryAttempts: 2 });
            expect(recorderConfig.destinationConfig.onFailure.destination).to.equal(queueArn);
            if (backend === "stepfunctions") {
              const forward = run.one(T.target, "jobs-execution-failures-target").inputs;
              expect(forward).to.deep.include({ rule: "jobs-execution-failures-0123abcd", arn: busArn, roleArn: `arn:aws:iam::${ACCOUNT_ID}:role/jobs-execution-failures-role-0123abcd` });
              expect(forward.deadLetterConfig).to.deep.equal({ arn: queueArn });
              expect(forward.retryPolicy, "bus targets take no retry policy").to.equal(undefined);
            }
          });

          it("keeps the dead-letter queue encrypted, for 14 days, writable by EventBridge from these rules only", () => {
            const queue = run.one(T.queue, "jobs-failures-dlq").inputs;
            expect(queue).to.include({ sqsManagedSseEnabled: true, messageRetentionSeconds: 14 * 24 * 3600 });
            const policy = run.one(T.queuePolicy, "jobs-failures-dlq-policy").inputs;
            expect(policy.queueUrl).to.equal(`https://sqs.${REGION}.amazonaws.com/${ACCOUNT_ID}/jobs-failures-dlq-0123abcd`);
            const doc = JSON.parse(policy.policy);
            expect(policy.policy).not.to.contain("*");
            expect(doc.Statement).to.deep.equal([
              {
                Sid: "DeadLetterFromFailureRules",
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: ["sqs:SendMessage"],
                Resource: [queueArn],
                Condition: { ArnEquals: { "aws:SourceArn": backend === "stepfunctions" ? [ruleArn, executionRuleArn] : [ruleArn] } },
              },
            ]);
          });

          it("lets each role send failures exactly where they go", async () => {
            const otherBus = `arn:aws:events:${REGION}:${ACCOUNT_ID}:event-bus/default`;
            const recorder = policyOf(run, "jobs-failure-recorder");
            expect(await simulate(recorder, "sqs:SendMessage", queueArn)).to.equal("Allowed");
            expect(await simulate(recorder, "sqs:SendMessage", `${queueArn}-other`)).to.equal("ImplicitlyDenied");
            expect(await simulate(recorder, "events:PutEvents", busArn)).to.equal("ImplicitlyDenied");
            if (backend === "lambda") {
              const worker = policyOf(run, "jobs-worker");
              expect(await simulate(worker, "events:PutEvents", busArn)).to.equal("Allowed");
              expect(await simulate(worker, "events:PutEvents", otherBus)).to.equal("ImplicitlyDenied");
              expect(await simulate(worker, "lambda:InvokeFunction", recorderArn), "the destination is the bus now").to.equal("ImplicitlyDenied");
            } else {
              const forward = JSON.parse(run.one(T.rolePolicy, "jobs-execution-failures-policy").inputs.policy);
              expect(forward.Statement).to.have.length(1);
              expect(await simulate(forward, "events:PutEvents", busArn)).to.equal("Allowed");
              expect(await simulate(forward, "events:PutEvents", otherBus)).to.equal("ImplicitlyDenied");
              const trust = JSON.parse(run.one(T.role, "jobs-execution-failures-role").inputs.assumeRolePolicy);
              expect(trust.Statement[0]).to.deep.include({ Principal: { Service: "events.amazonaws.com" }, Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT_ID } } });
            }
          });

          it("exports what the replay command needs", () => {
            expect(run.outputs).to.include({ failureBusArn: busArn, failureRuleArn: ruleArn, failureArchiveArn: `arn:aws:events:${REGION}:${ACCOUNT_ID}:archive/jobs-failures-archive-0123abcd` });
            expect(run.outputs.deadLetterQueueUrl).to.equal(`https://sqs.${REGION}.amazonaws.com/${ACCOUNT_ID}/jobs-failures-dlq-0123abcd`);
          });
        });

        it("sets TTL and lifecycle from resultTtlMinutes", () => {
          if (store === "dynamodb") {
            const table = run.one(T.table, "jobs-store-jobs").inputs;
            expect(table.ttl).to.deep.equal({ attributeName: "expiresAt", enabled: true });
            expect(table.billingMode).to.equal("PAY_PER_REQUEST");
            expect(table.pointInTimeRecovery).to.deep.equal({ enabled: true });
            expect(table.serverSideEncryption).to.deep.equal({ enabled: true });
          }
          const rules = run.byType(T.lifecycle)[0].inputs.rules as any[];
          const expiring = rules.filter((r) => r.expiration);
          // 2880 minutes + the job's deadline (120 s + 300 s start allowance), in whole days: 3.
          for (const r of expiring) expect(r.expiration.days, r.id).to.equal(3);
          expect(expiring.map((r) => r.filter.prefix).sort()).to.deep.equal(store === "s3" ? ["events/", "idempotency/", "index/", "jobs/", "results/"] : ["results/"]);
          expect(env(run, "jobs-status")[ENV.RESULT_TTL_SECONDS]).to.equal(String(TTL_MINUTES * 60));
        });

        it("sets timeouts from jobTimeoutSeconds", () => {
          const worker = backend === "stepfunctions" ? "jobs-workflow-worker" : "jobs-worker";
          expect(run.one(T.fn, `${worker}-function`).inputs.timeout).to.equal(TIMEOUT + 10);
          expect(env(run, worker)[ENV.JOB_TIMEOUT_SECONDS]).to.equal(String(TIMEOUT));
          expect(env(run, "jobs-submit")[ENV.JOB_TIMEOUT_SECONDS]).to.equal(String(TIMEOUT));
          for (const api of ["jobs-submit", "jobs-cancel"]) expect(run.one(T.fn, `${api}-function`).inputs.timeout).to.equal(10);
          // GET ?wait=20 and its reads, under API Gateway's 29-second integration limit ("Amazon API Gateway quotas").
          expect(run.one(T.fn, "jobs-status-function").inputs.timeout).to.equal(28);
          // The status function mostly waits on long polls, billed by memory × time (README "What a job costs").
          expect(run.one(T.fn, "jobs-status-function").inputs.memorySize).to.equal(128);
          for (const api of ["jobs-submit", "jobs-cancel", "jobs-list"]) expect(run.one(T.fn, `${api}-function`).inputs.memorySize, api).to.equal(256);
          if (backend === "stepfunctions") {
            const def = JSON.parse(run.one(T.sm, "jobs-workflow-state-machine").inputs.definition);
            const timeouts = Object.values(def.States as Record<string, any>).filter((s) => s.TimeoutSeconds !== undefined).map((s) => s.TimeoutSeconds);
            // RunJob allows the worker function's margin (its timeout is TIMEOUT + 10) less 1 s.
            expect(timeouts).to.deep.equal([TIMEOUT + 10 - 1]);
          }
        });

        it("gives the handlers the environment of this config", () => {
          const e = env(run, "jobs-submit");
          expect(e).to.include({ [ENV.STORE]: store, [ENV.BACKEND]: backend, [ENV.AUTH]: auth });
          if (backend === "stepfunctions") expect(e[ENV.STATE_MACHINE_ARN]).to.match(/:stateMachine:jobs-workflow-state-machine-0123abcd$/);
          else expect(e[ENV.WORKER_FUNCTION_NAME]).to.equal("jobs-worker-function-0123abcd");
          if (store === "dynamodb") expect(e[ENV.JOBS_TABLE]).to.be.a("string");
          else expect(e[ENV.JOBS_BUCKET]).to.equal(e[ENV.RESULTS_BUCKET]);
        });

        it("exports the contract's outputs for this config", () => {
          const o = run.outputs;
          expect(o.apiUrl).to.equal(`https://a1b2c3d4e5.execute-api.${REGION}.amazonaws.com/v1`);
          expect(o).to.include({ backend, store, auth });
          expect(o.invokeRoleArn !== undefined).to.equal(auth === "iam");
          if (auth === "iam") expect(o.invokeRoleArn).to.match(/^arn:aws:iam::\d{12}:role\/jobs-invoker/);
          expect(o.apiKeyId !== undefined).to.equal(auth === "apiKey");
          expect(o.apiKey !== undefined).to.equal(auth === "apiKey");
          if (auth === "apiKey") expect([...run.secrets]).to.include("apiKey");
          expect(o.stateMachineArn !== undefined).to.equal(backend === "stepfunctions");
          expect(o.jobsTableName !== undefined).to.equal(store === "dynamodb");
          expect(o.resultsBucketName).to.be.a("string");
          expect(o.authWarning !== undefined).to.equal(auth === "none");
        });
      });
    }
  }
}

describe("program: config errors", () => {
  it("EXPRESS workflows get an EXPRESS state machine with the short timeout", async () => {
    const run = await runProgram({ workflowType: "EXPRESS", jobTimeoutSeconds: "240" });
    expect(run.one(T.sm, "jobs-workflow-state-machine").inputs.type).to.equal("EXPRESS");
    // Express executions cannot be stopped: the cancel role gets no StopExecution.
    const cancel = JSON.parse(run.one(T.rolePolicy, "jobs-cancel-policy").inputs.policy);
    expect(JSON.stringify(cancel)).not.to.contain("states:StopExecution");
    // Step Functions sends no status-change events for EXPRESS executions: no failure routing (the
    // job events bus, its webhook rule and queues are all there is).
    expect(names(run, T.bus)).to.deep.equal(["jobs-job-events"]);
    expect(names(run, T.rule)).to.deep.equal(["jobs-webhooks"]);
    expect(run.byType(T.archive)).to.have.length(0);
    expect(names(run, T.queue).sort()).to.deep.equal(["jobs-job-events-dlq", "jobs-webhooks", "jobs-webhooks-dlq"]);
    expect(run.outputs.failureArchiveArn).to.equal(undefined);
  });

  // "Logging in CloudWatch Logs" (Step Functions): EXPRESS executions keep no history, and the
  // LoggingConfiguration's level is OFF unless set; log delivery takes no resource in IAM.
  it("EXPRESS workflows log their errors (no execution data) to a log group of their own; STANDARD keeps its history instead", async () => {
    const run = await runProgram({ workflowType: "EXPRESS", jobTimeoutSeconds: "240" });
    const group = run.one("aws:cloudwatch/logGroup:LogGroup", "jobs-workflow-logs");
    const logging = run.one(T.sm, "jobs-workflow-state-machine").inputs.loggingConfiguration;
    expect(logging).to.deep.equal({ level: "ERROR", includeExecutionData: false, logDestination: `${group.state.arn}:*` });
    const statements = JSON.parse(run.one(T.rolePolicy, "jobs-workflow-policy").inputs.policy).Statement;
    expect(statements.find((s: { Sid: string }) => s.Sid === "DeliverExecutionLogs")).to.deep.include({ Resource: ["*"] });
    expect(statements.find((s: { Sid: string }) => s.Sid === "DeliverExecutionLogs").Action).to.include.members(["logs:CreateLogDelivery", "logs:PutResourcePolicy", "logs:DescribeLogGroups"]);

    const standard = await runProgram({ workflowType: "STANDARD" });
    expect(standard.one(T.sm, "jobs-workflow-state-machine").inputs.loggingConfiguration).to.equal(undefined);
    expect(standard.one(T.rolePolicy, "jobs-workflow-policy").inputs.policy).not.to.contain("logs:");
  });

  it("takes the failure recording settings and refuses values outside the services' limits", async () => {
    const { AsyncApi } = await import("../../components");
    const { timerJob } = await import("../../lambdas/jobs/timer");
    const job = { name: "timer", module: require.resolve("../../lambdas/jobs/timer"), exportName: "timerJob", schema: timerJob.schema };
    expect(() => new AsyncApi("bad", { job, backend: "lambda", failureRecording: { deliveryRetryAttempts: 186 } })).to.throw(/failureRecording.deliveryRetryAttempts must be an integer from 0 to 185, got 186/);
    expect(() => new AsyncApi("bad2", { job, backend: "lambda", failureRecording: { recorderRetryAttempts: 3 } })).to.throw(/recorderRetryAttempts must be an integer from 0 to 2/);
    expect(() => new AsyncApi("bad3", { job, failureRecording: { deliveryMaximumEventAgeSeconds: 30 } })).to.throw(/deliveryMaximumEventAgeSeconds must be an integer from 60 to 86400/);
  });

  it("passes the failure recording settings to the archive, the target and the recorder (within Lambda's 6-hour event age)", async () => {
    const { AsyncApi } = await import("../../components");
    const { timerJob } = await import("../../lambdas/jobs/timer");
    const { recorded, resetRecorded, valueOf } = await import("../support/mocks");
    resetRecorded();
    const job = { name: "timer", module: require.resolve("../../lambdas/jobs/timer"), exportName: "timerJob", schema: timerJob.schema };
    const api = new AsyncApi("tuned", { job, backend: "lambda", auth: "none", failureRecording: { archiveRetentionDays: 30, deliveryRetryAttempts: 10, deliveryMaximumEventAgeSeconds: 86400, recorderRetryAttempts: 0 } });
    await valueOf(api.failureArchiveArn);
    await new Promise((r) => setTimeout(r, 100));
    const of = (type: string, name: string) => recorded.find((r) => r.type === type && r.name === name)!.inputs;
    expect(of(T.archive, "tuned-failures-archive").retentionDays).to.equal(30);
    expect(of(T.target, "tuned-failures-target").retryPolicy).to.deep.equal({ maximumRetryAttempts: 10, maximumEventAgeInSeconds: 86400 });
    expect(of(T.invokeConfig, "tuned-failure-recorder-invoke-config")).to.include({ maximumRetryAttempts: 0, maximumEventAgeInSeconds: 21600 });
  });
});
