// Hostile requests against the local cloud, for every backend x store: each entry of the corpus
// (tests/reliability/corpus.ts) must get the contract's 4xx with the one error shape, never a 5xx,
// never an ARN, an account id or a stack trace; and afterwards the store must hold exactly the
// jobs that were accepted (read straight from the local DynamoDB table or S3 bucket).
import { expect } from "chai";
import { bodyBytes, CORPUS, type HostileRequest } from "./corpus";
import { leaks, rawRequest, removeState, sigv4Headers, startFaultCloud, storedJobs, type FaultCloud, type RawResponse } from "./support";

/**
 * Every backend with every auth mode, every store with both backends: each corpus entry runs on
 * both backends (the `any` entries on all six clouds: signed, with the key, and open).
 */
const MATRIX = [
  { backend: "stepfunctions", store: "dynamodb", auth: "iam" },
  { backend: "stepfunctions", store: "s3", auth: "apiKey" },
  { backend: "stepfunctions", store: "s3", auth: "none" },
  { backend: "lambda", store: "dynamodb", auth: "apiKey" },
  { backend: "lambda", store: "s3", auth: "iam" },
  { backend: "lambda", store: "dynamodb", auth: "none" },
  { backend: "stream", store: "dynamodb", auth: "iam" },
  { backend: "stream", store: "dynamodb", auth: "apiKey" },
] as const;

/**
 * What backend stream answers instead, where it differs: it has no submit Lambda, so API Gateway's
 * body validator checks POST bodies, and it answers malformed JSON as ValidationError (the
 * contract says BadRequest), before any size check (an oversized body that is also invalid).
 */
function expectedOn(backend: string, entry: HostileRequest): HostileRequest["expect"] {
  if (backend !== "stream" || entry.method !== "POST" || entry.path !== "/jobs") return entry.expect;
  if (entry.category === "json" && entry.expect.code === "BadRequest") return { status: 400, code: "ValidationError" };
  // The local gateway's validator reads a leading UTF-8 BOM as not JSON (AWS's is not documented).
  if (entry.category === "json" && entry.name.startsWith("UTF-8 BOM")) return { status: 400, code: "ValidationError" };
  if (entry.category === "size" && typeof entry.body === "object" && "padded" in entry.body && entry.body.with !== "whitespace" && (entry.expect.code === "PayloadTooLarge" || entry.expect.awsMessage) && entry.body.padded <= 10 * 1024 * 1024) {
    return { status: 400, code: "ValidationError" };
  }
  return entry.expect;
}

const SIXTEEN_MINUTES = 16 * 60 * 1000;
const PASCAL_CASE = /^[A-Z][A-Za-z0-9]*$/;

interface Outcome {
  entry: HostileRequest;
  responses: RawResponse[];
}

interface Run {
  cloud: FaultCloud;
  seedJob: string;
  outcomes: Map<string, Outcome>;
  /** Every jobId a 202 answered. */
  accepted: Set<string>;
}

function appliesTo(entry: HostileRequest, auth: string): boolean {
  return entry.auth === "any" || entry.auth === auth;
}

