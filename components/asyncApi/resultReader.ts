import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accountTrustPolicy, document, resultStatement } from "../iam/policies";

/**
 * The role whose sessions sign `resultUrl`s: it may only read `results/*`. A presigned URL dies
 * with the credentials that signed it ("Download and upload objects with presigned URLs"), so the
 * status function signs with a session of this role whose lifetime it chose, not with its own
 * credentials, whose lifetime Lambda does not say.
 *
 * Its trust policy lets the account's principals in only when they are the roles of the functions
 * that answer with a job (the status function; the webhook delivery) (`aws:PrincipalArn`, which for
 * a role session is the role's ARN: "AWS global condition context keys"), and only those roles'
 * policies allow `sts:AssumeRole` on it. A condition rather than the
 * role as principal: IAM pins a role principal to the role's unique id, which a re-created role
 * with the same name would not match.
 */
export function createResultReader(name: string, parent: pulumi.Resource, args: { resultsBucketArn: pulumi.Input<string>; signerRoleArns: pulumi.Input<string>[] }): aws.iam.Role {
  const account = aws.getCallerIdentityOutput({}, { parent }).accountId;
  const role = new aws.iam.Role(
    `${name}-result-reader`,
    {
      description: "Signs the job API's resultUrls (assumed by its status and webhook delivery functions)",
      assumeRolePolicy: pulumi
        .all([account, pulumi.all(args.signerRoleArns)])
        .apply(([id, roles]) => JSON.stringify(accountTrustPolicy(id, { ArnEquals: { "aws:PrincipalArn": roles.length === 1 ? roles[0] : roles } }))),
      // The most a session assumed by another role's session may last ("Methods to assume a role").
      maxSessionDuration: 3600,
    },
    { parent },
  );
  new aws.iam.RolePolicy(
    `${name}-result-reader-policy`,
    { role: role.id, policy: pulumi.output(args.resultsBucketArn).apply((arn) => JSON.stringify(document(resultStatement(arn, "read")))) },
    { parent },
  );
  return role;
}
