/*
 * Python, Go, .NET and YAML programs use AsyncApi through `pulumi package add <this repository>`
 * (PulumiPlugin.yaml, runtime nodejs): Pulumi's Node.js host infers the component's schema from the
 * TypeScript of its args with @pulumi/pulumi's component analyzer ("Build a component":
 * https://www.pulumi.com/docs/iac/guides/building-extending/components/build-a-component/). The
 * Pulumi CLI is not here, so `pulumi package add` itself is not run: this runs the analyzer the
 * host runs, on this package, and checks the schema it infers.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";

const ROOT = path.resolve(__dirname, "..", "..");

/** The AsyncApiArgs members, as written in components/asyncApi/args.ts. */
function documentedArgs(): string[] {
  const text = fs.readFileSync(path.join(ROOT, "components", "asyncApi", "args.ts"), "utf8");
  const body = text.slice(text.indexOf("export interface AsyncApiArgs {"));
  const block = body.slice(0, body.indexOf("\n}\n"));
  return [...block.matchAll(/^  (\w+)\??:/gm)].map((m) => m[1]);
}

describe("the component package for other languages (PulumiPlugin.yaml)", function () {
  this.timeout(120_000);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let schema: any;

  before(() => {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { Analyzer } = require("@pulumi/pulumi/provider/experimental/analyzer");
    const { generateSchema } = require("@pulumi/pulumi/provider/experimental/schema");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    const result = new Analyzer(ROOT, pkg.name, pkg, new Set(["AsyncApi"])).analyze();
    schema = generateSchema(pkg.name, pkg.version, pkg.description, result.components, result.typeDefinitions, result.dependencies);
  });

  it("is a nodejs component package whose main serves AsyncApi", () => {
    expect(YAML.parse(fs.readFileSync(path.join(ROOT, "PulumiPlugin.yaml"), "utf8"))).to.deep.equal({ runtime: "nodejs" });
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(pkg.main).to.equal("plugin.js");
    const plugin = fs.readFileSync(path.join(ROOT, "plugin.js"), "utf8");
    expect(plugin).to.match(/componentProviderHost\(\{ components: \[AsyncApi\], name: "async-api"/);
  });

  it("infers every documented arg of AsyncApi, each with a type and a description", () => {
    const resource = schema.resources["async-api:index:AsyncApi"];
    expect(resource, "the resource async-api:index:AsyncApi").to.be.an("object");
    const args = documentedArgs();
    expect(args.length).to.be.greaterThan(15);
    expect(Object.keys(resource.inputProperties)).to.have.members(args);
    for (const name of args) {
      const p = resource.inputProperties[name];
      expect(p.type ?? p.$ref, name).to.be.a("string");
      expect(p.description, name).to.be.a("string").and.not.be.empty;
    }
    expect(resource.requiredInputs).to.deep.equal(["job"]);
  });

  it("gives the choices as enums, and the nested args as types with their own fields", () => {
    const enumValues = (t: string) => schema.types[`async-api:index:${t}`].enum.map((e: { value: string }) => e.value).sort();
    expect(enumValues("Backend")).to.deep.equal(["lambda", "stepfunctions", "stream"]);
    expect(enumValues("StoreKind")).to.deep.equal(["dynamodb", "s3"]);
    expect(enumValues("AuthMode")).to.deep.equal(["apiKey", "iam", "none"]);
    expect(enumValues("WorkflowType")).to.deep.equal(["EXPRESS", "STANDARD"]);
    expect(enumValues("WorkerKind")).to.deep.equal(["fargate", "lambda"]);
    const job = schema.types["async-api:index:JobArgs"].properties;
    expect(Object.keys(job)).to.include.members(["name", "module", "functionArn", "schema", "memorySize"]);
    expect(job.functionArn.type).to.equal("string");
    expect(job.schema.additionalProperties.$ref).to.equal("pulumi.json#/Any");
    const existing = schema.types["async-api:index:ExistingResultStoreArgs"].properties;
    expect(Object.keys(existing)).to.have.members(["kind", "bucketName", "tableName", "tableStreamArn"]);
  });

  it("exports the stack outputs a program needs, as plain values or AWS resources", () => {
    const outputs = schema.resources["async-api:index:AsyncApi"].properties;
    expect(Object.keys(outputs)).to.include.members(["apiUrl", "invokeRoleArn", "apiKeyId", "apiKeyValue", "stateMachineArn", "jobsTableName", "resultsBucketName", "deadLetterQueueUrl"]);
    expect(outputs.apiUrl.type).to.equal("string");
  });
});
