/**
 * A cache of esbuild bundles on disk, so that the Pulumi program (and each local cloud, which
 * evaluates it) bundles a handler once, not at every run. An entry holds the bundle and the size
 * and modification time of every file that went into it; any change to one of them (or to the
 * spec, or to esbuild's version) is a miss. Entries are written atomically (write, then rename),
 * so processes that bundle side by side never read half an entry.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

interface Entry {
  code: string;
  /** Absolute path → "size:mtimeMs" when built. */
  inputs: Record<string, string>;
}

const stamp = (file: string): string | undefined => {
  try {
    const s = fs.statSync(file);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return undefined;
  }
};

/**
 * The folder of the cache: `$ASYNC_API_BUNDLE_CACHE`, else `node_modules/.cache/async-api-bundles`
 * beside the package (this repository), else in the program's folder (the package installed there).
 */
function cacheDir(root: string): string | undefined {
  if (process.env.ASYNC_API_BUNDLE_CACHE === "off") return undefined;
  if (process.env.ASYNC_API_BUNDLE_CACHE) return process.env.ASYNC_API_BUNDLE_CACHE;
  for (const base of [root, process.cwd()]) {
    const modules = path.join(base, "node_modules");
    if (fs.existsSync(modules)) return path.join(modules, ".cache", "async-api-bundles");
  }
  return undefined;
}

/**
 * `build()`'s bundle for `key`, from the cache when none of its inputs changed since. `build`
 * returns the code and the absolute paths of its inputs.
 */
export function cachedBuild(root: string, key: string, build: () => { code: string; inputs: string[] }): string {
  const dir = cacheDir(root);
  const file = dir ? path.join(dir, `${createHash("sha256").update(key).digest("hex").slice(0, 32)}.json`) : undefined;
  if (file) {
    try {
      const entry = JSON.parse(fs.readFileSync(file, "utf8")) as Entry;
      if (Object.entries(entry.inputs).every(([input, was]) => stamp(input) === was)) return entry.code;
    } catch {
      // no entry, or an unreadable one: build
    }
  }
  const { code, inputs } = build();
  if (file && dir) {
    try {
      const entry: Entry = { code, inputs: Object.fromEntries(inputs.map((input) => [input, stamp(input) ?? "missing"])) };
      fs.mkdirSync(dir, { recursive: true });
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
      fs.writeFileSync(tmp, JSON.stringify(entry));
      fs.renameSync(tmp, file);
    } catch {
      // a read-only install: no cache, the bundle is still right
    }
  }
  return code;
}
