// worker=fargate runs jobs past Lambda's limit. Lambda's limit is 900 s; this local cloud lowers it
// to 4 s (--lambda-max-timeout), so the same 7-second job is past it without a 15-minute wait:
// the Lambda worker is killed at its limit, the Fargate task runs the job to its end.
import { expect } from "chai";
import { clientFor, startCloud, type CloudHandle } from "../support/localCloud";

const LAMBDA_LIMIT_SECONDS = 4;
const JOB_SECONDS = 7;

describe("e2e: a job longer than Lambda's limit (worker lambda vs worker fargate)", function () {
  this.timeout(180_000);
  const clouds: CloudHandle[] = [];
  after(async () => {
    for (const cloud of clouds) expect(await cloud.stop(), cloud.output().slice(-2000)).to.equal(0);
  });

  for (const worker of ["lambda", "fargate"] as const) {
    it(`worker ${worker}: ${worker === "lambda" ? "the worker is stopped at Lambda's limit: the job never SUCCEEDS" : "the task runs the job to its end: SUCCEEDED"}`, async () => {
      const cloud = await startCloud(["backend=stepfunctions", "auth=none", `worker=${worker}`, "jobTimeoutSeconds=30"], { lambdaMaxTimeoutSeconds: LAMBDA_LIMIT_SECONDS });
      clouds.push(cloud);
      const api = clientFor(cloud);
      const res = await api.submit({ seconds: JOB_SECONDS });
      expect(res.status, res.text).to.equal(202);
      const startedAt = Date.now();
      const { last } = await api.waitFor(res.body.jobId, undefined, 60_000);
      if (worker === "fargate") {
        expect(last.body.status).to.equal("SUCCEEDED");
        expect(last.body.result).to.deep.equal({ message: `Done after ${JOB_SECONDS} seconds` });
        expect(Date.now() - startedAt).to.be.at.least((JOB_SECONDS - 1) * 1000);
      } else {
        // The worker stops the job within what its invocation has left (the capped Lambda timeout).
        expect(last.body.status, JSON.stringify(last.body)).to.equal("TIMED_OUT");
        expect(last.body.error.code).to.equal("TimedOut");
        expect(Date.now() - startedAt, "long before the job's 7 seconds").to.be.below(JOB_SECONDS * 1000);
      }
    });
  }
});
