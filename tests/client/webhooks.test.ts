// verifyWebhook and signWebhook (client/webhooks.ts) against the Standard Webhooks specification,
// cross-checked with its independent reference library (the `standardwebhooks` package): what one
// signs, the other verifies. Then every way a delivery can fail verification.
import { expect } from "chai";
import { randomBytes } from "crypto";
import { Webhook } from "standardwebhooks";
import {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  WebhookVerificationError,
  isWebhookSecret,
  signWebhook,
  verifyWebhook,
  type Job,
  type WebhookEvent,
  type WebhookVerificationReason,
} from "../../client/index";

const KEY = randomBytes(32);
const SECRET = `whsec_${KEY.toString("base64")}`;
const OTHER_SECRET = `whsec_${randomBytes(32).toString("base64")}`;

/** A fixed "now" for the tests that are not cross-checks (those use the clock, as the reference library does). */
const NOW_MS = Date.UTC(2026, 0, 1, 12, 0, 0);
const NOW_S = NOW_MS / 1000;
const atNow = { now: () => NOW_MS };

const JOB: Job<{ slept: number }> = {
  jobId: "01JB4Q7Z8X9Y0ABCDEF1234567",
  status: "SUCCEEDED",
  createdAt: "2026-01-01T11:59:55.000Z",
  updatedAt: "2026-01-01T11:59:58.000Z",
  result: { slept: 2 },
};
const EVENT: WebhookEvent<{ slept: number }> = { type: "job.succeeded", timestamp: "2026-01-01T11:59:58.100Z", data: JOB };
const BODY = JSON.stringify(EVENT);

/** The reason verifyWebhook throws with (fails the test if it does not throw one). */
function reasonOf(verify: () => unknown): WebhookVerificationReason {
  try {
    verify();
  } catch (err) {
    expect(err).to.be.instanceOf(WebhookVerificationError);
    expect((err as Error).name).to.equal("WebhookVerificationError");
    return (err as WebhookVerificationError).reason;
  }
  expect.fail("verifyWebhook accepted the delivery");
}

