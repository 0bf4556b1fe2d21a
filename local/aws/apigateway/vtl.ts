/**
 * Renders API Gateway (REST) mapping templates locally: Apache Velocity on velocityjs, with the
 * `$input`, `$util`, `$context` and `$stageVariables` API Gateway gives templates.
 */
import { randomUUID } from "node:crypto";
import { Compile, Helper, parse } from "velocityjs";
import { javaMethodHandlers } from "./javaMethods";
import { evaluateJsonPath } from "./jsonPath";
import { clfTime } from "./proxy";
import { createUtil } from "./vtlUtil";

/** `$context.identity`. Fields AWS leaves null are absent (print as the reference unless `$!`). */
export interface VtlIdentity {
  sourceIp: string;
  userAgent?: string;
  accountId?: string;
  caller?: string;
  user?: string;
  userArn?: string;
  accessKey?: string;
  apiKey?: string;
  apiKeyId?: string;
  [field: string]: unknown;
}

/** `$context` (the writable overrides excepted). */
export interface VtlContext {
  requestId: string;
  extendedRequestId: string;
  apiId: string;
  accountId: string;
  stage: string;
  httpMethod: string;
  resourcePath: string;
  path: string;
  protocol: string;
  domainName: string;
  requestTime: string;
  requestTimeEpoch: number;
  identity: VtlIdentity;
}

/** What a caller may set of `$context`: any field (more than `VtlContext` names, e.g. `authorizer`, `error`). */
export type VtlContextInput = Partial<Omit<VtlContext, "identity">> & {
  identity?: Partial<VtlIdentity>;
  [field: string]: unknown;
};

/** What a template sees of the request. */
export interface VtlRequest {
  /** Raw body; `$input.json`/`$input.path` parse it as JSON (empty = `{}`). */
  body?: string;
  headers?: Record<string, string>;
  pathParams?: Record<string, string>;
  query?: Record<string, string>;
  context?: VtlContextInput;
  stageVariables?: Record<string, string>;
}

/** `$context.responseOverride` after rendering. */
export interface ResponseOverride {
  status?: number;
  header: Record<string, string>;
}

/** `$context.requestOverride` after rendering (integration request templates). */
export interface RequestOverride {
  header: Record<string, string>;
  path: Record<string, string>;
  querystring: Record<string, string>;
}

export interface RenderResult {
  output: string;
  responseOverride: ResponseOverride;
  requestOverride: RequestOverride;
}

/** A template that does not parse, or fails while rendering (API Gateway answers 500 then). */
export class VtlError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "VtlError";
  }
}

// velocityjs differs from Java Velocity in a few places templates notice; they are fixed here.
class ApiGatewayCompile extends Compile {
  private readonly lines: string[];

  constructor(source: string, asts: ReturnType<typeof parse>, config: ConstructorParameters<typeof Compile>[1]) {
    super(asts, config);
    this.lines = source.split("\n");
  }

  // A reference to null or to nothing prints its own source text (velocityjs prints "null", or a
  // normalised text), or nothing when quiet (`$!x`).
  protected override getReferences(ast: any, isVal?: boolean): any {
    const value = super.getReferences(ast, false);
    if (!isVal || (value !== undefined && value !== null)) return value;
    if (this.silence || ast.leader === "$!") return "";
    const pos = ast.pos;
    const normalised = Helper.getRefText(ast);
    if (pos && pos.first_line === pos.last_line && typeof pos.last_column === "number") {
      // Inside a string literal the positions count from the literal, not the line: the source
      // text is taken only when it is this reference's.
      const text = this.lines[pos.first_line - 1]?.slice(pos.first_column, pos.last_column);
      const bare = (t: string) => t.replace(/[{}\s]/g, "");
      if (text !== undefined && text.startsWith("$") && bare(text) === bare(normalised)) return text;
    }
    return normalised;
  }

  // Velocity 1.7 (the "#set" directive): "If the RHS is a property or method reference that
  // evaluates to null, it will not be assigned to the LHS"; velocityjs assigns it.
  protected override setValue(ast: any): void {
    const self = this as any;
    const ref = ast.equal[0];
    const valAst = ast.equal[1];
    let context = self.getContext(ref.id);
    if (self.contextId && String(self.contextId).indexOf("macro:") === 0) context = self.context;
    const pathKeys = self.getPathKeys(ref);
    let setPath = self.resolveSetPath(context, ref, pathKeys);
    if (setPath.blocked) return;
    const val = valAst.type === "math" ? this.getExpression(valAst) : self.config.valueMapper?.(self.getLiteral(valAst));
    if (valAst.type === "references" && (val === undefined || val === null)) return;
    if (!ref.path) {
      context[ref.id] = val;
      return;
    }
    setPath = self.resolveSetPath(context, ref, pathKeys);
    if (setPath.blocked) return;
    if (setPath.shouldSetRoot) context[ref.id] = setPath.rootRef;
    if (setPath.key !== undefined) setPath.baseRef[setPath.key] = val;
  }

