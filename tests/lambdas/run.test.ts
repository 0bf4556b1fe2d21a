import { expect } from "chai";
import { runJob } from "../../lambdas/worker/run";
import type { JobDefinition } from "../../lambdas/jobs/types";

const echo = { name: "echo", run: async (input: unknown) => input } as unknown as JobDefinition;

describe("lambdas/worker/run: the stored input", () => {
  it("parses the stored input, a UTF-8 byte order mark before it included (the stream backend stores the body as sent)", async () => {
    expect(await runJob(echo, "j", '{"seconds":1}', 1000)).to.deep.include({ kind: "succeeded" });
    const withBom = await runJob(echo, "j", '\uFEFF{"seconds":1}', 1000);
    expect(withBom).to.deep.include({ kind: "succeeded" });
    expect((withBom as { value?: unknown }).value).to.deep.equal({ seconds: 1 });
  });

  it("fails a job whose stored input is not JSON with InvalidInput, without running it", async () => {
    let ran = false;
    const job = { name: "x", run: async () => ((ran = true), 1) } as unknown as JobDefinition;
    for (const text of ['{"seconds":1} trailing', "", "{"]) {
      expect(await runJob(job, "j", text, 1000), JSON.stringify(text)).to.deep.equal({ kind: "failed", error: { code: "InvalidInput", message: "The job's stored input is not valid JSON." } });
    }
    expect(ran).to.equal(false);
  });
});
