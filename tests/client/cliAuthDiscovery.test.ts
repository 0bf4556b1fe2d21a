// The CLI given only a URL learns the API's auth from the API's own GET /openapi.json: the pure
// reading of a document (on the documents the program generates), the ways reading it can fail,
// and the CLI end to end against a real local cloud per auth mode.
//
// AWS pages relied on:
// - "x-amazon-apigateway-authtype property" (API Gateway developer guide,
//   api-gateway-swagger-extensions-authtype.html): IAM auth is an `apiKey`-type scheme in the
//   `Authorization` header with `x-amazon-apigateway-authtype: awsSigv4`.
// - "Configure a method to use API keys with an OpenAPI definition" (api-key-usage-plan-oas.html):
//   a method requires a key by a security requirement on an `x-api-key` header scheme.
// - "How do I troubleshoot 403 Missing Authentication Token errors from an API Gateway REST API
//   endpoint?" (AWS re:Post knowledge center, api-gateway-authentication-token-errors): API Gateway
//   answers 403 both for a resource that does not exist and for an unsigned request to an IAM
//   method, so a 403 on openapi.json does not tell the auth.
import { expect } from "chai";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import { buildApiDocument, publicApiDocument, type OpenApiDocument } from "../../components/api/openapi";
import { timerSchema } from "../../lambdas/jobs/timer";
import type { AuthMode } from "../../lambdas/shared/types";
import { EXIT, main, type CliIo } from "../../client/cli";
import { AuthDiscoveryError, authKindOf, discoverAuth } from "../../client/discoverAuth";
import { clientFor, startCloud, type CloudHandle } from "../support/localCloud";
import { tempDir } from "../support/tmp";

const INTEGRATIONS = {
  submit: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:submit/invocations",
  list: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:list/invocations",
  status: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:status/invocations",
  cancel: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:cancel/invocations",
};
const MODES: AuthMode[] = ["iam", "apiKey", "none"];

/** The document the program hands API Gateway (`gateway`) and the one GET /openapi.json serves (`served`). */
function documents(auth: AuthMode, corsOrigins: string[] = []): { gateway: OpenApiDocument; served: OpenApiDocument } {
  const gateway = buildApiDocument({ title: "async-api-test", auth, jobSchema: timerSchema, integrations: INTEGRATIONS, corsOrigins });
  return { gateway, served: publicApiDocument(gateway) };
}