  // Integer division truncates, as Java's does; `/` and `%` by zero yield null (Velocity logs
  // the error), where JS gives Infinity / NaN.
  protected override getExpression(ast: any): any {
    if (ast?.type === "math" && (ast.operator === "/" || ast.operator === "%")) {
      const a: any = this.getExpression(ast.expression[0]);
      const b: any = this.getExpression(ast.expression[1]);
      if (typeof a === "number" && typeof b === "number" && b === 0) return undefined;
      if (ast.operator === "%") return typeof a === "number" && typeof b === "number" ? a % b : super.getExpression(ast);
      const decimal = ast.expression.some((e: any) => e?.type === "decimal");
      if (decimal || !Number.isInteger(a) || !Number.isInteger(b)) return a / b;
      return Math.trunc(a / b);
    }
    return super.getExpression(ast);
  }
}

const parsed = new Map<string, ReturnType<typeof parse>>();
function parseCached(template: string): ReturnType<typeof parse> {
  let asts = parsed.get(template);
  if (!asts) {
    asts = parse(template);
    if (parsed.size > 500) parsed.clear();
    parsed.set(template, asts);
  }
  return asts;
}

function lookup(map: Record<string, string>, name: string, caseInsensitive: boolean): string | undefined {
  if (Object.prototype.hasOwnProperty.call(map, name)) return map[name];
  if (!caseInsensitive) return undefined;
  const lower = name.toLowerCase();
  const key = Object.keys(map).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : map[key];
}

function createInput(req: VtlRequest) {
  const body = req.body ?? "";
  const headers = { ...req.headers };
  const path = { ...req.pathParams };
  const querystring = { ...req.query };
  let document: { value: unknown } | undefined;
  const root = () => {
    if (!document) {
      try {
        document = { value: body.trim() === "" ? {} : JSON.parse(body) };
      } catch (e) {
        throw new VtlError("The body is not valid JSON, and the template reads it with $input.json or $input.path. ", { cause: e });
      }
    }
    return document.value;
  };
  return {
    body,
    /** JSON text of the value at a JSONPath (an empty string when there is none). */
    json: (jsonPath: string) => {
      const value = evaluateJsonPath(root(), jsonPath);
      return value === undefined ? "" : JSON.stringify(value);
    },
    /** The value at a JSONPath, as an object templates can walk. */
    path: (jsonPath: string) => {
      const value = evaluateJsonPath(root(), jsonPath);
      return value === null ? undefined : value;
    },
    /** All parameters (`params()`), or one by name from path, query string, then headers (case-insensitive). */
    params: (name?: string) => {
      if (name === undefined) return { path: { ...path }, querystring: { ...querystring }, header: { ...headers } };
      const n = String(name);
      return lookup(path, n, false) ?? lookup(querystring, n, false) ?? lookup(headers, n, true) ?? "";
    },
  };
}

function createContext(req: VtlRequest) {
  const { identity, ...given } = req.context ?? {};
  const requestId = given.requestId ?? randomUUID();
  const stage = given.stage ?? "local";
  const epoch = given.requestTimeEpoch ?? Date.now();
  const userAgent = req.headers ? lookup(req.headers, "user-agent", true) : undefined;
  const context: VtlContext & { responseOverride: { status?: unknown; header: Record<string, unknown> }; requestOverride: Record<string, Record<string, unknown>> } = {
    extendedRequestId: requestId,
    apiId: "local",
    accountId: "000000000000",
    httpMethod: "GET",
    resourcePath: "/",
    path: `/${stage}/`,
    protocol: "HTTP/1.1",
    domainName: "localhost",
    // CLF, as AWS gives it (09/Apr/2015:12:34:56 +0000), from the same instant as the epoch.
    requestTime: clfTime(epoch),
    ...given,
    requestId,
    stage,
    requestTimeEpoch: epoch,
    identity: { sourceIp: "127.0.0.1", ...(userAgent !== undefined ? { userAgent } : {}), ...identity },
    responseOverride: { header: {} },
    requestOverride: { header: {}, path: {}, querystring: {} },
  };
  return context;
}

function strings(map: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map ?? {})) if (v !== undefined && v !== null) out[k] = String(v);
  return out;
}

/**
 * Renders `template` as API Gateway would for `req`, and returns the output with whatever the
 * template set in `$context.responseOverride` / `$context.requestOverride`. HTML escaping stays off
 * (API Gateway has none). Throws `VtlError` when the template does not parse or fails.
 */
export function renderTemplate(template: string, req: VtlRequest = {}): RenderResult {
  const context = createContext(req);
  const vars = {
    input: createInput(req),
    util: createUtil(),
    context,
    stageVariables: { ...req.stageVariables },
  };
  let output: string;
  try {
    output = new ApiGatewayCompile(template, parseCached(template), { escape: false, customMethodHandlers: javaMethodHandlers }).render(vars);
  } catch (e) {
    if (e instanceof VtlError) throw e;
    throw new VtlError(`Mapping template failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const { status, header } = context.responseOverride;
  const responseOverride: ResponseOverride = { header: strings(header) };
  if (status !== undefined && status !== null && status !== "") {
    const code = Number(status);
    if (!Number.isInteger(code) || code < 100 || code > 599) throw new VtlError(`responseOverride.status is not an HTTP status: ${String(status)}`);
    responseOverride.status = code;
  }
  const ro = context.requestOverride;
  return {
    output,
    responseOverride,
    requestOverride: { header: strings(ro.header), path: strings(ro.path), querystring: strings(ro.querystring) },
  };
}
