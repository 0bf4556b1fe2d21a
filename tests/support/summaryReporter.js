// Mocha's spec output, then what a run needs to be read at a glance: every skipped test with its
// reason, the ten slowest tests, and a closing "N passed, N failed" line (which CI reads to tell a
// run that executed no test from a green one).
//
// Under `npm test` (tests/support/runTests.ts sets ASYNC_API_TEST_SUMMARY to a file), the summary
// is written there as JSON instead: the runner adds its own check (nothing left behind) and prints
// the closing line itself, after every other line.
"use strict";
const fs = require("node:fs");
const Mocha = require("mocha");
const { EVENT_RUN_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } = Mocha.Runner.constants;
const { readSkipReasons, printSummary } = require("./summary");

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const timed = [];
    const skipped = [];
    const record = (test) => timed.push({ title: test.fullTitle(), file: test.file, ms: test.duration || 0 });
    runner.on(EVENT_TEST_PASS, record);
    runner.on(EVENT_TEST_FAIL, (test) => {
      if (test.type === "test") record(test);
    });
    runner.on(EVENT_TEST_PENDING, (test) => skipped.push({ title: test.fullTitle(), file: test.file }));
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats || {};
      const reasons = readSkipReasons();
      const summary = {
        passed: s.passes || 0,
        failed: s.failures || 0,
        skipped: skipped.map((t) => ({ ...t, reason: reasons.get(t.title) ?? "no reason given (it.skip or this.skip without skipBecause)" })),
        slowest: timed.sort((a, b) => b.ms - a.ms).slice(0, 10),
      };
      const file = process.env.ASYNC_API_TEST_SUMMARY;
      if (file) fs.writeFileSync(file, JSON.stringify(summary));
      else printSummary(summary, (line) => process.stdout.write(`${line}\n`));
    });
  }
}
module.exports = SummaryReporter;
