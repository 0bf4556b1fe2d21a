import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { AsyncApi, type AsyncApiArgs } from "../../components";
import { ResultStore } from "../../components/resultStore";
import { timerJob } from "../../lambdas/jobs/timer";
import { valueOf } from "../support/mocks";

const job = { name: "timer", module: path.resolve(__dirname, "../../lambdas/jobs/timer.ts"), exportName: "timerJob", schema: timerJob.schema };

/** Builds an AsyncApi and records every descendant's type, name and parent through a transformation. */
async function build(name: string, args: Partial<AsyncApiArgs>) {
  const seen: { type: string; name: string; parent?: pulumi.Resource }[] = [];
  const api = new AsyncApi(name, { job, ...args } as AsyncApiArgs, {
    transformations: [
      (t) => {
        // The transformation also sees the component itself.
        if (t.name !== name) seen.push({ type: t.type, name: t.name, parent: t.opts.parent });
        return undefined;
      },
    ],
  });
  await valueOf(api.apiUrl);
  await new Promise((r) => setTimeout(r, 50));
  return { api, seen };
}

describe("components/AsyncApi", function () {
  this.timeout(60000);

  for (const backend of ["stepfunctions", "lambda"] as const) {
    it(`parents every resource under the component, named <name>-<suffix> (backend ${backend})`, async () => {
      const { api, seen } = await build(`p${backend.slice(0, 3)}`, { backend, store: "s3", auth: "iam" });
      expect(seen.length).to.be.greaterThan(25);
      const components = new Set<pulumi.Resource>([api]);
      for (const s of seen) {
        expect(s.name, s.type).to.match(new RegExp(`^p${backend.slice(0, 3)}-[a-z0-9-]+$`));
        expect(s.parent, `${s.type} ${s.name}`).to.not.equal(undefined);
      }
      // Every parent is the AsyncApi itself or one of its component descendants.
      const componentTypes = seen.filter((s) => s.type.startsWith("async-api:index:")).map((s) => s.type);
      expect(componentTypes).to.include("async-api:index:ResultStore");
      expect(componentTypes).to.include("async-api:index:BundledFunction");
      if (backend === "stepfunctions") expect(componentTypes).to.include("async-api:index:JobStateMachine");
      for (const s of seen) {
        const parent = s.parent as pulumi.Resource;
        const isComponent = parent === api || (parent as any).__pulumiType?.startsWith?.("async-api:index:") || components.has(parent);
        expect(isComponent, `${s.type} ${s.name}`).to.equal(true);
      }
    });
  }

  it("uses an existing store, by name, instead of creating one: no table, no bucket, its names in the handlers' environment", async () => {
    const tableStreamArn = "arn:aws:dynamodb:us-east-1:123456789012:table/shared-jobs/stream/2026-01-01T00:00:00.000";
    const { api, seen } = await build("reuse", { backend: "lambda", resultStore: { kind: "dynamodb", tableName: "shared-jobs", bucketName: "shared-bucket", tableStreamArn }, auth: "none" });
    // The job events publisher reads the existing table's stream.
    expect(seen.some((s) => s.type === "aws:lambda/eventSourceMapping:EventSourceMapping" && s.name === "reuse-events-mapping")).to.equal(true);
    expect(await valueOf(api.store.tableStreamArn!)).to.equal(tableStreamArn);
    expect(seen.filter((s) => s.type === "aws:dynamodb/table:Table" || s.type === "aws:s3/bucket:Bucket")).to.have.length(0);
    expect(await valueOf(api.store.environment)).to.include({ ASYNC_API_JOBS_TABLE: "shared-jobs", ASYNC_API_RESULTS_BUCKET: "shared-bucket" });
    expect(await valueOf(api.store.tableArn!)).to.match(/^arn:aws:dynamodb:[a-z0-9-]+:\d{12}:table\/shared-jobs$/);
    expect(await valueOf(api.store.bucketArn)).to.equal("arn:aws:s3:::shared-bucket");
    expect(() => new ResultStore("no-table", { kind: "dynamodb", existing: { bucketName: "b" } })).to.throw(/needs existing.tableName/);
  });

  const conflicts: [string, Partial<AsyncApiArgs>, RegExp][] = [
    ["store and resultStore together", { store: "s3", resultStore: { bucketName: "b" } }, /either store .* or resultStore/],
    ["workflowType on backend lambda", { backend: "lambda", workflowType: "EXPRESS" }, /workflowType applies only to backend "stepfunctions"/],
    ["lambdaWorker on backend stepfunctions", { backend: "stepfunctions", lambdaWorker: { maximumRetryAttempts: 1 } }, /lambdaWorker applies only to backend "lambda"/],
    ["a timeout over Lambda's limit", { jobTimeoutSeconds: 901 }, /jobTimeoutSeconds must be a whole number from 1 to 900/],
    ["an unknown backend", { backend: "ec2" as any }, /backend must be/],
    ["an unknown auth", { auth: "basic" as any }, /auth must be/],
    ["backend stream on store s3", { backend: "stream", store: "s3" }, /backend "stream" needs store "dynamodb"/],
    ["streamWorker on backend lambda", { backend: "lambda", streamWorker: { maximumRetryAttempts: 1 } }, /streamWorker applies only to backend "stream"/],
    ["failureRecording on backend stream", { backend: "stream", failureRecording: { archiveRetentionDays: 1 } }, /failureRecording applies only to backends/],
    ["a parallelization factor over 10", { backend: "stream", streamWorker: { parallelizationFactor: 11 } }, /streamWorker.parallelizationFactor must be an integer from 1 to 10/],
    ["a resultStore without a stream on backend stream", { backend: "stream", resultStore: { kind: "dynamodb", tableName: "t", bucketName: "b" } }, /needs a resultStore with a table stream/],
    ["a bad stage name", { stageName: "v 1" }, /stageName must be/],
    ["an existing table without its stream (job events read it)", { backend: "lambda", resultStore: { kind: "dynamodb", tableName: "t", bucketName: "b" } }, /job events need the jobs table's stream/],
    ["too many worker retries", { backend: "lambda", lambdaWorker: { maximumRetryAttempts: 3 } }, /maximumRetryAttempts must be 0, 1 or 2/],
    ["a relative job module", { job: { ...job, module: "lambdas/jobs/timer.ts" } }, /job.module must be an absolute path/],
  ];
  for (const [what, args, message] of conflicts) {
    it(`throws on ${what}`, () => {
      expect(() => new AsyncApi("bad", { job, ...args } as AsyncApiArgs)).to.throw(message);
    });
  }
});

describe("components/ResultStore", () => {
  it("rejects a TTL outside 1..525600 minutes and an unknown kind", () => {
    expect(() => new ResultStore("bad-ttl", { resultTtlMinutes: 0 })).to.throw(/resultTtlMinutes must be a whole number from 1 to 525600/);
    expect(() => new ResultStore("bad-kind", { kind: "redis" as any })).to.throw(/kind must be "dynamodb" or "s3"/);
  });

  it("gives handlers the store's environment", async () => {
    const s3 = await valueOf(new ResultStore("env-s3", { kind: "s3", resultTtlMinutes: 10 }).environment);
    expect(s3).to.include({ ASYNC_API_STORE: "s3", ASYNC_API_RESULT_TTL_SECONDS: "600" });
    expect(s3.ASYNC_API_JOBS_BUCKET).to.equal(s3.ASYNC_API_RESULTS_BUCKET);
    const ddb = await valueOf(new ResultStore("env-ddb", {}).environment);
    expect(ddb).to.include({ ASYNC_API_STORE: "dynamodb", ASYNC_API_RESULT_TTL_SECONDS: "86400" });
    expect(ddb.ASYNC_API_JOBS_TABLE).to.be.a("string");
  });
});
