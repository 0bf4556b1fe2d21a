import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accountTrustPolicy, document, resultStatement } from "../iam/policies";

/**
 * The role whose sessions sign `resultUrl`s: it may only read `results/*`. A presigned URL dies
 * with the credentials that signed it ("Download and upload objects with presigned URLs"), so the
 * status function signs with a session of this role whose lifetime it chose, not with its own
 * credentials, whose lifetime Lambda does not say.
 *
 * Its trust policy lets the account's principals in only when they are the status function's role
 * (`aws:PrincipalArn`, which for a role session is the role's ARN: "AWS global condition context
 * keys"), and only that role's policy allows `sts:AssumeRole` on it. A condition rather than the
 * role as principal: IAM pins a role principal to the role's unique id, which a re-created role
 * with the same name would not match.
 */
export function createResultReader(name: string, parent: pulumi.Resource, args: { resultsBucketArn: pulumi.Input<string>; statusRoleArn: pulumi.Input<string> }): aws.iam.Role {
  const account = aws.getCallerIdentityOutput({}, { parent }).accountId;
  const role = new aws.iam.Role(
    `${name}-result-reader`,
    {
      description: "Signs the job API's resultUrls (assumed by its status function)",
      assumeRolePolicy: pulumi
        .all([account, args.statusRoleArn])
        .apply(([id, statusRole]) => JSON.stringify(accountTrustPolicy(id, { ArnEquals: { "aws:PrincipalArn": statusRole } }))),
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
