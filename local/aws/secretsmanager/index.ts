/**
 * Local Secrets Manager: what the program uses of it, the webhook signing secret. The program
 * declares a secret and its value (`aws.secretsmanager.Secret`, `SecretVersion`); the webhook
 * delivery function reads it with `GetSecretValue`.
 *
 * Operations served over HTTP: `GetSecretValue`, `DescribeSecret`; any other answers `400
 * UnknownOperationException`. Documentation followed:
 * - https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
 * - https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html
 * - https://docs.aws.amazon.com/secretsmanager/latest/apireference/CommonErrors.html
 *
 * Serves the JSON protocol (`POST /`, `X-Amz-Target: secretsmanager.<Action>`, awsJson1_1,
 * ../protocols/awsJson.ts) of the Secrets Manager API Reference: a secret is named by its ARN or
 * its name; an unknown one is `400 ResourceNotFoundException` ("Secrets Manager can't find the
 * specified secret."); a secret with no value yet is `ResourceNotFoundException` too ("Secrets
 * Manager can't find the specified secret value for staging label: AWSCURRENT"). Values are kept
 * under the state folder, so a restart keeps them.
 *
 * Cost meter: `secretsmanager.apiCalls`, one per API call ("$0.05 per 10,000 API calls",
 * https://aws.amazon.com/secrets-manager/pricing/): each action of the HTTP API, answered or
 * failed, and the CreateSecret / PutSecretValue calls a deployment makes (`createSecret` for a new
 * secret, `putSecretValue` for a new value). Not per job; the source is the secret's name.
 */
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "../types";
import { AwsApiError } from "../protocols/apiError";
import { answerAwsJson, type AwsJsonOperation, type AwsJsonService } from "../protocols/awsJson";
import { close, listen } from "../protocols/listen";
import type { UsageMeter } from "../../usage/meter";

export interface SecretsManagerServiceOptions {
  /** Secrets are kept in `<dir>/secrets.json`; absent = in memory. */
  dir?: string;
  /** @default 0 (a free port) */
  port?: number;
  log?: (line: string) => void;
  /** Counts the API calls. */
  meter?: UsageMeter;
}

interface StoredSecret {
  name: string;
  arn: string;
  value?: string;
  versionId?: string;
  createdAt: number;
}

export interface LocalSecretsManagerService {
  endpoint: string;
  /** Declares a secret (kept as it is when it exists); returns its ARN. */
  createSecret(name: string): string;
  /** Sets a secret's current value. */
  putSecretValue(secretId: string, value: string): void;
  stop(): Promise<void>;
}

class SecretsError extends AwsApiError {}

const INTERNAL_ERROR = "InternalServiceError";

/** `arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>`, as AWS names them. */
function secretArn(name: string): string {
  let hash = 0;
  for (const c of name) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  const suffix = hash.toString(36).padStart(6, "0").slice(-6);
  return `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:secret:${name}-${suffix}`;
}

/** The secrets, persisted under the state dir, with the operations on them (one method each). */
export class SecretsManager {
  private readonly secrets = new Map<string, StoredSecret>();
  private readonly file: string | undefined;

  constructor(
    dir: string | undefined,
    private readonly meter?: UsageMeter,
  ) {
    this.file = dir ? path.join(dir, "secrets.json") : undefined;
    if (this.file && fs.existsSync(this.file)) for (const s of JSON.parse(fs.readFileSync(this.file, "utf8")) as StoredSecret[]) this.secrets.set(s.arn, s);
  }

  /** https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html */
  GetSecretValue(input: Record<string, unknown>): Record<string, unknown> {
    const s = this.find(input.SecretId);
    if (s.value === undefined) throw new SecretsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT");
    return { ARN: s.arn, Name: s.name, SecretString: s.value, VersionId: s.versionId, VersionStages: ["AWSCURRENT"], CreatedDate: s.createdAt / 1000 };
  }

