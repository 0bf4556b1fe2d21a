/**
 * Lambda resource-policy statements that let `apigateway.amazonaws.com` invoke a function, and
 * the check API Gateway's invocation must pass (`AWS:SourceArn` ArnLike the statement's pattern).
 */

/** `name`, `arn:aws:lambda:<region>:<acct>:function:<name>[:qualifier]` or `<acct>:function:<name>` → `name`. */
export function functionNameOf(nameOrArn: string): string {
  const parts = nameOrArn.split(":");
  const at = parts.indexOf("function");
  return at >= 0 && at + 1 < parts.length ? parts[at + 1] : nameOrArn;
}

/** ArnLike: `*` is any run of characters (`/` and `:` included), `?` is one character; case-sensitive. */
export function arnLike(pattern: string, arn: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${regex}$`, "s").test(arn);
}

/**
 * `arn:aws:execute-api:<region>:<acct>:<apiId>/<stage>/<METHOD>/<path>` for a request, with the
 * resource's template path (`/jobs/{jobId}`) and with the path as requested (`/jobs/abc`).
 */
export function executeApiArns(input: { region: string; accountId: string; apiId: string; stage: string; httpMethod: string; resourcePath: string; path: string }): string[] {
  const base = `arn:aws:execute-api:${input.region}:${input.accountId}:${input.apiId}/${input.stage}/${input.httpMethod.toUpperCase()}`;
  return [...new Set([`${base}${input.resourcePath}`, `${base}${input.path}`])];
}

export class LambdaPermissions {
  private readonly statements: Array<{ functionName: string; sourceArn: string }> = [];

  add(functionNameOrArn: string, sourceArn: string): void {
    this.statements.push({ functionName: functionNameOf(functionNameOrArn), sourceArn });
  }

  /** Whether any statement for the function allows one of the source ARNs (an empty pattern allows every source). */
  allows(functionNameOrArn: string, sourceArns: string[]): boolean {
    const name = functionNameOf(functionNameOrArn);
    return this.statements.some((s) => s.functionName === name && (s.sourceArn === "" || sourceArns.some((arn) => arnLike(s.sourceArn, arn))));
  }
}
