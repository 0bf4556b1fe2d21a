// The browser console in a real Chromium (playwright-core, Debian's `chromium` on PATH) against the
// local cloud: submit, live status, result, error, cancel, the 403 note, "All my jobs" (GET /jobs),
// and (from another origin) CORS with an API key. Skipped only with ASYNC_API_SKIP_BROWSER=1; without Chromium it fails.
import * as fs from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { expect } from "chai";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { AsyncApiClient } from "../../client/index";
import { CONSOLE_DIR, consoleAsset } from "../../local/aws/apigateway/server";
import { startCloud, clientFor, type CloudHandle } from "../support/localCloud";
import { skipBecause } from "../support/skip";
import { chromiumPath } from "../support/tools";
import { tempDir } from "../support/tmp";

const ROOT = path.resolve(__dirname, "..", "..");
/** Set by `requireBrowser`: `$ASYNC_API_CHROMIUM`, else `chromium` on PATH. */
let CHROMIUM = "";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const ARTIFACTS = path.join(ROOT, "tests", "artifacts");
const DOCS_SCREENSHOT = path.join(ROOT, "docs", "console.png");

/** Skips (explicitly asked) or fails (Chromium missing) before anything starts. */
function requireBrowser(ctx: Mocha.Context): void {
  if (process.env.ASYNC_API_SKIP_BROWSER === "1") skipBecause(ctx, "ASYNC_API_SKIP_BROWSER=1 asks to skip the browser console test");
  CHROMIUM = chromiumPath();
}

/** A fresh Chromium profile (deleted by `close`), viewport 1200×800. */
async function openBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = tempDir("async-api-chromium-");
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1200, height: 800 },
    timeout: 60_000,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Script errors and console errors of the page, except Chromium's note on each HTTP error status
 * (the tests provoke 400s and 403s on purpose) and the `ignore`d ones.
 */
function watch(page: Page, ignore: RegExp[] = []): string[] {
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    const text = m.text();
    if (m.type() !== "error" || /^Failed to load resource: the server responded with a status of \d+/.test(text)) return;
    if (ignore.some((re) => re.test(text))) return;
    problems.push(`console.error: ${text}`);
  });
  return problems;
}

async function submitJob(page: Page, input: string): Promise<string> {
  const before = await page.locator("li.job").count();
  await page.fill("#job-input", input);
  await page.click("#submit");
  await page.locator("li.job").nth(before).waitFor({ timeout: 15_000 });
  const jobId = await page.locator("li.job").first().getAttribute("data-job-id");
  expect(jobId, "the new job is listed first").to.be.a("string").and.not.be.empty;
  return jobId!;
}

const job = (page: Page, jobId: string) => page.locator(`li.job[data-job-id="${jobId}"]`);

async function waitStatus(page: Page, jobId: string, status: string, timeout = 30_000): Promise<void> {
  await page.waitForSelector(`li.job[data-job-id="${jobId}"][data-status="${status}"]`, { timeout });
}

/** "All my jobs" has finished loading (it is busy from the click that starts a load). */
async function listedLoaded(page: Page): Promise<void> {
  await page.waitForSelector('#listed[aria-busy="false"]', { state: "attached", timeout: 15_000 });
}

/** Clicks "Load more" until the list ends; each click adds jobs. */
async function loadAllListed(page: Page): Promise<void> {
  for (let clicks = 0; await page.isVisible("#listed-more"); clicks++) {
    expect(clicks, "the list ends").to.be.below(50);
    const before = await page.locator("li.listed-job").count();
    await page.click("#listed-more");
    await listedLoaded(page);
    expect(await page.locator("li.listed-job").count(), "Load more adds jobs").to.be.greaterThan(before);
  }
}

const listedIds = (page: Page) => page.locator("li.listed-job").evaluateAll((lis) => lis.map((li) => li.getAttribute("data-job-id")!));
const listed = (page: Page, jobId: string) => page.locator(`li.listed-job[data-job-id="${jobId}"]`);

/** Every job GET /jobs lists (auth none: everyone's), newest first, as the API says. */
async function apiJobIds(cloud: CloudHandle, status?: "FAILED"): Promise<string[]> {
  const ids: string[] = [];
  for await (const j of new AsyncApiClient({ apiUrl: cloud.apiUrl, auth: { type: "none" } }).jobs(status ? { status } : {})) ids.push(j.jobId);
  return ids;
}

