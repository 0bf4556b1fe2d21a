// A require hook for TypeScript that only strips types, with esbuild (already a dependency, for the
// Lambda bundles): the tests, `npm start` and the local clouds the tests start load in about half
// the time and a third of the CPU that ts-node's transpiler takes. Type checking is `npm run
// typecheck`'s job (`npm test` runs it first).
//   node -r ./scripts/register-ts.js local/cli.ts
"use strict";
const fs = require("node:fs");
const esbuild = require("esbuild");

process.setSourceMapsEnabled(true);

require.extensions[".ts"] = function compileTypeScript(module, filename) {
  const { code } = esbuild.transformSync(fs.readFileSync(filename, "utf8"), {
    loader: "ts",
    format: "cjs",
    target: "node20",
    // `await import("./x")` becomes a require, as tsc does for CommonJS (Node's own import() would
    // take the ES module path, which neither resolves extensionless paths nor folders).
    supported: { "dynamic-import": false },
    sourcemap: "inline",
    sourcefile: filename,
  });
  module._compile(code, filename);
};
