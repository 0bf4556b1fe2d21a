// Loaded once per mocha process (.mocharc.json): Pulumi's `setMocks` is process-global, so it is
// set here, before any test builds a resource.
import * as pulumi from "@pulumi/pulumi";
import { mocks } from "./mocks";

// The AWS SDK warns once per process that Node 20 support ends in 2027 (Node 20 is this project's floor).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    await pulumi.runtime.setMocks(mocks, "async-api", "test", false);
  },
};