describe("console: the browser console in Chromium against the local cloud", function () {
  this.timeout(180_000);
  let cloud: CloudHandle | undefined;
  let browser: Awaited<ReturnType<typeof openBrowser>> | undefined;
  let page: Page;
  let problems: string[] = [];

  before(async function () {
    requireBrowser(this);
    cloud = await startCloud(["backend=lambda", "auth=none", "jobTimeoutSeconds=30"]);
    browser = await openBrowser();
    page = await browser.context.newPage();
    problems = watch(page);
  });
  after(async () => {
    await browser?.close();
    await cloud?.stop();
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed" && problems.length) console.log(`    page problems:\n      ${problems.join("\n      ")}`);
  });

  it("opens at {apiUrl}/console with the API URL taken from its own location and the input schema", async () => {
    const res = await page.goto(`${cloud!.apiUrl}/console`);
    expect(res?.status()).to.equal(200);
    expect(new URL(page.url()).pathname).to.equal("/v1/console/");
    expect(await page.title()).to.equal("async-api console");
    expect(await page.inputValue("#api-url")).to.equal(cloud!.apiUrl);
    expect(await page.inputValue("#job-input")).to.equal('{"seconds": 5}');
    await page.locator("#schema-text", { hasText: '"seconds"' }).waitFor({ state: "attached" }); // inside a closed <details>
    expect(await page.textContent("#json-hint")).to.include("Valid JSON");
    expect(await page.locator("li.job").count()).to.equal(0);
  });

  it("flags invalid JSON and will not submit it", async () => {
    await page.fill("#job-input", '{"seconds": ');
    expect(await page.textContent("#json-hint")).to.include("Invalid JSON");
    expect(await page.isDisabled("#submit")).to.equal(true);
    expect(await page.getAttribute("#job-input", "aria-invalid")).to.equal("true");
    await page.fill("#job-input", '{"seconds": 1}');
    expect(await page.isEnabled("#submit")).to.equal(true);
  });

  it('runs {"seconds": 2}: RUNNING, then SUCCEEDED with "Done after 2 seconds"', async () => {
    const jobId = await submitJob(page, '{"seconds": 2}');
    await waitStatus(page, jobId, "RUNNING", 15_000);
    await waitStatus(page, jobId, "SUCCEEDED");
    const card = job(page, jobId);
    expect(await card.locator(".result").textContent()).to.include("Done after 2 seconds");
    // CONTRACT.md, "Progress": the timer's report at 1 s stays after the job ends.
    expect(await card.locator(".progress-text").textContent()).to.equal("50% Slept 1 of 2 s");
    expect(await card.locator("progress").getAttribute("value")).to.equal("50");
    expect(await card.locator(".history").textContent()).to.equal("PENDING → RUNNING → SUCCEEDED");
    expect(await card.locator("button", { hasText: "Cancel" }).count()).to.equal(0);
    // The page shows what the API says.
    const api = await clientFor(cloud!).get(jobId);
    expect(api.body.status).to.equal("SUCCEEDED");
    expect(api.body.result).to.deep.equal({ message: "Done after 2 seconds" });
  });

  it('cancels {"seconds": 20}: CANCELLED', async () => {
    const jobId = await submitJob(page, '{"seconds": 20}');
    await waitStatus(page, jobId, "RUNNING", 15_000);
    await job(page, jobId).getByRole("button", { name: /^Cancel job/ }).click();
    await waitStatus(page, jobId, "CANCELLED", 10_000);
    expect(await job(page, jobId).locator(".history").textContent()).to.match(/RUNNING → CANCELLED$/);
    expect((await clientFor(cloud!).get(jobId)).body.status).to.equal("CANCELLED");
  });

  it("shows a failed job's error code and message, and an API error on submit", async () => {
    const jobId = await submitJob(page, '{"seconds": 0, "fail": true}');
    await waitStatus(page, jobId, "FAILED");
    expect(await job(page, jobId).locator(".error-code").textContent()).to.equal("TimerFailed");

    await page.fill("#job-input", '{"seconds": "two"}');
    await page.click("#submit");
    await page.locator("#submit-status", { hasText: "ValidationError" }).waitFor();
    expect(await page.textContent("#submit-status")).to.match(/^400 ValidationError: .*seconds/);
  });

  it("links a large result (resultUrl) for download", async () => {
    const jobId = await submitJob(page, '{"seconds": 0, "resultBytes": 300000}');
    await waitStatus(page, jobId, "SUCCEEDED");
    const link = job(page, jobId).getByRole("link", { name: "Download result" });
    const href = (await link.getAttribute("href"))!;
    expect(href).to.match(/^https?:\/\//);
    expect(await job(page, jobId).locator(".result").count(), "no inline result").to.equal(0);
    const download = await page.request.get(href);
    expect(download.status()).to.equal(200);
    expect(JSON.parse(await download.text()).message).to.equal("Done after 0 seconds");
    await job(page, jobId).getByRole("button", { name: /^Forget job/ }).click();
    await page.waitForSelector(`li.job[data-job-id="${jobId}"]`, { state: "detached" });
  });

  it("says SigV4 is out of scope when the API answers 403", async () => {
    const stageless = cloud!.apiUrl.replace(/\/v1$/, "/nostage"); // the gateway answers 403 there
    await page.fill("#api-url", stageless);
    await page.press("#api-url", "Enter");
    await page.fill("#job-input", '{"seconds": 1}');
    await page.click("#submit");
    await page.waitForSelector("#notice:not([hidden])");
    const notice = (await page.textContent("#notice"))!;
    expect(notice).to.include("403");
    expect(notice).to.include("SigV4");
    expect(notice).to.match(/API key|apiKey/);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, "console-403.png") });
    expect(await page.locator("li.job").count(), "jobs of another API are not listed").to.equal(0);
    await page.fill("#api-url", cloud!.apiUrl);
    await page.press("#api-url", "Enter");
    await page.locator("li.job").nth(2).waitFor();
    expect(await page.locator("li.job").count()).to.equal(3);
    expect(await page.isHidden("#notice")).to.equal(true);
  });

  it("keeps the jobs across a reload (localStorage) and saves a screenshot", async () => {
    await page.reload();
    await page.locator("li.job").nth(2).waitFor();
    const statuses = await Promise.all((await page.locator("li.job").all()).map((li) => li.getAttribute("data-status")));
    expect(statuses).to.deep.equal(["FAILED", "CANCELLED", "SUCCEEDED"]);

    // One job still running, for the picture.
    const running = await submitJob(page, '{"seconds": 25}');
    await waitStatus(page, running, "RUNNING", 15_000);
    await page.fill("#job-input", '{"seconds": 5}');
    await page.evaluate('document.getElementById("schema").open = true; document.activeElement && document.activeElement.blur();');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const png = await page.screenshot({ path: path.join(ARTIFACTS, "console.png") });
    expect(png.length).to.be.greaterThan(10_000);
    // docs/console.png is committed: written when missing, or refreshed on request.
    if (!fs.existsSync(DOCS_SCREENSHOT) || process.env.ASYNC_API_UPDATE_SCREENSHOTS === "1") {
      fs.mkdirSync(path.dirname(DOCS_SCREENSHOT), { recursive: true });
      fs.writeFileSync(DOCS_SCREENSHOT, png);
    }
    expect(problems, problems.join("\n")).to.deep.equal([]);
  });

  // CONTRACT.md, "GET {apiUrl}/jobs": the caller's jobs (on auth none, everyone's), page by page.
  it('"All my jobs": newest first, page after page with Load more, filtered by status; a job submitted elsewhere can be tracked', async () => {
    const twoSeconds = (await page.locator("li.job").last().getAttribute("data-job-id"))!;
    const a = await submitJob(page, '{"seconds": 0}');
    const b = await submitJob(page, '{"seconds": 0, "fail": true}');
    expect((await listedIds(page)).slice(0, 2), "a job submitted here heads the list at once").to.deep.equal([b, a]);
    const elsewhere = await clientFor(cloud!).submit({ seconds: 0 });
    const c: string = elsewhere.body.jobId;
    await waitStatus(page, a, "SUCCEEDED");
    await waitStatus(page, b, "FAILED");
    await clientFor(cloud!).waitFor(c);

    // Pages of 2: the first, then Load more until the list ends.
    await page.evaluate('document.getElementById("listed").dataset.pageSize = "2"');
    await page.click("#listed-refresh");
    await listedLoaded(page);
    const firstPage = await listedIds(page);
    expect(firstPage.length).to.be.within(1, 2);
    expect(firstPage[0]).to.equal(c);
    expect(await page.isVisible("#listed-more")).to.equal(true);
    expect(await page.textContent("#listed-state")).to.match(/ so far: Load more for older ones\.$/);
    await loadAllListed(page);
    const all = await listedIds(page);
    expect(all.slice(0, 3)).to.deep.equal([c, b, a]);
    expect(all, "the page lists what the API lists").to.deep.equal(await apiJobIds(cloud!));
    const created = await page.locator("li.listed-job").evaluateAll((lis) => lis.map((li) => li.getAttribute("data-created-at")!));
    expect(created).to.deep.equal([...created].sort().reverse());
    expect(await page.textContent("#listed-state")).to.equal(`${all.length} jobs.`);
    expect(await listed(page, twoSeconds).locator(".progress-text").textContent()).to.equal("50% Slept 1 of 2 s");

    // A job submitted elsewhere: Track, and it is followed above like one submitted here.
    expect(await job(page, c).count()).to.equal(0);
    expect(await listed(page, a).getByRole("button", { name: /^Show job/ }).count()).to.equal(1);
    await listed(page, c).getByRole("button", { name: /^Track job/ }).click();
    await waitStatus(page, c, "SUCCEEDED");
    await job(page, c).locator(".result", { hasText: "Done after 0 seconds" }).waitFor();
    expect(await job(page, c).textContent()).to.include("Submitted elsewhere.");
    expect(await page.locator("li.job").first().getAttribute("data-job-id"), "placed by its creation time").to.equal(c);
    expect(await page.evaluate("document.activeElement && document.activeElement.textContent")).to.equal("Show");
    await listed(page, c).getByRole("button", { name: /^Show job/ }).click();
    expect(await page.evaluate("document.activeElement && document.activeElement.dataset.jobId")).to.equal(c);

    // The status filter: only FAILED jobs, with their error code.
    await page.selectOption("#listed-status", "FAILED");
    await listedLoaded(page);
    await loadAllListed(page);
    const failed = await listedIds(page);
    expect(failed).to.include(b);
    expect(failed).to.deep.equal(await apiJobIds(cloud!, "FAILED"));
    expect(await page.locator("li.listed-job").evaluateAll((lis) => lis.map((li) => li.getAttribute("data-status")))).to.deep.equal(failed.map(() => "FAILED"));
    expect(await listed(page, b).locator(".error-code").textContent()).to.equal("TimerFailed");
    expect(await page.textContent("#listed-state")).to.equal(`${failed.length} failed job${failed.length === 1 ? "" : "s"}.`);
    expect(problems, problems.join("\n")).to.deep.equal([]);
  });
});

