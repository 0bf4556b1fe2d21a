// The local ECS's cost meter (local/usage/ecs.ts): Fargate's billed seconds and task-size units,
// the jobs a task runs for, and a real local ECS counting a task's vCPU, memory and log bytes.
import * as fs from "node:fs";
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { startEcsService, type LocalEcsService } from "../../../local/aws/ecs";
import { fargateBilledSeconds, fargateUnits, taskJobIds } from "../../../local/usage/ecs";
import { UsageMeter } from "../../../local/usage/meter";
import { tempDir } from "../../support/tmp";

describe("ECS usage: pure rules", () => {
  // https://aws.amazon.com/fargate/pricing/: "rounded up to the nearest second with a 1-minute minimum".
  it("bills a task's seconds rounded up, at least a minute", () => {
    expect(fargateBilledSeconds(0, 0)).to.equal(60);
    expect(fargateBilledSeconds(0, 59_001)).to.equal(60);
    expect(fargateBilledSeconds(0, 60_000)).to.equal(60);
    expect(fargateBilledSeconds(0, 60_001)).to.equal(61);
    expect(fargateBilledSeconds(5_000, 130_000)).to.equal(125);
    expect(fargateBilledSeconds(1_000, 500)).to.equal(60);
  });

  // https://aws.amazon.com/fargate/pricing/: per vCPU (1024 CPU units) and per GB of memory (1024 MiB), per second.
  it("turns a task size into vCPU-seconds and GB-seconds", () => {
    expect(fargateUnits(256, 512, 60)).to.deep.equal({ vcpuSeconds: 15, gbSeconds: 30 });
    expect(fargateUnits(1024, 2048, 61)).to.deep.equal({ vcpuSeconds: 61, gbSeconds: 122 });
  });

  it("reads the jobs from the overrides: *JOB_ID environment variables and jobId fields", () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const overrides = {
      containerOverrides: [
        { name: "worker", environment: [{ name: "ASYNC_API_JOB_ID", value: a }, { name: "TASK_TOKEN", value: randomUUID() }] },
        { name: "other", command: ["node", "index.js", JSON.stringify({ jobId: b })], environment: [{ name: "JOB_ID", value: "not-a-uuid" }] },
      ],
    };
    expect(taskJobIds(overrides).sort()).to.deep.equal([a, b].sort());
    expect(taskJobIds({ containerOverrides: [{ name: "w", environment: [{ name: "JOB_IDS_FILE", value: a }] }] })).to.deep.equal([]);
    expect(taskJobIds(undefined)).to.deep.equal([]);
  });
});

/** Prints `LINE_LENGTH` x's and "done", then exits. */
const PRINTER = `console.log("x".repeat(Number(process.env.LINE_LENGTH)));\nconsole.log("done");\n`;
const IMAGE = "000000000000.dkr.ecr.us-east-1.amazonaws.com/usage-printer:1";
const NETWORK = { awsvpcConfiguration: { subnets: ["subnet-1"] } };

describe("ECS usage: a local ECS counting a real task", function () {
  this.timeout(60_000);
  let root: string;
  let meter: UsageMeter;
  let ecs: LocalEcsService;

  before(async () => {
    root = tempDir("ecs-usage-");
    meter = new UsageMeter();
    ecs = await startEcsService({ environment: () => ({}), meter });
    const context = path.join(root, "printer");
    fs.mkdirSync(context);
    fs.writeFileSync(path.join(context, "Dockerfile"), 'FROM public.ecr.aws/docker/library/node:22-slim\nWORKDIR /app\nCOPY index.js .\nCMD ["node", "index.js"]\n');
    fs.writeFileSync(path.join(context, "index.js"), PRINTER);
    ecs.createCluster("jobs");
    ecs.registerImage(IMAGE, context);
    ecs.registerTaskDefinition({ family: "usage-worker", cpu: "512", memory: "1024", containers: [{ name: "worker", image: IMAGE }] });
    ecs.registerTaskDefinition({ family: "usage-broken", cpu: "256", memory: "512", containers: [{ name: "worker", image: "not-registered:1" }] });
  });

  after(async () => {
    await ecs?.stop();
  });

  // https://aws.amazon.com/fargate/pricing/ (vCPU and GB per second, 1-minute minimum);
  // https://aws.amazon.com/cloudwatch/pricing/ (log ingestion per byte: the awslogs driver's events).
  it("counts a stopped task's vCPU and memory (a minute at least) and its container's log bytes, for the job named in its overrides", async () => {
    const job = randomUUID();
    const environment = [{ name: "ASYNC_API_JOB_ID", value: job }, { name: "LINE_LENGTH", value: "500" }];
    const { tasks } = await ecs.runTask({ cluster: "jobs", taskDefinition: "usage-worker", networkConfiguration: NETWORK, overrides: { containerOverrides: [{ name: "worker", environment }] } });
    const stopped = await ecs.waitForTaskStopped(tasks[0].taskArn);
    expect(stopped.containers[0].exitCode).to.equal(0);
    expect(stopped.stoppedAt!.getTime() - stopped.pullStartedAt!.getTime()).to.be.below(60_000);
    expect(meter.job(job)).to.deep.equal({
      "fargate.vcpuSeconds": 0.5 * 60,
      "fargate.gbSeconds": 1 * 60,
      "logs.ingestedBytes": 500 + "done".length,
    });
    expect(meter.report().bySource["ecs:usage-worker"]["fargate.vcpuSeconds"]).to.equal(30);
  });

  it("counts nothing for a task that never started (its image could not be pulled)", async () => {
    const job = randomUUID();
    const { tasks } = await ecs.runTask({
      cluster: "jobs",
      taskDefinition: "usage-broken",
      networkConfiguration: NETWORK,
      overrides: { containerOverrides: [{ name: "worker", environment: [{ name: "ASYNC_API_JOB_ID", value: job }] }] },
    });
    const stopped = await ecs.waitForTaskStopped(tasks[0].taskArn);
    expect(stopped.stopCode).to.equal("TaskFailedToStart");
    expect(meter.job(job)).to.deep.equal({});
    expect(meter.report().bySource["ecs:usage-broken"]).to.equal(undefined);
  });
});
