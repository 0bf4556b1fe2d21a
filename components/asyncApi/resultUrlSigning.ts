/**
 * Who signs `resultUrl`s: the result-reader role (resultReader.ts) trusts the roles of the status
 * and webhook delivery functions alone, and they sign as it. The status function comes first and
 * makes the reader; the delivery function comes later, so the reader's trust policy takes its
 * role's ARN from a promise that the delivery function's role fills in.
 */
import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ENV } from "../../lambdas/shared/env";
import { assumeRoleStatement, type PolicyStatement } from "../iam/policies";
import { createResultReader } from "./resultReader";

/** What a function that signs as the reader gets on top of its own settings (a `withRole` answer). */
export interface SignAsReader {
  environment: pulumi.Output<Record<string, string>>;
  policyStatements: pulumi.Output<PolicyStatement[]>;
}

export interface ResultUrlSigning {
  /** The status function's `withRole`: makes the reader, trusting this role and the delivery's. */
  status: (role: aws.iam.Role) => SignAsReader;
  /** The webhook delivery function's `withRole`: the reader now trusts this role too. */
  delivery: (role: aws.iam.Role) => SignAsReader;
  /** The reader, once the status function made it. */
  reader: () => aws.iam.Role;
}

const signAsReader = (reader: aws.iam.Role): SignAsReader => ({
  environment: reader.arn.apply((arn): Record<string, string> => ({ [ENV.RESULT_READER_ROLE_ARN]: arn })),
  policyStatements: reader.arn.apply((arn) => [assumeRoleStatement("SignResultUrls", arn)]),
});

export function resultUrlSigning(name: string, parent: pulumi.Resource, resultsBucketArn: pulumi.Input<string>): ResultUrlSigning {
  let resultReader: aws.iam.Role | undefined;
  let deliveryRoleArn!: (arn: pulumi.Output<string>) => void;
  const laterDeliveryRoleArn = pulumi.output(new Promise<pulumi.Output<string>>((resolve) => (deliveryRoleArn = resolve)));
  return {
    status: (role) => {
      resultReader = createResultReader(name, parent, { resultsBucketArn, signerRoleArns: [role.arn, laterDeliveryRoleArn] });
      return signAsReader(resultReader);
    },
    delivery: (role) => {
      deliveryRoleArn(role.arn);
      return signAsReader(resultReader!);
    },
    reader: () => resultReader!,
  };
}