describe("console: from another origin (CORS) with an API key", function () {
  this.timeout(180_000);
  let cloud: CloudHandle | undefined;
  let server: Server | undefined;
  let browser: Awaited<ReturnType<typeof openBrowser>> | undefined;
  let origin: string;

  before(async function () {
    requireBrowser(this);
    // A plain static server for console/ on another port: another origin than the API's.
    server = createServer((req, res) => {
      const url = req.url ?? "/";
      const q = url.indexOf("?");
      void consoleAsset(CONSOLE_DIR, q < 0 ? url : url.slice(0, q), q < 0 ? "" : url.slice(q + 1)).then((asset) => {
        res.writeHead(asset?.status ?? 404, asset?.headers ?? []);
        res.end(asset?.body);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    cloud = await startCloud(["backend=lambda", "auth=apiKey", "jobTimeoutSeconds=30", `corsOrigins=${JSON.stringify([origin])}`]);
    browser = await openBrowser();
  });
  after(async () => {
    await browser?.close();
    await cloud?.stop();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  });

  it("uses ?apiUrl=, is refused without the key, and runs a job with it", async () => {
    const page = await browser!.context.newPage();
    // GET /openapi.json answers without CORS headers (a mock integration): the page then says
    // "Input schema unavailable" and works on; the blocked fetch is logged by Chromium.
    const problems = watch(page, [/openapi\.json.*blocked by CORS policy/, /^Failed to load resource: net::ERR_FAILED$/]);
    await page.goto(`${origin}/console/?apiUrl=${encodeURIComponent(cloud!.apiUrl)}`);
    expect(await page.inputValue("#api-url")).to.equal(cloud!.apiUrl);

    await page.fill("#job-input", '{"seconds": 0}');
    await page.click("#submit");
    await page.waitForSelector("#notice:not([hidden])");
    expect(await page.textContent("#notice")).to.include("403");
    expect(await page.textContent("#submit-status")).to.match(/^403 /);
    await listedLoaded(page);
    expect(await page.textContent("#listed-state")).to.match(/^403 .*Check the API key|^403 .*apiKey or none/);

    await page.check('input[name="auth"][value="apiKey"]');
    await page.fill("#api-key", cloud!.outputs.apiKey);
    await page.press("#api-key", "Enter");
    const jobId = await submitJob(page, '{"seconds": 1}');
    await waitStatus(page, jobId, "SUCCEEDED");
    expect(await job(page, jobId).locator(".result").textContent()).to.include("Done after 1 seconds");
    // GET /jobs from this origin with the key (a preflighted request): the key's one job.
    await page.click("#listed-refresh");
    await listedLoaded(page);
    expect(await listedIds(page)).to.deep.equal([jobId]);
    expect(await listed(page, jobId).getAttribute("data-status")).to.equal("SUCCEEDED");
    expect(await page.textContent("#listed-state")).to.equal("1 job.");
    expect(await page.textContent("#schema-text")).to.match(/"seconds"|Input schema unavailable \(network or CORS\)/);
    // A blocked job request would show up here (Chromium logs CORS failures as console errors).
    expect(problems, problems.join("\n")).to.deep.equal([]);
  });
});
