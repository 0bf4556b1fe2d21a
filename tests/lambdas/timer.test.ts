import { expect } from "chai";
import { progressStepMs, timerJob } from "../../lambdas/jobs/timer";

// CONTRACT.md, "The demo job" and "Progress": the timer reports while it sleeps, often enough to
// show, seldom enough that a client waiting with long polls makes a handful of requests.
describe("lambdas/jobs/timer", () => {
  it("reports each second up to 5 s, then about a fifth of the job, at most each minute", () => {
    expect([1, 2.5, 5, 6, 10, 60, 300, 900].map(progressStepMs)).to.deep.equal([1000, 1000, 1000, 2000, 2000, 12000, 60000, 60000]);
  });

  it("reports its progress while it sleeps, none at the end (the result says it), and returns its message", async () => {
    const reports: { percent?: number; message?: string }[] = [];
    const out = await timerJob.run({ seconds: 2.2 }, { signal: new AbortController().signal, progress: (p: { percent?: number; message?: string }) => void reports.push(p) } as any);
    expect(reports).to.deep.equal([
      { percent: 45, message: "Slept 1 of 2.2 s" },
      { percent: 90, message: "Slept 2 of 2.2 s" },
    ]);
    expect(out).to.deep.equal({ message: "Done after 2.2 seconds" });
  });
});
