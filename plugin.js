// The component provider that `pulumi package add` runs for other languages (PulumiPlugin.yaml):
// Pulumi's Node.js host requires this folder, i.e. package.json's "main". It serves AsyncApi only;
// its schema is inferred from the TypeScript of AsyncApiArgs (@pulumi/pulumi's component analyzer).
// npm consumers never load this file: package.json's "exports" sends them to dist/components.
"use strict";
const { componentProviderHost } = require("@pulumi/pulumi/provider/experimental");
const { AsyncApi } = require("./dist/components");

componentProviderHost({ components: [AsyncApi], name: "async-api", dirname: __dirname });
