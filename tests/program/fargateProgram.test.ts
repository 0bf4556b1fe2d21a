import { expect } from "chai";
import { ENV } from "../../lambdas/shared/env";
import { simulate } from "../support/iam";
import { ACCOUNT_ID, REGION } from "../support/mocks";
import { runProgram, type ProgramRun } from "../support/program";

const T = {
  fn: "aws:lambda/function:Function",
  sm: "aws:sfn/stateMachine:StateMachine",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  cluster: "aws:ecs/cluster:Cluster",
  repo: "aws:ecr/repository:Repository",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  vpc: "awsx:ec2:DefaultVpc",
  image: "awsx:ecr:Image",
  taskDef: "awsx:ecs:FargateTaskDefinition",
};

const policyOf = (run: ProgramRun, name: string) => JSON.parse(run.one(T.rolePolicy, name).inputs.policy);
const SM_ARN = `arn:aws:states:${REGION}:${ACCOUNT_ID}:stateMachine:jobs-workflow-state-machine-0123abcd`;
const CLUSTER_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:cluster/jobs-workflow-fargate-cluster-0123abcd`;
const TASK_ROLE = `arn:aws:iam::${ACCOUNT_ID}:role/jobs-workflow-fargate-task-role-0123abcd`;
const EXECUTION_ROLE = `arn:aws:iam::${ACCOUNT_ID}:role/jobs-workflow-fargate-execution-role-0123abcd`;
const REPO_ARN = `arn:aws:ecr:${REGION}:${ACCOUNT_ID}:repository/jobs-workflow-fargate-repo-0123abcd`;

for (const store of ["dynamodb", "s3"] as const) {
  describe(`program: backend=stepfunctions worker=fargate store=${store}`, function () {
    this.timeout(60000);
    let run: ProgramRun;
    before(async () => {
      run = await runProgram({ backend: "stepfunctions", worker: "fargate", store, auth: "iam", jobTimeoutSeconds: "7200" });
    });

    it("declares the cluster (Container Insights), the repository, the image, the default VPC, the task definition; no Lambda worker", () => {
      expect(run.one(T.cluster, "jobs-workflow-fargate-cluster").inputs.settings).to.deep.equal([{ name: "containerInsights", value: "enabled" }]);
      expect(run.one(T.repo, "jobs-workflow-fargate-repo").inputs).to.include({ forceDelete: true });
      expect(run.byType(T.vpc).map((r) => r.name)).to.deep.equal(["jobs-workflow-fargate-vpc"]);
      const fns = run.byType(T.fn).map((r) => r.name);
      expect(fns).not.to.include("jobs-workflow-worker-function");
      expect(run.one(T.logGroup, "jobs-workflow-fargate-logs").inputs.retentionInDays).to.equal(30);
    });

    it("builds the image from a prepared context (a bundle and a Dockerfile on Node.js 22) into this repository", async () => {
      const image = run.one(T.image, "jobs-workflow-fargate-image").inputs;
      expect(image.repositoryUrl).to.equal(`${ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com/jobs-workflow-fargate-repo-0123abcd`);
      expect(image.context).to.match(/^\.async-api\/images\/[0-9a-f]{16}$/);
      expect(image.platform).to.equal("linux/amd64");
      const fs = await import("fs");
      const path = await import("path");
      const dockerfile = fs.readFileSync(path.join(process.cwd(), image.context, "Dockerfile"), "utf8");
      expect(dockerfile).to.match(/^FROM public\.ecr\.aws\/docker\/library\/node:22-slim$/m);
      expect(dockerfile).to.contain('CMD ["node", "index.js"]');
      expect(fs.statSync(path.join(process.cwd(), image.context, "index.js")).size).to.be.greaterThan(10_000);
    });

    it("defines the task: the image, its own two roles, the log group, the store's environment", () => {
      const task = run.one(T.taskDef, "jobs-workflow-fargate-task").inputs;
      // The family names the project and the stack (mocks: async-api, test): families are account-wide.
      expect(task).to.deep.include({ family: "async-api-test-jobs-workflow-fargate-task", cpu: "1024", memory: "2048" });
      expect(task.taskRole).to.deep.equal({ roleArn: TASK_ROLE });
      expect(task.executionRole).to.deep.equal({ roleArn: EXECUTION_ROLE });
      expect(task.logGroup.existing.name).to.equal("jobs-workflow-fargate-logs-0123abcd");
      expect(task.container).to.deep.include({ name: "worker", essential: true });
      expect(task.container.image).to.match(/jobs-workflow-fargate-repo-0123abcd@sha256:/);
      const env = Object.fromEntries(task.container.environment.map((e: { name: string; value: string }) => [e.name, e.value]));
      expect(env).to.include({ [ENV.STORE]: store, [ENV.BACKEND]: "stepfunctions", [ENV.WORKER]: "fargate", [ENV.JOB_TIMEOUT_SECONDS]: "7200", [ENV.HEARTBEAT_SECONDS]: "60" });
      expect(env).not.to.have.property(ENV.TASK_TOKEN);
    });

    it("runs the task from the state machine with .waitForTaskToken in the default VPC's public subnets", () => {
      const definition = JSON.parse(run.one(T.sm, "jobs-workflow-state-machine").inputs.definition);
      const runJob = definition.States.RunJob;
      expect(runJob.Resource).to.equal("arn:aws:states:::ecs:runTask.waitForTaskToken");
      expect(runJob.Parameters).to.deep.include({ Cluster: CLUSTER_ARN, TaskDefinition: "async-api-test-jobs-workflow-fargate-task", LaunchType: "FARGATE" });
      expect(runJob.Parameters.NetworkConfiguration.AwsvpcConfiguration).to.deep.equal({ Subnets: ["subnet-0aaa", "subnet-0bbb"], SecurityGroups: ["sg-0123456789abcdef0"], AssignPublicIp: "ENABLED" });
      expect(runJob.HeartbeatSeconds, "60 s, after 240 s of start-up").to.equal(300);
      const sg = run.one(T.sg, "jobs-workflow-fargate-sg").inputs;
      expect(sg.vpcId).to.equal("vpc-0123abcd");
      expect(sg.ingress ?? []).to.deep.equal([]);
    });

    it("lets the state machine run exactly this task in this cluster and pass exactly its two roles", async () => {
      const policy = policyOf(run, "jobs-workflow-policy");
      const taskDef = `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:task-definition/async-api-test-jobs-workflow-fargate-task:3`;
      expect(await simulate(policy, "ecs:RunTask", taskDef, { "ecs:cluster": CLUSTER_ARN })).to.equal("Allowed");
      expect(await simulate(policy, "ecs:RunTask", taskDef, { "ecs:cluster": `${CLUSTER_ARN}-other` })).to.equal("ImplicitlyDenied");
      expect(await simulate(policy, "ecs:RunTask", taskDef.replace("async-api-test-jobs-workflow-fargate-task", "async-api-prod-jobs-workflow-fargate-task"), { "ecs:cluster": CLUSTER_ARN })).to.equal("ImplicitlyDenied");
      expect(await simulate(policy, "iam:PassRole", TASK_ROLE, { "iam:PassedToService": "ecs-tasks.amazonaws.com" })).to.equal("Allowed");
      expect(await simulate(policy, "iam:PassRole", EXECUTION_ROLE, { "iam:PassedToService": "ecs-tasks.amazonaws.com" })).to.equal("Allowed");
      expect(await simulate(policy, "iam:PassRole", TASK_ROLE, { "iam:PassedToService": "lambda.amazonaws.com" })).to.equal("ImplicitlyDenied");
      expect(await simulate(policy, "iam:PassRole", `arn:aws:iam::${ACCOUNT_ID}:role/admin`, { "iam:PassedToService": "ecs-tasks.amazonaws.com" })).to.equal("ImplicitlyDenied");
      expect(await simulate(policy, "lambda:InvokeFunction", `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:jobs-workflow-worker-function-0123abcd`)).to.equal("ImplicitlyDenied");
    });

    it("lets the task answer task tokens (IAM names no resource for that) and use this store only", async () => {
      const policy = policyOf(run, "jobs-workflow-task-policy");
      for (const action of ["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"]) expect(await simulate(policy, action, "*"), action).to.equal("Allowed");
      const wildcard = policy.Statement.filter((s: { Resource: string[] }) => s.Resource.includes("*"));
      expect(wildcard.map((s: { Action: string[] }) => s.Action)).to.deep.equal([["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"]]);
      expect(await simulate(policy, "states:StartExecution", SM_ARN)).to.equal("ImplicitlyDenied");
      expect(await simulate(policy, "states:StopExecution", `${SM_ARN.replace(":stateMachine:", ":execution:")}:x`)).to.equal("ImplicitlyDenied");
      if (store === "dynamodb") {
        const table = `arn:aws:dynamodb:${REGION}:${ACCOUNT_ID}:table/jobs-store-jobs-0123abcd`;
        expect(await simulate(policy, "dynamodb:GetItem", table)).to.equal("Allowed");
        expect(await simulate(policy, "dynamodb:PutItem", table), "the state machine writes the status").to.equal("ImplicitlyDenied");
      }
      expect(await simulate(policy, "s3:PutObject", "arn:aws:s3:::jobs-store-bucket-0123abcd/results/x.json")).to.equal("Allowed");
      const trust = JSON.parse(run.one(T.role, "jobs-workflow-fargate-task-role").inputs.assumeRolePolicy);
      expect(trust.Statement[0]).to.deep.include({ Principal: { Service: "ecs-tasks.amazonaws.com" }, Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT_ID } } });
    });

    it("lets ECS pull only this repository's images and write only this log group", async () => {
      const policy = policyOf(run, "jobs-workflow-fargate-execution-policy");
      expect(await simulate(policy, "ecr:BatchGetImage", REPO_ARN)).to.equal("Allowed");
      expect(await simulate(policy, "ecr:BatchGetImage", `${REPO_ARN}-other`)).to.equal("ImplicitlyDenied");
      expect(await simulate(policy, "ecr:PutImage", REPO_ARN)).to.equal("ImplicitlyDenied");
      expect(await simulate(policy, "logs:PutLogEvents", `arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:jobs-workflow-fargate-logs-0123abcd:log-stream:worker/1`)).to.equal("Allowed");
      expect(await simulate(policy, "logs:PutLogEvents", `arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:other:log-stream:x`)).to.equal("ImplicitlyDenied");
      // ecr:GetAuthorizationToken has no resource to name (a registry login): the one `*`.
      const wildcard = policy.Statement.filter((s: { Resource: string[] }) => s.Resource.includes("*"));
      expect(wildcard.map((s: { Action: string[] }) => s.Action)).to.deep.equal([["ecr:GetAuthorizationToken"]]);
    });

    it("exports clusterName, and gives the handlers the worker kind (its start allowance)", () => {
      expect(run.outputs.clusterName).to.equal("jobs-workflow-fargate-cluster-0123abcd");
      expect(run.one(T.fn, "jobs-submit-function").inputs.environment.variables[ENV.WORKER]).to.equal("fargate");
    });
  });
}

describe("program: worker=fargate with your own network (component args)", () => {
  it("uses the subnets and security groups given, without a default VPC or a security group", async () => {
    const { AsyncApi } = await import("../../components");
    const { recorded, resetRecorded } = await import("../support/mocks");
    resetRecorded?.();
    const path = await import("path");
    const api = new AsyncApi("own", {
      job: { name: "timer", module: path.resolve(__dirname, "../../lambdas/jobs/timer.ts"), exportName: "timerJob", schema: { type: "object" } },
      worker: "fargate",
      fargateWorker: { network: { subnetIds: ["subnet-private-1"], securityGroupIds: ["sg-mine"] }, cpu: 2048, memory: 4096, heartbeatSeconds: 30, containerInsights: false },
    });
    const definition = await new Promise<string>((resolve) => api.workflow!.stateMachine.definition.apply(resolve));
    const runJob = JSON.parse(definition).States.RunJob;
    expect(runJob.Parameters.NetworkConfiguration.AwsvpcConfiguration).to.deep.equal({ Subnets: ["subnet-private-1"], SecurityGroups: ["sg-mine"], AssignPublicIp: "DISABLED" });
    expect(runJob.HeartbeatSeconds).to.equal(30 + 240);
    const mine = recorded.filter((r: { name: string }) => r.name.startsWith("own-"));
    expect(mine.some((r: { type: string }) => r.type === T.vpc || r.type === T.sg)).to.equal(false);
    // Container Insights can be turned off (billed as CloudWatch custom metrics).
    await new Promise((r) => setTimeout(r, 50));
    const cluster = recorded.find((r: { type: string; name: string }) => r.type === T.cluster && r.name === "own-workflow-fargate-cluster") as { inputs: { settings: unknown } } | undefined;
    expect(cluster?.inputs.settings).to.deep.equal([{ name: "containerInsights", value: "disabled" }]);
  });

  it("refuses what cannot work, naming the argument", async () => {
    const { AsyncApi } = await import("../../components");
    const path = await import("path");
    const job = { name: "timer", module: path.resolve(__dirname, "../../lambdas/jobs/timer.ts"), exportName: "timerJob", schema: { type: "object" } };
    expect(() => new AsyncApi("bad1", { job, backend: "lambda", worker: "fargate" })).to.throw(/worker "fargate" needs backend "stepfunctions"/);
    expect(() => new AsyncApi("bad2", { job, worker: "fargate", workflowType: "EXPRESS", jobTimeoutSeconds: 60 })).to.throw(/worker "fargate" needs workflowType "STANDARD"/);
    expect(() => new AsyncApi("bad3", { job, fargateWorker: { cpu: 1024 } })).to.throw(/fargateWorker applies only to worker "fargate"/);
    expect(() => new AsyncApi("bad4", { job, worker: "fargate", fargateWorker: { cpu: 1000 } })).to.throw(/cpu must be one of 256, 512/);
    // Each value valid alone, not as a pair: refused at construction, not by AWS after the image build.
    expect(() => new AsyncApi("bad4b", { job, worker: "fargate", fargateWorker: { cpu: 256, memory: 8192 } })).to.throw(/cpu 256 runs with memory 512, 1024, 2048 MiB/);
    expect(() => new AsyncApi("bad4c", { job, worker: "fargate", fargateWorker: { cpu: 4096, memory: 4096 } })).to.throw(/cpu 4096 runs with memory 8192 to 30720/);
    expect(() => new AsyncApi("bad5", { job, worker: "fargate", fargateWorker: { network: { subnetIds: ["s"] } as never } })).to.throw(/network needs both subnetIds and securityGroupIds/);
    expect(() => new AsyncApi("bad6", { job, worker: "fargate", jobTimeoutSeconds: 31536001 })).to.throw(/from 1 to 31536000/);
    expect(() => new AsyncApi("bad7", { job, jobTimeoutSeconds: 901 })).to.throw(/from 1 to 900/);
  });
});
