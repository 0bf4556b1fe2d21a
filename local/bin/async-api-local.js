#!/usr/bin/env node
// The `async-api-local` command (package.json "bin"): the local cloud for the program in the
// current folder (its Pulumi.yaml and the program it names), with the same flags as `npm start`.
// The local cloud is TypeScript: the esbuild require hook (scripts/register-ts.js) loads it and
// the program.
"use strict";
require("../../scripts/register-ts.js");
require("../cli.ts").runAsMain();
