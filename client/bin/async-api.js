#!/usr/bin/env node
// The `async-api` command (package.json "bin"). The package is TypeScript, so this shim registers
// ts-node in transpile-only mode (no type-check: fast) and runs client/cli.ts.
"use strict";
const path = require("path");

require("ts-node").register({
  transpileOnly: true,
  project: path.join(__dirname, "..", "..", "tsconfig.json"),
});
require("../cli.ts").runAsMain(process.argv.slice(2));
