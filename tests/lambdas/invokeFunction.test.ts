/*
 * job.functionArn's job: the worker invokes the function synchronously with {"jobId", "input"}
 * (Lambda "Invoke": RequestResponse); a function error comes back as FunctionError with a payload
 * {"errorType", "errorMessage", "trace"} ("Lambda function errors in Node.js", "… in Python").
 */
import { expect } from "chai";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { ENV } from "../../lambdas/shared/env";
import { invokeFunctionJob } from "../../lambdas/jobs/invokeFunction";
import { jobErrorInfo } from "../../lambdas/shared/errors";

const ARN = "arn:aws:lambda:us-east-1:123456789012:function:python-job";
const payload = (value: unknown) => new Uint8Array(Buffer.from(JSON.stringify(value))) as never;

describe("lambdas/jobs/invokeFunction (job.functionArn)", () => {
  const lambda = mockClient(LambdaClient);
  let saved: string | undefined;
  before(() => {
    saved = process.env[ENV.JOB_FUNCTION_ARN];
    process.env[ENV.JOB_FUNCTION_ARN] = ARN;
  });
  after(() => {
    lambda.restore();
    if (saved === undefined) delete process.env[ENV.JOB_FUNCTION_ARN];
    else process.env[ENV.JOB_FUNCTION_ARN] = saved;
  });
  beforeEach(() => lambda.reset());

  it("invokes the function synchronously with {jobId, input} and returns what it returns", async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload({ words: 3 }) });
    const controller = new AbortController();
    const result = await invokeFunctionJob.run({ text: "a b c" }, { jobId: "j-1", signal: controller.signal, progress: () => undefined });
    expect(result).to.deep.equal({ words: 3 });
    const call = lambda.commandCalls(InvokeCommand)[0];
    expect(call.args[0].input.FunctionName).to.equal(ARN);
    expect(call.args[0].input.InvocationType).to.equal("RequestResponse");
    expect(JSON.parse(Buffer.from(call.args[0].input.Payload as Uint8Array).toString())).to.deep.equal({ jobId: "j-1", input: { text: "a b c" } });
  });

  it("fails the job with the function's errorType as the code and its errorMessage", async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: "Unhandled", Payload: payload({ errorType: "ValueError", errorMessage: "bad text", stackTrace: ["  File x"] }) });
    const err = await invokeFunctionJob.run({}, { jobId: "j-2", signal: new AbortController().signal, progress: () => undefined }).catch((e) => e);
    expect(jobErrorInfo(err)).to.deep.equal({ code: "ValueError", message: "bad text" });
  });

  it("names an error without a usable errorType FunctionError, and a timeout of the function Sandbox.Timedout as Lambda does", async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: "Unhandled", Payload: payload({ errorMessage: "Task timed out after 3.00 seconds", errorType: "Sandbox.Timedout" }) });
    expect(jobErrorInfo(await invokeFunctionJob.run({}, { jobId: "j", signal: new AbortController().signal, progress: () => undefined }).catch((e) => e)).code).to.equal("Sandbox.Timedout");
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: "Unhandled", Payload: payload("not an object") });
    expect(jobErrorInfo(await invokeFunctionJob.run({}, { jobId: "j", signal: new AbortController().signal, progress: () => undefined }).catch((e) => e)).code).to.equal("FunctionError");
  });

  it("returns null for a function that returns nothing", async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: new Uint8Array() as never });
    expect(await invokeFunctionJob.run({}, { jobId: "j", signal: new AbortController().signal, progress: () => undefined })).to.equal(null);
  });
});
