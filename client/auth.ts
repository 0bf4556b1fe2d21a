import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { AsyncApiError } from "./errors";
import { HEADERS } from "./types";

/** AWS credentials, as the AWS SDK's providers give them. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** A function that resolves credentials (e.g. `fromIni({ profile })` from `@aws-sdk/credential-providers`). */
export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

export type AuthOptions =
  /**
   * SigV4 for service `execute-api`. `credentials` default to the AWS SDK's default chain
   * (`fromNodeProviderChain`: environment, SSO, profiles, web identity, assumed roles, ECS/EC2
   * metadata). `region`: see `resolveRegion`.
   */
  | { type: "iam"; region?: string; credentials?: AwsCredentials | AwsCredentialsProvider }
  /** The API key, sent as `x-api-key`. */
  | { type: "apiKey"; key: string }
  /** No auth (a stack with `auth: none`). */
  | { type: "none" };

/** The region the local cloud verifies signatures for (CONTRACT.md section 3). */
export const LOCAL_CLOUD_REGION = "us-east-1";

const EXECUTE_API_HOST = /\.execute-api\.([a-z]{2}(?:-[a-z]+)+-\d+)\.(?:vpce\.)?amazonaws\.com(?:\.cn)?$/i;
const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;

/**
 * The SigV4 signing region for an API URL, first found of:
 * 1. the `region` option;
 * 2. the region in an `*.execute-api.<region>.amazonaws.com` hostname (it is the only region that
 *    API will accept, whatever `AWS_REGION` says);
 * 3. `us-east-1` for a loopback host (the local cloud's region);
 * 4. `AWS_REGION` (a custom domain name does not name its region);
 * 5. `us-east-1`.
 */
export function resolveRegion(apiUrl: string, option?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (option) return option;
  let host = "";
  try {
    host = new URL(apiUrl).hostname;
  } catch {
    // The client reports a bad URL on its own.
  }
  const fromHost = EXECUTE_API_HOST.exec(host);
  if (fromHost) return fromHost[1].toLowerCase();
  if (LOOPBACK_HOST.test(host)) return LOCAL_CLOUD_REGION;
  if (env.AWS_REGION) return env.AWS_REGION;
  return "us-east-1";
}

/** Adds the auth headers to a request about to be sent. Called once per attempt (fresh signatures). */
export type Authorizer = (request: { method: string; url: URL; headers: Record<string, string>; body?: string }) => Promise<Record<string, string>>;

/** The default credential chain, loaded only when IAM auth is used. */
function defaultCredentials(region: string): AwsCredentialsProvider {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { fromNodeProviderChain } = require("@aws-sdk/credential-providers") as typeof import("@aws-sdk/credential-providers");
  return fromNodeProviderChain({ clientConfig: { region } }) as AwsCredentialsProvider;
}

export function createAuthorizer(apiUrl: string, auth: AuthOptions): Authorizer {
  switch (auth.type) {
    case "none":
      return async ({ headers }) => headers;
    case "apiKey": {
      if (!auth.key) throw new AsyncApiError({ code: "InvalidArgument", message: "auth apiKey needs a key" });
      return async ({ headers }) => ({ ...headers, [HEADERS.apiKey]: auth.key });
    }
    case "iam": {
      const region = resolveRegion(apiUrl, auth.region);
      let provider: AwsCredentialsProvider | undefined;
      const credentials = async (): Promise<AwsCredentials> => {
        if (auth.credentials && typeof auth.credentials !== "function") return auth.credentials;
        provider ??= auth.credentials ?? defaultCredentials(region);
        try {
          return await provider();
        } catch (err) {
          throw new AsyncApiError({
            code: "CredentialsError",
            message:
              `No AWS credentials for SigV4 (auth iam): ${(err as Error)?.message ?? err}. ` +
              "Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (the local cloud accepts any key id with the secret 'test').",
            cause: err,
          });
        }
      };
      const signer = new SignatureV4({ service: "execute-api", region, credentials, sha256: Sha256 });
      return async ({ method, url, headers, body }) => {
        // The query as sent: a repeated parameter is signed with every one of its values.
        const query: Record<string, string | string[]> = {};
        url.searchParams.forEach((v, k) => {
          const had = query[k];
          query[k] = had === undefined ? v : ([] as string[]).concat(had, v);
        });
        const signed = await signer.sign({
          method,
          protocol: url.protocol,
          hostname: url.hostname,
          ...(url.port ? { port: Number(url.port) } : {}),
          path: url.pathname,
          query,
          headers: { ...headers, host: url.host },
          ...(body !== undefined ? { body } : {}),
        });
        const out = { ...(signed.headers as Record<string, string>) };
        // fetch sets Host itself (the same value); it may not be set by hand.
        delete out.host;
        return out;
      };
    }
    default: {
      const never: never = auth;
      throw new AsyncApiError({ code: "InvalidArgument", message: `unknown auth type ${JSON.stringify((never as { type?: unknown }).type)}` });
    }
  }
}
