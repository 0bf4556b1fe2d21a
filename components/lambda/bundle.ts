import * as path from "path";
import * as esbuild from "esbuild";
import { cachedBuild } from "./bundleCache";

/** A module import used as a factory argument: `{ module, exportName }` becomes `import x from ...`. */
export interface ModuleRef {
  /** Absolute path of the module (TypeScript or JavaScript). */
  module: string;
  /** The export to use. @default "default" */
  exportName?: string;
}

/**
 * What to bundle: a handler module's factory, called with arguments at cold start. The generated
 * entry is `export const handler = factory(...args)`.
 */
export interface HandlerSpec {
  /** Absolute path of the module that exports the factory. */
  module: string;
  /** Name of the exported factory, e.g. `createSubmitHandler`. */
  factory: string;
  /** JSON values are inlined; `ModuleRef`s are imported. */
  args?: (ModuleRef | { json: unknown })[];
}

const ROOT = path.resolve(__dirname, "..", "..");

/**
 * One minified CommonJS file for Node.js 22 from an entry's source, resolved from the project;
 * from the bundle cache when none of its inputs changed (bundleCache.ts).
 */
function build(contents: string, sourcefile: string, external: string[]): string {
  const key = JSON.stringify({ esbuild: esbuild.version, contents, sourcefile, external });
  return cachedBuild(ROOT, key, () => {
    const result = esbuild.buildSync({
      stdin: { contents, resolveDir: ROOT, sourcefile, loader: "ts" },
      absWorkingDir: ROOT,
      bundle: true,
      platform: "node",
      target: "node22",
      format: "cjs",
      minify: true,
      legalComments: "none",
      external,
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    // The entry itself is stdin (named `sourcefile`): its contents are part of the key.
    const inputs = Object.keys(result.metafile.inputs)
      .filter((input) => input !== sourcefile && !input.startsWith("<stdin>"))
      .map((input) => path.resolve(ROOT, input));
    return { code: result.outputFiles[0].text, inputs };
  });
}
const cache = new Map<string, string>();

function isModuleRef(arg: ModuleRef | { json: unknown }): arg is ModuleRef {
  return "module" in arg;
}

/** The entry module's source for a handler spec. */
export function entrySource(spec: HandlerSpec): string {
  const lines = [`import { ${spec.factory} as factory } from ${JSON.stringify(spec.module)};`];
  const args = (spec.args ?? []).map((arg, i) => {
    if (!isModuleRef(arg)) return JSON.stringify(arg.json);
    const name = arg.exportName ?? "default";
    lines.push(
      name === "default"
        ? `import arg${i} from ${JSON.stringify(arg.module)};`
        : `import { ${name} as arg${i} } from ${JSON.stringify(arg.module)};`,
    );
    return `arg${i}`;
  });
  lines.push(`export const handler = factory(${args.join(", ")});`);
  return lines.join("\n");
}

/**
 * Bundles a program for a container: the handler spec's factory makes a `() => Promise<number>`,
 * which the entry runs and exits with. Everything is bundled, the AWS SDK included (a Node.js base
 * image has none).
 */
export function bundleProgram(spec: HandlerSpec): string {
  const key = `program:${JSON.stringify(spec)}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const contents = `${entrySource(spec)}
handler().then((code) => process.exit(code), (err) => { console.error(err); process.exit(1); });
// The program answers a stop itself (it tells whoever waits for it); exit anyway after 20 s, within
// ECS's default 30 s stopTimeout before SIGKILL.
for (const signal of ["SIGTERM", "SIGINT"]) process.once(signal, () => setTimeout(() => process.exit(143), 20000).unref());`;
  const code = build(contents, "container-entry.ts", []);
  cache.set(key, code);
  return code;
}

/**
 * Bundles a handler into one CommonJS file for the Node.js 22 Lambda runtime with esbuild, the AWS
 * SDK v3 included. The runtime's own SDK is "a specific minor version, not the latest" that AWS
 * updates on its own schedule, with no list of packages (AWS, "Building Lambda functions with
 * Node.js"); the S3 store's locking needs PutObject's IfMatch (SDK releases from late November
 * 2024), which an older SDK drops without an error. Bundled, the handlers run the SDK this
 * package's lock file names, tested here. Bundles are cached per spec for the life of the process. `external`: packages left out (bench/coldStart.ts measures the SDK left to the runtime).
 */
export function bundleHandler(spec: HandlerSpec, options: { external?: string[] } = {}): string {
  const external = options.external ?? [];
  const key = JSON.stringify({ spec, external });
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const code = build(entrySource(spec), "lambda-entry.ts", external);
  cache.set(key, code);
  return code;
}
