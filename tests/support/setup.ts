// Loaded once per mocha process (.mocharc.json): Pulumi's `setMocks` is process-global, so it is
// set here, before any test builds a resource. In parallel mode (`npm test`) each file runs in a
// worker process and these root hooks run around each file, which also times the file.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { mocks } from "./mocks";
import { removeTempDirs } from "./tmp";

// The AWS SDK warns once per process that Node 20 support ends in 2027 (Node 20 is this project's floor).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const ROOT = path.resolve(__dirname, "..", "..");
let fileStarted = 0;

/** The file whose tests this root hook surrounds (parallel mode: one file per root suite). */
function fileOf(ctx: Mocha.Context): string | undefined {
  const root = ctx.test?.parent;
  const file = root?.file ?? root?.suites.find((s) => s.file)?.file;
  return file ? path.relative(ROOT, file) : undefined;
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    fileStarted = Date.now();
    await pulumi.runtime.setMocks(mocks, "async-api", "test", false);
  },
  afterAll(this: Mocha.Context) {
    removeTempDirs();
    const out = process.env.ASYNC_API_TEST_TIMINGS;
    const file = fileOf(this);
    if (out && file) fs.appendFileSync(out, `${JSON.stringify({ file, ms: Date.now() - fileStarted })}\n`);
  },
};
