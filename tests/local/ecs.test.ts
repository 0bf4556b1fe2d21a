// The local ECS service: images as build contexts (the Dockerfile's CMD runs as a local Node
// process), the task's environment, the task lifecycle and stop, and the ECS JSON protocol.
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { startEcsService } from "../../local/aws/ecs";
import type { LocalEcsService } from "../../local/aws/ecs";
import { rawHttp } from "../support/rawHttp";
import { eventually } from "./stepfunctions/support";
import { tempDir } from "../support/tmp";

const NETWORK = { awsvpcConfiguration: { subnets: ["subnet-1"], securityGroups: ["sg-1"], assignPublicIp: "DISABLED" as const } };
const TASK_ARN = /^arn:aws:ecs:us-east-1:000000000000:task\/jobs\/[0-9a-f]{32}$/;

/** Prints one JSON line (env, argv, cwd, the task metadata), then exits with $EXIT_CODE. */
const PRINTER = `
const env = process.env;
fetch(env.ECS_CONTAINER_METADATA_URI_V4 + "/task").then((r) => r.json()).then((metadata) => {
  console.log("REPORT " + JSON.stringify({ env, argv: process.argv.slice(2), cwd: process.cwd(), metadata }));
  process.exit(Number(env.EXIT_CODE || 0));
});
`;

/** Runs until stopped; on SIGTERM either ignores it or exits with 0, as $ON_SIGTERM says. */
const LONG_RUNNING = `
process.on("SIGTERM", () => {
  console.log("got SIGTERM");
  if (process.env.ON_SIGTERM === "exit") process.exit(0);
});
console.log("started");
setInterval(() => undefined, 1000);
`;

const DOCKERFILE = (cmd: string) => `# syntax=docker/dockerfile:1
FROM public.ecr.aws/docker/library/node:22-slim
WORKDIR /app
ENV IMAGE_VAR=from-image \\
    OTHER="two words"
COPY index.js .
RUN echo "RUN steps do not run locally"
${cmd}
`;

