// The programs some tests drive besides Node (the AWS CLI, Chromium), found as a user's shell
// finds them. A missing one fails its test with the command that installs it: a test never skips
// itself because a tool is missing (`bash scripts/test.sh` installs both on a fresh machine).
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** The first executable `name` on `PATH`, as `command -v` would find it. */
export function onPath(name: string, pathVar = process.env.PATH ?? ""): string | undefined {
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export class MissingToolError extends Error {
  constructor(tool: string, variable: string, debianPackage: string) {
    super(
      `${tool} is needed by this test and was not found on PATH (nor at $${variable}). ` +
        `Install it with: sudo apt-get update && sudo apt-get install -y ${debianPackage} ` +
        `(or run \`bash scripts/test.sh\`, which installs what the tests need), or point ${variable} at it.`,
    );
    this.name = "MissingToolError";
  }
}

/** A tool named by its variable (a path), else found on PATH, else a `MissingToolError`. */
function findTool(names: string[], variable: string, tool: string, debianPackage: string): string {
  const given = process.env[variable];
  if (given) {
    if (fs.existsSync(given)) return given;
    throw new MissingToolError(tool, variable, debianPackage);
  }
  for (const name of names) {
    const found = onPath(name);
    if (found) return found;
  }
  throw new MissingToolError(tool, variable, debianPackage);
}

/** The AWS CLI: `$ASYNC_API_AWS_CLI`, else `aws` on PATH (v1 or v2). */
export const awsCliPath = (): string => findTool(["aws"], "ASYNC_API_AWS_CLI", "The AWS CLI (`aws`)", "awscli");

/** Chromium: `$ASYNC_API_CHROMIUM`, else `chromium` (Debian's package) on PATH. */
export const chromiumPath = (): string => findTool(["chromium", "chromium-browser"], "ASYNC_API_CHROMIUM", "Chromium", "chromium");

/**
 * Runs the AWS CLI against a local endpoint with throw-away credentials and no user config (so a
 * developer's profile, region or pager never changes what a test sees), and parses its JSON.
 */
export async function runAwsCli(endpoint: string, args: string[], options: { timeoutMs?: number } = {}): Promise<any> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "async-api-awscli-"));
  try {
    const { stdout } = await execFileAsync(awsCliPath(), [...args, "--endpoint-url", endpoint, "--output", "json"], {
      timeout: options.timeoutMs ?? 30_000,
      env: {
        PATH: process.env.PATH,
        HOME: home,
        TMPDIR: os.tmpdir(),
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        AWS_DEFAULT_REGION: "us-east-1",
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        AWS_PAGER: "",
      },
    });
    return stdout.trim() ? JSON.parse(stdout) : undefined;
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

let version: Promise<string> | undefined;
/** `aws --version` (v1 prints it on stderr, v2 on stdout), e.g. `aws-cli/2.9.19 Python/3.11.2 …`. */
export function awsCliVersion(): Promise<string> {
  version ??= execFileAsync(awsCliPath(), ["--version"], { env: { PATH: process.env.PATH, HOME: os.tmpdir() } }).then(({ stdout, stderr }) => `${stdout}${stderr}`.trim());
  return version;
}

/** curl (for the requests a user would sign with `curl --aws-sigv4`). */
export const curlPath = (): string => findTool(["curl"], "ASYNC_API_CURL", "curl", "curl");

/** git. */
export const gitPath = (): string => findTool(["git"], "ASYNC_API_GIT", "git", "git");
