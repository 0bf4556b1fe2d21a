// The owner of a job on auth iam (lambdas/shared/owner.ts): AWS, "$context variables for data
// models, authorizers, mapping templates, and access logging" (identity.userArn), and IAM
// identifiers (assumed-role ARNs: arn:aws:sts::<account>:assumed-role/<role-name>/<role-session-name>).
import { expect } from "chai";
import { stableOwner } from "../../lambdas/shared/owner";

describe("lambdas/shared/owner: a caller's stable principal", () => {
  it("drops an assumed role's session name, which the caller's SDK renews and may choose", () => {
    expect(stableOwner("arn:aws:sts::123456789012:assumed-role/jobs-invoker/botocore-session-1764000000")).to.equal("arn:aws:sts::123456789012:assumed-role/jobs-invoker");
    expect(stableOwner("arn:aws:sts::123456789012:assumed-role/jobs-invoker/alice@example.com")).to.equal("arn:aws:sts::123456789012:assumed-role/jobs-invoker");
    expect(stableOwner("arn:aws-cn:sts::123456789012:assumed-role/r/s")).to.equal("arn:aws-cn:sts::123456789012:assumed-role/r");
  });

  it("keeps every other principal as it is", () => {
    for (const arn of ["arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/path/bob", "arn:aws:sts::123456789012:federated-user/carol", "arn:aws:iam::123456789012:root"]) {
      expect(stableOwner(arn)).to.equal(arn);
    }
  });
});