async function send(cloud: FaultCloud, entry: HostileRequest, seedJob: string): Promise<RawResponse[]> {
  const origin = new URL(cloud.apiUrl).origin;
  const stagePath = new URL(cloud.apiUrl).pathname;
  const path = entry.path.replace("{job}", seedJob).replace("{JOB}", seedJob.toUpperCase());
  let url = path.startsWith("!") ? origin + path.slice(1) : cloud.apiUrl + path;
  let headers: Record<string, string> = { ...(entry.headers ?? {}) };
  const body = bodyBytes(entry.body);
  const auth = cloud.outputs.auth as string;

  if (auth === "apiKey") {
    const key = String(cloud.outputs.apiKey);
    const swapped = [...key].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join("");
    switch (entry.apiKey) {
      case undefined:
        headers["x-api-key"] = key;
        break;
      case "missing":
        break;
      case "wrong":
        headers["x-api-key"] = "wrong-key-" + "0".repeat(30);
        break;
      case "empty":
        headers["x-api-key"] = "";
        break;
      case "otherCase":
        headers["x-api-key"] = swapped === key ? key + "A" : swapped;
        break;
      case "inQuery":
        url += `${url.includes("?") ? "&" : "?"}x-api-key=${encodeURIComponent(key)}&api_key=${encodeURIComponent(key)}`;
        break;
      case "bearer":
        headers.Authorization = `Bearer ${key}`;
        break;
      case "appended":
        headers["x-api-key"] = key + "x";
        break;
      case "prefix":
        headers["x-api-key"] = key.slice(0, Math.floor(key.length / 2));
        break;
    }
  }

  if (auth === "iam") {
    const now = Date.now();
    const sign = entry.sign ?? "valid";
    const signed = (o = {}) => sigv4Headers(url, entry.method, headers, body, o);
    switch (sign) {
      case "valid":
      case "replayed":
        headers = { ...headers, ...(await signed()) };
        break;
      case "unsigned":
        break;
      case "wrongSecret":
        headers = { ...headers, ...(await signed({ secret: "nope" })) };
        break;
      case "wrongSecretDigitsKey":
        headers = { ...headers, ...(await signed({ accessKeyId: "123456789012", secret: "nope" })) };
        break;
      case "wrongRegion":
        headers = { ...headers, ...(await signed({ region: "eu-west-1" })) };
        break;
      case "wrongService":
        headers = { ...headers, ...(await signed({ service: "s3" })) };
        break;
      case "tamperedBody": {
        headers = { ...headers, ...(await signed()) };
        const tampered = Buffer.from('{"seconds":9}');
        return [await rawRequest(url, entry.method, headers, tampered)];
      }
      case "oldDate":
        headers = { ...headers, ...(await signed({ signingDate: new Date(now - SIXTEEN_MINUTES) })) };
        break;
      case "futureDate":
        headers = { ...headers, ...(await signed({ signingDate: new Date(now + SIXTEEN_MINUTES) })) };
        break;
      case "otherPath":
        headers = { ...headers, ...(await signed({ path: `${stagePath}/jobs/00000000-0000-4000-8000-000000000000` })) };
        break;
      case "otherMethod":
        headers = { ...headers, ...(await signed({ method: "GET" })) };
        break;
      case "otherHost":
        headers = { ...headers, ...(await signed({ host: "evil.example" })) };
        break;
      case "garbageAuthorization":
        headers.Authorization = "AWS4-HMAC-SHA256 Credential=garbage, SignedHeaders=host, Signature=zz";
        headers["X-Amz-Date"] = new Date(now).toISOString().replace(/[-:]|\.\d{3}/g, "");
        break;
      case "droppedDate": {
        const h = await signed();
        for (const k of Object.keys(h)) if (k.toLowerCase() === "x-amz-date") delete h[k];
        headers = { ...headers, ...h };
        break;
      }
      case "flippedSignature": {
        const h = await signed();
        h.authorization = h.authorization.replace(/Signature=([0-9a-f]+)$/, (_, s: string) => `Signature=${s.slice(0, -1)}${s.endsWith("0") ? "1" : "0"}`);
        headers = { ...headers, ...h };
        break;
      }
      case "otherIdentity":
        headers = { ...headers, ...(await signed({ accessKeyId: "bob" })) };
        break;
    }
    if (sign === "replayed") return [await rawRequest(url, entry.method, headers, body), await rawRequest(url, entry.method, headers, body)];
  }
  return [await rawRequest(url, entry.method, headers, body)];
}

async function runCorpus(cloud: FaultCloud): Promise<Run> {
  const auth = cloud.outputs.auth as string;
  const seed = await send(cloud, { name: "seed", category: "schema", auth: "any", method: "POST", path: "/jobs", headers: { "Content-Type": "application/json" }, body: '{"seconds":0}', expect: { status: 202 } }, "");
  if (seed[0].status !== 202) throw new Error(`the seed job was not accepted: ${seed[0].status} ${seed[0].text}`);
  const run: Run = { cloud, seedJob: seed[0].body.jobId, outcomes: new Map(), accepted: new Set([seed[0].body.jobId]) };
  for (const entry of CORPUS) {
    if (!appliesTo(entry, auth)) continue;
    const responses = await send(cloud, entry, run.seedJob);
    run.outcomes.set(entry.name, { entry, responses });
    for (const r of responses) if (r.status === 202 && typeof r.body?.jobId === "string") run.accepted.add(r.body.jobId);
  }
  return run;
}