describe("local ECS service", function () {
  let root: string;
  let ecs: LocalEcsService;
  const lines: string[] = [];

  /** A build context: a Dockerfile and an index.js. */
  function context(name: string, script: string, cmd = 'CMD ["node", "index.js", "first-arg"]'): string {
    const dir = path.join(root, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "Dockerfile"), DOCKERFILE(cmd));
    fs.writeFileSync(path.join(dir, "index.js"), script);
    return dir;
  }

  const report = (taskArn: string) => {
    const id = taskArn.split("/").pop()!.slice(0, 8);
    const line = lines.find((l) => l.includes(id) && l.includes("REPORT "));
    return line ? JSON.parse(line.slice(line.indexOf("REPORT ") + 7)) : undefined;
  };

  before(async function () {
    root = tempDir("ecs-test-");
    ecs = await startEcsService({
      environment: () => ({ AWS_ENDPOINT_URL_SFN: "http://127.0.0.1:1/sfn", AWS_ACCESS_KEY_ID: "S3RVER", OVERRIDDEN: "from-sdk-env" }),
      log: (line) => lines.push(line),
      stateDir: path.join(root, "state"),
    });
    ecs.createCluster("jobs");
    ecs.registerImage("000000000000.dkr.ecr.us-east-1.amazonaws.com/printer:1", context("printer", PRINTER));
    ecs.registerImage("000000000000.dkr.ecr.us-east-1.amazonaws.com/long:1", context("long", LONG_RUNNING, 'CMD ["node", "/app/index.js"]'));
    ecs.registerTaskDefinition({
      family: "printer",
      cpu: "256",
      memory: "512",
      taskRoleArn: "arn:aws:iam::000000000000:role/task",
      executionRoleArn: "arn:aws:iam::000000000000:role/exec",
      containers: [
        {
          name: "main",
          image: "000000000000.dkr.ecr.us-east-1.amazonaws.com/printer:1",
          environment: [
            { name: "DEF_VAR", value: "from-definition" },
            { name: "OVERRIDDEN", value: "from-definition" },
          ],
        },
      ],
    });
    // Two long-running containers: one ignores SIGTERM (stop timeout 1 s), the other exits on it.
    ecs.registerTaskDefinition({
      family: "pair",
      containers: [
        { name: "stubborn", image: "000000000000.dkr.ecr.us-east-1.amazonaws.com/long:1", stopTimeoutSeconds: 1 },
        { name: "polite", image: "000000000000.dkr.ecr.us-east-1.amazonaws.com/long:1", essential: false, environment: [{ name: "ON_SIGTERM", value: "exit" }] },
      ],
    });
  });

  after(async function () {
    await ecs?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("runs the Dockerfile's CMD in the build context with the task's environment, and reports the exit code", async function () {
    const out = await ecs.runTask({
      cluster: "jobs",
      taskDefinition: "printer",
      launchType: "FARGATE",
      networkConfiguration: NETWORK,
      overrides: { containerOverrides: [{ name: "main", environment: [{ name: "OVERRIDDEN", value: "from-override" }, { name: "EXIT_CODE", value: "3" }] }] },
    });
    expect(out.failures).to.deep.equal([]);
    expect(out.tasks).to.have.length(1);
    const started = out.tasks[0];
    expect(started.taskArn).to.match(TASK_ARN);
    expect(started.lastStatus).to.equal("PROVISIONING");
    expect(started.desiredStatus).to.equal("RUNNING");
    expect(started.taskDefinitionArn).to.equal("arn:aws:ecs:us-east-1:000000000000:task-definition/printer:1");
    expect(started.containers.map((c) => c.name)).to.deep.equal(["main"]);

    const stopped = await ecs.waitForTaskStopped(started.taskArn);
    expect(stopped.lastStatus).to.equal("STOPPED");
    expect(stopped.stopCode).to.equal("EssentialContainerExited");
    expect(stopped.stoppedReason).to.equal("Essential container in task exited");
    expect(stopped.containers[0].exitCode).to.equal(3);
    expect(stopped.startedAt).to.be.instanceOf(Date);
    expect(stopped.stoppedAt!.getTime()).to.be.at.least(stopped.startedAt!.getTime());

    const r = report(started.taskArn);
    expect(r, `the container's report in the log:\n${lines.join("\n")}`).to.not.equal(undefined);
    expect(fs.realpathSync(r.cwd)).to.equal(fs.realpathSync(path.join(root, "printer")));
    expect(r.argv).to.deep.equal(["first-arg"]);
    expect(r.env).to.include({
      AWS_ENDPOINT_URL_SFN: "http://127.0.0.1:1/sfn", // the local cloud's SDK environment
      DEF_VAR: "from-definition",
      OVERRIDDEN: "from-override", // override > definition > SDK environment
      IMAGE_VAR: "from-image",
      OTHER: "two words",
      AWS_REGION: "us-east-1",
      AWS_EXECUTION_ENV: "AWS_ECS_FARGATE",
    });
    expect(r.env.ECS_CONTAINER_METADATA_URI_V4).to.match(/^http:\/\/127\.0\.0\.1:\d+\/v4\/[0-9a-f]{32}\/main$/);
    expect(r.metadata).to.include({ TaskARN: started.taskArn, Family: "printer", Revision: "1", Cluster: "arn:aws:ecs:us-east-1:000000000000:cluster/jobs" });
    // Output goes through `log`, prefixed by the task, and to the task's log file.
    const id = started.taskArn.split("/").pop()!;
    expect(lines.some((l) => l.startsWith(`[ecs printer ${id.slice(0, 8)}/main] REPORT `))).to.equal(true);
    expect(fs.readFileSync(path.join(root, "state", "logs", "printer", `${id}.log`), "utf8")).to.include("REPORT ");
  });

  it("StopTask: SIGTERM, SIGKILL after the stop timeout; DescribeTasks and ListTasks follow RUNNING → STOPPED", async function () {
    const { tasks } = await ecs.runTask({ cluster: "jobs", taskDefinition: "pair", networkConfiguration: NETWORK });
    const arn = tasks[0].taskArn;
    const describe = () => ecs.describeTasks({ cluster: "jobs", tasks: [arn] }).tasks[0];
    await eventually(() => describe().lastStatus === "RUNNING", 20_000, "the task RUNNING");
    expect(describe().containers.map((c) => c.lastStatus)).to.deep.equal(["RUNNING", "RUNNING"]);
    expect(ecs.listTasks({ cluster: "jobs" }).taskArns).to.include(arn);
    // Both processes print "started" once their SIGTERM handler is installed.
    await eventually(() => lines.filter((l) => l.includes(arn.split("/").pop()!.slice(0, 8)) && l.endsWith("] started")).length === 2, 20_000, "both containers up");

    const stopAsked = Date.now();
    const answer = await ecs.stopTask({ cluster: "jobs", task: arn, reason: "no longer needed" });
    expect(answer.task.desiredStatus).to.equal("STOPPED");
    expect(answer.task.lastStatus).to.equal("STOPPING");
    const stopped = await ecs.waitForTaskStopped(arn);
    const took = Date.now() - stopAsked;
    expect(stopped.lastStatus).to.equal("STOPPED");
    expect(stopped.stopCode).to.equal("UserInitiated");
    expect(stopped.stoppedReason).to.equal("no longer needed");
    const [stubborn, polite] = stopped.containers;
    expect(stubborn.exitCode, "ignored SIGTERM: SIGKILLed (128 + 9)").to.equal(137);
    expect(polite.exitCode, "exited on SIGTERM by itself").to.equal(0);
    expect(took, "SIGKILL waits for the 1 s stop timeout").to.be.at.least(900);
    expect(took).to.be.below(15_000);
    expect(ecs.listTasks({ cluster: "jobs" }).taskArns).to.not.include(arn);
    expect(ecs.listTasks({ cluster: "jobs", desiredStatus: "STOPPED" }).taskArns).to.include(arn);
  });

  it("an essential container's exit stops the others with SIGTERM", async function () {
    ecs.registerTaskDefinition({
      family: "short-and-long",
      containers: [
        { name: "short", image: "000000000000.dkr.ecr.us-east-1.amazonaws.com/printer:1", environment: [{ name: "EXIT_CODE", value: "0" }] },
        {
          name: "sidecar",
          image: "000000000000.dkr.ecr.us-east-1.amazonaws.com/long:1",
          essential: false,
          command: ["node", "index.js"],
          environment: [{ name: "ON_SIGTERM", value: "exit" }],
          stopTimeoutSeconds: 5,
        },
      ],
    });
    const { tasks } = await ecs.runTask({ cluster: "jobs", taskDefinition: "short-and-long:1", networkConfiguration: NETWORK });
    const stopped = await ecs.waitForTaskStopped(tasks[0].taskArn);
    expect(stopped.stopCode).to.equal("EssentialContainerExited");
    const byName = Object.fromEntries(stopped.containers.map((c) => [c.name, c.exitCode]));
    expect(byName.short).to.equal(0);
    // The sidecar exits on SIGTERM (0), or is killed by it while still loading (128 + 15); never SIGKILLed.
    expect([0, 143]).to.include(byName.sidecar);
    expect(stopped.stoppedAt!.getTime() - stopped.stoppingAt!.getTime(), "well before its 5 s stop timeout").to.be.below(4_000);
  });

  it("refuses, clearly, an image whose Dockerfile cannot run locally", function () {
    const refuse = (name: string, cmd: string, setup?: (dir: string) => void) => {
      const dir = context(name, "console.log('hi')", cmd);
      setup?.(dir);
      try {
        ecs.registerImage(`local/${name}`, dir);
      } catch (err) {
        return (err as Error).message;
      }
      return "accepted";
    };
    expect(refuse("shell", "CMD node index.js")).to.match(/image local\/shell cannot run locally: CMD node index.js is the shell form: the local ECS runs only the exec \(JSON\) form/);
    expect(refuse("python", 'CMD ["python", "app.py"]')).to.match(/does not start with "node"/);
    expect(refuse("eval", 'CMD ["node", "-e", "1"]')).to.match(/does not run a script file/);
    expect(refuse("missing", 'CMD ["node", "dist/server.js"]')).to.match(/runs \/app\/dist\/server\.js, which no COPY of the build context/);
    expect(refuse("no-cmd", "")).to.match(/has no CMD/);
    expect(refuse("no-dockerfile", 'CMD ["node", "index.js"]', (dir) => fs.rmSync(path.join(dir, "Dockerfile")))).to.match(/no Dockerfile in the build context/);
    // The exec form through ENTRYPOINT, node flags, and a COPY to another name are fine.
    expect(refuse("entrypoint", 'ENTRYPOINT ["node", "--enable-source-maps"]\nCMD ["index.js"]')).to.equal("accepted");
  });

  // AWS, "Troubleshoot Amazon ECS task definition invalid CPU or memory errors": RegisterTaskDefinition
  // refuses a pair that is not one of Fargate's task sizes ("No Fargate configuration exists for given values").
  it("refuses a CPU and memory pair Fargate does not run, with ClientException", () => {
    for (const [cpu, memory] of [["256", "4096"], ["4096", "4096"], ["1000", "2048"]]) {
      let err: unknown;
      try {
        ecs.registerTaskDefinition({ family: `size-${cpu}-${memory}`, cpu, memory, containers: [{ name: "main", image: "local/x" }] });
      } catch (e) {
        err = e;
      }
      expect((err as { name?: string })?.name, `${cpu}/${memory}`).to.equal("ClientException");
      expect((err as Error).message).to.match(/No Fargate configuration exists for given values/);
    }
  });

  it("a task whose image is not registered, or whose Dockerfile broke since, stops with TaskFailedToStart", async function () {
    ecs.registerTaskDefinition({ family: "unknown-image", containers: [{ name: "main", image: "nowhere/unknown:1" }] });
    const { tasks } = await ecs.runTask({ cluster: "jobs", taskDefinition: "unknown-image", networkConfiguration: NETWORK });
    expect(tasks[0].lastStatus).to.equal("PROVISIONING");
    const stopped = await ecs.waitForTaskStopped(tasks[0].taskArn);
    expect(stopped.stopCode).to.equal("TaskFailedToStart");
    expect(stopped.stoppedReason).to.match(/^CannotPullContainerError: the image nowhere\/unknown:1 is not registered/);
    expect(stopped.containers[0].reason).to.equal(stopped.stoppedReason);

    const dir = context("breaks-later", "console.log('hi')");
    ecs.registerImage("local/breaks-later", dir);
    fs.writeFileSync(path.join(dir, "Dockerfile"), DOCKERFILE("CMD node index.js"));
    ecs.registerTaskDefinition({ family: "breaks-later", containers: [{ name: "main", image: "local/breaks-later" }] });
    const broken = await ecs.runTask({ cluster: "jobs", taskDefinition: "breaks-later", networkConfiguration: NETWORK });
    const failed = await ecs.waitForTaskStopped(broken.tasks[0].taskArn);
    expect(failed.stopCode).to.equal("TaskFailedToStart");
    expect(failed.stoppedReason).to.match(/^CannotStartContainerError: CMD node index.js is the shell form/);
  });

  it("validates RunTask as ECS does", async function () {
    const error = (input: Record<string, unknown>) =>
      ecs.runTask({ cluster: "jobs", taskDefinition: "printer", networkConfiguration: NETWORK, ...input } as never).then(
        () => undefined,
        (err: Error & { code?: string }) => `${err.name}: ${err.message}`,
      );
    expect(await error({ cluster: "nope" })).to.equal("ClusterNotFoundException: Cluster not found.");
    expect(await error({ taskDefinition: "printer:7" })).to.equal("InvalidParameterException: TaskDefinition not found.");
    expect(await error({ networkConfiguration: undefined })).to.match(/^InvalidParameterException: Network Configuration must be provided/);
    expect(await error({ networkConfiguration: { awsvpcConfiguration: { subnets: [] } } })).to.equal("InvalidParameterException: subnets can not be empty.");
    expect(await error({ networkConfiguration: { awsvpcConfiguration: { subnets: ["s"], assignPublicIp: "YES" } } })).to.match(/assignPublicIp/);
    expect(await error({ launchType: "EC2" })).to.match(/^InvalidParameterException: .*FARGATE tasks only/);
    expect(await error({ overrides: { containerOverrides: [{ name: "other" }] } })).to.equal(
      "InvalidParameterException: Override for container named other is not a container in the TaskDefinition.",
    );
    expect(await error({ overrides: { containerOverrides: [{ name: "main", environment: [{ name: "N", value: 1 }] }] } })).to.match(/must be a string/);
    expect(await error({ overrides: { containerOverrides: [{ name: "main", environment: [{ name: "BIG", value: "x".repeat(9000) }] }] } })).to.match(/at most 8192/);
    expect(await error({ count: 11 })).to.match(/count must be between 1 and 10/);
    // Revisions: the family alone is the latest one.
    const second = ecs.registerTaskDefinition({ family: "printer", containers: [{ name: "main", image: "000000000000.dkr.ecr.us-east-1.amazonaws.com/printer:1" }] });
    expect(second.arn).to.equal("arn:aws:ecs:us-east-1:000000000000:task-definition/printer:2");
    expect(ecs.describeTaskDefinition({ taskDefinition: "printer" }).taskDefinition.revision).to.equal(2);
    expect(ecs.describeTaskDefinition({ taskDefinition: "printer:1" }).taskDefinition.containerDefinitions[0].environment).to.have.length(2);
    expect(() => ecs.describeTaskDefinition({ taskDefinition: "printer:9" })).to.throw("Unable to describe task definition.");
  });

  describe("the ECS JSON protocol", function () {
    const call = async (action: string, body: unknown, target = `AmazonEC2ContainerServiceV20141113.${action}`) => {
      const url = new URL(ecs.endpoint);
      const text = JSON.stringify(body);
      const res = await rawHttp(
        { host: url.hostname, port: url.port, method: "POST", path: "/", headers: { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target, "Content-Length": Buffer.byteLength(text) } },
        text,
      );
      return { ...res, json: JSON.parse(res.text) };
    };

    it("RunTask, DescribeTasks, ListTasks, StopTask and DescribeTaskDefinition over raw HTTP", async function () {
      const run = await call("RunTask", {
        cluster: "arn:aws:ecs:us-east-1:000000000000:cluster/jobs",
        taskDefinition: "arn:aws:ecs:us-east-1:000000000000:task-definition/pair:1",
        launchType: "FARGATE",
        networkConfiguration: NETWORK,
        startedBy: "raw-http",
      });
      expect(run.status, run.text).to.equal(200);
      expect(run.headers["content-type"]).to.equal("application/x-amz-json-1.1");
      const task = run.json.tasks[0];
      expect(task.taskArn).to.match(TASK_ARN);
      expect(task.createdAt, "timestamps are epoch seconds").to.be.a("number").and.be.closeTo(Date.now() / 1000, 60);
      expect(run.json.failures).to.deep.equal([]);

      const listed = await call("ListTasks", { cluster: "jobs", startedBy: "raw-http" });
      expect(listed.json.taskArns).to.deep.equal([task.taskArn]);
      const stop = await call("StopTask", { cluster: "jobs", task: task.taskArn.split("/").pop(), reason: "over HTTP" });
      expect(stop.status, stop.text).to.equal(200);
      expect(stop.json.task.desiredStatus).to.equal("STOPPED");
      await ecs.waitForTaskStopped(task.taskArn);
      const described = await call("DescribeTasks", { cluster: "jobs", tasks: [task.taskArn, "0123456789abcdef0123456789abcdef"] });
      expect(described.json.tasks[0]).to.include({ lastStatus: "STOPPED", stopCode: "UserInitiated", stoppedReason: "over HTTP" });
      expect(described.json.tasks[0].containers[0].exitCode).to.be.a("number");
      expect(described.json.failures).to.deep.equal([{ arn: "0123456789abcdef0123456789abcdef", reason: "MISSING" }]);

      const definition = await call("DescribeTaskDefinition", { taskDefinition: "pair:1" });
      expect(definition.json.taskDefinition).to.include({ family: "pair", revision: 1, networkMode: "awsvpc", status: "ACTIVE" });
      expect(definition.json.taskDefinition.containerDefinitions[0]).to.include({ name: "stubborn", stopTimeout: 1, essential: true });
    });

    it("answers errors as awsJson1_1 (__type, x-amzn-ErrorType)", async function () {
      const missing = await call("RunTask", { cluster: "nope", taskDefinition: "printer", networkConfiguration: NETWORK });
      expect(missing.status).to.equal(400);
      expect(missing.json).to.deep.equal({ __type: "ClusterNotFoundException", message: "Cluster not found." });
      expect(missing.headers["x-amzn-errortype"]).to.equal("ClusterNotFoundException");
      const unknownTask = await call("StopTask", { cluster: "jobs", task: "0123456789abcdef0123456789abcdef" });
      expect(unknownTask.json.__type).to.equal("InvalidParameterException");
      const unknownAction = await call("CreateService", {});
      expect(unknownAction.json.__type).to.equal("UnknownOperationException");
      const badTarget = await call("RunTask", {}, "AWSStepFunctions.StartExecution");
      expect(badTarget.status).to.equal(400);
      expect(badTarget.json.__type).to.equal("UnknownOperationException");
    });

    it("works with @aws-sdk/client-ecs (installed with @pulumi/awsx)", async function () {
      const sdk: typeof import("@aws-sdk/client-ecs") = require("@aws-sdk/client-ecs"); // eslint-disable-line @typescript-eslint/no-require-imports
      const client = new sdk.ECSClient({ endpoint: ecs.endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
      try {
        const run = await client.send(
          new sdk.RunTaskCommand({
            cluster: "jobs",
            taskDefinition: "printer:1",
            launchType: "FARGATE",
            networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-1"] } },
            overrides: { containerOverrides: [{ name: "main", environment: [{ name: "EXIT_CODE", value: "5" }] }] },
          }),
        );
        const arn = run.tasks![0].taskArn!;
        await ecs.waitForTaskStopped(arn);
        const described = await client.send(new sdk.DescribeTasksCommand({ cluster: "jobs", tasks: [arn] }));
        expect(described.tasks![0].containers![0].exitCode).to.equal(5);
        expect(described.tasks![0].stoppedAt).to.be.instanceOf(Date);
        const err = await client.send(new sdk.DescribeTasksCommand({ cluster: "nope", tasks: [arn] })).catch((e: Error) => e);
        expect((err as Error).name).to.equal("ClusterNotFoundException");
      } finally {
        client.destroy();
      }
    });
  });

  it("stop() stops running tasks; a new service starts with none (tasks do not survive a restart)", async function () {
    const service = await startEcsService({ environment: () => ({}), defaultStopTimeoutSeconds: 1 });
    service.createCluster("default");
    service.registerImage("local/long", path.join(root, "long"));
    service.registerTaskDefinition({ family: "long", containers: [{ name: "main", image: "local/long" }] });
    const { tasks } = await service.runTask({ taskDefinition: "long", networkConfiguration: NETWORK });
    await eventually(() => service.describeTasks({ tasks: [tasks[0].taskArn] }).tasks[0].lastStatus === "RUNNING", 20_000, "RUNNING");
    await service.stop();
    const after = service.describeTasks({ tasks: [tasks[0].taskArn] }).tasks[0];
    expect(after.lastStatus).to.equal("STOPPED");
    expect(after.containers[0].exitCode).to.be.a("number");
    const refused = await service.runTask({ taskDefinition: "long", networkConfiguration: NETWORK }).catch((e: Error) => e);
    expect((refused as Error).name).to.equal("ServerException");

    const restarted = await startEcsService({ environment: () => ({}) });
    try {
      restarted.createCluster("default");
      expect(restarted.listTasks().taskArns).to.deep.equal([]);
    } finally {
      await restarted.stop();
    }
  });
});
