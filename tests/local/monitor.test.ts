import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { LocalMonitor, type LocalServices } from "../../local/monitor/monitor";

/** Services that record what the monitor asked of them. */
function fakeServices() {
  const calls: [string, ...unknown[]][] = [];
  const rec = (name: string) => async (...args: unknown[]) => void calls.push([name, ...args]);
  const services = {
    dynamodb: { createTable: rec("createTable"), enableTtl: (...a: unknown[]) => calls.push(["enableTtl", ...a]) },
    s3: { createBucket: rec("createBucket") },
    lambda: { createFunction: rec("createFunction"), putEventInvokeConfig: (...a: unknown[]) => calls.push(["putEventInvokeConfig", ...a]) },
    stepfunctions: { createStateMachine: rec("createStateMachine") },
    apigateway: {
      putRestApi: (...a: unknown[]) => calls.push(["putRestApi", ...a]),
      createDeployment: (...a: unknown[]) => calls.push(["createDeployment", ...a]),
      createStage: (api: string, stage: string) => `http://localhost:1234/${stage}`,
      addLambdaPermission: (...a: unknown[]) => calls.push(["addLambdaPermission", ...a]),
      createApiKey: (...a: unknown[]) => calls.push(["createApiKey", ...a]),
      createUsagePlan: (...a: unknown[]) => calls.push(["createUsagePlan", ...a]),
      addUsagePlanKey: (...a: unknown[]) => calls.push(["addUsagePlanKey", ...a]),
    },
  } as unknown as LocalServices;
  return { services, calls };
}

const resource = (type: string, name: string, inputs: Record<string, unknown>, custom = true) => ({ type, name, inputs, custom }) as pulumi.runtime.MockResourceArgs;

describe("local/monitor LocalMonitor", () => {
  it("refuses a resource type it does not know, naming the type and the resource", async () => {
    const { services } = fakeServices();
    const monitor = new LocalMonitor(services, "dev");
    let error: Error | undefined;
    try {
      await monitor.newResource(resource("aws:ec2/instance:Instance", "web", {}));
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.equal('The local cloud does not know resource type aws:ec2/instance:Instance (resource "web"): add it to local/monitor/');
    expect(monitor.errors).to.have.length(1);
  });

  it("refuses an unknown function call (invoke) too", () => {
    const monitor = new LocalMonitor(fakeServices().services, "dev");
    expect(() => monitor.call({ token: "aws:ec2/getAmi:getAmi", inputs: {} } as pulumi.runtime.MockCallArgs)).to.throw(/does not know the function aws:ec2\/getAmi:getAmi/);
  });

  it("gives stable physical names across restarts, different per stack", () => {
    const a = new LocalMonitor(fakeServices().services, "dev");
    const b = new LocalMonitor(fakeServices().services, "dev");
    const c = new LocalMonitor(fakeServices().services, "prod");
    expect(a.physicalName("jobs-store-jobs", {})).to.equal(b.physicalName("jobs-store-jobs", {}));
    expect(a.physicalName("jobs-store-jobs", {})).to.match(/^jobs-store-jobs-[0-9a-f]{7}$/);
    expect(a.physicalName("jobs-store-jobs", {})).not.to.equal(c.physicalName("jobs-store-jobs", {}));
    expect(a.physicalName("x", { name: "explicit" })).to.equal("explicit");
  });

  it("materialises a table with its TTL, and a function from its bundle text", async () => {
    const { services, calls } = fakeServices();
    const monitor = new LocalMonitor(services, "dev");
    const table = await monitor.newResource(
      resource("aws:dynamodb/table:Table", "jobs", { hashKey: "pk", attributes: [{ name: "pk", type: "S" }], ttl: { attributeName: "expiresAt", enabled: true } }),
    );
    expect(table.state.arn).to.match(/^arn:aws:dynamodb:us-east-1:000000000000:table\/jobs-[0-9a-f]{7}$/);
    expect(calls.find((c) => c[0] === "enableTtl")).to.deep.equal(["enableTtl", table.id, "expiresAt"]);

    const code = new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset("exports.handler = async () => 42;") });
    const fn = await monitor.newResource(resource("aws:lambda/function:Function", "worker", { code, handler: "index.handler", timeout: 30, memorySize: 512, environment: { variables: { A: "1" } } }));
    const created = calls.find((c) => c[0] === "createFunction")![1] as Record<string, unknown>;
    expect(created).to.deep.include({ name: fn.id, code: "exports.handler = async () => 42;", handler: "index.handler", timeoutSeconds: 30, memorySize: 512, environment: { A: "1" } });
    expect(fn.state.invokeArn).to.equal(`arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${fn.state.arn}/invocations`);
  });

  it("accepts component resources without materialising anything", async () => {
    const { services, calls } = fakeServices();
    const out = await new LocalMonitor(services, "dev").newResource(resource("async-api:index:AsyncApi", "jobs", {}, false));
    expect(out.id).to.equal("jobs");
    expect(calls).to.have.length(0);
  });
});
