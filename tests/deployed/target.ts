// What `npm run test:deployed` knows of the API under test: its URL and auth, and its backend and
// worker, from the stack outputs when given, else from what the API itself reveals.
import * as fs from "fs";
import { resolveRegion, type AuthOptions, type AwsCredentialsProvider } from "../../client/auth";
import { discoverAuth, type AuthKind } from "../../client/discoverAuth";
import { JobApi, type Auth } from "../support/localCloud";

export interface TargetOptions {
  url?: string;
  apiKey?: string;
  /** `pulumi stack output --json --show-secrets`, or the local cloud's `--outputs` file. */
  outputs?: string;
  auth?: string;
  jobTimeoutSeconds?: number;
}

export interface Target {
  api: JobApi;
  auth: AuthKind;
  /** `stream`, `lambda` or `stepfunctions`; undefined when neither the outputs nor the API tell. */
  backend?: string;
  /** How the backend was learnt, for the report. */
  backendSource?: string;
  /** `fargate` or `lambda` from the outputs (`clusterName`); the API does not reveal it. */
  worker?: string;
  /** How long a short job may take from submit to its end. */
  jobTimeoutMs: number;
  /** auth iam: the caller's own credentials with a wrong secret. */
  wrongSecret?: Auth;
}

const AUTH_KINDS: readonly string[] = ["iam", "apiKey", "none"];
// Fargate tasks take minutes to start on AWS; without the outputs the worker is unknown.
const LAMBDA_JOB_TIMEOUT_S = 120;
const FARGATE_JOB_TIMEOUT_S = 900;

function readOutputs(file: string | undefined): Record<string, unknown> {
  if (!file) return {};
  const outputs: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
  if (outputs === null || typeof outputs !== "object" || Array.isArray(outputs)) throw new Error(`${file} is not a JSON object of stack outputs`);
  return outputs as Record<string, unknown>;
}

const text = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);

/** The SDK's default chain, loaded only for auth iam. */
async function defaultCredentials(apiUrl: string): Promise<AwsCredentialsProvider> {
  const { fromNodeProviderChain } = await import("@aws-sdk/credential-providers");
  return fromNodeProviderChain({ clientConfig: { region: resolveRegion(apiUrl) } }) as AwsCredentialsProvider;
}

/**
 * Only the stream backend has no submit Lambda: its gateway validator answers malformed JSON as
 * `ValidationError`, where a submit Lambda answers `BadRequest` (README, "Picking a backend").
 */
async function probeBackend(api: JobApi): Promise<{ backend?: string; backendSource?: string }> {
  const res = await api.request("POST", "/jobs", { body: '{"seconds":', headers: { "Content-Type": "application/json" } });
  const code = res.status === 400 ? res.body?.error?.code : undefined;
  if (code === "ValidationError") return { backend: "stream", backendSource: "malformed JSON is ValidationError: the gateway validates bodies" };
  return {};
}

export async function resolveTarget(o: TargetOptions, usage: string): Promise<Target> {
  const outputs = readOutputs(o.outputs);
  const apiUrl = (o.url ?? text(outputs.apiUrl))?.replace(/\/+$/, "");
  if (!apiUrl) throw new Error(`give --url (or --outputs with apiUrl)\n${usage}`);
  const auth = o.auth ?? text(outputs.auth) ?? (await discoverAuth(apiUrl));
  if (!AUTH_KINDS.includes(auth)) throw new Error(`--auth takes iam, apiKey or none, got '${auth}'`);

  let options: AuthOptions = { type: "none" };
  let wrongSecret: Auth | undefined;
  if (auth === "apiKey") {
    const key = o.apiKey ?? process.env.ASYNC_API_KEY ?? text(outputs.apiKey);
    if (!key) throw new Error("the API uses auth apiKey: give --api-key KEY (or env ASYNC_API_KEY, or --outputs with apiKey)");
    options = { type: "apiKey", key };
  } else if (auth === "iam") {
    const credentials = await defaultCredentials(apiUrl);
    try {
      await credentials();
    } catch (err) {
      throw new Error(
        `the API uses auth iam and the AWS SDK's credential chain has no credentials (${err instanceof Error ? err.message : err}): ` +
          "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (the local cloud takes any key id with the secret 'test')",
      );
    }
    options = { type: "iam", credentials };
    wrongSecret = { kind: "client", options: { type: "iam", credentials: async () => ({ ...(await credentials()), secretAccessKey: "wrong-secret" }) } };
  }
  const api = new JobApi(apiUrl, { kind: "client", options });

  const fromOutputs = text(outputs.backend);
  const { backend, backendSource } = fromOutputs ? { backend: fromOutputs, backendSource: "outputs" } : await probeBackend(api);
  const worker = o.outputs ? (text(outputs.clusterName) ? "fargate" : "lambda") : undefined;
  const defaultTimeout = worker === "lambda" ? LAMBDA_JOB_TIMEOUT_S : FARGATE_JOB_TIMEOUT_S;
  return {
    api,
    auth: auth as AuthKind,
    ...(backend ? { backend, backendSource } : {}),
    ...(worker ? { worker } : {}),
    jobTimeoutMs: (o.jobTimeoutSeconds ?? defaultTimeout) * 1000,
    ...(wrongSecret ? { wrongSecret } : {}),
  };
}
