// All my jobs: GET /jobs with its status filter, Refresh and Load more.
import { LIST_PAGE_SIZE, MAX_PAGES_PER_LOAD, el } from "./dom.js";
import { listing, rows, shortId, state, statusWords, trackedJob } from "./store.js";
import { call, errorOf, networkMessage } from "./http.js";
import { showTracked, track } from "./actions.js";
import { dateTime, node, progressNode } from "./render.js";

/** `/jobs?limit=…[&status=…][&cursor=…]` for the status filter and the list's page size. */
export function listRoute(cursor) {
  const size = Number(el.listed.dataset.pageSize);
  const query = new URLSearchParams({ limit: String(Number.isInteger(size) && size >= 1 && size <= 100 ? size : LIST_PAGE_SIZE) });
  if (el.listedStatus.value) query.set("status", el.listedStatus.value);
  if (cursor) query.set("cursor", cursor);
  return `/jobs?${query}`;
}

/**
 * Reads the first page of the list (`reset`) or the next one. A page may hold fewer jobs than
 * asked, even none, and still have a cursor: an empty one is followed at once (a few times), so
 * each load shows something new or ends the list.
 */
export async function loadListed(reset) {
  if (!reset && (listing.loading || !listing.nextCursor)) return;
  const generation = reset ? ++listing.generation : listing.generation;
  if (reset) {
    listing.jobs = [];
    listing.nextCursor = undefined;
  }
  if (!state.apiUrl) {
    listing.loading = false;
    setListedState("Enter the API URL to list its jobs.", false);
    renderListed();
    return;
  }
  listing.loading = true;
  setListedState("Loading…", false);
  renderListed();
  let error;
  try {
    let added = 0;
    for (let pages = 0; added === 0 && pages < MAX_PAGES_PER_LOAD && (pages === 0 || listing.nextCursor); pages++) {
      const res = await call("GET", listRoute(listing.nextCursor));
      if (generation !== listing.generation) return; // the filter or the API changed meanwhile
      if (res.status !== 200 || !res.body || !Array.isArray(res.body.jobs)) {
        error = listedError(res);
        break;
      }
      added = addListed(res.body.jobs);
      listing.nextCursor = typeof res.body.nextCursor === "string" && res.body.nextCursor ? res.body.nextCursor : undefined;
    }
  } catch {
    if (generation !== listing.generation) return;
    error = networkMessage();
  }
  const moreHadFocus = document.activeElement === el.listedMore;
  listing.loading = false;
  setListedState(error || listedSummary(), Boolean(error));
  renderListed();
  // The button goes with the last page: keep the focus near, on what it says.
  if (moreHadFocus && el.listedMore.hidden) el.listedState.focus();
}

/** Appends the jobs not listed yet; returns how many. */
export function addListed(jobs) {
  const known = new Set(listing.jobs.map((j) => j.jobId));
  const fresh = jobs.filter((j) => j && typeof j.jobId === "string" && typeof j.status === "string" && !known.has(j.jobId));
  listing.jobs.push(...fresh);
  return fresh.length;
}

/** A job just submitted here heads the list, when the filter lets it in. */
export function addListedFirst(job) {
  if (el.listedStatus.value && el.listedStatus.value !== job.status) return;
  if (listing.jobs.some((j) => j.jobId === job.jobId)) return;
  listing.jobs.unshift({ jobId: job.jobId, status: job.status, createdAt: job.createdAt, updatedAt: job.createdAt });
  if (!listing.loading) setListedState(listedSummary(), false);
}

export function listedError(res) {
  const e = errorOf(res);
  if (res.status !== 403) return `${res.status} ${e.code}: ${e.message}`;
  const hint = state.auth === "apiKey" ? "Check the API key. " : "";
  return `403 ${e.code}: ${e.message} ${hint}This console lists the jobs of stacks with auth apiKey or none.`;
}

export function listedSummary() {
  const n = listing.jobs.length;
  const filter = el.listedStatus.value ? ` ${statusWords(el.listedStatus.value)}` : "";
  if (n === 0 && !listing.nextCursor) return `No${filter} jobs.`;
  return `${n}${filter} job${n === 1 ? "" : "s"}${listing.nextCursor ? " so far: Load more for older ones." : "."}`;
}

export function setListedState(text, isError) {
  el.listedState.textContent = text;
  el.listedState.classList.toggle("error", Boolean(isError));
}

/** One listed job: a tracked one as its card shows it now, another as the list said. */
export function listedRow(jobId, job, tracked) {
  const short = shortId(jobId);
  const error = job.error && typeof job.error === "object" ? job.error : undefined;
  return [
    node("code", { class: "job-id", title: jobId, text: jobId }),
    node("span", { class: `badge s-${String(job.status).toLowerCase()}`, text: String(job.status).replace("_", " ") }),
    tracked
      ? node("button", { type: "button", class: "quiet", "aria-label": `Show job ${short} above`, onclick: () => showTracked(jobId), text: "Show" })
      : node("button", { type: "button", "aria-label": `Track job ${short}`, onclick: () => track(jobId), text: "Track" }),
    node("p", { class: "meta" }, "created ", node("time", { datetime: job.createdAt, text: dateTime(job.createdAt) })),
    progressNode(job.progress),
    error ? node("p", { class: "job-error" }, node("strong", { class: "error-code", title: String(error.message ?? ""), text: String(error.code) })) : null,
  ].filter(Boolean);
}

export function renderListed() {
  const ids = new Set(listing.jobs.map((j) => j.jobId));
  for (const [jobId, row] of rows) {
    if (!ids.has(jobId)) {
      row.li.remove();
      rows.delete(jobId);
    }
  }
  let previous = null;
  for (const listed of listing.jobs) {
    const tracked = trackedJob(listed.jobId);
    const job = tracked || listed;
    const signature = JSON.stringify([job.status, job.createdAt, job.progress, job.error, Boolean(tracked)]);
    let row = rows.get(listed.jobId);
    if (!row) {
      row = { li: node("li", { class: "listed-job" }), signature: "" };
      rows.set(listed.jobId, row);
    }
    if (row.signature !== signature) {
      const focused = row.li.contains(document.activeElement);
      row.li.replaceChildren(...listedRow(listed.jobId, job, Boolean(tracked)));
      row.li.dataset.jobId = listed.jobId;
      row.li.dataset.status = job.status;
      row.li.dataset.createdAt = job.createdAt || "";
      row.signature = signature;
      if (focused) row.li.querySelector("button").focus();
    }
    const expected = previous ? previous.nextSibling : el.listed.firstChild;
    if (expected !== row.li) el.listed.insertBefore(row.li, expected);
    previous = row.li;
  }
  el.listed.setAttribute("aria-busy", String(listing.loading));
  el.listedMore.hidden = !listing.nextCursor;
}
