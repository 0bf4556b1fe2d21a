import { expect } from "chai";
import { backoffBounds, backoffDelay, parseRetryAfter, resolveRegion } from "../../client/index";

describe("client retry helpers", () => {
  describe("backoffDelay (exponential, equal jitter)", () => {
    const options = { baseMs: 200, maxMs: 5000 };

    it("stays within [ceiling/2, ceiling] for every attempt, the ceiling doubling up to maxMs", () => {
      const ceilings = [200, 400, 800, 1600, 3200, 5000, 5000];
      ceilings.forEach((ceiling, attempt) => {
        expect(backoffBounds(attempt, options)).to.deep.equal({ min: ceiling / 2, max: ceiling });
        expect(backoffDelay(attempt, options, () => 0)).to.equal(ceiling / 2);
        expect(backoffDelay(attempt, options, () => 1)).to.equal(ceiling);
        for (let i = 0; i < 200; i++) {
          const d = backoffDelay(attempt, options);
          expect(d).to.be.within(ceiling / 2, ceiling);
        }
      });
    });

    it("is jittered: delays for one attempt differ", () => {
      const seen = new Set(Array.from({ length: 50 }, () => backoffDelay(3, options)));
      expect(seen.size).to.be.greaterThan(10);
    });

    it("clamps a broken random source", () => {
      expect(backoffDelay(0, options, () => 7)).to.equal(200);
      expect(backoffDelay(0, options, () => -1)).to.equal(100);
      expect(backoffDelay(0, options, () => NaN)).to.equal(100);
    });
  });

  describe("parseRetryAfter", () => {
    it("reads delay-seconds and HTTP dates, and ignores junk", () => {
      const now = Date.parse("2026-01-01T00:00:00Z");
      expect(parseRetryAfter("3", now)).to.equal(3000);
      expect(parseRetryAfter(" 0 ", now)).to.equal(0);
      expect(parseRetryAfter("1.5", now)).to.equal(1500);
      expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:10 GMT", now)).to.equal(10_000);
      expect(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now)).to.equal(0);
      expect(parseRetryAfter(null, now)).to.equal(undefined);
      expect(parseRetryAfter("soon", now)).to.equal(undefined);
      expect(parseRetryAfter("-1", now)).to.equal(undefined);
    });
  });

  describe("resolveRegion", () => {
    const env = { AWS_REGION: "ap-south-1" };
    it("takes the option first", () => {
      expect(resolveRegion("https://abc.execute-api.eu-west-1.amazonaws.com/v1", "us-west-2", env)).to.equal("us-west-2");
    });
    it("then the execute-api host name (over AWS_REGION, which that API would reject)", () => {
      expect(resolveRegion("https://abc.execute-api.eu-west-1.amazonaws.com/v1", undefined, env)).to.equal("eu-west-1");
      expect(resolveRegion("https://abc-vpce-123.execute-api.us-gov-west-1.vpce.amazonaws.com/v1", undefined, env)).to.equal("us-gov-west-1");
      expect(resolveRegion("https://abc.execute-api.cn-north-1.amazonaws.com.cn/v1", undefined, env)).to.equal("cn-north-1");
    });
    it("then us-east-1 for the local cloud on a loopback host", () => {
      expect(resolveRegion("http://localhost:8080/v1", undefined, env)).to.equal("us-east-1");
      expect(resolveRegion("http://127.0.0.1:8080/v1", undefined, env)).to.equal("us-east-1");
    });
    it("then AWS_REGION (a custom domain), else us-east-1", () => {
      expect(resolveRegion("https://api.example.com/v1", undefined, env)).to.equal("ap-south-1");
      expect(resolveRegion("https://api.example.com/v1", undefined, {})).to.equal("us-east-1");
    });
  });
});
