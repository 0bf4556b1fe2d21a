// API Gateway's CloudWatch role is one account setting per account and region, shared by every API
// there (AWS, "Set up CloudWatch logging for REST APIs in API Gateway"; the `aws.apigateway.Account`
// resource). A stack leaves it alone by default; when asked to manage it, the setting outlives the
// stack (another stack may rely on it) and waits for the role's policy (early deliveries are
// denied otherwise). Access logs need that role, so by default there are none.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { AsyncApi, type AsyncApiArgs } from "../../components";
import { timerJob } from "../../lambdas/jobs/timer";
import { valueOf } from "../support/mocks";

const job = { name: "timer", module: path.resolve(__dirname, "../../lambdas/jobs/timer.ts"), exportName: "timerJob", schema: timerJob.schema };

interface Seen {
  type: string;
  name: string;
  props: Record<string, unknown>;
  opts: pulumi.CustomResourceOptions;
}

async function build(name: string, args: Partial<AsyncApiArgs>): Promise<Seen[]> {
  const seen: Seen[] = [];
  const api = new AsyncApi(name, { job, backend: "lambda", store: "s3", auth: "none", ...args } as AsyncApiArgs, {
    transformations: [
      (t) => {
        seen.push({ type: t.type, name: t.name, props: t.props, opts: t.opts });
        return undefined;
      },
    ],
  });
  await valueOf(api.apiUrl);
  await new Promise((r) => setTimeout(r, 50));
  return seen;
}

const one = (seen: Seen[], type: string) => seen.filter((s) => s.type === type);

describe("components/AsyncApi: the account's API Gateway CloudWatch role", function () {
  this.timeout(60_000);

  it("is left alone by default: no account setting, no role for it, and no access logs (which would need it)", async () => {
    const seen = await build("acct-default", {});
    expect(one(seen, "aws:apigateway/account:Account")).to.deep.equal([]);
    expect(seen.filter((s) => s.name.includes("apigw-logs"))).to.deep.equal([]);
    const [stage] = one(seen, "aws:apigateway/stage:Stage");
    expect(stage.props.accessLogSettings).to.equal(undefined);
    expect(seen.filter((s) => s.name === "acct-default-access-logs")).to.deep.equal([]);
  });

  it("with accessLogs: true (the account's role set by hand), writes access logs without touching the setting", async () => {
    const seen = await build("acct-logs", { accessLogs: true });
    expect(one(seen, "aws:apigateway/account:Account")).to.deep.equal([]);
    const [stage] = one(seen, "aws:apigateway/stage:Stage");
    expect(stage.props.accessLogSettings).to.not.equal(undefined);
  });

  it("when managed: kept when the stack is destroyed, set only once the role's policy exists, and the stage waits for it", async () => {
    const seen = await build("acct-managed", { manageApiGatewayAccountRole: true });
    const [account] = one(seen, "aws:apigateway/account:Account");
    expect(account.opts.retainOnDelete).to.equal(true);
    const policy = seen.find((s) => s.type === "aws:iam/rolePolicy:RolePolicy" && s.name === "acct-managed-apigw-logs-policy");
    expect(policy).to.not.equal(undefined);
    const dependsOn = ([] as unknown[]).concat(account.opts.dependsOn ?? []) as pulumi.Resource[];
    expect(dependsOn.map((r) => (r as unknown as { __name?: string }).__name)).to.include("acct-managed-apigw-logs-policy");
    const [stage] = one(seen, "aws:apigateway/stage:Stage");
    expect(stage.props.accessLogSettings, "access logs follow the managed role").to.not.equal(undefined);
    const stageDeps = ([] as unknown[]).concat(stage.opts.dependsOn ?? []) as pulumi.Resource[];
    expect(stageDeps.map((r) => (r as unknown as { __name?: string }).__name)).to.include("acct-managed-apigw-account");
  });
});