  /** https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html */
  DescribeSecret(input: Record<string, unknown>): Record<string, unknown> {
    const s = this.find(input.SecretId);
    return { ARN: s.arn, Name: s.name, CreatedDate: s.createdAt / 1000 };
  }

  /** Declares a secret (kept as it is when it exists); returns its ARN. A new one counts as a CreateSecret call. */
  createSecret(name: string): string {
    const arn = secretArn(name);
    if (!this.secrets.has(arn)) {
      this.secrets.set(arn, { name, arn, createdAt: Date.now() });
      this.save();
      this.meterCall(name);
    }
    return arn;
  }

  /** Sets a secret's current value; a new value counts as a PutSecretValue call. */
  putSecretValue(secretId: string, value: string): void {
    const s = this.find(secretId);
    if (s.value === value) return;
    this.meterCall(s.arn);
    s.value = value;
    s.versionId = `${Date.now().toString(16)}-local`;
    this.save();
  }

  /** Counts one API call on the secret `id` (a name or an ARN). */
  meterCall(id: unknown): void {
    const name = typeof id === "string" && id ? (this.secrets.get(id)?.name ?? /^arn:[^:]+:secretsmanager:[^:]*:\d*:secret:(.+)-[A-Za-z0-9]{6}$/.exec(id)?.[1] ?? id) : undefined;
    this.meter?.count("secretsmanager.apiCalls", 1, { source: name ? `secretsmanager:${name}` : "secretsmanager" });
  }

  private find(id: unknown): StoredSecret {
    if (typeof id !== "string" || id.length === 0) throw new SecretsError("InvalidParameterException", "SecretId is required.");
    const found = this.secrets.get(id) ?? [...this.secrets.values()].find((s) => s.name === id);
    if (!found) throw new SecretsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    return found;
  }

  private save(): void {
    if (!this.file) return;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.writeFileSync(this.file, JSON.stringify([...this.secrets.values()], null, 2), { mode: 0o600 });
  }
}

/** The awsJson1_1 face: each call is metered before it runs; errors carry no `x-amzn-ErrorType`. */
function secretsManagerJsonService(service: SecretsManager): AwsJsonService {
  const metered =
    (operation: AwsJsonOperation): AwsJsonOperation =>
    (input) => {
      service.meterCall(input.SecretId);
      return operation(input);
    };
  return {
    targetPrefix: "secretsmanager",
    version: "1.1",
    serviceName: "the local Secrets Manager",
    operations: {
      GetSecretValue: metered((input) => service.GetSecretValue(input)),
      DescribeSecret: metered((input) => service.DescribeSecret(input)),
    },
    internalErrorCode: INTERNAL_ERROR,
    // A body that is not a JSON object has always been answered as an internal error here.
    badBody: (why) => new SecretsError(INTERNAL_ERROR, why, 500),
    encodeError: (error) => ({ body: { __type: error.code, message: error.message } }),
    // The message names the X-Amz-Target as sent (or "this request" when there is none).
    unknownOperation: (_shown, target) => unknownOperation(target),
  };
}

const unknownOperation = (target: unknown) => new SecretsError("UnknownOperationException", `The local Secrets Manager does not serve ${target || "this request"}`);

export async function startSecretsManagerService(options: SecretsManagerServiceOptions = {}): Promise<LocalSecretsManagerService> {
  const log = options.log ?? (() => undefined);
  const service = new SecretsManager(options.dir, options.meter);
  const api = secretsManagerJsonService(service);
  const server = http.createServer((req, res) => {
    answerAwsJson(api, req, res).catch(() => res.destroy());
  });
  const { endpoint } = await listen(server, options.port ?? 0);
  log(`secretsmanager: on ${endpoint}`);

  return {
    endpoint,
    createSecret: (name) => service.createSecret(name),
    putSecretValue: (secretId, value) => service.putSecretValue(secretId, value),
    stop: () => close(server),
  };
}
