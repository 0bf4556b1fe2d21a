/*
 * A store call that hangs (the service accepts the request and never answers) ends within an API
 * function's 10 s as the contract's 503, not as API Gateway's 502/504 after the function is killed:
 * the handlers' SDK clients have per-attempt timeouts (lambdas/shared/clients.ts HTTP_TIMEOUTS),
 * and a TimeoutError is a service failing ("Error handling with DynamoDB": the SDKs retry
 * timeouts; the AWS SDK for JavaScript v3 has no request timeout by default).
 */
import { expect } from "chai";
import * as path from "path";
import { startDynamoDbService } from "../../../local/aws/dynamodb";
import type { LocalDynamoDbService } from "../../../local/aws/dynamodb";
import { sdkEnvironment } from "../../../local/aws/types";
import { createStatusHandler } from "../../../lambdas/api/status";
import { resetClients } from "../../../lambdas/shared/clients";
import { ENV } from "../../../lambdas/shared/env";
import { logger } from "../../../lambdas/shared/logger";
import { apiEvent } from "../../lambdas/support/harness";
import { cleanupTmpDirs, setEnv, tmpDir } from "./support";

const TABLE = "async-api-jobs";

describe("a hung store call (local DynamoDB that never answers)", function () {
  this.timeout(30_000);
  let dynamodb: LocalDynamoDbService;
  let restoreEnv: () => void;
  const held: { end(): void }[] = [];

  before(async () => {
    dynamodb = await startDynamoDbService({ dir: path.join(tmpDir("hung"), "dynamodb"), ttlSweepMs: 0 });
    await dynamodb.createTable({ name: TABLE, hashKey: "pk", attributes: [{ name: "pk", type: "S" }] });
    restoreEnv = setEnv({
      ...sdkEnvironment({ dynamodb: dynamodb.endpoint, s3: "http://127.0.0.1:9", lambda: "http://127.0.0.1:9", sfn: "http://127.0.0.1:9" }),
      [ENV.STORE]: "dynamodb",
      [ENV.BACKEND]: "lambda",
      [ENV.AUTH]: "none",
      [ENV.JOBS_TABLE]: TABLE,
    });
    resetClients();
    logger.setLogLevel("SILENT");
  });

  after(async () => {
    for (const res of held) res.end();
    resetClients();
    restoreEnv?.();
    await dynamodb?.stop();
    cleanupTmpDirs();
  });

  it("answers GET /jobs/{id} with 503 and Retry-After within the function's 10 s, after the SDK's attempts time out", async () => {
    let attempts = 0;
    const started = Date.now();
    const remove = dynamodb.use((call, next) => {
      if (call.operation !== "GetItem") return next();
      attempts++;
      held.push(call.res); // never answered
    });
    try {
      const res = await createStatusHandler()(apiEvent({ jobId: "3b241101-e2bb-4255-8caf-4136c566a962", userArn: null }));
      const elapsed = Date.now() - started;
      expect(res.statusCode).to.equal(503);
      expect(JSON.parse(res.body).error.code).to.equal("ServiceUnavailable");
      expect((res.headers ?? {})["Retry-After"]).to.equal("2");
      expect(elapsed, "within the API function's 10 s timeout").to.be.below(10_000);
      expect(attempts, "the SDK tried again after each timeout").to.be.at.least(3);
    } finally {
      remove();
    }
  });
});
