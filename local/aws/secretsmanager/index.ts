/**
 * Local Secrets Manager: what the program uses of it, the webhook signing secret. The program
 * declares a secret and its value (`aws.secretsmanager.Secret`, `SecretVersion`); the webhook
 * delivery function reads it with `GetSecretValue`.
 *
 * Serves the JSON protocol (`POST /`, `X-Amz-Target: secretsmanager.<Action>`, awsJson1_1) of the
 * Secrets Manager API Reference for `GetSecretValue` and `DescribeSecret`: a secret is named by
 * its ARN or its name; an unknown one is `400 ResourceNotFoundException` ("Secrets Manager can't
 * find the specified secret."); a secret with no value yet is `ResourceNotFoundException` too
 * ("Secrets Manager can't find the specified secret value for staging label: AWSCURRENT").
 * Values are kept under the state folder, so a restart keeps them.
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

class SecretsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** `arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>`, as AWS names them. */
function secretArn(name: string): string {
  let hash = 0;
  for (const c of name) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  const suffix = hash.toString(36).padStart(6, "0").slice(-6);
  return `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:secret:${name}-${suffix}`;
}

export async function startSecretsManagerService(options: SecretsManagerServiceOptions = {}): Promise<LocalSecretsManagerService> {
  const log = options.log ?? (() => undefined);
  const file = options.dir ? path.join(options.dir, "secrets.json") : undefined;
  const secrets = new Map<string, StoredSecret>();
  if (file && fs.existsSync(file)) for (const s of JSON.parse(fs.readFileSync(file, "utf8")) as StoredSecret[]) secrets.set(s.arn, s);
  const save = () => {
    if (!file) return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify([...secrets.values()], null, 2), { mode: 0o600 });
  };
  const find = (id: unknown): StoredSecret => {
    if (typeof id !== "string" || id.length === 0) throw new SecretsError("InvalidParameterException", "SecretId is required.");
    const found = secrets.get(id) ?? [...secrets.values()].find((s) => s.name === id);
    if (!found) throw new SecretsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    return found;
  };
  /** Counts one API call on the secret `id` (a name or an ARN). */
  const meterCall = (id: unknown) => {
    const name = typeof id === "string" && id ? (secrets.get(id)?.name ?? /^arn:[^:]+:secretsmanager:[^:]*:\d*:secret:(.+)-[A-Za-z0-9]{6}$/.exec(id)?.[1] ?? id) : undefined;
    options.meter?.count("secretsmanager.apiCalls", 1, { source: name ? `secretsmanager:${name}` : "secretsmanager" });
  };

  const actions: Record<string, (input: Record<string, unknown>) => unknown> = {
    GetSecretValue(input) {
      const s = find(input.SecretId);
      if (s.value === undefined) throw new SecretsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT");
      return { ARN: s.arn, Name: s.name, SecretString: s.value, VersionId: s.versionId, VersionStages: ["AWSCURRENT"], CreatedDate: s.createdAt / 1000 };
    },
    DescribeSecret(input) {
      const s = find(input.SecretId);
      return { ARN: s.arn, Name: s.name, CreatedDate: s.createdAt / 1000 };
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      const m = /^secretsmanager\.(\w+)$/.exec(target);
      const reply = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify(body));
      try {
        const action = m ? actions[m[1]] : undefined;
        if (req.method !== "POST" || !action) throw new SecretsError("UnknownOperationException", `The local Secrets Manager does not serve ${target || "this request"}`);
        const input = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>) : {};
        meterCall(input.SecretId);
        reply(200, action(input));
      } catch (err) {
        const e = err instanceof SecretsError ? err : new SecretsError("InternalServiceError", (err as Error).message);
        reply(e.code === "InternalServiceError" ? 500 : 400, { __type: e.code, message: e.message });
      }
    });
  });
  const { endpoint } = await listen(server, options.port ?? 0);
  log(`secretsmanager: on ${endpoint}`);

  return {
    endpoint,
    createSecret(name) {
      const arn = secretArn(name);
      if (!secrets.has(arn)) {
        secrets.set(arn, { name, arn, createdAt: Date.now() });
        save();
        meterCall(name);
      }
      return arn;
    },
    putSecretValue(secretId, value) {
      const s = find(secretId);
      if (s.value === value) return;
      meterCall(s.arn);
      s.value = value;
      s.versionId = `${Date.now().toString(16)}-local`;
      save();
    },
    stop: () => close(server),
  };
}
