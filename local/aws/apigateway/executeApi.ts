/**
 * The execute-api data plane: each request goes find stage → (local routes) → route →
 * authenticate → validate → integrate → respond. An unknown stage, path or method is API
 * Gateway's MISSING_AUTHENTICATION_TOKEN (403 "Missing Authentication Token"), in the gateway
 * responses of the stage's API (of the only API served, for an unknown stage); any rejection on
 * the way is the gateway response of its type.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { authenticate } from "./authenticate";
import { consoleAsset } from "./consoleRoute";
import type { ApiGateway, Stage } from "./controlPlane";
import { matchRoute } from "./document";
import { newExchange, readBody, Rejection, type Exchange } from "./exchange";
import { integrate } from "./integrations";
import { MAX_REQUEST_BYTES, USAGE_PATH, type GatewaySettings } from "./options";
import { send, sendGatewayResponse } from "./respond";
import { validateRequest } from "./validation";

export class ExecuteApi {
  constructor(
    private readonly settings: GatewaySettings,
    private readonly gateway: ApiGateway,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const x = newExchange(req, this.settings.now());
    const { body, tooLarge, aborted } = await readBody(req);
    if (aborted && !tooLarge) {
      this.settings.log(`${x.sourceIp} "${x.method} ${x.url}" aborted by the client ${x.requestId}`);
      return;
    }
    if (aborted) {
      // Too large to keep reading: answer, then drop the connection.
      res.setHeader("Connection", "close");
      res.once("finish", () => req.destroy());
    }
    if (this.serveUsage(res, x)) return;
    const stage = this.findStage(x);
    if (!stage) {
      sendGatewayResponse(this.settings, res, x, { type: "MISSING_AUTHENTICATION_TOKEN" }, this.gateway.fallbackApi());
      return;
    }
    if (await this.serveConsole(res, x)) return;
    const route = matchRoute(stage.api, x.path, x.method);
    if (!route) {
      x.note = "(no route)";
      sendGatewayResponse(this.settings, res, x, { type: "MISSING_AUTHENTICATION_TOKEN" }, stage.api);
      return;
    }
    x.route = route;
    await this.runMethod(res, x, body, tooLarge, stage);
  }

  /** Local only: `GET /__local/usage`, when the gateway was given a usage report. */
  private serveUsage(res: ServerResponse, x: Exchange): boolean {
    if (!this.settings.usage || x.method !== "GET" || x.rawPath !== USAGE_PATH) return false;
    x.local = true;
    x.note = "(usage)";
    const report = Buffer.from(JSON.stringify(this.settings.usage() ?? null));
    send(this.settings, res, x, { status: 200, headers: [["Content-Type", "application/json; charset=utf-8"], ["Cache-Control", "no-store"]], body: report });
    return true;
  }

  /** `/<stage>/<path below the stage>`, or `/<apiId>/<stage>/...` for a stage mounted below its API's id; sets `x.stage` and `x.path`. */
  private findStage(x: Exchange): Stage | undefined {
    const m = /^\/([^/]*)(\/.*)?$/.exec(x.rawPath);
    let stageName = m?.[1] ?? "";
    try {
      stageName = decodeURIComponent(stageName);
    } catch {
      /* keep it as sent */
    }
    let stage = this.gateway.stageAt(stageName);
    let below = m?.[2];
    if (!stage) {
      // A stage mounted below its API's id (a second API with the same stage name).
      const mounted = /^\/([^/]+)\/([^/]+)(\/.*)?$/.exec(x.rawPath);
      const candidate = mounted ? this.gateway.stageAt(`${mounted[1]}/${mounted[2]}`) : undefined;
      if (candidate) {
        stage = candidate;
        below = mounted![3];
      }
    }
    if (!stage) {
      x.note = stageName ? `(no stage ${stageName})` : "(no stage)";
      return undefined;
    }
    x.stage = stage;
    x.path = below ?? "/";
    return stage;
  }

  /** Local only: the console's files below the stage (GET and HEAD). */
  private async serveConsole(res: ServerResponse, x: Exchange): Promise<boolean> {
    const consoleDir = this.settings.consoleDir;
    if (!consoleDir || (x.method !== "GET" && x.method !== "HEAD")) return false;
    const asset = await consoleAsset(consoleDir, x.path, x.rawQuery);
    if (!asset) return false;
    x.note = "(console)";
    x.local = true;
    send(this.settings, res, x, asset);
    return true;
  }

  /** The routed method: authenticate, validate, integrate; a rejection is its gateway response. */
  private async runMethod(res: ServerResponse, x: Exchange, body: Buffer, tooLarge: boolean, stage: Stage): Promise<void> {
    const method = x.route!.method;
    try {
      if (tooLarge) throw new Rejection({ type: "REQUEST_TOO_LARGE" }, `body over ${MAX_REQUEST_BYTES} bytes`);
      await authenticate(this.settings, this.gateway, x, method, body, stage);
      validateRequest(x, method, body, stage.api);
      send(this.settings, res, x, await integrate(this.settings, this.gateway, x, method, body, stage));
    } catch (e) {
      if (e instanceof Rejection) {
        x.note = e.note;
        sendGatewayResponse(this.settings, res, x, e.error, stage.api);
      } else {
        x.note = `gateway error: ${(e as Error)?.stack ?? String(e)}`;
        sendGatewayResponse(this.settings, res, x, { type: "DEFAULT_5XX" }, stage.api);
      }
    }
  }
}