/** The error a function throws (fails the test when it throws none). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected an error");
}

async function rejected(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection");
}

/** A server that answers every request with `status` and `body`; records the requests. */
async function scriptedServer(status: number, body: string) {
  const requests: http.IncomingMessage[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req);
    res.writeHead(status, { "content-type": "application/json" });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return { url, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A loopback URL where nothing listens (a port just freed; fetch refuses port 9 as a "bad port"). */
async function unreachableUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}/v1`;
}

describe("CLI auth discovery from the API's openapi.json", function () {
  describe("authKindOf: the documents the program generates", () => {
    for (const auth of MODES) {
      for (const cors of [[], ["http://localhost:5173"]]) {
        const label = `auth ${auth}${cors.length ? ", with CORS (OPTIONS routes carry no security)" : ""}`;
        it(`reads ${auth} from the served document and from the gateway's own copy (${label}); x-amazon-apigateway-authtype page, api-key-usage-plan-oas page`, () => {
          const { gateway, served } = documents(auth, cors);
          expect(authKindOf(served)).to.equal(auth);
          expect(authKindOf(gateway)).to.equal(auth);
          expect(authKindOf(JSON.parse(JSON.stringify(served)))).to.equal(auth);
        });
      }
    }

    it("the served iam document has no AWS extension left: SigV4 is recognised by its Authorization header", () => {
      const { served } = documents("iam");
      expect(JSON.stringify(served)).to.not.include("awsSigv4");
      const renamed = JSON.parse(JSON.stringify(served).replace(/"Authorization"/g, '"X-Custom-Token"'));
      expect(thrown(() => authKindOf(renamed)).message).to.include("neither SigV4 nor an x-api-key header");
    });

    it("reads Swagger 2.0 securityDefinitions too (api-key-usage-plan-oas page, OpenAPI 2.0 example)", () => {
      const swagger = {
        swagger: "2.0",
        paths: { "/jobs": { post: { security: [{ api_key: [] }] } } },
        securityDefinitions: { api_key: { type: "apiKey", name: "x-api-key", in: "header" } },
      };
      expect(authKindOf(swagger)).to.equal("apiKey");
    });

    it("rejects what is not this API's document, schemes it cannot use, and job routes that disagree", () => {
      for (const doc of [null, [], "text", { openapi: "3.0.1" }]) {
        const err = thrown(() => authKindOf(doc));
        expect(err, JSON.stringify(doc)).to.be.instanceOf(AuthDiscoveryError);
        expect(err.message).to.include("not an OpenAPI document");
      }
      expect(thrown(() => authKindOf({ paths: { "/pets": { get: {} } } })).message).to.include("no /jobs routes");

      const cognito = documents("apiKey").served as any;
      // A Cognito authorizer is also an apiKey-type scheme in the Authorization header (x-amazon-apigateway-authtype page).
      cognito.components.securitySchemes.api_key = { type: "apiKey", name: "Authorization", in: "header", "x-amazon-apigateway-authtype": "cognito_user_pools" };
      expect(thrown(() => authKindOf(cognito)).message).to.include("security scheme 'api_key'");

      const mixed = documents("apiKey").served as any;
      delete mixed.paths["/jobs/{jobId}"].get.security;
      expect(thrown(() => authKindOf(mixed)).message).to.match(/different auth .*apiKey.*none|different auth .*none.*apiKey/);
    });
  });

  describe("discoverAuth: when openapi.json cannot be read, it says so and asks for --auth", () => {
    const servers: Array<{ close(): Promise<void> }> = [];
    after(async () => {
      await Promise.all(servers.map((s) => s.close()));
    });

    async function failureFor(status: number, body: string): Promise<{ err: Error; requests: http.IncomingMessage[] }> {
      const server = await scriptedServer(status, body);
      servers.push(server);
      return { err: await rejected(discoverAuth(server.url)), requests: server.requests };
    }

    it("reads <apiUrl>/openapi.json without credentials and returns the declared auth", async () => {
      const server = await scriptedServer(200, JSON.stringify(documents("apiKey").served));
      servers.push(server);
      expect(await discoverAuth(`${server.url}/`)).to.equal("apiKey");
      expect(server.requests.map((r) => r.url)).to.deep.equal(["/v1/openapi.json"]);
      expect(server.requests[0].headers).to.not.have.property("authorization");
      expect(server.requests[0].headers).to.not.have.property("x-api-key");
    });

    it("a non-200 answer, a body that is not JSON, and JSON that is not the API's document", async () => {
      const cases: Array<[number, string, string]> = [
        [404, '{"error":{"code":"NotFound","message":"Not found."}}', "HTTP 404"],
        [200, "<html>hello</html>", "not JSON"],
        [200, JSON.stringify({ paths: {} }), "no /jobs routes"],
      ];
      for (const [status, body, reason] of cases) {
        const { err } = await failureFor(status, body);
        expect(err, reason).to.be.instanceOf(AuthDiscoveryError);
        expect(err.message).to.include("openapi.json").and.include(reason).and.include("Pass --auth iam|apiKey|none");
      }
    });

    it("a 403 is not taken as any auth (api-gateway-authentication-token-errors: a missing route is 403 too)", async () => {
      const { err } = await failureFor(403, '{"error":{"code":"Forbidden","message":"Missing or invalid credentials, or no such route."}}');
      expect(err).to.be.instanceOf(AuthDiscoveryError);
      expect(err.message).to.include("HTTP 403").and.include("does not serve its document openly").and.include("Pass --auth");
    });

    it("no server at the URL: the network error", async () => {
      const url = await unreachableUrl();
      const err = await rejected(discoverAuth(url));
      expect(err).to.be.instanceOf(AuthDiscoveryError);
      expect(err.message).to.include(`${url}/openapi.json`).and.include("ECONNREFUSED").and.include("Pass --auth");
    });
  });

  describe("the CLI with only --url, against a local cloud per auth mode", function () {
    this.timeout(180_000);
    // What the default credential chain reads (process.env, not the CLI's io.env), set per test and restored after.
    const CREDENTIAL_ENV = [
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_SESSION_TOKEN",
      "AWS_PROFILE",
      "AWS_SHARED_CREDENTIALS_FILE",
      "AWS_CONFIG_FILE",
      "AWS_WEB_IDENTITY_TOKEN_FILE",
      "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
      "AWS_CONTAINER_CREDENTIALS_FULL_URI",
      "AWS_EC2_METADATA_DISABLED",
    ];
    const saved: Record<string, string | undefined> = {};
    let clouds: Record<AuthMode, CloudHandle>;
    let started: CloudHandle[] = [];
    let cwd: string;

    before(async () => {
      for (const name of CREDENTIAL_ENV) saved[name] = process.env[name];
      cwd = tempDir("async-api-cli-discovery-");
      const results = await Promise.allSettled(MODES.map((auth) => startCloud([`auth=${auth}`, "backend=lambda"], { tmpPrefix: "async-api-cli-discovery-" })));
      started = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
      clouds = { iam: started[0], apiKey: started[1], none: started[2] };
    });

    after(async () => {
      await Promise.all(started.map((c) => c.stop()));
      for (const cloud of started) fs.rmSync(cloud.stateDir, { recursive: true, force: true });
      if (cwd) fs.rmSync(cwd, { recursive: true, force: true });
      for (const name of CREDENTIAL_ENV) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    });

    /**
     * Sets what the credential chain finds: `alice` (secret `test`), or nothing at all, so a CLI
     * that signed where it should not would fail with CredentialsError.
     */
    function awsCredentials(who: "alice" | "none") {
      for (const name of CREDENTIAL_ENV) delete process.env[name];
      if (who === "alice") {
        process.env.AWS_ACCESS_KEY_ID = "alice";
        process.env.AWS_SECRET_ACCESS_KEY = "test";
        return;
      }
      process.env.AWS_SHARED_CREDENTIALS_FILE = `${cwd}/no-credentials`;
      process.env.AWS_CONFIG_FILE = `${cwd}/no-config`;
      process.env.AWS_EC2_METADATA_DISABLED = "true";
    }

    /** Runs the CLI in-process with its own env (no ASYNC_API_* from the machine) and captured output. */
    async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
      const out = { stdout: "", stderr: "" };
      const io: CliIo = {
        stdout: { write: (t: string) => (out.stdout += t), isTTY: false },
        stderr: { write: (t: string) => (out.stderr += t), isTTY: false },
        env,
        cwd,
        readStdin: async () => "",
        stackOutputs: () => {
          throw new Error("pulumi must not be asked when --url is given");
        },
      };
      const code = await main(argv, io);
      return { code, ...out };
    }

    it("GET /openapi.json answers unsigned, without a key, on every auth mode, and declares that mode", async () => {
      for (const auth of MODES) {
        const res = await fetch(`${clouds[auth].apiUrl}/openapi.json`);
        expect(res.status, auth).to.equal(200);
        expect(authKindOf(await res.json()), auth).to.equal(auth);
      }
    });

    it("auth none: submit --wait succeeds with no credentials at all", async () => {
      awsCredentials("none");
      const res = await cli(["submit", '{"seconds": 0}', "--wait", "--json", "--url", clouds.none.apiUrl]);
      expect(res.code, res.stderr).to.equal(EXIT.OK);
      const job = JSON.parse(res.stdout);
      expect(job.status).to.equal("SUCCEEDED");
      expect((await clientFor(clouds.none).get(job.jobId)).body.status).to.equal("SUCCEEDED");
    });

    it("auth apiKey: --api-key or ASYNC_API_KEY is sent as x-api-key; submit succeeds", async () => {
      awsCredentials("none");
      const key = clouds.apiKey.outputs.apiKey as string;
      const flag = await cli(["submit", '{"seconds": 0}', "--json", "--url", clouds.apiKey.apiUrl, "--api-key", key]);
      expect(flag.code, flag.stderr).to.equal(EXIT.OK);
      const { jobId } = JSON.parse(flag.stdout);
      expect((await clientFor(clouds.apiKey).get(jobId)).status).to.equal(200);

      const viaEnv = await cli(["submit", '{"seconds": 0}', "--json", "--url", clouds.apiKey.apiUrl], { ASYNC_API_KEY: key });
      expect(viaEnv.code, viaEnv.stderr).to.equal(EXIT.OK);
      expect(JSON.parse(viaEnv.stdout).status).to.equal("PENDING");
    });

    it("auth apiKey without a key: a usage error naming --api-key and ASYNC_API_KEY", async () => {
      awsCredentials("none");
      const res = await cli(["submit", '{"seconds": 0}', "--json", "--url", clouds.apiKey.apiUrl]);
      expect(res.code).to.equal(EXIT.ERROR);
      expect(res.stderr).to.include("uses auth apiKey").and.include("--api-key").and.include("ASYNC_API_KEY");
      expect(JSON.parse(res.stdout).error.code).to.equal("Usage");
    });

    it("auth iam: SigV4 from the default credential chain; the job is the signer's (ASYNC_API_URL as the URL)", async () => {
      awsCredentials("alice");
      const res = await cli(["submit", '{"seconds": 0}', "--json"], { ASYNC_API_URL: clouds.iam.apiUrl });
      expect(res.code, res.stderr).to.equal(EXIT.OK);
      const { jobId } = JSON.parse(res.stdout);
      expect((await clientFor(clouds.iam, "alice").get(jobId)).status).to.equal(200);
      expect((await clientFor(clouds.iam, "bob").get(jobId)).status).to.equal(404);
    });

    it("an explicit --auth wins: --auth none against the iam API is sent unsigned and refused", async () => {
      awsCredentials("alice");
      const res = await cli(["submit", '{"seconds": 0}', "--url", clouds.iam.apiUrl, "--auth", "none", "--retries", "0"]);
      expect(res.code).to.equal(EXIT.ERROR);
      expect(res.stderr).to.include("Forbidden (HTTP 403)");
    });

    it("an unreachable URL: a clear error that asks for --auth, and no fallback", async () => {
      awsCredentials("alice");
      const url = await unreachableUrl();
      const res = await cli(["submit", '{"seconds": 0}', "--url", url]);
      expect(res.code).to.equal(EXIT.ERROR);
      expect(res.stderr).to.include(`cannot tell which auth the API uses from ${url}/openapi.json`).and.include("ECONNREFUSED").and.include("Pass --auth iam|apiKey|none");
      expect(res.stderr).to.not.include("CredentialsError").and.not.include("NetworkError");
    });
  });
});
