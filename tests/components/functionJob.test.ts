// job.functionArn: a job that is an existing Lambda function (any runtime). Its ARN reaches the
// worker, the worker may invoke exactly it, and its timeout is checked against the job's at
// `pulumi up` (aws.lambda.getFunction).
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import * as path from "path";
import { jobWorkerNeeds, validateJob } from "../../components/job";
import { ENV } from "../../lambdas/shared/env";

const promise = <T>(o: pulumi.Output<T>): Promise<T> => (o as unknown as { promise(): Promise<T> }).promise();

describe("components: job.functionArn", function () {
  this.timeout(30_000);

  it("takes a job as a module or as a function, never both or neither", () => {
    const schema = { type: "object" };
    expect(() => validateJob("AsyncApi x", { name: "j", schema })).to.throw(/job.module .* or job.functionArn .*not neither/);
    expect(() => validateJob("AsyncApi x", { name: "j", schema, module: path.resolve("x.ts"), functionArn: "arn:aws:lambda:us-east-1:1:function:f" })).to.throw(/not both/);
    expect(() => validateJob("AsyncApi x", { name: "j", schema, functionArn: "arn:aws:lambda:us-east-1:1:function:f" })).not.to.throw();
  });

  it("gives the worker the function's ARN and lambda:InvokeFunction on exactly it", async () => {
    const fn = new aws.lambda.Function("fj-ok", { runtime: "python3.12", handler: "app.handler", role: "arn:aws:iam::123456789012:role/r", timeout: 30, code: new pulumi.asset.AssetArchive({}) });
    const parent = new pulumi.ComponentResource("test:index:Parent", "fj-parent-ok");
    const needs = jobWorkerNeeds("AsyncApi x", { name: "j", schema: {}, functionArn: fn.arn }, 60, parent);
    const arn = await promise(fn.arn);
    expect(await promise(needs.environment)).to.deep.equal({ [ENV.JOB_FUNCTION_ARN]: arn });
    expect(await promise(needs.statements)).to.deep.equal([{ Sid: "InvokeJobFunction", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [arn] }]);
  });

  it("refuses at pulumi up a function whose timeout is longer than the job's, naming both", async () => {
    const fn = new aws.lambda.Function("fj-long", { runtime: "python3.12", handler: "app.handler", role: "arn:aws:iam::123456789012:role/r", timeout: 300, code: new pulumi.asset.AssetArchive({}) });
    const parent = new pulumi.ComponentResource("test:index:Parent", "fj-parent-long");
    const needs = jobWorkerNeeds("AsyncApi x", { name: "j", schema: {}, functionArn: fn.arn }, 60, parent);
    const err = await promise(needs.environment).then(() => undefined, (e: Error) => e);
    expect(err?.message).to.match(/timeout of 300 s, longer than jobTimeoutSeconds \(60 s\)/);
  });

  it("adds nothing for a job given as a module", async () => {
    const parent = new pulumi.ComponentResource("test:index:Parent", "fj-parent-module");
    const needs = jobWorkerNeeds("AsyncApi x", { name: "j", schema: {}, module: path.resolve("x.ts") }, 60, parent);
    expect(await promise(needs.environment)).to.deep.equal({});
    expect(await promise(needs.statements)).to.deep.equal([]);
  });
});