describe("webhooks: verifyWebhook and signWebhook (Standard Webhooks)", () => {
  describe("against the reference library (standardwebhooks)", () => {
    it("a delivery the reference library signs verifies, and gives the event typed", () => {
      const id = "msg_2mGqk7c0b7eGf1";
      const now = new Date();
      const headers = { "webhook-id": id, "webhook-timestamp": String(Math.floor(now.getTime() / 1000)), "webhook-signature": new Webhook(SECRET).sign(id, now, BODY) };
      const event = verifyWebhook<{ slept: number }>(SECRET, headers, BODY);
      expect(event).to.deep.equal(EVENT);
      expect(event.data.result?.slept).to.equal(2);
    });

    it("what signWebhook signs, the reference library verifies (non-ASCII body included)", () => {
      const body = JSON.stringify({ ...EVENT, data: { ...JOB, result: { text: "naïve café ☕ 日本" } } });
      const headers = signWebhook(SECRET, "msg_1", Math.floor(Date.now() / 1000), body);
      expect(new Webhook(SECRET).verify(body, headers)).to.deep.equal(JSON.parse(body));
      expect(() => new Webhook(OTHER_SECRET).verify(body, headers)).to.throw(/No matching signature/);
    });

    it("signWebhook's signature is the reference library's, byte for byte, with or without the whsec_ prefix", () => {
      const expected = new Webhook(SECRET).sign("msg_x", new Date(NOW_MS), BODY);
      expect(signWebhook(SECRET, "msg_x", NOW_S, BODY)).to.deep.equal({ "webhook-id": "msg_x", "webhook-timestamp": String(NOW_S), "webhook-signature": expected });
      expect(signWebhook(KEY.toString("base64"), "msg_x", NOW_S, BODY)["webhook-signature"]).to.equal(expected);
      expect(expected).to.match(/^v1,[A-Za-z0-9+/]{43}=$/);
    });
  });

  describe("what it accepts", () => {
    it("the body as a Buffer, and the raw body only: a re-serialized parse of it fails", () => {
      const spaced = JSON.stringify(EVENT, null, 2);
      const headers = signWebhook(SECRET, "msg_b", NOW_S, Buffer.from(spaced));
      expect(verifyWebhook(SECRET, headers, Buffer.from(spaced, "utf8"), atNow)).to.deep.equal(EVENT);
      expect(verifyWebhook(SECRET, headers, spaced, atNow)).to.deep.equal(EVENT);
      expect(reasonOf(() => verifyWebhook(SECRET, headers, JSON.stringify(JSON.parse(spaced)), atNow))).to.equal("BadSignature");
    });

    it("header names in any case, and Node's IncomingHttpHeaders with array values (repeated lines)", () => {
      const signed = signWebhook(SECRET, "msg_a", NOW_S, BODY);
      const headers = {
        "Webhook-Id": ["msg_a"],
        "WEBHOOK-TIMESTAMP": signed["webhook-timestamp"],
        // Joined as Node joins repeated lines, "<first>, <second>": the comma must not spoil the first.
        "webhook-Signature": [signed["webhook-signature"], "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="],
        "content-type": "application/json",
        host: undefined,
      };
      expect(verifyWebhook(SECRET, headers, BODY, atNow)).to.deep.equal(EVENT);
      expect(reasonOf(() => verifyWebhook(SECRET, { ...headers, "webhook-Signature": ["v1,AAAA"] }, BODY, atNow))).to.equal("BadSignature");
    });

    it("WHATWG Headers (or any get(name)), one header line or the signatures on two", () => {
      const signed = signWebhook(SECRET, "msg_h", NOW_S, BODY);
      expect(verifyWebhook(SECRET, new Headers({ ...signed }), BODY, atNow)).to.deep.equal(EVENT);
      const twoLines = new Headers({ "Webhook-Id": "msg_h", "Webhook-Timestamp": signed["webhook-timestamp"] });
      twoLines.append("Webhook-Signature", "v1,bm90IHRoZSBzaWduYXR1cmUgYXQgYWxsLi4uLi4uLi4=");
      twoLines.append("Webhook-Signature", signed["webhook-signature"]);
      expect(verifyWebhook(SECRET, twoLines, BODY, atNow)).to.deep.equal(EVENT);
      twoLines.delete("webhook-id");
      expect(reasonOf(() => verifyWebhook(SECRET, twoLines, BODY, atNow))).to.equal("MissingHeaders");
      // Another Headers class (a framework's, a polyfill's): anything with get(name).
      const lowercase = new Map(Object.entries(signed));
      expect(verifyWebhook(SECRET, { get: (name: string) => lowercase.get(name.toLowerCase()) ?? null }, BODY, atNow)).to.deep.equal(EVENT);
    });

    it("several space-separated signatures where only the second matches (a secret being rotated)", () => {
      const signed = signWebhook(SECRET, "msg_r", NOW_S, BODY);
      const stale = signWebhook(OTHER_SECRET, "msg_r", NOW_S, BODY)["webhook-signature"];
      const headers = { ...signed, "webhook-signature": `${stale} ${signed["webhook-signature"]}` };
      expect(verifyWebhook(SECRET, headers, BODY, atNow).data.jobId).to.equal(JOB.jobId);
      expect(reasonOf(() => verifyWebhook(SECRET, { ...headers, "webhook-signature": stale }, BODY, atNow))).to.equal("BadSignature");
    });

    it("a timestamp up to 5 minutes either way by default; toleranceSeconds changes the window", () => {
      expect(DEFAULT_WEBHOOK_TOLERANCE_SECONDS).to.equal(300);
      for (const skew of [-300, -60, 0, 299, 300]) {
        expect(verifyWebhook(SECRET, signWebhook(SECRET, "m", NOW_S + skew, BODY), BODY, atNow).type, `skew ${skew}`).to.equal("job.succeeded");
      }
      expect(reasonOf(() => verifyWebhook(SECRET, signWebhook(SECRET, "m", NOW_S - 301, BODY), BODY, atNow))).to.equal("TimestampTooOld");
      const twoMinutesOld = signWebhook(SECRET, "m", NOW_S - 120, BODY);
      expect(reasonOf(() => verifyWebhook(SECRET, twoMinutesOld, BODY, { ...atNow, toleranceSeconds: 60 }))).to.equal("TimestampTooOld");
      expect(verifyWebhook(SECRET, twoMinutesOld, BODY, { ...atNow, toleranceSeconds: 600 }).type).to.equal("job.succeeded");
    });

    it("every event type, each with the job as GET shows it", () => {
      const cases = [
        ["job.failed", { ...JOB, status: "FAILED", result: undefined, error: { code: "TimerFailed", message: "Failed on purpose" } }],
        ["job.cancelled", { ...JOB, status: "CANCELLED", result: undefined }],
        ["job.timed_out", { ...JOB, status: "TIMED_OUT", result: undefined, error: { code: "TimedOut", message: "The job ran past its timeout." } }],
      ] as const;
      for (const [type, data] of cases) {
        const body = JSON.stringify({ type, timestamp: EVENT.timestamp, data });
        const event = verifyWebhook(SECRET, signWebhook(SECRET, `msg_${type}`, NOW_S, body), body, atNow);
        expect(event).to.deep.equal(JSON.parse(body));
        expect(event.type).to.equal(type);
      }
    });
  });

  describe("what it rejects, and why", () => {
    const signed = () => signWebhook(SECRET, "msg_n", NOW_S, BODY);

    it("a tampered body, a wrong secret, another webhook-id or timestamp: BadSignature", () => {
      expect(reasonOf(() => verifyWebhook(SECRET, signed(), BODY.replace('"slept":2', '"slept":3'), atNow))).to.equal("BadSignature");
      expect(reasonOf(() => verifyWebhook(SECRET, signed(), `${BODY} `, atNow))).to.equal("BadSignature");
      expect(reasonOf(() => verifyWebhook(OTHER_SECRET, signed(), BODY, atNow))).to.equal("BadSignature");
      expect(reasonOf(() => verifyWebhook(SECRET, { ...signed(), "webhook-id": "msg_other" }, BODY, atNow))).to.equal("BadSignature");
      expect(reasonOf(() => verifyWebhook(SECRET, { ...signed(), "webhook-timestamp": String(NOW_S - 1) }, BODY, atNow))).to.equal("BadSignature");
    });

    it("a timestamp 6 minutes old or 6 minutes ahead (a replay, or a skewed clock)", () => {
      expect(reasonOf(() => verifyWebhook(SECRET, signWebhook(SECRET, "m", NOW_S - 360, BODY), BODY, atNow))).to.equal("TimestampTooOld");
      expect(reasonOf(() => verifyWebhook(SECRET, signWebhook(SECRET, "m", NOW_S + 360, BODY), BODY, atNow))).to.equal("TimestampTooNew");
    });

    it("each missing or empty header, named in the message", () => {
      for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature"] as const) {
        const headers: Record<string, string> = { ...signed() };
        delete headers[name];
        let message = "";
        expect(
          reasonOf(() => {
            try {
              verifyWebhook(SECRET, headers, BODY, atNow);
            } catch (err) {
              message = (err as Error).message;
              throw err;
            }
          }),
          name,
        ).to.equal("MissingHeaders");
        expect(message).to.equal(`missing header ${name}`);
        expect(reasonOf(() => verifyWebhook(SECRET, { ...signed(), [name]: "" }, BODY, atNow)), `empty ${name}`).to.equal("MissingHeaders");
      }
      expect(reasonOf(() => verifyWebhook(SECRET, {}, BODY, atNow))).to.equal("MissingHeaders");
    });

    it("a timestamp that is not integer seconds", () => {
      for (const timestamp of ["soon", "1767268800.5", "1e9", "-1767268800", "1767268800abc", "2026-01-01T12:00:00Z", String(NOW_MS * 1e6)]) {
        expect(reasonOf(() => verifyWebhook(SECRET, { ...signed(), "webhook-timestamp": timestamp }, BODY, atNow)), timestamp).to.equal("BadTimestamp");
      }
    });

    it("a garbage signature, and a v1a-only header even with the right MAC", () => {
      const mac = signed()["webhook-signature"].slice("v1,".length);
      for (const signature of ["garbage", "v1,", "v1,!!!!", `v2,${mac}`, `v1a,${mac}`, `V1,${mac}`, `v1,${mac}x`, mac]) {
        expect(reasonOf(() => verifyWebhook(SECRET, { ...signed(), "webhook-signature": signature }, BODY, atNow)), signature).to.equal("BadSignature");
      }
    });

    it("a secret that is not whsec_<base64>: BadSecret, before anything else is looked at", () => {
      for (const secret of ["", "whsec_", "whsec_not base64!", "hunter2", "whsec_AAAA*AAA", `whsec_${KEY.toString("base64url")}_-`]) {
        expect(isWebhookSecret(secret), secret).to.equal(false);
        expect(reasonOf(() => verifyWebhook(secret, {}, BODY, atNow)), secret).to.equal("BadSecret");
        expect(() => signWebhook(secret, "m", NOW_S, BODY), secret).to.throw(WebhookVerificationError);
      }
      expect(isWebhookSecret(SECRET)).to.equal(true);
      expect(isWebhookSecret(KEY.toString("base64"))).to.equal(true);
    });

    it("a correctly signed body that is not a job event: BadBody (and only once the signature holds)", () => {
      const bodies = [
        "not json",
        "[]",
        "null",
        JSON.stringify({ ...EVENT, type: "job.started" }),
        JSON.stringify({ ...EVENT, timestamp: 1 }),
        JSON.stringify({ type: EVENT.type, timestamp: EVENT.timestamp }),
        JSON.stringify({ ...EVENT, data: { ...JOB, status: "DONE" } }),
        JSON.stringify({ ...EVENT, data: { ...JOB, jobId: 7 } }),
        "",
      ];
      for (const body of bodies) {
        expect(reasonOf(() => verifyWebhook(SECRET, signWebhook(SECRET, "m", NOW_S, body), body, atNow)), body).to.equal("BadBody");
        expect(reasonOf(() => verifyWebhook(SECRET, signWebhook(OTHER_SECRET, "m", NOW_S, body), body, atNow)), body).to.equal("BadSignature");
      }
    });

    it("signWebhook takes integer seconds only", () => {
      expect(() => signWebhook(SECRET, "m", NOW_MS / 1000 + 0.5, BODY)).to.throw(RangeError);
      expect(() => signWebhook(SECRET, "m", Number.NaN, BODY)).to.throw(RangeError);
    });
  });
});
