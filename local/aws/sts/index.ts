/**
 * Local STS: `AssumeRole`, which the status function calls to sign `resultUrl`s with
 * credentials of a known lifetime (lambdas/shared/resultSigner.ts).
 *
 * Serves the query protocol the AWS SDK speaks to STS (form-encoded `Action=AssumeRole`, XML
 * answers and `ErrorResponse`s), following the AssumeRole API reference:
 * - the role must be one the program declared, else `403 AccessDenied` ("not authorized to
 *   perform: sts:AssumeRole");
 * - `RoleSessionName` is 2..64 characters of `[\w+=,.@-]`, else `400 ValidationError`;
 * - `DurationSeconds` is 900..3600 (default 3600): the callers here are functions, whose own
 *   credentials are a role session, and "role chaining limits your … session to a maximum of one
 *   hour" ("Methods to assume a role"); above that, `400 ValidationError`.
 * The credentials are the local ones every emulator accepts, with a session token that carries
 * its expiry (./sessionToken.ts), which the local S3 enforces.
 */
import * as crypto from "crypto";
import * as http from "http";
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS } from "../types";
import { close, listen } from "../protocols/listen";
import { issueSessionToken } from "./sessionToken";

export interface StsServiceOptions {
  /** @default 0 (a free port) */
  port?: number;
  log?: (line: string) => void;
  /** The clock (epoch ms). @default Date.now */
  now?: () => number;
}

export interface LocalStsService {
  endpoint: string;
  /** Makes a role assumable (the program declared it). */
  createRole(roleArn: string): void;
  stop(): Promise<void>;
}

class StsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const NS = "https://sts.amazonaws.com/doc/2011-06-15/";

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function startStsService(options: StsServiceOptions = {}): Promise<LocalStsService> {
  const log = options.log ?? (() => undefined);
  const now = options.now ?? Date.now;
  const roles = new Set<string>();

  function assumeRole(params: URLSearchParams): string {
    const roleArn = params.get("RoleArn") ?? "";
    const sessionName = params.get("RoleSessionName") ?? "";
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
      throw new StsError(400, "ValidationError", `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
    }
    const duration = params.has("DurationSeconds") ? Number(params.get("DurationSeconds")) : 3600;
    if (!Number.isInteger(duration) || duration < 900) {
      throw new StsError(400, "ValidationError", `1 validation error detected: Value '${params.get("DurationSeconds")}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`);
    }
    if (duration > 3600) throw new StsError(400, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
    if (!roles.has(roleArn)) {
      throw new StsError(403, "AccessDenied", `User: arn:aws:sts::${LOCAL_ACCOUNT_ID}:assumed-role/local/function is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    }
    const expiration = now() + duration * 1000;
    const roleName = roleArn.split("/").pop()!;
    const roleId = `AROA${crypto.createHash("sha256").update(roleArn).digest("hex").slice(0, 16).toUpperCase()}`;
    log(`sts: AssumeRole ${roleName} (${sessionName}, ${duration} s)`);
    return (
      `<AssumeRoleResponse xmlns="${NS}"><AssumeRoleResult>` +
      `<AssumedRoleUser><Arn>arn:aws:sts::${LOCAL_ACCOUNT_ID}:assumed-role/${xmlEscape(roleName)}/${xmlEscape(sessionName)}</Arn><AssumedRoleId>${roleId}:${xmlEscape(sessionName)}</AssumedRoleId></AssumedRoleUser>` +
      `<Credentials><AccessKeyId>${LOCAL_CREDENTIALS.accessKeyId}</AccessKeyId><SecretAccessKey>${LOCAL_CREDENTIALS.secretAccessKey}</SecretAccessKey>` +
      `<SessionToken>${issueSessionToken(expiration)}</SessionToken><Expiration>${new Date(expiration).toISOString().replace(/\.\d{3}Z$/, "Z")}</Expiration></Credentials>` +
      `</AssumeRoleResult><ResponseMetadata><RequestId>${crypto.randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`
    );
  }

  const server = http.createServer(async (req, res) => {
    const requestId = crypto.randomUUID();
    try {
      const params = new URLSearchParams(req.method === "POST" ? await readBody(req) : (req.url ?? "").split("?")[1] ?? "");
      const action = params.get("Action");
      if (action !== "AssumeRole") throw new StsError(400, "InvalidAction", `Could not find operation ${action} for version 2011-06-15`);
      const body = assumeRole(params);
      res.writeHead(200, { "content-type": "text/xml", "x-amzn-requestid": requestId }).end(body);
    } catch (err) {
      const e = err instanceof StsError ? err : new StsError(500, "InternalFailure", (err as Error).message);
      res
        .writeHead(e.status, { "content-type": "text/xml", "x-amzn-requestid": requestId })
        .end(
          `<ErrorResponse xmlns="${NS}"><Error><Type>${e.status >= 500 ? "Receiver" : "Sender"}</Type><Code>${e.code}</Code><Message>${xmlEscape(e.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
        );
    }
  });
  const { endpoint } = await listen(server, options.port ?? 0);
  log(`sts: on ${endpoint}`);
  return {
    endpoint,
    createRole(roleArn) {
      roles.add(roleArn);
    },
    async stop() {
      await close(server);
    },
  };
}
