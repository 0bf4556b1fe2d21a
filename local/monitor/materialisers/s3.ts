/** S3 buckets, their lifecycle rules and EventBridge notifications, on the local S3. */
import { lifecycleRulesOfPulumi } from "../../aws/s3/lifecycle";
import type { LocalS3Service } from "../../aws/s3";
import { LOCAL_REGION } from "../../aws/types";
import type { MaterialiserContext, Materialisers } from "./context";

export function s3Materialisers(ctx: MaterialiserContext): Materialisers {
  const s = ctx.services;
  return {
    "aws:s3/bucket:Bucket": async (name, inputs) => {
      const bucket = (inputs.bucket ?? ctx.physicalName(name, {}, 63)).toLowerCase();
      await s.s3.createBucket(bucket);
      return {
        id: bucket,
        state: { bucket, arn: `arn:aws:s3:::${bucket}`, bucketDomainName: `${bucket}.s3.amazonaws.com`, bucketRegionalDomainName: `${bucket}.s3.${LOCAL_REGION}.amazonaws.com`, region: LOCAL_REGION },
      };
    },
    // Access blocks, ownership and encryption change nothing locally; expiry is checked by every
    // reader (records carry expiresAt), as it must be on AWS where lifecycle rules run daily.
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ctx.accepted,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ctx.accepted,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": ctx.accepted,
    // The rules' expirations are how long an object is stored (the cost meter's GB-months).
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": async (name, inputs) => {
      await (s.s3 as LocalS3Service).setLifecycleRules(inputs.bucket, lifecycleRulesOfPulumi(inputs.rules));
      return { id: `${name}-${ctx.shortId(name)}`, state: {} };
    },
    "aws:s3/bucketNotification:BucketNotification": async (name, inputs) => {
      for (const unsupported of ["lambdaFunctions", "queues", "topics"]) {
        if (inputs[unsupported]?.length) throw new Error(`bucket notification ${name}: the local S3 notifies EventBridge only, not ${unsupported}`);
      }
      if (inputs.eventbridge) (s.s3 as LocalS3Service).enableEventBridge(inputs.bucket, () => s.eventbridge);
      return { id: inputs.bucket, state: {} };
    },
  };
}
