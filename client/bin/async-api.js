#!/usr/bin/env node
// The `async-api` command. Installed (the async-api-client package), it runs the compiled CLI;
// in the async-api repository, it runs client/cli.ts through the project's esbuild require hook
// (scripts/register-ts.js: strips types, fast start), so a change needs no build.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const hook = path.join(__dirname, "..", "..", "scripts", "register-ts.js");
if (fs.existsSync(hook) && fs.existsSync(path.join(__dirname, "..", "cli.ts"))) {
  require(hook);
  require("../cli.ts").runAsMain(process.argv.slice(2));
} else {
  require("../dist/cli.js").runAsMain(process.argv.slice(2));
}
