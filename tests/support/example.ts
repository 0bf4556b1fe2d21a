/*
 * An example program (examples/<name>) installed the way a user installs this package: from the
 * tarball `npm pack` makes, so what the example sees is exactly the published file list. The
 * tarball is unpacked into the example's node_modules/async-api, as `npm install <tarball>` does;
 * its dependencies resolve from this repository's node_modules, which is where the copy lives
 * (under .async-api/, ignored by git), so no registry is needed.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { tempDir } from "./tmp";

const ROOT = path.resolve(__dirname, "..", "..");

let packed: { tarball: string; files: string[] } | undefined;

/** `npm pack` of this package (its `prepare` builds dist/): the tarball and its file list. */
export function packThisPackage(): { tarball: string; files: string[] } {
  if (packed) return packed;
  const dest = tempDir("pack-");
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", dest], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const [info] = JSON.parse(out.slice(out.indexOf("["))) as { filename: string; files: { path: string }[] }[];
  packed = { tarball: path.join(dest, info.filename), files: info.files.map((f) => f.path).sort() };
  return packed;
}

export interface InstalledExample {
  /** The example's folder (a copy). */
  dir: string;
  remove(): void;
}

/** A copy of examples/<name> with this package installed from its tarball. */
export function installExample(name: string): InstalledExample {
  const { tarball } = packThisPackage();
  const base = path.join(ROOT, ".async-api", `examples-${process.pid}-${Date.now()}`);
  const dir = path.join(base, name);
  fs.cpSync(path.join(ROOT, "examples", name), dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`) && !src.endsWith(".tgz") });
  const target = path.join(dir, "node_modules", "async-api");
  fs.mkdirSync(target, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", target, "--strip-components=1"]);
  // The package's commands, linked as npm links them.
  const pkg = JSON.parse(fs.readFileSync(path.join(target, "package.json"), "utf8")) as { bin?: Record<string, string> };
  const bin = path.join(dir, "node_modules", ".bin");
  fs.mkdirSync(bin, { recursive: true });
  for (const [command, file] of Object.entries(pkg.bin ?? {})) fs.symlinkSync(path.join("..", "async-api", file), path.join(bin, command));
  return { dir, remove: () => fs.rmSync(base, { recursive: true, force: true }) };
}
