/**
 * The TTL API dynalite lacks (the second built-in interceptor): `UpdateTimeToLive` and
 * `DescribeTimeToLive`, answered from the TTL settings, with AWS's validation errors; and a
 * `DeleteTable` that succeeds forgets the table's TTL setting, as AWS does.
 *
 * - https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html
 * - https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeTimeToLive.html
 */
import type * as http from "http";
import type { DynamoDbInterceptor } from "./contract";
import { errorReply, jsonReply, readBody, sendReply, serializationError, validationError, type Reply } from "./protocol";
import type { TtlSettings } from "./ttlSettings";

interface TtlRequest {
  TableName?: unknown;
  TimeToLiveSpecification?: { Enabled?: unknown; AttributeName?: unknown };
}

function tableNameOf(body: Buffer): string | undefined {
  try {
    const name = (JSON.parse(body.toString("utf8")) as { TableName?: unknown }).TableName;
    return typeof name === "string" ? name : undefined;
  } catch {
    return undefined;
  }
}

export class TimeToLiveApi {
  constructor(
    private readonly settings: TtlSettings,
    /** Whether the table exists (asked through the endpoint, as a client would). */
    private readonly tableExists: (name: string) => Promise<boolean>,
    private readonly log: (line: string) => void,
  ) {}

  readonly interceptor: DynamoDbInterceptor = async ({ operation, req, res }, next) => {
    if (operation === "DeleteTable") return this.forgetOnDelete(req, res, next);
    if (operation !== "UpdateTimeToLive" && operation !== "DescribeTimeToLive") return next();
    let data: TtlRequest;
    try {
      data = JSON.parse((await readBody(req)).toString("utf8") || "{}");
    } catch {
      return sendReply(res, serializationError());
    }
    sendReply(res, operation === "UpdateTimeToLive" ? await this.updateTimeToLive(data) : await this.describeTimeToLive(data));
  };

  async describeTimeToLive(data: TtlRequest): Promise<Reply> {
    const table = await this.existingTable(data);
    if (typeof table !== "string") return table;
    const current = this.settings.get(table);
    return jsonReply(200, {
      TimeToLiveDescription: current ? { TimeToLiveStatus: "ENABLED", AttributeName: current } : { TimeToLiveStatus: "DISABLED" },
    });
  }

  async updateTimeToLive(data: TtlRequest): Promise<Reply> {
    const table = await this.existingTable(data);
    if (typeof table !== "string") return table;
    const current = this.settings.get(table);
    const spec = data.TimeToLiveSpecification;
    if (!spec || typeof spec.Enabled !== "boolean" || typeof spec.AttributeName !== "string" || !spec.AttributeName) {
      return validationError("1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null");
    }
    // AWS answers a no-op change with a ValidationException.
    if (spec.Enabled && current) return validationError("TimeToLive is already enabled");
    if (!spec.Enabled && !current) return validationError("TimeToLive is already disabled");
    if (!spec.Enabled && current !== spec.AttributeName) {
      return validationError("TimeToLive is active on a different AttributeName: current AttributeName is " + current);
    }
    if (spec.Enabled) this.settings.set(table, spec.AttributeName);
    else this.settings.delete(table);
    await this.settings.save();
    this.log(`dynamodb: TTL on ${table} ${spec.Enabled ? `enabled (${spec.AttributeName})` : "disabled"}`);
    return jsonReply(200, { TimeToLiveSpecification: { Enabled: spec.Enabled, AttributeName: spec.AttributeName } });
  }

  /** The request's table, when it names one that exists; else the error reply. */
  private async existingTable(data: TtlRequest): Promise<string | Reply> {
    const table = typeof data.TableName === "string" ? data.TableName : "";
    if (!table) return validationError("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null");
    if (!(await this.tableExists(table))) return errorReply(400, "ResourceNotFoundException", "Requested resource not found");
    return table;
  }

  /** DeleteTable: once it has succeeded, the table's TTL setting goes too. */
  private async forgetOnDelete(req: http.IncomingMessage, res: http.ServerResponse, next: (body?: Buffer) => void): Promise<void> {
    const body = await readBody(req);
    const name = tableNameOf(body);
    res.once("finish", () => {
      if (res.statusCode !== 200 || !name) return;
      if (this.settings.delete(name)) void this.settings.save();
    });
    return next(body);
  }
}
