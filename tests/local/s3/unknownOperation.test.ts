// The local S3 answers what S3 has no operation for as S3 does:
// - a method of no S3 operation: 405 `MethodNotAllowed` ("The specified method is not allowed
//   against this resource", "Error responses", Amazon S3 API Reference,
//   https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList);
// - a subresource the local S3 does not serve: 501 `NotImplemented` ("A header you provided
//   implies functionality that is not implemented", same page), never a silent success.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startS3Service, type LocalS3Service } from "../../../local/aws/s3";

describe("local S3: what it does not serve answers S3's own error", function () {
  let dir: string;
  let service: LocalS3Service;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "async-api-s3-unknown-"));
    service = await startS3Service({ dir });
    await service.createBucket("things");
  });
  after(async () => {
    await service.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("PATCH (no S3 operation): 405 MethodNotAllowed as an S3 XML error", async () => {
    const res = await fetch(`${service.endpoint}/things/a.json`, { method: "PATCH", body: "{}" });
    expect(res.status).to.equal(405);
    const text = await res.text();
    expect(text).to.match(/<Error><Code>MethodNotAllowed<\/Code><Message>The specified method is not allowed against this resource.<\/Message><\/Error>/);
  });

  it("a subresource it does not serve (GET ?inventory): 501 NotImplemented", async () => {
    const res = await fetch(`${service.endpoint}/things?inventory`);
    expect(res.status).to.equal(501);
    expect(await res.text()).to.include("<Code>NotImplemented</Code>");
  });
});
