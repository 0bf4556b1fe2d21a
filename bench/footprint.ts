/*
 * `npm run bench:footprint`: what an application pulls in when it installs the client.
 *
 * Packs the async-api-client workspace (`npm pack -w client`), installs that tarball into an
 * empty folder from the npm registry (production dependencies only), and prints the packages and
 * megabytes that land in its node_modules. Target: no Pulumi, no esbuild, no emulator, under 10 MB.
 * Exits 1 when the target is missed.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
const LIMIT_MB = 10;
const FORBIDDEN = [/^@pulumi\//, /^pulumi$/, /^esbuild$/, /^@esbuild\//, /^dynalite$/, /^s3rver$/, /^aws-local-stepfunctions$/];

function sizeOf(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    total += entry.isDirectory() ? sizeOf(full) : fs.statSync(full).size;
  }
  return total;
}

/** Every installed package (scoped ones included), with its own size (without nested node_modules). */
function packages(modules: string): { name: string; bytes: number }[] {
  const found: { name: string; bytes: number }[] = [];
  if (!fs.existsSync(modules)) return found;
  for (const entry of fs.readdirSync(modules)) {
    if (entry.startsWith(".")) continue;
    const dirs = entry.startsWith("@") ? fs.readdirSync(path.join(modules, entry)).map((n) => `${entry}/${n}`) : [entry];
    for (const name of dirs) {
      const dir = path.join(modules, name);
      found.push({ name, bytes: sizeOf(dir) });
      found.push(...packages(path.join(dir, "node_modules")));
    }
  }
  return found;
}

function main(): void {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "async-api-footprint-"));
  try {
    const out = execFileSync("npm", ["pack", "-w", "client", "--json", "--pack-destination", work], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    const [info] = JSON.parse(out.slice(out.indexOf("["))) as { filename: string; size: number; entryCount: number }[];
    const app = path.join(work, "app");
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", private: true }));
    const started = Date.now();
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--omit=dev", path.join(work, info.filename)], { cwd: app, stdio: ["ignore", "ignore", "inherit"] });
    const installed = packages(path.join(app, "node_modules"));
    const bytes = installed.reduce((sum, p) => sum + p.bytes, 0);
    const mb = bytes / 1024 / 1024;
    const forbidden = installed.filter((p) => FORBIDDEN.some((f) => f.test(p.name)));
    console.log(`async-api-client: tarball ${(info.size / 1024).toFixed(1)} KiB, ${info.entryCount} files; installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log(`${installed.length} packages, ${mb.toFixed(2)} MB in node_modules (target: under ${LIMIT_MB} MB, no Pulumi, no esbuild, no emulator)\n`);
    for (const p of installed.sort((a, b) => b.bytes - a.bytes).slice(0, 15)) console.log(`  ${(p.bytes / 1024).toFixed(0).padStart(7)} KiB  ${p.name}`);
    if (installed.length > 15) console.log(`  … and ${installed.length - 15} smaller packages`);
    // It works as installed: the library loads, the command runs.
    const loaded = execFileSync(process.execPath, ["-e", "const c = require('async-api-client'); console.log(typeof c.AsyncApiClient)"], { cwd: app, encoding: "utf8" }).trim();
    const help = execFileSync("npx", ["--no-install", "async-api", "--help"], { cwd: app, encoding: "utf8" });
    console.log(`\nrequire('async-api-client').AsyncApiClient: ${loaded}; npx async-api --help: ${help.split("\n")[0]}`);
    const ok = mb < LIMIT_MB && forbidden.length === 0 && loaded === "function";
    console.log(`\n${ok ? "OK" : "MISSED"}: ${mb.toFixed(2)} MB${forbidden.length ? `; forbidden: ${forbidden.map((p) => p.name).join(", ")}` : ""}`);
    process.exitCode = ok ? 0 : 1;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main();
