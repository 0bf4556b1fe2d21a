// The state machine definition as data: valid ASL, the right integrations and settings, one skeleton
// for both stores, and clear errors for arguments that cannot work.
import { expect } from "chai";
import {
  appliedChoiceName,
  buildStateMachineDefinition,
  CONDITION_FAILED_ERROR,
  DYNAMODB_UPDATE_ITEM,
  LAMBDA_INVOKE,
  LAMBDA_TRANSIENT_ERRORS,
  STATE,
  timedOutMessage,
  WORKER_CRASH_MESSAGE,
  EXPRESS_RECORDING_SECONDS,
  MAX_EXPRESS_JOB_TIMEOUT_SECONDS,
  RUN_JOB_MARGIN_SECONDS,
} from "../../../components/workflow/definition";
import { workerTimeoutSeconds } from "../../../lambdas/shared/env";
import type { AslDefinition, AslState, AslTaskState, StateMachineDefinitionArgs } from "../../../components/workflow/definition";

interface ValidationResult {
  isValid: boolean;
  errors: unknown[];
  errorsText(separator?: string): string;
}
// asl-validator 4 ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const aslValidator: (definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }) => ValidationResult = require("asl-validator");

const WORKER_ARN = "arn:aws:lambda:us-east-1:123456789012:function:async-api-worker";
const RECORDER_ARN = "arn:aws:lambda:us-east-1:123456789012:function:async-api-recorder";
const TABLE = "async-api-jobs";

const RECORD_STATES = [
  STATE.MarkRunning,
  STATE.RecordSucceededInline,
  STATE.RecordSucceededRef,
  STATE.RecordFailed,
  STATE.RecordTimedOut,
  STATE.RecordCrashed,
];

/** The attributes of a job record (lambdas/shared/types.ts `JobRecord`, plus `resultSize`). */
const RECORD_ATTRIBUTES = [
  "pk", "kind", "jobId", "status", "owner", "createdAt", "updatedAt", "startedAt", "deadline", "expiresAt",
  "version", "input", "result", "resultRef", "resultSize", "error", "idempotencyKey",
];

function build(store: "dynamodb" | "s3", overrides: Partial<StateMachineDefinitionArgs> = {}): AslDefinition {
  return buildStateMachineDefinition({
    store,
    workerFunctionArn: WORKER_ARN,
    ...(store === "dynamodb" ? { tableName: TABLE } : { recorderFunctionArn: RECORDER_ARN }),
    jobTimeoutSeconds: 120,
    workflowType: "STANDARD",
    ...overrides,
  });
}

const tasks = (d: AslDefinition) => Object.entries(d.States).filter((e): e is [string, AslTaskState] => e[1].Type === "Task");

/** Every string in a JSON value, with the key it sits under. */
function strings(value: unknown, key = ""): Array<[string, string]> {
  if (typeof value === "string") return [[key, value]];
  if (Array.isArray(value)) return value.flatMap((v) => strings(v, key));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => strings(v, k));
  return [];
}

/** The paths the definition reads: values of `*.$` fields and of Choice `Variable`s. */
const readPaths = (d: AslDefinition) => strings(d).filter(([k]) => k.endsWith(".$") || k === "Variable").map(([, v]) => v);

/** "from -> to" for every transition (Next, Default, Choices, Catch). */
function edges(d: AslDefinition): string[] {
  const out: string[] = [];
  for (const [name, state] of Object.entries(d.States)) {
    const s = state as AslState & Record<string, any>;
    if (s.Next) out.push(`${name} -> ${s.Next}`);
    if (s.End) out.push(`${name} -> (end)`);
    if (s.Default) out.push(`${name} -> ${s.Default}`);
    for (const c of s.Choices ?? []) out.push(`${name} -> ${c.Next}`);
    for (const c of s.Catch ?? []) out.push(`${name} -> ${c.Next}`);
  }
  return [...new Set(out)].sort();
}

