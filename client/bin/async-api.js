#!/usr/bin/env node
// The `async-api` command (package.json "bin"). The package is TypeScript, so this shim registers
// the project's esbuild require hook (scripts/register-ts.js: strips types, no type-check, fast
// start) and runs client/cli.ts.
"use strict";
require("../../scripts/register-ts.js");
require("../cli.ts").runAsMain(process.argv.slice(2));
