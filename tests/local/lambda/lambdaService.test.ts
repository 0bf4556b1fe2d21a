import * as fs from "fs";
import * as path from "path";
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from "@aws-sdk/client-lambda";
import { expect } from "chai";
import { bundleHandler } from "../../../components/lambda/bundle";
import { startLambdaService, type InvocationRecord, type LocalLambdaService } from "../../../local/aws/lambda";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, sdkEnvironment, type LocalFunctionConfig } from "../../../local/aws/types";
import { awsCliVersion, runAwsCli } from "../../support/tools";
import { tempDir } from "../../support/tmp";


function arnOf(name: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${name}`;
}

function fn(name: string, code: string, extra: Partial<LocalFunctionConfig> = {}): LocalFunctionConfig {
  return { name, arn: arnOf(name), code, handler: "index.handler", environment: {}, timeoutSeconds: 10, memorySize: 256, ...extra };
}

const sleepJs = "const sleep = (ms) => new Promise((r) => setTimeout(r, ms));";

const ECHO = `
let count = 0;
exports.handler = async (event, context) => {
  count++;
  console.log("hello", JSON.stringify(event));
  return {
    event, count, pid: process.pid,
    env: {
      FOO: process.env.FOO,
      AWS_LAMBDA_FUNCTION_NAME: process.env.AWS_LAMBDA_FUNCTION_NAME,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      AWS_LAMBDA_FUNCTION_TIMEOUT: process.env.AWS_LAMBDA_FUNCTION_TIMEOUT,
      AWS_LAMBDA_LOG_FORMAT: process.env.AWS_LAMBDA_LOG_FORMAT,
      AWS_REGION: process.env.AWS_REGION,
      AWS_ENDPOINT_URL_DYNAMODB: process.env.AWS_ENDPOINT_URL_DYNAMODB,
      LAMBDA_TASK_ROOT: process.env.LAMBDA_TASK_ROOT,
    },
    ctx: {
      awsRequestId: context.awsRequestId,
      functionName: context.functionName,
      invokedFunctionArn: context.invokedFunctionArn,
      memoryLimitInMB: context.memoryLimitInMB,
      remaining: context.getRemainingTimeInMillis(),
      callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
    },
  };
};`;

const THROWER = `
class TimerFailed extends Error { constructor(m) { super(m); this.name = "TimerFailed"; } }
exports.handler = async () => { throw new TimerFailed("the timer failed"); };`;

const SLEEPER = `${sleepJs}
exports.handler = async (event) => { await sleep(event.ms); return { slept: event.ms, pid: process.pid }; };`;

const EXITER = `exports.handler = async () => { process.exit(3); };`;

/** Appends what it sees to $RECORD_FILE, then fails (or not, with event.ok or $ALWAYS_OK). */
const RECORDER = `
const fs = require("fs");
${sleepJs}
exports.handler = async (event, context) => {
  fs.appendFileSync(process.env.RECORD_FILE, JSON.stringify({ requestId: context.awsRequestId, event }) + "\\n");
  if (event.sleepMs) await sleep(event.sleepMs);
  if (event.ok || process.env.ALWAYS_OK) return { ok: true };
  const e = new Error("attempt failed: " + context.awsRequestId);
  e.name = "FlakyError";
  throw e;
};`;

function readRecords(file: string): { requestId: string; event: any }[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("local Lambda service", function () {
  this.timeout(60_000);
  let service: LocalLambdaService;
  let stateDir: string;
  let recordDir: string;
  const invocations: InvocationRecord[] = [];
  const logLines: string[] = [];
  let client: LambdaClient;

  before(async () => {
    stateDir = tempDir("lambda-svc-");
    recordDir = tempDir("lambda-rec-");
    const endpoints = { dynamodb: "http://127.0.0.1:1", s3: "http://127.0.0.1:2", lambda: "", sfn: "http://127.0.0.1:3" };
    service = await startLambdaService({
      stateDir,
      environment: () => sdkEnvironment(endpoints),
      log: (l) => logLines.push(l),
      retryDelaysMs: [200, 300],
      onInvocation: (r) => invocations.push(r),
    });
    endpoints.lambda = service.endpoint;
    await service.createFunction(fn("echo", ECHO, { environment: { FOO: "bar" }, memorySize: 384, timeoutSeconds: 7 }));
    await service.createFunction(fn("thrower", THROWER));
    await service.createFunction(fn("sleeper", SLEEPER, { timeoutSeconds: 1 }));
    await service.createFunction(fn("slow", SLEEPER));
    await service.createFunction(fn("exiter", EXITER));
    await service.createFunction(fn("recorder", RECORDER, { environment: { RECORD_FILE: path.join(recordDir, "recorder.jsonl") } }));
    await service.createFunction(fn("destination", RECORDER, { environment: { RECORD_FILE: path.join(recordDir, "destination.jsonl"), ALWAYS_OK: "1" } }));
    await service.createFunction(fn("dupes", RECORDER, { environment: { RECORD_FILE: path.join(recordDir, "dupes.jsonl") } }));
    await service.createFunction(fn("aged", RECORDER, { environment: { RECORD_FILE: path.join(recordDir, "aged.jsonl") } }));
    await service.createFunction(fn("agedDestination", RECORDER, { environment: { RECORD_FILE: path.join(recordDir, "agedDestination.jsonl"), ALWAYS_OK: "1" } }));
    client = new LambdaClient({ endpoint: service.endpoint, region: LOCAL_REGION, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  });

  after(async () => {
    client?.destroy();
    await service?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
    fs.rmSync(recordDir, { recursive: true, force: true });
  });

  describe("synchronous invoke", () => {
    it("returns the handler's result, with the function's environment and context", async () => {
      const out = await service.invokeDetailed("echo", JSON.stringify({ a: 1 }), "RequestResponse");
      expect(out.statusCode).to.equal(200);
      expect(out.functionError).to.equal(undefined);
      const body = JSON.parse(out.payload);
      expect(body.event).to.deep.equal({ a: 1 });
      expect(body.env).to.deep.equal({
        FOO: "bar",
        AWS_LAMBDA_FUNCTION_NAME: "echo",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "384",
        AWS_LAMBDA_FUNCTION_TIMEOUT: "7",
        AWS_LAMBDA_LOG_FORMAT: "JSON",
        AWS_REGION: "us-east-1",
        AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:1",
        LAMBDA_TASK_ROOT: path.join(stateDir, "functions", "echo"),
      });
      expect(body.ctx.awsRequestId).to.equal(out.requestId);
      expect(body.ctx.functionName).to.equal("echo");
      expect(body.ctx.invokedFunctionArn).to.equal(arnOf("echo"));
      expect(body.ctx.memoryLimitInMB).to.equal("384");
      expect(body.ctx.remaining).to.be.within(5000, 7000);
      expect(body.ctx.callbackWaitsForEmptyEventLoop).to.equal(true);
      expect(fs.readFileSync(path.join(stateDir, "functions", "echo", "index.js"), "utf8")).to.equal(ECHO);
    });

    it("accepts an ARN, a partial ARN and a qualifier", async () => {
      for (const ref of [arnOf("echo"), `${LOCAL_ACCOUNT_ID}:function:echo`, "echo:$LATEST", `${arnOf("echo")}:$LATEST`]) {
        const out = await service.invoke(ref, "{}", "RequestResponse");
        expect(out.statusCode, ref).to.equal(200);
        expect(JSON.parse(out.payload).env.AWS_LAMBDA_FUNCTION_NAME, ref).to.equal("echo");
      }
    });

    it("reuses a warm worker: module state survives between invocations", async () => {
      const a = JSON.parse((await service.invoke("echo", "{}", "RequestResponse")).payload);
      const b = JSON.parse((await service.invoke("echo", "{}", "RequestResponse")).payload);
      expect(b.count).to.equal(a.count + 1);
      expect(b.pid).to.equal(a.pid);
      expect(service.workerPids("echo")).to.deep.equal([a.pid]);
    });

    it("writes the function's log lines (JSON, with the request id) to <stateDir>/logs/<name>.log and options.log", async () => {
      const out = await service.invokeDetailed("echo", JSON.stringify({ marker: "log-me" }), "RequestResponse");
      expect(out.logs!.some((l) => l.includes("log-me"))).to.equal(true);
      await waitFor(() => fs.readFileSync(path.join(stateDir, "logs", "echo.log"), "utf8").includes("log-me"));
      const line = fs
        .readFileSync(path.join(stateDir, "logs", "echo.log"), "utf8")
        .split("\n")
        .find((l) => l.includes("log-me"))!;
      const record = JSON.parse(line);
      expect(record).to.include({ level: "INFO", requestId: out.requestId });
      expect(record.message).to.match(/^hello .*log-me/);
      expect(logLines.some((l) => l.startsWith("[echo] ") && l.includes("log-me"))).to.equal(true);
      expect(logLines.some((l) => l.startsWith("[echo] ") && l.includes('"platform.report"') && l.includes(out.requestId))).to.equal(true);
    });

    it("reports a thrown error as Unhandled with errorType, errorMessage and trace", async () => {
      const out = await service.invoke("thrower", "{}", "RequestResponse");
      expect(out.statusCode).to.equal(200);
      expect(out.functionError).to.equal("Unhandled");
      const body = JSON.parse(out.payload);
      expect(body.errorType).to.equal("TimerFailed");
      expect(body.errorMessage).to.equal("the timer failed");
      expect(body.trace).to.be.an("array");
      expect(body.trace[0]).to.equal("TimerFailed: the timer failed");
    });

    it("kills an invocation that runs past its timeout and reports Sandbox.Timedout", async () => {
      const warm = JSON.parse((await service.invoke("sleeper", JSON.stringify({ ms: 1 }), "RequestResponse")).payload);
      const started = Date.now();
      const out = await service.invokeDetailed("sleeper", JSON.stringify({ ms: 5000 }), "RequestResponse");
      const elapsed = Date.now() - started;
      expect(out.functionError).to.equal("Unhandled");
      const body = JSON.parse(out.payload);
      expect(body.errorType).to.equal("Sandbox.Timedout");
      expect(body.errorMessage).to.match(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z ${out.requestId} Task timed out after 1\\.00 seconds$`));
      expect(elapsed).to.be.within(900, 2500);
      await waitFor(() => !isAlive(warm.pid));
      // The function still works afterwards, on a new process.
      const after = JSON.parse((await service.invoke("sleeper", JSON.stringify({ ms: 1 }), "RequestResponse")).payload);
      expect(after.pid).to.not.equal(warm.pid);
    });

    it("reports a process that exits mid-invocation as Runtime.ExitError", async () => {
      const out = await service.invokeDetailed("exiter", "{}", "RequestResponse");
      expect(out.functionError).to.equal("Unhandled");
      expect(JSON.parse(out.payload)).to.deep.equal({
        errorType: "Runtime.ExitError",
        errorMessage: `RequestId: ${out.requestId} Error: Runtime exited with error: exit status 3`,
      });
    });

    it("reports an out-of-memory worker as Runtime.ExitError (signal: killed)", async () => {
      const hog = `exports.handler = async () => { const a = []; for (;;) a.push(new Array(1e6).fill(Math.random())); };`;
      await service.createFunction(fn("hog", hog, { memorySize: 64, timeoutSeconds: 30 }));
      const out = await service.invokeDetailed("hog", "{}", "RequestResponse");
      expect(JSON.parse(out.payload)).to.deep.equal({
        errorType: "Runtime.ExitError",
        errorMessage: `RequestId: ${out.requestId} Error: Runtime exited with error: signal: killed`,
      });
    });

    it("runs concurrent invocations in parallel, on separate processes", async () => {
      const started = Date.now();
      const [a, b] = await Promise.all([
        service.invoke("slow", JSON.stringify({ ms: 800 }), "RequestResponse"),
        service.invoke("slow", JSON.stringify({ ms: 800 }), "RequestResponse"),
      ]);
      const elapsed = Date.now() - started;
      expect(JSON.parse(a.payload).pid).to.not.equal(JSON.parse(b.payload).pid);
      expect(elapsed).to.be.below(1500);
      expect(service.workerPids("slow")).to.have.length(2);
    });

    it("supports callback-style handlers", async () => {
      await service.createFunction(fn("callback", "exports.handler = (event, context, callback) => { setTimeout(() => callback(null, { got: event.n * 2 }), 10); };"));
      const out = await service.invoke("callback", JSON.stringify({ n: 21 }), "RequestResponse");
      expect(JSON.parse(out.payload)).to.deep.equal({ got: 42 });
      await service.createFunction(fn("callbackError", "exports.handler = (event, context, callback) => callback(new RangeError('bad range'));"));
      const failed = await service.invoke("callbackError", "{}", "RequestResponse");
      expect(failed.functionError).to.equal("Unhandled");
      expect(JSON.parse(failed.payload)).to.include({ errorType: "RangeError", errorMessage: "bad range" });
    });

    it("reports an uncaught exception and an unhandled rejection, and replaces the process", async () => {
      await service.createFunction(fn("uncaught", `exports.handler = async () => { setTimeout(() => { throw new TypeError("late boom"); }, 5); await new Promise((r) => setTimeout(r, 1000)); return { pid: process.pid }; };`));
      const out = await service.invoke("uncaught", "{}", "RequestResponse");
      expect(out.functionError).to.equal("Unhandled");
      expect(JSON.parse(out.payload)).to.include({ errorType: "TypeError", errorMessage: "late boom" });

      await service.createFunction(fn("rejecter", `exports.handler = async (event) => { if (event.reject) Promise.reject(new Error("nobody listens")); await new Promise((r) => setTimeout(r, 200)); return { pid: process.pid }; };`));
      const first = JSON.parse((await service.invoke("rejecter", "{}", "RequestResponse")).payload).pid;
      const rejected = await service.invoke("rejecter", JSON.stringify({ reject: true }), "RequestResponse");
      expect(JSON.parse(rejected.payload)).to.include({ errorType: "Runtime.UnhandledPromiseRejection", errorMessage: "Error: nobody listens" });
      const next = JSON.parse((await service.invoke("rejecter", "{}", "RequestResponse")).payload).pid;
      expect(next).to.not.equal(first);
    });

    it("reports a missing handler export as Runtime.HandlerNotFound", async () => {
      await service.createFunction(fn("nohandler", "exports.other = async () => 1;"));
      const out = await service.invoke("nohandler", "{}", "RequestResponse");
      expect(out.functionError).to.equal("Unhandled");
      expect(JSON.parse(out.payload)).to.include({ errorType: "Runtime.HandlerNotFound", errorMessage: "index.handler is undefined or not exported" });
    });

    it("runs the new code after createFunction replaces a function", async () => {
      await service.createFunction(fn("versioned", "exports.handler = async () => 'v1';"));
      expect((await service.invoke("versioned", "{}", "RequestResponse")).payload).to.equal('"v1"');
      await service.createFunction(fn("versioned", "exports.handler = async () => 'v2';"));
      expect((await service.invoke("versioned", "{}", "RequestResponse")).payload).to.equal('"v2"');
    });

    it("throws ResourceNotFoundException for an unknown function", async () => {
      let error: any;
      await service.invoke("nope", "{}", "RequestResponse").catch((e) => (error = e));
      expect(error?.name).to.equal("ResourceNotFoundException");
      expect(error?.message).to.equal(`Function not found: ${arnOf("nope")}`);
    });

    // The handlers bundle the AWS SDK they use rather than trust the runtime's (AWS, "Building Lambda
    // functions with Node.js": the runtime's SDK is "a specific minor version, not the latest").
    it("runs a real esbuild bundle, the AWS SDK inside it, calling back into the service", async () => {
      const code = bundleHandler({ module: path.join(__dirname, "fixtures", "invoker.ts"), factory: "createInvoker" });
      // Only the SDK's optional CRT signer (SigV4a, required inside a try) stays outside.
      expect([...new Set(code.match(/require\("@(aws-sdk|smithy)\/[^"]+"\)/g) ?? [])]).to.deep.equal(['require("@aws-sdk/signature-v4-crt")']);
      await service.createFunction(fn("invoker", code));
      const out = await service.invoke("invoker", JSON.stringify({ target: "echo", payload: { via: "sdk" } }), "RequestResponse");
      expect(out.functionError, out.payload).to.equal(undefined);
      const body = JSON.parse(out.payload);
      expect(body.statusCode).to.equal(200);
      expect(body.payload.event).to.deep.equal({ via: "sdk" });
      const failed = JSON.parse((await service.invoke("invoker", JSON.stringify({ target: "thrower", payload: {} }), "RequestResponse")).payload);
      expect(failed.functionError).to.equal("Unhandled");
      expect(failed.payload.errorType).to.equal("TimerFailed");
    });
  });

  describe("asynchronous invoke (Event)", () => {
    it("answers 202 at once and runs the event", async () => {
      const file = path.join(recordDir, "recorder.jsonl");
      const started = Date.now();
      const out = await service.invokeDetailed("recorder", JSON.stringify({ ok: true, sleepMs: 500, tag: "event-1" }), "Event");
      expect(Date.now() - started).to.be.below(300);
      expect(out).to.include({ statusCode: 202, payload: "" });
      await service.idle();
      const seen = readRecords(file).filter((r) => r.event.tag === "event-1");
      expect(seen).to.have.length(1);
      expect(seen[0].requestId).to.equal(out.requestId);
    });

    it("retries a failing event with the same request id, then sends Lambda's destination record", async () => {
      service.putEventInvokeConfig(arnOf("recorder"), { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600, onFailureDestination: arnOf("destination") });
      const before = invocations.length;
      const out = await service.invokeDetailed("recorder", JSON.stringify({ tag: "retry-me" }), "Event");
      await service.idle();
      const attempts = readRecords(path.join(recordDir, "recorder.jsonl")).filter((r) => r.event.tag === "retry-me");
      expect(attempts.map((a) => a.requestId)).to.deep.equal([out.requestId, out.requestId, out.requestId]);
      const mine = invocations.slice(before).filter((r) => r.functionName === "recorder");
      expect(mine.map((r) => r.attempt)).to.deep.equal([1, 2, 3]);

      const delivered = readRecords(path.join(recordDir, "destination.jsonl")).filter((r) => r.event.requestPayload?.tag === "retry-me");
      expect(delivered).to.have.length(1);
      const record = delivered[0].event;
      expect(Object.keys(record).sort()).to.deep.equal(["requestContext", "requestPayload", "responseContext", "responsePayload", "timestamp", "version"]);
      expect(record.version).to.equal("1.0");
      expect(new Date(record.timestamp).toISOString()).to.equal(record.timestamp);
      expect(record.requestContext).to.deep.equal({
        requestId: out.requestId,
        functionArn: `${arnOf("recorder")}:$LATEST`,
        condition: "RetriesExhausted",
        approximateInvokeCount: 3,
      });
      expect(record.requestPayload).to.deep.equal({ tag: "retry-me" });
      expect(record.responseContext).to.deep.equal({ statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" });
      expect(record.responsePayload.errorType).to.equal("FlakyError");
      expect(record.responsePayload.errorMessage).to.equal(`attempt failed: ${out.requestId}`);
      expect(record.responsePayload.trace).to.be.an("array").that.is.not.empty;
      // The destination ran with its own request id.
      expect(delivered[0].requestId).to.not.equal(out.requestId);
    });

    it("does not retry when maximumRetryAttempts is 0", async () => {
      service.putEventInvokeConfig("recorder", { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 3600, onFailureDestination: arnOf("destination") });
      const out = await service.invokeDetailed("recorder", JSON.stringify({ tag: "no-retry" }), "Event");
      await service.idle();
      expect(readRecords(path.join(recordDir, "recorder.jsonl")).filter((r) => r.event.tag === "no-retry")).to.have.length(1);
      const record = readRecords(path.join(recordDir, "destination.jsonl")).find((r) => r.event.requestPayload?.tag === "no-retry")!.event;
      expect(record.requestContext).to.include({ requestId: out.requestId, condition: "RetriesExhausted", approximateInvokeCount: 1 });
    });

    it("drops an event older than maximumEventAgeInSeconds and sends an EventAgeExceeded record", async () => {
      service.putEventInvokeConfig("aged", { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 1, onFailureDestination: arnOf("agedDestination") });
      const out = await service.invokeDetailed("aged", JSON.stringify({ tag: "too-old", sleepMs: 1100 }), "Event");
      await service.idle();
      expect(readRecords(path.join(recordDir, "aged.jsonl"))).to.have.length(1);
      const delivered = readRecords(path.join(recordDir, "agedDestination.jsonl"));
      expect(delivered).to.have.length(1);
      const record = delivered[0].event;
      expect(record.requestContext).to.deep.equal({ requestId: out.requestId, functionArn: `${arnOf("aged")}:$LATEST`, condition: "EventAgeExceeded", approximateInvokeCount: 1 });
      expect(record.requestPayload).to.deep.equal({ tag: "too-old", sleepMs: 1100 });
      expect(record.responsePayload.errorType).to.equal("FlakyError");
    });

    it("reports a timed-out async invocation to the destination as Sandbox.Timedout", async () => {
      await service.createFunction(fn("asyncSleeper", SLEEPER, { timeoutSeconds: 1 }));
      await service.createFunction(fn("timeoutDestination", RECORDER, { environment: { RECORD_FILE: path.join(recordDir, "timeoutDestination.jsonl"), ALWAYS_OK: "1" } }));
      service.putEventInvokeConfig("asyncSleeper", { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60, onFailureDestination: arnOf("timeoutDestination") });
      await service.invoke("asyncSleeper", JSON.stringify({ ms: 3000 }), "Event");
      await service.idle();
      const [delivered] = readRecords(path.join(recordDir, "timeoutDestination.jsonl"));
      expect(delivered.event.responsePayload.errorType).to.equal("Sandbox.Timedout");
      expect(delivered.event.responsePayload.errorMessage).to.match(/Task timed out after 1\.00 seconds$/);
    });

    it("delivers an event twice on request (fault injection), with a new or the same request id", async () => {
      const file = path.join(recordDir, "dupes.jsonl");
      service.deliverTwice("dupes");
      const first = await service.invokeDetailed("dupes", JSON.stringify({ ok: true, tag: "dup-new" }), "Event");
      await service.idle();
      const a = readRecords(file).filter((r) => r.event.tag === "dup-new");
      expect(a).to.have.length(2);
      expect(a.map((r) => r.requestId)).to.include(first.requestId);
      expect(a[0].requestId).to.not.equal(a[1].requestId);

      service.deliverTwice(arnOf("dupes"), { sameRequestId: true, delayMs: 100 });
      const second = await service.invokeDetailed("dupes", JSON.stringify({ ok: true, tag: "dup-same" }), "Event");
      await service.idle();
      const b = readRecords(file).filter((r) => r.event.tag === "dup-same");
      expect(b.map((r) => r.requestId)).to.deep.equal([second.requestId, second.requestId]);

      // Only the armed invocation is duplicated.
      await service.invoke("dupes", JSON.stringify({ ok: true, tag: "dup-none" }), "Event");
      await service.idle();
      expect(readRecords(file).filter((r) => r.event.tag === "dup-none")).to.have.length(1);
    });
  });

  describe("the Invoke REST API", () => {
    it("serves RequestResponse to @aws-sdk/client-lambda", async () => {
      const out = await client.send(new InvokeCommand({ FunctionName: "echo", Payload: JSON.stringify({ via: "http" }) }));
      expect(out.StatusCode).to.equal(200);
      expect(out.FunctionError).to.equal(undefined);
      expect(out.ExecutedVersion).to.equal("$LATEST");
      const body = JSON.parse(Buffer.from(out.Payload!).toString("utf8"));
      expect(body.event).to.deep.equal({ via: "http" });
      expect(body.ctx.awsRequestId).to.equal(out.$metadata.requestId);
    });

    it("serves an ARN with a Qualifier, and LogType Tail", async () => {
      const out = await client.send(new InvokeCommand({ FunctionName: arnOf("echo"), Qualifier: "$LATEST", LogType: "Tail", Payload: JSON.stringify({ tail: "me" }) }));
      expect(out.StatusCode).to.equal(200);
      expect(JSON.parse(Buffer.from(out.Payload!).toString("utf8")).ctx.invokedFunctionArn).to.equal(`${arnOf("echo")}:$LATEST`);
      expect(Buffer.from(out.LogResult!, "base64").toString("utf8")).to.include('{\\"tail\\":\\"me\\"}');
    });

    it("marks a function error with X-Amz-Function-Error", async () => {
      const out = await client.send(new InvokeCommand({ FunctionName: "thrower", Payload: "{}" }));
      expect(out.StatusCode).to.equal(200);
      expect(out.FunctionError).to.equal("Unhandled");
      expect(JSON.parse(Buffer.from(out.Payload!).toString("utf8")).errorType).to.equal("TimerFailed");
    });

    it("answers Event with 202 and runs it", async () => {
      const out = await client.send(new InvokeCommand({ FunctionName: "recorder", InvocationType: "Event", Payload: JSON.stringify({ ok: true, tag: "http-event" }) }));
      expect(out.StatusCode).to.equal(202);
      await service.idle();
      const seen = readRecords(path.join(recordDir, "recorder.jsonl")).filter((r) => r.event.tag === "http-event");
      expect(seen).to.have.length(1);
      expect(seen[0].requestId).to.equal(out.$metadata.requestId);
    });

    it("answers DryRun with 204 and does not run the function", async () => {
      const before = invocations.length;
      const out = await client.send(new InvokeCommand({ FunctionName: "echo", InvocationType: "DryRun", Payload: "{}" }));
      expect(out.StatusCode).to.equal(204);
      expect(invocations.length).to.equal(before);
    });

    it("answers an unknown function with ResourceNotFoundException", async () => {
      let error: unknown;
      await client.send(new InvokeCommand({ FunctionName: "does-not-exist", Payload: "{}" })).catch((e) => (error = e));
      expect(error).to.be.instanceOf(ResourceNotFoundException);
      expect((error as ResourceNotFoundException).$metadata.httpStatusCode).to.equal(404);
      expect((error as Error).message).to.equal(`Function not found: ${arnOf("does-not-exist")}`);
    });

    it("answers a payload that is not JSON with InvalidRequestContentException", async () => {
      let error: any;
      await client.send(new InvokeCommand({ FunctionName: "echo", Payload: "{not json" })).catch((e) => (error = e));
      expect(error?.name).to.equal("InvalidRequestContentException");
      expect(error?.$metadata?.httpStatusCode).to.equal(400);
    });

    it("serves `aws lambda invoke --endpoint-url`", async () => {
      const outFile = path.join(recordDir, "cli-out.json");
      // AWS CLI v1 takes a JSON payload as is; v2 needs `--cli-binary-format raw-in-base64-out` (v1 has no such option).
      const v2 = /^aws-cli\/2\./.test(await awsCliVersion());
      const out = await runAwsCli(service.endpoint, ["lambda", "invoke", "--function-name", "echo", ...(v2 ? ["--cli-binary-format", "raw-in-base64-out"] : []), "--payload", '{"via":"cli"}', outFile]);
      expect(out).to.deep.equal({ StatusCode: 200, ExecutedVersion: "$LATEST" });
      expect(JSON.parse(fs.readFileSync(outFile, "utf8")).event).to.deep.equal({ via: "cli" });
    });
  });
});

describe("local Lambda service lifecycle", function () {
  this.timeout(30_000);

  it("reaps idle workers, and stop() kills every worker and closes the port", async () => {
    const stateDir = tempDir("lambda-svc-");
    const service = await startLambdaService({ stateDir, environment: () => ({}), idleTimeoutMs: 300 });
    try {
      await service.createFunction(fn("slow", SLEEPER));
      const first = JSON.parse((await service.invoke("slow", JSON.stringify({ ms: 1 }), "RequestResponse")).payload).pid;
      await waitFor(() => !isAlive(first), 5000);
      expect(service.workerPids("slow")).to.deep.equal([]);

      const running = service.invoke("slow", JSON.stringify({ ms: 20_000 }), "RequestResponse");
      await waitFor(() => service.workerPids("slow").length === 1);
      const pid = service.workerPids("slow")[0];
      await service.stop();
      expect(isAlive(pid)).to.equal(false);
      const out = await running;
      expect(JSON.parse(out.payload).errorType).to.equal("Runtime.ExitError");
      let refused: any;
      await fetch(`${service.endpoint}/2015-03-31/functions/slow/invocations`, { method: "POST", body: "{}" }).catch((e) => (refused = e));
      expect(refused).to.be.instanceOf(Error);
      let stoppedError: any;
      await service.invoke("slow", "{}", "RequestResponse").catch((e) => (stoppedError = e));
      expect(stoppedError?.name).to.equal("ServiceException");
    } finally {
      await service.stop();
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it("caps every function's timeout at maxTimeoutSeconds (a lowered Lambda limit)", async () => {
    const stateDir = tempDir("lambda-svc-");
    const service = await startLambdaService({ stateDir, environment: () => ({}), maxTimeoutSeconds: 1 });
    try {
      await service.createFunction(fn("capped", SLEEPER, { timeoutSeconds: 30 }));
      const started = Date.now();
      const out = await service.invoke("capped", JSON.stringify({ ms: 5000 }), "RequestResponse");
      expect(out.functionError).to.equal("Unhandled");
      expect(JSON.parse(out.payload).errorMessage).to.match(/Task timed out after 1\.\d+ seconds/);
      expect(Date.now() - started).to.be.below(4000);
    } finally {
      await service.stop();
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it("prewarms a worker per function with the prewarm option", async () => {
    const stateDir = tempDir("lambda-svc-");
    const records: InvocationRecord[] = [];
    const service = await startLambdaService({ stateDir, environment: () => ({}), prewarm: true, onInvocation: (r) => records.push(r) });
    try {
      await service.createFunction(fn("slow", SLEEPER));
      expect(service.workerPids("slow")).to.have.length(1);
      const pid = service.workerPids("slow")[0];
      await new Promise((r) => setTimeout(r, 300));
      const out = JSON.parse((await service.invoke("slow", JSON.stringify({ ms: 1 }), "RequestResponse")).payload);
      expect(out.pid).to.equal(pid);
      expect(records[0].durationMs).to.be.below(50);
    } finally {
      await service.stop();
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it("makes invocations wait for a worker at maxConcurrency", async () => {
    const stateDir = tempDir("lambda-svc-");
    const service = await startLambdaService({ stateDir, environment: () => ({}), maxConcurrency: 1 });
    try {
      await service.createFunction(fn("slow", SLEEPER));
      const started = Date.now();
      const outs = await Promise.all([1, 2].map(() => service.invoke("slow", JSON.stringify({ ms: 400 }), "RequestResponse")));
      expect(Date.now() - started).to.be.at.least(780);
      expect(JSON.parse(outs[0].payload).pid).to.equal(JSON.parse(outs[1].payload).pid);
    } finally {
      await service.stop();
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
