// The console's constants and the page's elements.

export const STORE_KEY = "asyncApiConsole.v1";
export const KEY_KEY = "asyncApiConsole.apiKey";
export const TERMINAL = ["SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"];
export const MAX_JOBS = 50;
export const MAX_SHOWN_CHARS = 4000;
/** `GET /jobs`'s `limit` when `#listed` has no `data-page-size` (1..100). */
export const LIST_PAGE_SIZE = 20;
/** Pages read at most per load while they come back empty but with a cursor. */
export const MAX_PAGES_PER_LOAD = 5;
export const SIGV4_NOTE =
  "This console cannot sign requests with SigV4 (auth: iam). Use it with a stack whose auth is apiKey (enter the key) or none, " +
  "or call an iam stack with the CLI or curl --aws-sigv4.";

export const $ = (id) => document.getElementById(id);
export const el = {
  apiUrl: $("api-url"),
  apiKey: $("api-key"),
  apiKeyRow: $("api-key-row"),
  apiInfo: $("api-info"),
  connection: $("connection"),
  form: $("submit-form"),
  input: $("job-input"),
  jsonHint: $("json-hint"),
  submit: $("submit"),
  submitStatus: $("submit-status"),
  schemaText: $("schema-text"),
  notice: $("notice"),
  jobs: $("jobs"),
  jobsEmpty: $("jobs-empty"),
  jobsCount: $("jobs-count"),
  clearFinished: $("clear-finished"),
  listed: $("listed"),
  listedState: $("listed-state"),
  listedStatus: $("listed-status"),
  listedMore: $("listed-more"),
  listedRefresh: $("listed-refresh"),
};