/** store s3's graph with each `<State>Applied` Choice folded into its Task. */
function foldAppliedChoices(d: AslDefinition): string[] {
  const folded = edges(d).flatMap((edge) => {
    const [from, to] = edge.split(" -> ");
    if (from.endsWith("Applied")) return [];
    if (to === appliedChoiceName(from)) return edges(d).filter((e) => e.startsWith(`${to} -> `)).map((e) => `${from} -> ${e.split(" -> ")[1]}`);
    return [edge];
  });
  return [...new Set(folded)].sort();
}

describe("workflow definition (buildStateMachineDefinition)", function () {
  describe("asl-validator", function () {
    for (const store of ["dynamodb", "s3"] as const) {
      for (const workflowType of ["STANDARD", "EXPRESS"] as const) {
        it(`accepts store ${store}, ${workflowType}`, function () {
          const definition = build(store, { workflowType });
          // The validator annotates the object it checks: give it a copy.
          const result = aslValidator(structuredClone(definition), { checkPaths: true, checkArn: true });
          expect(result.isValid, result.errorsText()).to.equal(true);
        });
      }
    }

    it("is strict enough to reject a broken transition (the check above can fail)", function () {
      const broken = structuredClone(build("dynamodb"));
      (broken.States[STATE.RunJob] as AslTaskState).Next = "NoSuchState";
      expect(aslValidator(broken).isValid).to.equal(false);
    });
  });

  it("is plain JSON in the JSONPath query language (no JSONata, nothing undefined)", function () {
    for (const store of ["dynamodb", "s3"] as const) {
      const d = build(store);
      expect(JSON.parse(JSON.stringify(d))).to.deep.equal(d);
      expect(JSON.stringify(d)).not.to.match(/QueryLanguage|\{%/);
      expect(d.StartAt).to.equal(STATE.MarkRunning);
      expect(d.Comment).to.be.a("string").and.not.equal("");
    }
  });

  it("reaches every state from StartAt", function () {
    for (const store of ["dynamodb", "s3"] as const) {
      const d = build(store);
      const seen = new Set([d.StartAt]);
      const all = edges(d).filter((e) => !e.endsWith(" -> (end)"));
      for (let grew = true; grew; ) {
        grew = false;
        for (const [from, to] of all.map((e) => e.split(" -> "))) {
          if (seen.has(from) && !seen.has(to)) grew = seen.add(to) && true;
        }
      }
      expect([...seen].sort()).to.deep.equal(Object.keys(d.States).sort());
    }
  });

  describe("the worker Task", function () {
    it("invokes the worker with the job id, waits past the worker function's own timeout, keeps only the Payload", function () {
      for (const store of ["dynamodb", "s3"] as const) {
        const run = build(store, { jobTimeoutSeconds: 42 }).States[STATE.RunJob] as AslTaskState;
        expect(run.Resource).to.equal(LAMBDA_INVOKE);
        expect(run.Parameters).to.deep.equal({ FunctionName: WORKER_ARN, Payload: { "jobId.$": "$.jobId" } });
        expect(run.ResultSelector).to.deep.equal({ "outcome.$": "$.Payload" });
        expect(run.ResultPath).to.equal("$.run");
        // The worker function's timeout is the job's 42 s + 10 s (a cold start, reading the record,
        // storing a large result); RunJob allows that margin too, so a job that ends in its last
        // seconds is not cut off as TIMED_OUT. It gives up 1 s before Lambda would kill a hung
        // worker: that is States.Timeout (TIMED_OUT) here, where Lambda's own timeout would read as
        // Lambda.Unknown, like a crash (AWS, "Handle Lambda service exceptions").
        expect(run.TimeoutSeconds).to.equal(workerTimeoutSeconds(42) + RUN_JOB_MARGIN_SECONDS).and.to.equal(51);
        expect((build(store, { jobTimeoutSeconds: 900 }).States[STATE.RunJob] as AslTaskState).TimeoutSeconds, "Lambda's 900 s limit less 1 s").to.equal(899);
        expect(run.Next).to.equal(STATE.CheckOutcome);
      }
    });

    // "Handle Lambda service exceptions" (Step Functions): the four errors it recommends retrying,
    // and TooManyRequests (throttling). Never Lambda.Unknown: timeouts and out-of-memory end there.
    it("retries only transient Lambda errors, with the default settings and full jitter", function () {
      const run = build("dynamodb").States[STATE.RunJob] as AslTaskState;
      expect(run.Retry).to.deep.equal([
        {
          ErrorEquals: ["Lambda.ClientExecutionTimeoutException", "Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"],
          MaxAttempts: 3,
          IntervalSeconds: 2,
          BackoffRate: 2,
          JitterStrategy: "FULL",
        },
      ]);
    });

    it("takes the retry settings from workerRetry", function () {
      const run = build("s3", { workerRetry: { maxAttempts: 5, intervalSeconds: 3, backoffRate: 1.5 } }).States[STATE.RunJob] as AslTaskState;
      expect(run.Retry![0]).to.include({ MaxAttempts: 5, IntervalSeconds: 3, BackoffRate: 1.5, JitterStrategy: "FULL" });
      expect(run.Retry![0].ErrorEquals).to.deep.equal([...LAMBDA_TRANSIENT_ERRORS]);
    });

    // AWS, "Error handling in Step Functions": States.Timeout also matches a missed heartbeat, and
    // the first catcher that matches wins, so States.HeartbeatTimeout (a dead worker) comes first.
    it("routes a missed heartbeat to RecordCrashed, then a timeout to RecordTimedOut, then anything else to RecordCrashed, keeping the job id", function () {
      const run = build("dynamodb").States[STATE.RunJob] as AslTaskState;
      expect(run.Catch).to.deep.equal([
        { ErrorEquals: ["States.HeartbeatTimeout"], Next: STATE.RecordCrashed, ResultPath: "$.failure" },
        { ErrorEquals: ["States.Timeout", "Sandbox.Timedout"], Next: STATE.RecordTimedOut, ResultPath: "$.failure" },
        { ErrorEquals: ["States.ALL"], Next: STATE.RecordCrashed, ResultPath: "$.failure" },
      ]);
    });
  });

  describe("the record writes", function () {
    // CONTRACT.md: a finished job is readable for resultTtlMinutes after it finished. ASL has no clock
    // arithmetic, so the worker's outcome carries the expiry and the DynamoDB write sets it.
    it("store dynamodb: a finished job's write sets expiresAt (the TTL attribute) from the worker's outcome", function () {
      const d = build("dynamodb");
      for (const name of [STATE.RecordSucceededInline, STATE.RecordSucceededRef, STATE.RecordFailed]) {
        const p = (d.States[name] as AslTaskState).Parameters as Record<string, any>;
        expect(p.UpdateExpression, name).to.contain("#expiresAt = :expiresAt");
        expect(p.ExpressionAttributeNames["#expiresAt"]).to.equal("expiresAt");
        expect(p.ExpressionAttributeValues[":expiresAt"]).to.deep.equal({ "N.$": "States.JsonToString($.run.outcome.expiresAt)" });
      }
      const choices = (d.States[STATE.CheckOutcome] as { Choices: Array<{ And?: Array<Record<string, unknown>>; Next: string }> }).Choices;
      for (const next of [STATE.RecordSucceededInline, STATE.RecordSucceededRef, STATE.RecordFailed]) {
        const rule = choices.find((c) => c.Next === next)!;
        expect(rule.And, next).to.deep.include({ Variable: "$.run.outcome.expiresAt", IsNumeric: true });
      }
    });

    it("store dynamodb: every write is a conditional updateItem on pk that bumps the version", function () {
      const d = build("dynamodb");
      const writes = tasks(d).filter(([, t]) => t.Resource === DYNAMODB_UPDATE_ITEM);
      expect(writes.map(([name]) => name).sort()).to.deep.equal([...RECORD_STATES].sort());
      for (const [name, t] of writes) {
        const p = t.Parameters as Record<string, any>;
        expect(p.TableName, name).to.equal(TABLE);
        expect(p.Key, name).to.deep.equal({ pk: { "S.$": "$.jobId" } });
        const from = name === STATE.MarkRunning ? ":pending" : ":running";
        expect(p.ConditionExpression, name).to.be.a("string").and.include(`#status = ${from}`);
        expect(p.UpdateExpression, name).to.match(/^SET #status = :\w+, #updatedAt = :now\b.* ADD #version :one$/);
        expect(p.ExpressionAttributeValues[":now"], name).to.deep.equal({ "S.$": "$$.State.EnteredTime" });
        expect(p.ExpressionAttributeValues[":one"], name).to.deep.equal({ N: "1" });
        // Placeholders: each one defined is used, each one used is defined (DynamoDB rejects both mistakes).
        const expressions = `${p.UpdateExpression} ${p.ConditionExpression}`;
        const usedNames = [...new Set(expressions.match(/#\w+/g))].sort();
        const usedValues = [...new Set(expressions.match(/:\w+/g))].sort();
        expect(Object.keys(p.ExpressionAttributeNames).sort(), name).to.deep.equal(usedNames);
        expect(Object.keys(p.ExpressionAttributeValues).sort(), name).to.deep.equal(usedValues);
        for (const attribute of Object.values(p.ExpressionAttributeNames)) expect(RECORD_ATTRIBUTES, name).to.include(attribute);
        expect(t.ResultPath, name).to.equal(null);
      }
    });

    it("store dynamodb: a rejected condition goes to Discarded, any other failure to RecordingFailed, and neither is retried", function () {
      for (const [name, t] of tasks(build("dynamodb")).filter(([, t]) => t.Resource === DYNAMODB_UPDATE_ITEM)) {
        expect(t.Catch, name).to.deep.equal([
          { ErrorEquals: [CONDITION_FAILED_ERROR], Next: STATE.Discarded, ResultPath: null },
          { ErrorEquals: ["States.ALL"], Next: STATE.RecordingFailed, ResultPath: null },
        ]);
        const retried = t.Retry!.flatMap((r) => r.ErrorEquals);
        expect(retried, name).to.include("DynamoDB.ProvisionedThroughputExceededException");
        expect(retried, name).to.not.include.members([CONDITION_FAILED_ERROR]);
        expect(retried, name).to.not.include("States.ALL").and.not.include("States.TaskFailed");
      }
    });

    it("store dynamodb: sets the attributes of each outcome (resultSize as a Number)", function () {
      const d = build("dynamodb", { jobTimeoutSeconds: 77 });
      const params = (s: string) => (d.States[s] as AslTaskState).Parameters as Record<string, any>;
      expect(params(STATE.MarkRunning).UpdateExpression).to.include("#startedAt = :now");
      expect(params(STATE.RecordSucceededInline).ExpressionAttributeValues).to.deep.include({
        ":result": { "S.$": "$.run.outcome.result" },
        ":resultSize": { "N.$": "States.JsonToString($.run.outcome.resultSize)" },
      });
      expect(params(STATE.RecordSucceededRef).ExpressionAttributeValues).to.deep.include({ ":resultRef": { "S.$": "$.run.outcome.resultRef" } });
      expect(params(STATE.RecordFailed).ExpressionAttributeValues[":error"]).to.deep.equal({
        M: { code: { "S.$": "$.run.outcome.error.code" }, message: { "S.$": "$.run.outcome.error.message" } },
      });
      expect(params(STATE.RecordTimedOut).ExpressionAttributeValues[":error"]).to.deep.equal({
        M: { code: { S: "TimedOut" }, message: { S: "The job did not finish within 77 seconds" } },
      });
      expect(params(STATE.RecordCrashed).ExpressionAttributeValues[":error"]).to.deep.equal({
        M: { code: { "S.$": "$.failure.Error" }, message: { S: WORKER_CRASH_MESSAGE } },
      });
      // Past the deadline readers already see TIMED_OUT: only the timeout write ignores it.
      for (const s of RECORD_STATES) {
        expect(params(s).ConditionExpression.includes("#deadline > :now"), s).to.equal(s !== STATE.RecordTimedOut);
      }
    });

    it("store s3: every write invokes the recorder with the transition, then checks `applied`", function () {
      const d = build("s3", { jobTimeoutSeconds: 30 });
      const transitions: Record<string, string> = {
        [STATE.MarkRunning]: "RUNNING",
        [STATE.RecordSucceededInline]: "SUCCEEDED",
        [STATE.RecordSucceededRef]: "SUCCEEDED",
        [STATE.RecordFailed]: "FAILED",
        [STATE.RecordTimedOut]: "TIMED_OUT",
        [STATE.RecordCrashed]: "FAILED",
      };
      expect(tasks(d).filter(([, t]) => t.Resource === DYNAMODB_UPDATE_ITEM)).to.deep.equal([]);
      for (const s of RECORD_STATES) {
        const t = d.States[s] as AslTaskState;
        expect(t.Resource, s).to.equal(LAMBDA_INVOKE);
        const p = t.Parameters as Record<string, any>;
        expect(p.FunctionName, s).to.equal(RECORDER_ARN);
        expect(p.Payload, s).to.deep.include({ "jobId.$": "$.jobId", transition: transitions[s], "at.$": "$$.State.EnteredTime" });
        expect(t.ResultSelector, s).to.deep.equal({ "applied.$": "$.Payload.applied" });
        expect(t.Next, s).to.equal(appliedChoiceName(s));
        const choice = d.States[appliedChoiceName(s)] as AslState & Record<string, any>;
        expect(choice.Type, s).to.equal("Choice");
        expect(choice.Choices, s).to.deep.equal([{ Variable: "$.record.applied", BooleanEquals: true, Next: s === STATE.MarkRunning ? STATE.RunJob : STATE.Recorded }]);
        expect(choice.Default, s).to.equal(STATE.Discarded);
      }
      const payload = (s: string) => ((d.States[s] as AslTaskState).Parameters as Record<string, any>).Payload;
      expect(payload(STATE.RecordSucceededInline)["run.$"]).to.equal("$.run.outcome");
      expect(payload(STATE.RecordFailed)["run.$"]).to.equal("$.run.outcome");
      expect(payload(STATE.RecordCrashed).failure).to.deep.equal({ "Error.$": "$.failure.Error" });
      expect(payload(STATE.RecordCrashed).error).to.deep.equal({ "code.$": "$.failure.Error", message: WORKER_CRASH_MESSAGE });
      expect(payload(STATE.RecordTimedOut).error).to.deep.equal({ code: "TimedOut", message: timedOutMessage(30) });
    });
  });

  it("never reads a Cause (stack traces, ARNs) and only reads the failure's Error", function () {
    for (const store of ["dynamodb", "s3"] as const) {
      const paths = readPaths(build(store));
      expect(paths.length).to.be.greaterThan(10);
      expect(paths.filter((p) => /cause/i.test(p)), store).to.deep.equal([]);
      expect(paths.filter((p) => p.startsWith("$.failure")), store).to.satisfy((ps: string[]) => ps.every((p) => p === "$.failure.Error"));
    }
  });

  it("builds both stores from one skeleton: the same states and transitions, s3 adding only its `applied` checks", function () {
    const dynamodb = build("dynamodb");
    const s3 = build("s3");
    const extra = Object.keys(s3.States).filter((s) => !(s in dynamodb.States));
    // Its Choices need a state to end in (Recorded); store dynamodb's writes end the execution.
    expect(extra.sort()).to.deep.equal([...RECORD_STATES.map(appliedChoiceName), STATE.Recorded].sort());
    expect(Object.keys(dynamodb.States).filter((s) => !(s in s3.States))).to.deep.equal([]);
    for (const s of Object.keys(dynamodb.States)) expect(s3.States[s].Type, s).to.equal(dynamodb.States[s].Type);
    expect(foldAppliedChoices(s3).map((e) => e.replace(` -> ${STATE.Recorded}`, " -> (end)")).sort()).to.deep.equal(edges(dynamodb));
    // The parts that do not depend on the store are identical.
    for (const s of [STATE.RunJob, STATE.CheckOutcome, STATE.InvalidOutcome, STATE.Discarded, STATE.RecordingFailed]) {
      expect(s3.States[s], s).to.deep.equal(dynamodb.States[s]);
    }
  });

  it("chooses the record state by outcome, and anything unexpected goes to InvalidOutcome", function () {
    const choice = build("dynamodb").States[STATE.CheckOutcome] as AslState & Record<string, any>;
    expect(choice.Choices.map((c: any) => c.Next)).to.deep.equal([STATE.RecordSucceededInline, STATE.RecordSucceededRef, STATE.RecordFailed, STATE.RecordTimedOut, STATE.Discarded]);
    expect(choice.Default).to.equal(STATE.InvalidOutcome);
    expect((build("dynamodb").States[STATE.InvalidOutcome] as any).Next).to.equal(STATE.RecordCrashed);
  });

  // https://aws.amazon.com/step-functions/pricing/: each state entered is a billed transition.
  it("store dynamodb ends with the outcome's write (End, no Succeed state after it: one transition fewer)", function () {
    const d = build("dynamodb");
    expect(d.States).not.to.have.property(STATE.Recorded);
    for (const s of [STATE.RecordSucceededInline, STATE.RecordSucceededRef, STATE.RecordFailed, STATE.RecordTimedOut, STATE.RecordCrashed]) {
      expect(d.States[s], s).to.include({ End: true });
      expect(d.States[s], s).not.to.have.property("Next");
    }
    expect((d.States[STATE.MarkRunning] as AslState & Record<string, any>).Next).to.equal(STATE.RunJob);
  });

  it("ends in Recorded (store s3), Discarded (both Succeed) or RecordingFailed (Fail)", function () {
    const d = build("s3");
    expect(d.States[STATE.Recorded]).to.include({ Type: "Succeed" });
    expect(d.States[STATE.Discarded]).to.include({ Type: "Succeed" });
    expect(d.States[STATE.RecordingFailed]).to.include({ Type: "Fail", Error: "RecordingFailed" });
  });

  describe("execution timeout", function () {
    it("STANDARD: jobTimeoutSeconds + 300 as a backstop", function () {
      expect(build("dynamodb", { jobTimeoutSeconds: 900 }).TimeoutSeconds).to.equal(1200);
      expect(build("s3", { jobTimeoutSeconds: 1 }).TimeoutSeconds).to.equal(301);
    });

    // AWS, "Choosing workflow type in Step Functions": an Express workflow runs at most 5 minutes.
    it("EXPRESS: never beyond the 300 seconds Express allows, with the worker and the recording of the outcome inside them", function () {
      expect(build("dynamodb", { workflowType: "EXPRESS", jobTimeoutSeconds: 60 }).TimeoutSeconds).to.equal(300);
      const longest = build("s3", { workflowType: "EXPRESS", jobTimeoutSeconds: MAX_EXPRESS_JOB_TIMEOUT_SECONDS });
      expect(MAX_EXPRESS_JOB_TIMEOUT_SECONDS).to.equal(240);
      expect(longest.TimeoutSeconds).to.equal(300);
      const runJob = (longest.States[STATE.RunJob] as AslTaskState).TimeoutSeconds!;
      expect(runJob + EXPRESS_RECORDING_SECONDS, "RunJob, then MarkRunning and the outcome's write with their retries (1+2+4+8 s each)").to.be.at.most(300);
      expect(() => build("s3", { workflowType: "EXPRESS", jobTimeoutSeconds: MAX_EXPRESS_JOB_TIMEOUT_SECONDS + 1 })).to.throw(/at most 240/);
      expect(EXPRESS_RECORDING_SECONDS).to.be.at.least(2 * (1 + 2 + 4 + 8));
    });
  });

  describe("arguments that cannot work", function () {
    const base: StateMachineDefinitionArgs = { store: "dynamodb", workerFunctionArn: WORKER_ARN, tableName: TABLE, jobTimeoutSeconds: 60, workflowType: "STANDARD" };
    const cases: Array<[string, Partial<StateMachineDefinitionArgs>, RegExp]> = [
      ["dynamodb without tableName", { tableName: undefined }, /store dynamodb needs tableName/],
      ["dynamodb with an empty tableName", { tableName: "" }, /store dynamodb needs tableName/],
      ["s3 without recorderFunctionArn", { store: "s3", tableName: undefined }, /store s3 needs recorderFunctionArn/],
      ["both tableName and recorderFunctionArn", { recorderFunctionArn: RECORDER_ARN }, /not both/],
      ["both, with store s3", { store: "s3", recorderFunctionArn: RECORDER_ARN }, /not both/],
      ["no worker", { workerFunctionArn: "" }, /give workerFunctionArn \(a Lambda worker\) or fargateTask \(an ECS task\), exactly one/],
      ["jobTimeoutSeconds 0", { jobTimeoutSeconds: 0 }, /jobTimeoutSeconds must be an integer from 1 to 900/],
      ["jobTimeoutSeconds 901", { jobTimeoutSeconds: 901 }, /jobTimeoutSeconds must be an integer from 1 to 900/],
      ["jobTimeoutSeconds 1.5", { jobTimeoutSeconds: 1.5 }, /jobTimeoutSeconds must be an integer/],
      ["EXPRESS with jobTimeoutSeconds 301", { workflowType: "EXPRESS", jobTimeoutSeconds: 301 }, /Express workflows stop at 5 minutes/],
      ["EXPRESS with jobTimeoutSeconds 241 (no time left to record the outcome)", { workflowType: "EXPRESS", jobTimeoutSeconds: 241 }, /a jobTimeoutSeconds of at most 240/],
      ["an unknown store", { store: "redis" as never }, /store must be "dynamodb" or "s3"/],
      ["an unknown workflowType", { workflowType: "FAST" as never }, /workflowType must be "STANDARD" or "EXPRESS"/],
      ["a negative retry count", { workerRetry: { maxAttempts: -1, intervalSeconds: 1, backoffRate: 2 } }, /maxAttempts/],
      ["a zero retry interval", { workerRetry: { maxAttempts: 1, intervalSeconds: 0, backoffRate: 2 } }, /intervalSeconds/],
      ["a backoff below 1", { workerRetry: { maxAttempts: 1, intervalSeconds: 1, backoffRate: 0.5 } }, /backoffRate/],
    ];
    for (const [what, overrides, message] of cases) {
      it(`throws for ${what}`, function () {
        expect(() => buildStateMachineDefinition({ ...base, ...overrides })).to.throw(message);
      });
    }

    it("accepts the limits themselves", function () {
      expect(() => buildStateMachineDefinition({ ...base, jobTimeoutSeconds: 900 })).not.to.throw();
      expect(() => buildStateMachineDefinition({ ...base, jobTimeoutSeconds: 1 })).not.to.throw();
      expect(() => buildStateMachineDefinition({ ...base, workflowType: "EXPRESS", jobTimeoutSeconds: 240 })).not.to.throw();
      expect(() => buildStateMachineDefinition({ ...base, workerRetry: { maxAttempts: 0, intervalSeconds: 1, backoffRate: 1 } })).not.to.throw();
    });
  });
});
