// What API Gateway's REST import does not support (AWS, "Amazon API Gateway important notes for
// REST APIs"), found in the document, so that `pulumi up` reports it instead of rolling back the
// import on a warning (failOnWarnings is off: "Errors and warnings from importing your API into
// API Gateway": with failonwarnings the updates are rolled back on any warning).
import { expect } from "chai";
import { describeImportLimits, importLimits } from "../../../components/api/importLimits";
import { timerJob } from "../../../lambdas/jobs/timer";
import { build } from "./fixtures";

describe("components/api import limits", () => {
  it("finds each documented unsupported keyword in a job's schema, with where it is", () => {
    const doc = build({
      jobSchema: {
        type: "object",
        properties: {
          a: { type: "number", exclusiveMinimum: true, minimum: 0, format: "int64" },
          b: { oneOf: [{ type: "string" }, { type: "number" }] },
          c: { type: "string", readOnly: true, example: "x" },
          d: { anyOf: [{ type: "string" }] },
          e: { type: "string", enum: ["oneOf", "example"] },
          f: { type: "array", items: { type: "string" }, minItems: 1, maxItems: 5, default: ["x"] },
          // A property may be called like a keyword: only its schema is looked at.
          default: { type: "string" },
        },
        additionalProperties: false,
      },
    });
    const found = importLimits(doc as unknown as Record<string, unknown>).map((l) => `${l.feature} ${l.pointer.replace(/^\/components\/schemas\/[^/]+/, "#")}`);
    expect(found).to.have.members([
      "additionalProperties #/additionalProperties",
      "exclusiveMinimum #/properties/a/exclusiveMinimum",
      "format int64 #/properties/a/format",
      "oneOf #/properties/b/oneOf",
      "readOnly #/properties/c/readOnly",
      "example #/properties/c/example",
      "anyOf #/properties/d/anyOf",
      "minItems #/properties/f/minItems",
      "maxItems #/properties/f/maxItems",
      "default #/properties/f/default",
    ]);
  });

  it("says nothing for a schema within what the import supports: the stack's own models (Job, Error…) hold none of them", () => {
    const doc = build({ jobSchema: { type: "object", properties: { seconds: { type: "number", minimum: 0 } }, required: ["seconds"] } });
    expect(importLimits(doc as unknown as Record<string, unknown>)).to.deep.equal([]);
    expect(describeImportLimits([], true)).to.equal(undefined);
    // The demo timer's "no other properties" is the one feature the report names for it.
    expect(importLimits(build({ jobSchema: timerJob.schema as Record<string, unknown> }) as unknown as Record<string, unknown>).map((l) => l.feature)).to.deep.equal(["additionalProperties"]);
  });

  it("words the report for each backend: only stream's gateway validates the body with the model", () => {
    const limits = [{ pointer: "/components/schemas/JobInput/additionalProperties", feature: "additionalProperties" }];
    expect(describeImportLimits(limits, true)).to.match(/additionalProperties at \/components\/schemas\/JobInput\/additionalProperties.*backend stream.*may not enforce/);
    expect(describeImportLimits(limits, false)).to.match(/submit function validates the input with the full schema/);
  });
});
