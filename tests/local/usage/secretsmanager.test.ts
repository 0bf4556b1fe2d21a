// The local Secrets Manager's cost meter: one unit per API call, by secret, with a real local
// Secrets Manager and the SDK.
import { expect } from "chai";
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { startSecretsManagerService, type LocalSecretsManagerService } from "../../../local/aws/secretsmanager";
import { UsageMeter } from "../../../local/usage/meter";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../../local/aws/types";

describe("Secrets Manager usage: a local Secrets Manager counting real SDK calls", function () {
  let service: LocalSecretsManagerService;
  let client: SecretsManagerClient;
  let meter: UsageMeter;

  before(async () => {
    meter = new UsageMeter();
    service = await startSecretsManagerService({ meter });
    client = new SecretsManagerClient({ endpoint: service.endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS }, maxAttempts: 1 });
  });

  after(async () => {
    client?.destroy();
    await service?.stop();
  });

  // https://aws.amazon.com/secrets-manager/pricing/: "$0.05 per 10,000 API calls".
  it("counts each API call (deployment's CreateSecret/PutSecretValue, GetSecretValue, DescribeSecret, failed ones) by secret, not per job", async () => {
    const arn = service.createSecret("webhook-signing"); // CreateSecret: 1
    service.createSecret("webhook-signing"); // exists: no call
    service.putSecretValue("webhook-signing", "s3cr3t"); // PutSecretValue: 1
    service.putSecretValue(arn, "s3cr3t"); // same value: no call
    await client.send(new GetSecretValueCommand({ SecretId: "webhook-signing" }));
    await client.send(new GetSecretValueCommand({ SecretId: "webhook-signing" }));
    await client.send(new GetSecretValueCommand({ SecretId: arn }));
    await client.send(new DescribeSecretCommand({ SecretId: arn }));
    const missing = await client.send(new GetSecretValueCommand({ SecretId: "no-such-secret" })).catch((e: Error) => e);
    expect((missing as Error).name).to.equal("ResourceNotFoundException");

    const report = meter.report();
    expect(report.totals).to.deep.equal({ "secretsmanager.apiCalls": 7 });
    expect(report.notPerJob).to.deep.equal({ "secretsmanager.apiCalls": 7 });
    expect(report.jobs).to.deep.equal({});
    expect(report.bySource).to.deep.equal({
      "secretsmanager:webhook-signing": { "secretsmanager.apiCalls": 6 },
      "secretsmanager:no-such-secret": { "secretsmanager.apiCalls": 1 },
    });
  });
});
