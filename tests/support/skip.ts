// The only way a test is skipped: on purpose, because the user asked by name (an environment
// variable), with the reason that `npm test` prints in its summary. A missing tool is never a
// reason to skip: it is a failure that names the command installing it (tests/support/tools.ts).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { recordSkipReason } = require("./summary") as { recordSkipReason(title: string, reason: string): void };

/** Skips the current test, or every test of the current suite from a `before` hook, saying why. */
export function skipBecause(ctx: Mocha.Context, reason: string): never {
  const runnable = ctx.currentTest ?? ctx.test;
  const suite = runnable?.parent;
  if ((runnable as { type?: string } | undefined)?.type === "hook" && suite) {
    // A skip in a before-all hook skips every test of the suite: give each one the reason.
    const each = (s: Mocha.Suite): void => {
      for (const t of s.tests) recordSkipReason(t.fullTitle(), reason);
      s.suites.forEach(each);
    };
    each(suite);
  } else if (runnable) {
    recordSkipReason(runnable.fullTitle(), reason);
  }
  ctx.skip();
  throw new Error("unreachable: ctx.skip() throws");
}
