/**
 * The owner of a job on auth `iam`: the caller's stable principal. For an assumed role,
 * `$context.identity.userArn` is `arn:aws:sts::<account>:assumed-role/<role>/<session>`; the
 * session name changes whenever the SDKs or the CLI refresh the role's credentials, and anyone who
 * may assume the role can choose it, so it cannot tell callers apart. The owner is the role without
 * the session (role names hold no "/"); every other principal (an IAM user, a federated user) is
 * its own ARN. The stream backend's mapping template does the same (components/api/streamSubmit.ts).
 */
export function stableOwner(userArn: string): string {
  const m = /^(arn:[^:]+:sts::\d{12}:assumed-role\/[^/]+)\/.+$/.exec(userArn);
  return m ? m[1] : userArn;
}
