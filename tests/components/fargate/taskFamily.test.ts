// Task definition families are account- and region-wide, and RunTask with a family runs its latest
// ACTIVE revision (AWS, RunTask API reference, taskDefinition): each stack needs its own family,
// of letters, digits, "_" and "-" (RegisterTaskDefinition, family: up to 255).
import { expect } from "chai";
import { taskFamily } from "../../../components/fargate/taskFamily";

describe("Fargate task definition family", () => {
  it("differs between stacks and projects with the same component name", () => {
    const name = "jobs-workflow-fargate-task";
    const families = new Set([taskFamily("async-api", "dev", name), taskFamily("async-api", "prod", name), taskFamily("other-app", "dev", name)]);
    expect(families.size).to.equal(3);
    expect(taskFamily("async-api", "dev", name)).to.equal("async-api-dev-jobs-workflow-fargate-task");
  });

  it("keeps to the characters and the length AWS allows", () => {
    const family = taskFamily("my.app", "org/team.prod", "x".repeat(300));
    expect(family).to.match(/^[A-Za-z0-9_-]{1,255}$/);
    expect(family.startsWith("my-app-org-team-prod-")).to.equal(true);
  });
});
