/**
 * A local cloud in a process of its own (`local/cli.ts`), for benches that run several side by
 * side: one program per process, since a process evaluates one Pulumi program.
 */
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");

export interface CloudProcess {
  outputs: Record<string, any>;
  apiUrl: string;
  /** The origin of the API (where `/__local/usage` is served). */
  origin: string;
  stop(): Promise<void>;
}

/** The clouds still running: stopped if the bench is interrupted, so that none outlives it. */
const running = new Set<ChildProcess>();
let handlersInstalled = false;

function stopRunningOnSignals(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      for (const child of running) child.kill("SIGTERM");
      setTimeout(() => process.exit(130), 5000).unref();
    });
  }
}

export async function startCloudProcess(config: string[], limitMs = 180_000): Promise<CloudProcess> {
  stopRunningOnSignals();
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "async-api-bench-"));
  const outputsFile = path.join(stateDir, "outputs.json");
  const args = ["-r", "./scripts/register-ts.js", "local/cli.ts", "--port", "0", "--outputs", outputsFile, "--state-dir", stateDir, "--quiet"];
  for (const c of config) args.push("--config", c);
  const child: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: "1" } });
  let printed = "";
  child.stdout!.on("data", (d) => (printed = (printed + d).slice(-4000)));
  child.stderr!.on("data", (d) => (printed = (printed + d).slice(-4000)));
  const cleanup = () => fs.rmSync(stateDir, { recursive: true, force: true });
  running.add(child);
  // The state goes with the process, however it ends.
  const exited = new Promise<void>((resolve) => child.once("exit", () => (running.delete(child), cleanup(), resolve())));
  const started = Date.now();
  while (!fs.existsSync(outputsFile)) {
    if (child.exitCode !== null || Date.now() - started > limitMs) {
      child.kill("SIGKILL");
      await exited;
      cleanup();
      throw new Error(`the local cloud (${config.join(" ")}) did not start:\n${printed}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const outputs = JSON.parse(fs.readFileSync(outputsFile, "utf8"));
  return {
    outputs,
    apiUrl: outputs.apiUrl,
    origin: new URL(outputs.apiUrl).origin,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
      cleanup();
    },
  };
}
