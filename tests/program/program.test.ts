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
          const api = ["jobs-cancel-function", "jobs-status-function", "jobs-submit-function"];
          if (backend === "stepfunctions") {
            const wf = store === "s3" ? ["jobs-workflow-recorder-function", "jobs-workflow-worker-function"] : ["jobs-workflow-worker-function"];
            expect(fns).to.deep.equal([...api, ...wf].sort());
            expect(names(run, T.sm)).to.deep.equal(["jobs-workflow-state-machine"]);
            expect(run.one(T.sm, "jobs-workflow-state-machine").inputs.type).to.equal("STANDARD");
            expect(names(run, T.invokeConfig)).to.deep.equal([]);
          } else {
            expect(fns).to.deep.equal([...api, "jobs-failure-recorder-function", "jobs-worker-function"].sort());
            expect(names(run, T.sm)).to.deep.equal([]);
            const cfg = run.one(T.invokeConfig, "jobs-worker-invoke-config").inputs;
            expect(cfg).to.include({ maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 });
            expect(cfg.destinationConfig.onFailure.destination).to.match(/:function:jobs-failure-recorder-function/);
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
          expect(uri("/jobs/{jobId}", "get")).to.contain(":function:jobs-status-function-0123abcd/invocations");
          expect(uri("/jobs/{jobId}", "delete")).to.contain(":function:jobs-cancel-function-0123abcd/invocations");
          expect(run.one(T.deployment, "jobs-deployment").inputs.triggers.documentSha256).to.match(/^[0-9a-f]{64}$/);
          const stage = run.one(T.stage, "jobs-stage").inputs;
          expect(stage.stageName).to.equal("v1");
          expect(stage.accessLogSettings.destinationArn).to.match(/log-group:jobs-access-logs/);
          const perms = run.byType(T.permission).map((p) => p.inputs.sourceArn).sort();
          expect(perms).to.deep.equal([
            `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:a1b2c3d4e5/*/DELETE/jobs/*`,
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
          expect(expiring.map((r) => r.filter.prefix).sort()).to.deep.equal(store === "s3" ? ["idempotency/", "jobs/", "results/"] : ["results/"]);
          expect(env(run, "jobs-status")[ENV.RESULT_TTL_SECONDS]).to.equal(String(TTL_MINUTES * 60));
        });

        it("sets timeouts from jobTimeoutSeconds", () => {
          const worker = backend === "stepfunctions" ? "jobs-workflow-worker" : "jobs-worker";
          expect(run.one(T.fn, `${worker}-function`).inputs.timeout).to.equal(TIMEOUT + 10);
          expect(env(run, worker)[ENV.JOB_TIMEOUT_SECONDS]).to.equal(String(TIMEOUT));
          expect(env(run, "jobs-submit")[ENV.JOB_TIMEOUT_SECONDS]).to.equal(String(TIMEOUT));
          for (const api of ["jobs-submit", "jobs-status", "jobs-cancel"]) expect(run.one(T.fn, `${api}-function`).inputs.timeout).to.equal(10);
          if (backend === "stepfunctions") {
            const def = JSON.parse(run.one(T.sm, "jobs-workflow-state-machine").inputs.definition);
            const timeouts = Object.values(def.States as Record<string, any>).filter((s) => s.TimeoutSeconds !== undefined).map((s) => s.TimeoutSeconds);
            expect(timeouts).to.deep.equal([TIMEOUT]);
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
  it("fails at config time on backend stream, naming the key", async () => {
    let error: unknown;
    try {
      await runProgram({ backend: "stream" });
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.match(/async-api:backend 'stream' is not available yet/);
  });

  it("EXPRESS workflows get an EXPRESS state machine with the short timeout", async () => {
    const run = await runProgram({ workflowType: "EXPRESS", jobTimeoutSeconds: "300" });
    expect(run.one(T.sm, "jobs-workflow-state-machine").inputs.type).to.equal("EXPRESS");
    // Express executions cannot be stopped: the cancel role gets no StopExecution.
    const cancel = JSON.parse(run.one(T.rolePolicy, "jobs-cancel-policy").inputs.policy);
    expect(JSON.stringify(cancel)).not.to.contain("states:StopExecution");
  });
});
