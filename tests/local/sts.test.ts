import { expect } from "chai";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { startStsService, type LocalStsService } from "../../local/aws/sts";
import { sessionTokenExpiry } from "../../local/aws/sts/sessionToken";
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/aws/types";

const ROLE = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/jobs-result-reader-abc1234`;

/** AWS STS API Reference, "AssumeRole"; IAM User Guide, "Methods to assume a role" (role chaining: one hour at most). */
describe("local STS: AssumeRole", () => {
  let service: LocalStsService;
  let client: STSClient;
  let now = Date.parse("2026-03-01T12:00:00Z");

  before(async () => {
    service = await startStsService({ now: () => now });
    service.createRole(ROLE);
    client = new STSClient({ endpoint: service.endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS }, maxAttempts: 1 });
  });
  after(async () => {
    client?.destroy();
    await service?.stop();
  });

  const assume = (input: Partial<ConstructorParameters<typeof AssumeRoleCommand>[0]> = {}) =>
    client.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: "result-url", ...input }));
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => expect.fail("should have failed"),
      (e: Error & { $metadata: { httpStatusCode?: number } }) => ({ name: e.name, status: e.$metadata.httpStatusCode, message: e.message }),
    );

  it("gives a session of a declared role, through the real SDK, that lasts the duration asked for (default one hour)", async () => {
    now = Date.parse("2026-03-01T12:00:00Z");
    const out = await assume({ DurationSeconds: 900 });
    expect(out.Credentials?.Expiration?.toISOString()).to.equal("2026-03-01T12:15:00.000Z");
    expect(out.AssumedRoleUser?.Arn).to.equal(`arn:aws:sts::${LOCAL_ACCOUNT_ID}:assumed-role/jobs-result-reader-abc1234/result-url`);
    expect(sessionTokenExpiry(out.Credentials!.SessionToken!)).to.equal(Date.parse("2026-03-01T12:15:00Z"));
    const longest = await assume();
    expect(longest.Credentials?.Expiration?.toISOString()).to.equal("2026-03-01T13:00:00.000Z");
  });

  it("refuses more than one hour (a function's credentials are a role session: role chaining)", async () => {
    const e = await failure(assume({ DurationSeconds: 3601 }));
    expect(e).to.deep.include({ name: "ValidationError", status: 400 });
    expect(e.message).to.contain("role chaining");
  });

  it("refuses less than 900 seconds and a bad session name", async () => {
    expect(await failure(assume({ DurationSeconds: 899 }))).to.deep.include({ name: "ValidationError", status: 400 });
    expect(await failure(assume({ RoleSessionName: "no spaces" }))).to.deep.include({ name: "ValidationError", status: 400 });
  });

  it("refuses a role the program did not declare with 403 AccessDenied", async () => {
    const e = await failure(assume({ RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/someone-else` }));
    expect(e).to.deep.include({ name: "AccessDenied", status: 403 });
    expect(e.message).to.contain("sts:AssumeRole");
  });
});
