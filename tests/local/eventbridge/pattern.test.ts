import { expect } from "chai";
import { executionFailurePattern, workerFailurePattern } from "../../../components/events/failureEvents";
import { InvalidEventPattern, matchesPattern, parsePattern } from "../../../local/aws/eventbridge/pattern";

const event = {
  version: "0",
  id: "e1",
  "detail-type": "Order Placed",
  source: "shop.orders",
  account: "000000000000",
  time: "2026-03-01T12:00:00Z",
  region: "us-east-1",
  resources: ["arn:aws:s3:::a", "arn:aws:s3:::b"],
  detail: {
    id: "ord-1234",
    status: "PAID",
    amount: 250.5,
    count: 3,
    flag: false,
    nothing: null,
    ip: "10.0.3.7",
    customer: { tier: "gold", email: "Ann@Example.com" },
    items: [{ sku: "A-1", qty: 2 }, { sku: "B-2", qty: 1 }],
    tags: ["red", "big"],
  },
};

const match = (pattern: object) => matchesPattern(parsePattern(pattern), event);

describe("local/aws/eventbridge pattern matching", () => {
  it("matches exact values: strings, numbers by value, booleans, null; any element of an event array", () => {
    expect(match({ source: ["shop.orders"] })).to.equal(true);
    expect(match({ source: ["shop.returns"] })).to.equal(false);
    expect(match({ source: ["shop.returns", "shop.orders"] }), "OR within an array").to.equal(true);
    expect(match({ source: ["shop.orders"], "detail-type": ["Order Shipped"] }), "AND across keys").to.equal(false);
    expect(match({ detail: { count: [3] } })).to.equal(true);
    expect(match({ detail: { count: [3.0] } })).to.equal(true);
    expect(match({ detail: { count: ["3"] } }), "a string does not equal a number").to.equal(false);
    expect(match({ detail: { flag: [false] } })).to.equal(true);
    expect(match({ detail: { nothing: [null] } })).to.equal(true);
    expect(match({ detail: { status: [null] } })).to.equal(false);
    expect(match({ resources: ["arn:aws:s3:::b"] })).to.equal(true);
    expect(match({ detail: { tags: ["big"] } })).to.equal(true);
  });

  it("matches nested objects, and objects inside event arrays", () => {
    expect(match({ detail: { customer: { tier: ["gold"] } } })).to.equal(true);
    expect(match({ detail: { customer: { tier: ["silver"] } } })).to.equal(false);
    expect(match({ detail: { items: { sku: ["B-2"] } } })).to.equal(true);
    expect(match({ detail: { missing: { x: ["y"] } } })).to.equal(false);
    expect(match({ detail: { status: { x: ["y"] } } }), "a nested pattern on a leaf").to.equal(false);
  });

  it("prefix, suffix (also ignoring case), equals-ignore-case, wildcard", () => {
    expect(match({ detail: { id: [{ prefix: "ord-" }] } })).to.equal(true);
    expect(match({ detail: { id: [{ prefix: "ORD-" }] } })).to.equal(false);
    expect(match({ detail: { id: [{ prefix: { "equals-ignore-case": "ORD-" } }] } })).to.equal(true);
    expect(match({ detail: { id: [{ suffix: "34" }] } })).to.equal(true);
    expect(match({ detail: { customer: { email: [{ suffix: { "equals-ignore-case": "@EXAMPLE.COM" } }] } } })).to.equal(true);
    expect(match({ detail: { customer: { email: [{ "equals-ignore-case": "ann@example.com" }] } } })).to.equal(true);
    expect(match({ detail: { id: [{ wildcard: "ord-*4" }] } })).to.equal(true);
    expect(match({ detail: { id: [{ wildcard: "ord-*5" }] } })).to.equal(false);
    expect(match({ detail: { count: [{ prefix: "3" }] } }), "prefix applies to strings only").to.equal(false);
  });

  it("anything-but: a value, a list, a prefix, a suffix, ignoring case; never an absent field", () => {
    expect(match({ detail: { status: [{ "anything-but": "CANCELLED" }] } })).to.equal(true);
    expect(match({ detail: { status: [{ "anything-but": ["PAID", "CANCELLED"] }] } })).to.equal(false);
    expect(match({ detail: { count: [{ "anything-but": [1, 2] }] } })).to.equal(true);
    expect(match({ detail: { id: [{ "anything-but": { prefix: "ord-" } }] } })).to.equal(false);
    expect(match({ detail: { id: [{ "anything-but": { suffix: "99" } }] } })).to.equal(true);
    expect(match({ detail: { status: [{ "anything-but": { "equals-ignore-case": "paid" } }] } })).to.equal(false);
    expect(match({ detail: { absent: [{ "anything-but": "x" }] } })).to.equal(false);
  });

  it("exists: true on a present leaf, false on an absent field (and only then)", () => {
    expect(match({ detail: { status: [{ exists: true }] } })).to.equal(true);
    expect(match({ detail: { absent: [{ exists: true }] } })).to.equal(false);
    expect(match({ detail: { absent: [{ exists: false }] } })).to.equal(true);
    expect(match({ detail: { status: [{ exists: false }] } })).to.equal(false);
    expect(match({ detail: { status: ["X", { exists: false }] } })).to.equal(false);
    expect(match({ detail: { absent: ["X", { exists: false }] } })).to.equal(true);
    expect(match({ detail: { nothing: [{ exists: true }] } }), "a null value exists").to.equal(true);
  });

  it("numeric ranges, cidr", () => {
    expect(match({ detail: { amount: [{ numeric: [">", 100] }] } })).to.equal(true);
    expect(match({ detail: { amount: [{ numeric: [">", 100, "<=", 250.5] }] } })).to.equal(true);
    expect(match({ detail: { amount: [{ numeric: [">", 100, "<", 250.5] }] } })).to.equal(false);
    expect(match({ detail: { count: [{ numeric: ["=", 3] }] } })).to.equal(true);
    expect(match({ detail: { id: [{ numeric: [">", 0] }] } }), "numeric applies to numbers only").to.equal(false);
    expect(match({ detail: { ip: [{ cidr: "10.0.0.0/16" }] } })).to.equal(true);
    expect(match({ detail: { ip: [{ cidr: "10.1.0.0/16" }] } })).to.equal(false);
  });

  it("$or between sub-patterns", () => {
    expect(match({ detail: { $or: [{ status: ["REFUNDED"] }, { count: [{ numeric: [">=", 3] }] }] } })).to.equal(true);
    expect(match({ $or: [{ source: ["x"] }, { "detail-type": ["y"] }] })).to.equal(false);
    expect(match({ source: ["shop.orders"], $or: [{ detail: { status: ["PAID"] } }, { detail: { status: ["NEW"] } }] })).to.equal(true);
  });

  it("refuses patterns EventBridge refuses, with its exception name", () => {
    const bad: unknown[] = [
      "not json",
      [],
      {},
      { source: "shop.orders" },
      { source: [] },
      { detail: {} },
      { source: [{ prefix: 1 }] },
      { source: [{ unknown: "x" }] },
      { source: [{ prefix: "a", suffix: "b" }] },
      { detail: { n: [{ numeric: ["~", 1] }] } },
      { detail: { n: [{ numeric: [">", "1"] }] } },
      { detail: { n: [{ exists: "yes" }] } },
      { detail: { n: [{ "anything-but": { exists: true } }] } },
      { $or: [{ source: ["a"] }] },
      { source: [["nested"]] },
    ];
    for (const p of bad) {
      let error: unknown;
      try {
        parsePattern(p as never);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(p)).to.be.instanceOf(InvalidEventPattern);
      expect((error as Error).name).to.equal("InvalidEventPatternException");
      expect((error as Error).message).to.match(/^Event pattern is not valid\. Reason: /);
    }
  });

  describe("the program's patterns", () => {
    const worker = "arn:aws:lambda:us-east-1:000000000000:function:jobs-worker-function-abc1234";
    const destinationEvent = (functionArn: string, detailType = "Lambda Function Invocation Result - Failure") => ({
      source: "lambda",
      "detail-type": detailType,
      detail: { requestContext: { functionArn, condition: "RetriesExhausted" }, requestPayload: { jobId: "j" } },
    });
    const sm = "arn:aws:states:us-east-1:000000000000:stateMachine:jobs-workflow-state-machine-abc1234";
    const statusEvent = (status: string, stateMachineArn = sm) => ({
      source: "aws.states",
      "detail-type": "Step Functions Execution Status Change",
      detail: { stateMachineArn, status, name: "j" },
    });

    it("the worker's failures: any version of this function, failures only", () => {
      const p = parsePattern(workerFailurePattern(worker));
      expect(matchesPattern(p, destinationEvent(`${worker}:$LATEST`))).to.equal(true);
      expect(matchesPattern(p, destinationEvent(`${worker}:7`))).to.equal(true);
      expect(matchesPattern(p, destinationEvent(`${worker}-other:$LATEST`)), "a function whose name starts the same").to.equal(false);
      expect(matchesPattern(p, destinationEvent(`${worker}:$LATEST`, "Lambda Function Invocation Result - Success"))).to.equal(false);
      expect(() => workerFailurePattern(`${worker}:$LATEST`)).to.throw(/unqualified/);
    });

    it("the state machine's executions that ended FAILED, TIMED_OUT or ABORTED", () => {
      const p = parsePattern(executionFailurePattern(sm));
      for (const s of ["FAILED", "TIMED_OUT", "ABORTED"]) expect(matchesPattern(p, statusEvent(s)), s).to.equal(true);
      for (const s of ["RUNNING", "SUCCEEDED", "PENDING_REDRIVE"]) expect(matchesPattern(p, statusEvent(s)), s).to.equal(false);
      expect(matchesPattern(p, statusEvent("FAILED", `${sm}-other`))).to.equal(false);
    });
  });
});