function checkResponse(entry: HostileRequest, res: RawResponse, acceptedIds: Set<string>, backend: string): void {
  const what = `${entry.method} ${entry.path.slice(0, 80)} answered ${res.status}: ${res.text.slice(0, 300)}`;
  const expected = expectedOn(backend, entry);
  expect(res.status, what).to.be.below(500);
  expect(res.status, what).to.equal(expected.status);
  expect(leaks(res.text, [...acceptedIds]), what).to.deep.equal([]);
  if (expected.awsMessage) {
    expect(res.body, what).to.deep.equal({ message: expected.awsMessage });
    return;
  }
  if (res.status >= 400) {
    expect(String(res.headers["content-type"]), what).to.match(/^application\/json/);
    expect(res.body, what).to.be.an("object");
    expect(Object.keys(res.body), what).to.deep.equal(["error"]);
    expect(Object.keys(res.body.error).sort(), what).to.deep.equal(["code", "message"]);
    expect(res.body.error.code, what).to.match(PASCAL_CASE);
    expect(res.body.error.code, what).to.equal(expected.code);
    expect(res.body.error.message, what).to.be.a("string").that.is.not.empty;
  }
}

describe("reliability: hostile requests, every backend x store", function () {
  this.timeout(180_000);
  const runs = new Map<string, Run>();
  const failures = new Map<string, Error>();
  const label = (m: (typeof MATRIX)[number]) => `${m.backend} x ${m.store} (auth ${m.auth})`;

  before(async () => {
    // The clouds run side by side; each sends its corpus one request at a time.
    await Promise.all(
      MATRIX.map(async (m) => {
        let cloud: FaultCloud | undefined;
        try {
          cloud = await startFaultCloud([`backend=${m.backend}`, `store=${m.store}`, `auth=${m.auth}`, "jobTimeoutSeconds=5"]);
          runs.set(label(m), await runCorpus(cloud));
        } catch (e) {
          failures.set(label(m), e as Error);
          if (cloud) {
            await cloud.stop();
            removeState(cloud);
          }
        }
      }),
    );
  });

  after(async () => {
    const codes = await Promise.all([...runs.values()].map((r) => r.cloud.stop()));
    for (const r of runs.values()) removeState(r.cloud);
    expect(codes, "every local cloud exits 0 on SIGTERM").to.deep.equal(codes.map(() => 0));
  });

  it(`the corpus has at least 60 hostile requests, each with its expected status and code (${CORPUS.length})`, () => {
    expect(CORPUS.length).to.be.at.least(60);
    expect(new Set(CORPUS.map((e) => e.name)).size, "names are unique").to.equal(CORPUS.length);
    for (const e of CORPUS) if (e.expect.status >= 400 && !e.expect.awsMessage) expect(e.expect.code, e.name).to.match(PASCAL_CASE);
    // Every entry runs on both backends.
    for (const e of CORPUS) {
      for (const backend of ["stepfunctions", "lambda"]) expect(MATRIX.some((m) => m.backend === backend && appliesTo(e, m.auth)), `${e.name} on ${backend}`).to.equal(true);
    }
  });

  for (const m of MATRIX) {
    describe(label(m), () => {
      const run = () => {
        const failed = failures.get(label(m));
        if (failed) throw failed;
        return runs.get(label(m))!;
      };

      for (const entry of CORPUS.filter((e) => appliesTo(e, m.auth))) {
        const expected = expectedOn(m.backend, entry);
        it(`[${entry.category}] ${entry.name} → ${expected.status}${expected.code ? ` ${expected.code}` : ""}`, () => {
          const r = run();
          const outcome = r.outcomes.get(entry.name)!;
          for (const res of outcome.responses) checkResponse(entry, res, r.accepted, m.backend);
        });
      }

      it("answered no request with a 5xx", () => {
        const r = run();
        const fives = [...r.outcomes.values()].flatMap((o) => o.responses.filter((res) => res.status >= 500).map((res) => `${o.entry.name}: ${res.status} ${res.text.slice(0, 200)}`));
        expect(fives).to.deep.equal([]);
      });

      it("stores exactly the jobs it accepted, and each reads back 200", async () => {
        const r = run();
        const stored = (await storedJobs(r.cloud)).map((j) => j.jobId).sort();
        expect(stored).to.deep.equal([...r.accepted].sort());
        for (const jobId of r.accepted) {
          const res = await send(r.cloud, { name: "read back", category: "id", auth: "any", method: "GET", path: `/jobs/${jobId}`, expect: { status: 200 } }, "");
          expect(res[0].status, `${jobId}: ${res[0].text}`).to.equal(200);
        }
      });
    });
  }
});
