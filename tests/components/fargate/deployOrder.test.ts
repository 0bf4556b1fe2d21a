// Step Functions can start an execution as soon as the state machine exists, and the task it runs
// uses the task role's policy from its first call (GetItem of the job, SendTaskHeartbeat): the
// state machine is made only once the task definition and that policy exist, as its own role's
// policy ("IAM policies for Amazon ECS/AWS Fargate" in the Step Functions guide).
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { AsyncApi, type AsyncApiArgs } from "../../../components";
import { timerJob } from "../../../lambdas/jobs/timer";
import { valueOf } from "../../support/mocks";

const job = { name: "timer", module: path.resolve(__dirname, "../../../lambdas/jobs/timer.ts"), exportName: "timerJob", schema: timerJob.schema };

describe("components/JobStateMachine with the Fargate worker: deploy order", function () {
  this.timeout(60_000);

  it("makes the state machine after its role's policy, the task definition and the task role's policy", async () => {
    const seen: { type: string; name: string; opts: pulumi.CustomResourceOptions }[] = [];
    const api = new AsyncApi("order", { job, backend: "stepfunctions", worker: "fargate", store: "dynamodb", auth: "none" } as AsyncApiArgs, {
      transformations: [
        (t) => {
          seen.push({ type: t.type, name: t.name, opts: t.opts });
          return undefined;
        },
      ],
    });
    await valueOf(api.apiUrl);
    const machine = seen.find((s) => s.type === "aws:sfn/stateMachine:StateMachine");
    expect(machine, "a state machine").to.not.equal(undefined);
    const dependsOn = ([] as unknown[]).concat(machine!.opts.dependsOn ?? []).map((r) => (r as { __name?: string }).__name);
    expect(dependsOn).to.include.members(["order-workflow-policy", "order-workflow-fargate", "order-workflow-task-policy"]);
  });
});
