import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accountTrustPolicy, document, resultStatement } from "../iam/policies";

/**
 * The role whose sessions sign `resultUrl`s: it may only read `results/*`. A presigned URL dies
 * with the credentials that signed it ("Download and upload objects with presigned URLs"), so the
 * status function signs with a session of this role whose lifetime it chose, not with its own
 * credentials, whose lifetime Lambda does not say.
 *
 * Its trust policy names the account, and only the status function's own policy allows
 * `sts:AssumeRole` on it ("IAM roles: how to use a trust policy": an account principal delegates
 * to the account's identity policies). Naming the status role itself would make each role wait
 * for the other.
 */
export function createResultReader(name: string, parent: pulumi.Resource, resultsBucketArn: pulumi.Input<string>): aws.iam.Role {
  const account = aws.getCallerIdentityOutput({}, { parent }).accountId;
  const role = new aws.iam.Role(
    `${name}-result-reader`,
    {
      description: "Signs the job API's resultUrls (assumed by its status function)",
      assumeRolePolicy: account.apply((id) => JSON.stringify(accountTrustPolicy(id))),
      // The most a session assumed by another role's session may last ("Methods to assume a role").
      maxSessionDuration: 3600,
    },
    { parent },
  );
  new aws.iam.RolePolicy(
    `${name}-result-reader-policy`,
    { role: role.id, policy: pulumi.output(resultsBucketArn).apply((arn) => JSON.stringify(document(resultStatement(arn, "read")))) },
    { parent },
  );
  return role;
}
