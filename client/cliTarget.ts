// Which API the CLI talks to, and how it signs in: --url, the environment, an outputs file or
// `pulumi stack output`, then --auth, the outputs' `auth`, or what the API's document says.
import * as fs from "fs";
import * as path from "path";
import type { AuthOptions } from "./auth";
import { AuthDiscoveryError, discoverAuth, openapiUrl, type AuthKind } from "./discoverAuth";
import { UsageError, type CliIo, type CliOptions } from "./cliArgs";

export interface Target {
  apiUrl: string;
  auth: AuthOptions;
  /** Where the URL came from, for error messages. */
  source: string;
}

export const DEFAULT_OUTPUTS = path.join(".async-api", "outputs.json");

export function readOutputsFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read the outputs file ${file}: ${(err as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // below
  }
  throw new UsageError(`the outputs file ${file} is not a JSON object of stack outputs`);
}

/** Where the API URL came from, and the outputs read on the way. */
interface Location {
  apiUrl: string;
  source: string;
  outputs: Record<string, unknown> | undefined;
  pulumiArgs: string[];
}

/** The API URL: --url, then env, then an outputs file, then `pulumi stack output`. */
function locate(options: CliOptions, io: CliIo): Location {
  let outputs: Record<string, unknown> | undefined;
  let source: string;
  let apiUrl = options.url ?? io.env.ASYNC_API_URL;
  const explicitOutputs = options.outputs ?? io.env.ASYNC_API_OUTPUTS;
  const pulumiArgs = ["stack", "output", "--json", ...(options.stack ? ["--stack", options.stack] : [])];
  if (apiUrl) {
    source = options.url ? "--url" : "ASYNC_API_URL";
    if (explicitOutputs) outputs = readOutputsFile(path.resolve(io.cwd, explicitOutputs));
  } else {
    const file = explicitOutputs ?? (fs.existsSync(path.join(io.cwd, DEFAULT_OUTPUTS)) && !options.stack ? DEFAULT_OUTPUTS : undefined);
    if (file) {
      outputs = readOutputsFile(path.resolve(io.cwd, file));
      source = file;
    } else {
      try {
        outputs = JSON.parse(io.stackOutputs(pulumiArgs)) as Record<string, unknown>;
      } catch (err) {
        throw new UsageError(
          `no API URL: 'pulumi stack output' failed (${(err as Error).message.trim().split("\n")[0]}).\n` +
            "Pass --url URL (and --auth), or --outputs FILE: for the local cloud, run `npm start -- --outputs .async-api/outputs.json` " +
            "and async-api reads that file by default.",
        );
      }
      source = "pulumi stack output";
    }
    apiUrl = typeof outputs?.apiUrl === "string" ? outputs.apiUrl : undefined;
    if (!apiUrl) throw new UsageError(`${source} has no apiUrl output; pass --url URL`);
  }
  return { apiUrl, source, outputs, pulumiArgs };
}

/** The auth --auth or the outputs name, if either does. */
function declaredAuth(options: CliOptions, { outputs }: Location): string | undefined {
  return options.auth ?? (typeof outputs?.auth === "string" ? outputs.auth : undefined);
}

const MISSING_KEY = "auth apiKey needs a key: --api-key KEY or env ASYNC_API_KEY";

/** The client's auth options for an auth mode. */
function authOptions(authType: string, options: CliOptions, io: CliIo, { source, outputs, pulumiArgs }: Location, missingKey = MISSING_KEY): AuthOptions {
  switch (authType) {
    case "iam":
      return { type: "iam", ...(options.region ? { region: options.region } : {}) };
    case "none":
      return { type: "none" };
    case "apiKey": {
      let key = options.apiKey ?? io.env.ASYNC_API_KEY ?? (typeof outputs?.apiKey === "string" && outputs.apiKey !== "[secret]" ? outputs.apiKey : undefined);
      if (!key && source === "pulumi stack output") {
        try {
          const secret = JSON.parse(io.stackOutputs([...pulumiArgs, "--show-secrets"])) as Record<string, unknown>;
          if (typeof secret.apiKey === "string") key = secret.apiKey;
        } catch {
          // reported below
        }
      }
      if (!key) throw new UsageError(missingKey);
      return { type: "apiKey", key };
    }
    default:
      throw new UsageError(`--auth takes iam, apiKey or none, got '${authType}'`);
  }
}

/**
 * The API URL and auth from flags, env and outputs alone: the auth --auth or the outputs name,
 * else apiKey when a key is given, else iam. (The CLI itself uses `resolveTargetDiscovering`.)
 */
export function resolveTarget(options: CliOptions, io: CliIo): Target {
  return targetFromFlags(options, io, locate(options, io));
}

function targetFromFlags(options: CliOptions, io: CliIo, location: Location): Target {
  const authType = declaredAuth(options, location) ?? (options.apiKey ? "apiKey" : "iam");
  return { apiUrl: location.apiUrl, auth: authOptions(authType, options, io, location), source: location.source };
}

/**
 * As `resolveTarget`, but when the URL comes from --url or ASYNC_API_URL and neither --auth nor
 * an outputs file names the auth, the auth is the one the API's own openapi.json declares.
 */
export async function resolveTargetDiscovering(options: CliOptions, io: CliIo, discover: (apiUrl: string) => Promise<AuthKind> = discoverAuth): Promise<Target> {
  const location = locate(options, io);
  const fromUrl = location.source === "--url" || location.source === "ASYNC_API_URL";
  if (!fromUrl || declaredAuth(options, location) !== undefined) return targetFromFlags(options, io, location);
  let kind: AuthKind;
  try {
    kind = await discover(location.apiUrl);
  } catch (err) {
    if (err instanceof AuthDiscoveryError) throw new UsageError(err.message);
    throw err;
  }
  const missingKey = `the API uses auth apiKey (its ${openapiUrl(location.apiUrl)} says so) and needs a key: pass --api-key KEY or set env ASYNC_API_KEY`;
  const auth = authOptions(kind, options, io, location, missingKey);
  if (options.apiKey !== undefined && kind !== "apiKey" && !options.quiet) {
    io.stderr.write(`async-api: the API uses auth ${kind} (its openapi.json says so): --api-key is not sent\n`);
  }
  return { apiUrl: location.apiUrl, auth, source: location.source };
}

