// The closing summary of a test run, shared by the mocha reporter (a plain `mocha` run) and the
// runner behind `npm test`: skipped tests with their reasons, the ten slowest tests, and the last
// line, "N passed, N failed[, N skipped]".
"use strict";
const fs = require("node:fs");

/** Where a skip's reason goes: a file under `npm test` (mocha's workers are separate processes), else this process. */
const inProcess = new Map();

/** Remembers why the test `title` (its full title) was skipped. */
function recordSkipReason(title, reason) {
  const file = process.env.ASYNC_API_TEST_SKIPS;
  if (file) fs.appendFileSync(file, `${JSON.stringify({ title, reason })}\n`);
  else inProcess.set(title, reason);
}

/** Every recorded reason, by full title. */
function readSkipReasons() {
  const reasons = new Map(inProcess);
  const file = process.env.ASYNC_API_TEST_SKIPS;
  if (file && fs.existsSync(file)) {
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      if (!line.trim()) continue;
      const { title, reason } = JSON.parse(line);
      reasons.set(title, reason);
    }
  }
  return reasons;
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Prints `summary` ({passed, failed, skipped: [{title, reason}], slowest: [{title, file, ms}]}),
 * plus `extraFailures` (checks of the runner's own, each a line), the closing line last.
 */
function printSummary(summary, print, extraFailures = []) {
  print("");
  if (summary.slowest.length > 0) {
    print("The ten slowest tests:");
    for (const t of summary.slowest) print(`  ${seconds(t.ms).padStart(7)}  ${t.title}`);
    print("");
  }
  print(`${summary.skipped.length} skipped${summary.skipped.length ? ":" : "."}`);
  for (const t of summary.skipped) print(`  - ${t.title}: ${t.reason}`);
  for (const line of extraFailures) print(`FAILED: ${line}`);
  print("");
  const failed = summary.failed + extraFailures.length;
  print(`${summary.passed} passed, ${failed} failed${summary.skipped.length ? `, ${summary.skipped.length} skipped` : ""}`);
}

module.exports = { recordSkipReason, readSkipReasons, printSummary };
