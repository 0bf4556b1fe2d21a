import { expect } from "chai";
import { ConfigError, DEFAULTS, parseStackConfig } from "../../program/config";

describe("program/config parseStackConfig", () => {
  it("applies the contract's defaults to an empty config", () => {
    expect(parseStackConfig({})).to.deep.equal(DEFAULTS);
    expect(DEFAULTS).to.include({ backend: "stepfunctions", store: "dynamodb", auth: "iam", workflowType: "STANDARD", worker: "lambda", resultTtlMinutes: 1440, jobTimeoutSeconds: 900 });
  });

  it("accepts every supported value", () => {
    const c = parseStackConfig({ backend: "lambda", store: "s3", auth: "apiKey", resultTtlMinutes: "5", jobTimeoutSeconds: "60", corsOrigins: '["http://localhost:5173","https://app.example.com"]' });
    expect(c).to.include({ backend: "lambda", store: "s3", auth: "apiKey", resultTtlMinutes: 5, jobTimeoutSeconds: 60 });
    expect(c.corsOrigins).to.deep.equal(["http://localhost:5173", "https://app.example.com"]);
  });

  const wrong: [string, Record<string, string>, RegExp][] = [
    ["backend", { backend: "ec2" }, /async-api:backend is 'ec2'; allowed values: stepfunctions, lambda, stream/],
    ["store", { store: "redis" }, /async-api:store is 'redis'; allowed values: dynamodb, s3/],
    ["auth", { auth: "cognito" }, /async-api:auth is 'cognito'; allowed values: iam, apiKey, none/],
    ["workflowType", { workflowType: "express" }, /async-api:workflowType is 'express'; allowed values: STANDARD, EXPRESS/],
    ["worker", { worker: "ec2" }, /async-api:worker is 'ec2'; allowed values: lambda, fargate/],
    ["resultTtlMinutes zero", { resultTtlMinutes: "0" }, /async-api:resultTtlMinutes is '0'; it must be a whole number from 1 to 525600/],
    ["resultTtlMinutes too big", { resultTtlMinutes: "525601" }, /async-api:resultTtlMinutes/],
    ["resultTtlMinutes fraction", { resultTtlMinutes: "1.5" }, /async-api:resultTtlMinutes/],
    ["jobTimeoutSeconds text", { jobTimeoutSeconds: "ten" }, /async-api:jobTimeoutSeconds is 'ten'; it must be a whole number from 1 to 900/],
    ["jobTimeoutSeconds over Lambda's limit", { jobTimeoutSeconds: "901" }, /async-api:jobTimeoutSeconds/],
    ["corsOrigins not JSON", { corsOrigins: "https://a.example.com" }, /async-api:corsOrigins must be a JSON list/],
    ["corsOrigins with a path", { corsOrigins: '["https://a.example.com/app"]' }, /async-api:corsOrigins must be a list of origins/],
    ["corsOrigins with a quote", { corsOrigins: '["https://a\'b.example.com"]' }, /async-api:corsOrigins/],
  ];
  for (const [what, raw, message] of wrong) {
    it(`rejects a wrong ${what}, naming the key`, () => {
      expect(() => parseStackConfig(raw)).to.throw(ConfigError, message);
    });
  }

  it("rejects backend stream with store s3, naming both keys", () => {
    expect(() => parseStackConfig({ backend: "stream", store: "s3" })).to.throw(ConfigError, /async-api:backend 'stream' needs async-api:store 'dynamodb'/);
  });

  it("accepts backend stream with the default store", () => {
    expect(parseStackConfig({ backend: "stream" })).to.include({ backend: "stream", store: "dynamodb" });
  });

  it("rejects workflowType EXPRESS on backend stream, naming both keys", () => {
    expect(() => parseStackConfig({ backend: "stream", workflowType: "EXPRESS", jobTimeoutSeconds: "60" })).to.throw(ConfigError, /async-api:workflowType applies only to async-api:backend 'stepfunctions'/);
  });

  it("accepts worker fargate on backend stepfunctions (STANDARD), with a timeout up to a year", () => {
    expect(parseStackConfig({ worker: "fargate", jobTimeoutSeconds: "31536000" })).to.include({ worker: "fargate", backend: "stepfunctions", jobTimeoutSeconds: 31536000 });
    expect(() => parseStackConfig({ worker: "fargate", jobTimeoutSeconds: "31536001" })).to.throw(ConfigError, /async-api:jobTimeoutSeconds/);
    expect(() => parseStackConfig({ jobTimeoutSeconds: "901" }), "the Lambda worker stops at 900").to.throw(ConfigError, /async-api:jobTimeoutSeconds/);
  });

  it("rejects worker fargate on another backend or on EXPRESS, naming the keys", () => {
    expect(() => parseStackConfig({ worker: "fargate", backend: "lambda" })).to.throw(ConfigError, /async-api:worker 'fargate' needs async-api:backend 'stepfunctions'.*async-api:backend is 'lambda'/);
    expect(() => parseStackConfig({ worker: "fargate", backend: "stream" })).to.throw(ConfigError, /async-api:worker 'fargate' needs async-api:backend 'stepfunctions'/);
    expect(() => parseStackConfig({ worker: "fargate", workflowType: "EXPRESS", jobTimeoutSeconds: "60" })).to.throw(ConfigError, /async-api:worker 'fargate' needs async-api:workflowType 'STANDARD'/);
  });

  // AWS: Express workflows run at most 5 minutes ("Choosing workflow type in Step Functions"), and
  // that must also hold MarkRunning, the worker's margin and the outcome's write: 240 s of job.
  it("rejects EXPRESS with a timeout that leaves no time to record the outcome in 5 minutes, naming both keys", () => {
    expect(() => parseStackConfig({ workflowType: "EXPRESS" })).to.throw(ConfigError, /async-api:workflowType 'EXPRESS'.*async-api:jobTimeoutSeconds is 900/);
    expect(() => parseStackConfig({ workflowType: "EXPRESS", jobTimeoutSeconds: "300" })).to.throw(ConfigError, /async-api:jobTimeoutSeconds to 240 or less/);
    expect(() => parseStackConfig({ workflowType: "EXPRESS", jobTimeoutSeconds: "241" })).to.throw(ConfigError, /async-api:jobTimeoutSeconds is 241/);
    expect(parseStackConfig({ workflowType: "EXPRESS", jobTimeoutSeconds: "240" }).workflowType).to.equal("EXPRESS");
  });

  it("rejects a workflowType other than the default on backend lambda", () => {
    expect(() => parseStackConfig({ backend: "lambda", workflowType: "EXPRESS", jobTimeoutSeconds: "60" })).to.throw(ConfigError, /workflowType applies only to async-api:backend 'stepfunctions'/);
    // The CLI applies Pulumi.yaml's default (STANDARD) to every stack: that must not be an error.
    expect(parseStackConfig({ backend: "lambda", workflowType: "STANDARD" }).backend).to.equal("lambda");
  });
});
