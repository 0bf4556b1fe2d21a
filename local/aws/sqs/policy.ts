/**
 * Queue resource policies, evaluated for service principals: the local EventBridge asks before it
 * dead-letters an event, as AWS does.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-basic-examples-of-sqs-policies.html
 */
import { LOCAL_ACCOUNT_ID } from "../types";

function wildcard(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
  return re.test(value);
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** Whether a statement's `Condition` holds in `context` (an unknown operator or key does not). */
function conditionsHold(condition: Record<string, Record<string, unknown>> | undefined, context: Record<string, string>): boolean {
  for (const [operator, entries] of Object.entries<Record<string, unknown>>(condition ?? {})) {
    for (const [key, expected] of Object.entries(entries)) {
      const actual = context[key.toLowerCase()];
      if (actual === undefined) return false;
      const values = list(expected).map(String);
      if (operator === "ArnEquals" || operator === "StringEquals") {
        if (!values.includes(actual)) return false;
      } else if (operator === "ArnLike" || operator === "StringLike") {
        if (!values.some((v) => wildcard(v, actual))) return false;
      } else return false;
    }
  }
  return true;
}

/**
 * Whether a resource policy lets a service principal perform `action` on `resourceArn` for a
 * request whose `aws:SourceArn` is `sourceArn` (an explicit Deny wins). Conditions it does not know
 * make a statement not apply.
 */
export function policyAllowsService(policyText: string | undefined, service: string, action: string, resourceArn: string, sourceArn: string): boolean {
  if (!policyText) return false;
  let policy: { Statement?: unknown };
  try {
    policy = JSON.parse(policyText);
  } catch {
    return false;
  }
  const context: Record<string, string> = { "aws:sourcearn": sourceArn, "aws:sourceaccount": LOCAL_ACCOUNT_ID };
  const applies = (s: Record<string, any>): boolean => {
    const principal = s.Principal;
    const principalOk = principal === "*" || (principal && (list(principal.Service).includes(service) || list(principal.AWS).includes("*")));
    if (!principalOk) return false;
    if (!list(s.Action).some((a) => typeof a === "string" && wildcard(a.toLowerCase(), action.toLowerCase()))) return false;
    if (!list(s.Resource).some((r) => typeof r === "string" && wildcard(r, resourceArn))) return false;
    return conditionsHold(s.Condition, context);
  };
  const statements = list(policy.Statement) as Record<string, any>[];
  if (statements.some((s) => s.Effect === "Deny" && applies(s))) return false;
  return statements.some((s) => s.Effect === "Allow" && applies(s));
}
