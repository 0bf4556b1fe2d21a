// Loaded once per mocha process (.mocharc.json): Pulumi's `setMocks` is process-global, so it is
// set here, before any test builds a resource.
import * as pulumi from "@pulumi/pulumi";
import { mocks } from "./mocks";

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    await pulumi.runtime.setMocks(mocks, "async-api", "test", false);
  },
};
