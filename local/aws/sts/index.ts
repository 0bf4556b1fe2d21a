/**
 * Local STS: `AssumeRole`, which the status function calls to sign `resultUrl`s with
 * credentials of a known lifetime (lambdas/shared/resultSigner.ts).
 *
 * Operations: `AssumeRole` only; any other `Action` answers `400 InvalidAction`, as STS does.
 * Documentation followed:
 * - https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 * - https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html
 * - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage-assume.html ("Methods to assume a role")
 *
 * Serves the query protocol the AWS SDK speaks to STS (form-encoded `Action=AssumeRole`, XML
 * answers and `ErrorResponse`s, ../protocols/query.ts), following the AssumeRole API reference:
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
import { AwsApiError } from "../protocols/apiError";
import { close, listen } from "../protocols/listen";
import { queryListener, xmlEscape, type QueryService } from "../protocols/query";
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

class StsError extends AwsApiError {
  constructor(status: number, code: string, message: string) {
    super(code, message, status);
  }
}

const API_VERSION = "2011-06-15";
const NS = `https://sts.amazonaws.com/doc/${API_VERSION}/`;

/** The STS operations, one method each; the query protocol is ../protocols/query.ts's. */
export class Sts {
  private readonly roles = new Set<string>();

  constructor(
    private readonly now: () => number,
    private readonly log: (line: string) => void,
  ) {}

  /** Makes a role assumable (the program declared it). */
  createRole(roleArn: string): void {
    this.roles.add(roleArn);
  }

  /** https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html: the `<AssumeRoleResult>`'s XML. */
  AssumeRole(params: URLSearchParams): string {
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
    if (!this.roles.has(roleArn)) {
      throw new StsError(403, "AccessDenied", `User: arn:aws:sts::${LOCAL_ACCOUNT_ID}:assumed-role/local/function is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    }
    const expiration = this.now() + duration * 1000;
    const roleName = roleArn.split("/").pop()!;
    const roleId = `AROA${crypto.createHash("sha256").update(roleArn).digest("hex").slice(0, 16).toUpperCase()}`;
    this.log(`sts: AssumeRole ${roleName} (${sessionName}, ${duration} s)`);
    return (
      `<AssumedRoleUser><Arn>arn:aws:sts::${LOCAL_ACCOUNT_ID}:assumed-role/${xmlEscape(roleName)}/${xmlEscape(sessionName)}</Arn><AssumedRoleId>${roleId}:${xmlEscape(sessionName)}</AssumedRoleId></AssumedRoleUser>` +
      `<Credentials><AccessKeyId>${LOCAL_CREDENTIALS.accessKeyId}</AccessKeyId><SecretAccessKey>${LOCAL_CREDENTIALS.secretAccessKey}</SecretAccessKey>` +
      `<SessionToken>${issueSessionToken(expiration)}</SessionToken><Expiration>${new Date(expiration).toISOString().replace(/\.\d{3}Z$/, "Z")}</Expiration></Credentials>`
    );
  }
}

/** STS's query-protocol face: its answers carry no XML declaration, its errors no `<Detail/>`. */
function stsQueryService(sts: Sts): QueryService {
  return {
    namespace: NS,
    xmlDeclaration: false,
    actions: { AssumeRole: (params) => sts.AssumeRole(params) },
    unknownAction: (action) => new StsError(400, "InvalidAction", `Could not find operation ${action} for version ${API_VERSION}`),
    internalErrorCode: "InternalFailure",
  };
}

export async function startStsService(options: StsServiceOptions = {}): Promise<LocalStsService> {
  const log = options.log ?? (() => undefined);
  const sts = new Sts(options.now ?? Date.now, log);
  const server = http.createServer(queryListener(stsQueryService(sts)));
  const { endpoint } = await listen(server, options.port ?? 0);
  log(`sts: on ${endpoint}`);
  return {
    endpoint,
    createRole(roleArn) {
      sts.createRole(roleArn);
    },
    async stop() {
      await close(server);
    },
  };
}
