// async-api console: a static page that talks to any async-api through its public HTTP API only.
// No framework, no build step. Jobs and settings live in localStorage; the API key in sessionStorage.
"use strict";

(() => {
  const STORE_KEY = "asyncApiConsole.v1";
  const KEY_KEY = "asyncApiConsole.apiKey";
  const TERMINAL = ["SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"];
  const MAX_JOBS = 50;
  const MAX_SHOWN_CHARS = 4000;
  /** `GET /jobs`'s `limit` when `#listed` has no `data-page-size` (1..100). */
  const LIST_PAGE_SIZE = 20;
  /** Pages read at most per load while they come back empty but with a cursor. */
  const MAX_PAGES_PER_LOAD = 5;
  const SIGV4_NOTE =
    "This console cannot sign requests with SigV4 (auth: iam). Use it with a stack whose auth is apiKey (enter the key) or none, " +
    "or call an iam stack with the CLI or curl --aws-sigv4.";

  const $ = (id) => document.getElementById(id);
  const el = {
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

  // ---- state ---------------------------------------------------------------------------------

  const state = load();
  const timers = new Map(); // jobId -> timeout of its next poll
  const cards = new Map(); // jobId -> { li, signature }
  // GET /jobs as far as it has been read. Never saved: the API is its source.
  const listing = { generation: 0, jobs: [], nextCursor: undefined, loading: false };
  const rows = new Map(); // jobId -> { li, signature }

  function load() {
    let saved = {};
    try {
      saved = JSON.parse(localStorage.getItem(STORE_KEY) || "{}") || {};
    } catch {
      saved = {};
    }
    return {
      apiUrl: typeof saved.apiUrl === "string" ? saved.apiUrl : "",
      auth: saved.auth === "apiKey" ? "apiKey" : "none",
      jobs: Array.isArray(saved.jobs) ? saved.jobs.filter((j) => j && typeof j.jobId === "string" && typeof j.apiUrl === "string") : [],
    };
  }

  function save() {
    try {
      localStorage.setItem(STORE_KEY, JSON.stringify({ apiUrl: state.apiUrl, auth: state.auth, jobs: state.jobs }));
    } catch {
      /* storage full or disabled: the page still works for this visit */
    }
  }

  const normalizeUrl = (url) => url.trim().replace(/\/+$/, "");
  const isTerminal = (status) => TERMINAL.includes(status);
  const apiKey = () => el.apiKey.value.trim();
  const findJob = (jobId) => state.jobs.find((j) => j.jobId === jobId);
  const trackedJob = (jobId) => state.jobs.find((j) => j.jobId === jobId && j.apiUrl === state.apiUrl);
  const shortId = (jobId) => (jobId.length > 12 ? `${jobId.slice(0, 8)}…` : jobId);
  const statusWords = (status) => String(status).toLowerCase().replace("_", " ");

  /** `?apiUrl=`, else this page's own API when the local cloud serves it at …/<stage>/console/, else the saved one. */
  function initialApiUrl() {
    const fromQuery = new URLSearchParams(location.search).get("apiUrl");
    if (fromQuery) return normalizeUrl(fromQuery);
    if (location.protocol === "http:" || location.protocol === "https:") {
      const m = /^(.*\/[^/]+)\/console(?:\/(?:index\.html)?)?$/.exec(location.pathname);
      if (m) return location.origin + m[1];
    }
    return state.apiUrl;
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  /** One request to the API: `{status, headers, body}` or throws a TypeError on network/CORS failure. */
  async function call(method, route, body) {
    const headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (state.auth === "apiKey" && apiKey()) headers["x-api-key"] = apiKey();
    const res = await fetch(`${state.apiUrl}${route}`, { method, headers, body, cache: "no-store" });
    const text = await res.text();
    let parsed;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  /** The contract's error `{code, message}` of a response, or a stand-in for a body without one. */
  function errorOf(res) {
    const e = res.body && res.body.error;
    if (e && typeof e.code === "string") return { code: e.code, message: String(e.message || "") };
    if (res.body && typeof res.body.message === "string") return { code: `HTTP ${res.status}`, message: res.body.message };
    return { code: `HTTP ${res.status}`, message: res.text ? res.text.slice(0, 200) : "No error body." };
  }

  function networkMessage() {
    const origin = location.origin && location.origin !== "null" ? location.origin : "this page's origin";
    return (
      `Could not reach ${state.apiUrl || "the API"}: the network failed, or the browser blocked the answer (CORS). ` +
      `From another origin the stack needs ${origin} in corsOrigins (a file:// page has no origin: serve the console over http).`
    );
  }

  /** Seconds to wait before polling again, from `Retry-After` (seconds or an HTTP date). */
  function retryAfter(res, fallback = 2) {
    const value = res && res.headers && res.headers.get("Retry-After");
    let seconds = fallback;
    if (value && /^\d+(\.\d+)?$/.test(value.trim())) seconds = Number(value);
    else if (value && !Number.isNaN(Date.parse(value))) seconds = (Date.parse(value) - Date.now()) / 1000;
    return Math.min(60, Math.max(0.5, seconds));
  }

  // ---- notices -------------------------------------------------------------------------------

  function showNotice(text) {
    el.notice.textContent = text;
    el.notice.hidden = false;
  }

  function clearNotice() {
    el.notice.hidden = true;
    el.notice.textContent = "";
  }

  /** A 403 means SigV4 (unsupported here) or a wrong API key: say which to try. */
  function forbidden(res) {
    const e = errorOf(res);
    const hint = state.auth === "apiKey" ? "Check the API key. If the stack uses auth iam: " : "";
    showNotice(`The API answered 403 ${e.code}: ${e.message} ${hint}${SIGV4_NOTE}`);
  }

  // ---- polling -------------------------------------------------------------------------------

  function schedule(job, seconds) {
    clearTimeout(timers.get(job.jobId));
    timers.set(
      job.jobId,
      setTimeout(() => poll(job.jobId), seconds * 1000),
    );
  }

  function stopPolling(jobId) {
    clearTimeout(timers.get(jobId));
    timers.delete(jobId);
  }

  function applyStatus(job, body) {
    // The first terminal status wins: a poll answered before a cancel must not undo it.
    if (isTerminal(job.status)) return;
    if (typeof body.status === "string" && body.status !== job.status) {
      job.status = body.status;
      job.history = [...(job.history || []), body.status];
    }
    copyFields(job, body);
  }

  function copyFields(job, body) {
    for (const key of ["createdAt", "updatedAt", "result", "resultUrl", "error", "progress"]) {
      if (body[key] !== undefined) job[key] = body[key];
    }
  }

  async function poll(jobId) {
    timers.delete(jobId);
    const job = findJob(jobId);
    if (!job || isTerminal(job.status) || job.lost || job.apiUrl !== state.apiUrl) return;
    try {
      const res = await call("GET", `/jobs/${encodeURIComponent(jobId)}`);
      if (isTerminal(job.status)) return; // cancelled meanwhile
      if (res.status === 200 && res.body) {
        job.note = undefined;
        applyStatus(job, res.body);
        if (!isTerminal(job.status)) schedule(job, retryAfter(res));
      } else if (res.status === 404) {
        job.lost = true;
        job.note = "The API no longer knows this job (expired, or not visible with these credentials).";
      } else if (res.status === 403) {
        job.note = "Paused: the API refused the request (403). Polling resumes when the API settings change.";
        forbidden(res);
      } else {
        const e = errorOf(res);
        job.note = `${e.code}: ${e.message} (retrying)`;
        schedule(job, retryAfter(res, 5));
      }
    } catch {
      job.note = "Cannot reach the API (retrying).";
      schedule(job, 5);
    }
    save();
    render();
  }

  /** (Re)starts polling every unfinished job of the current API. */
  function resumeAll() {
    for (const job of state.jobs) {
      if (job.apiUrl === state.apiUrl && !isTerminal(job.status) && !job.lost) schedule(job, 0);
      else if (job.apiUrl !== state.apiUrl) stopPolling(job.jobId);
    }
  }

  // ---- actions -------------------------------------------------------------------------------

  async function submit(event) {
    event.preventDefault();
    const text = el.input.value;
    if (!validateInput()) return;
    if (!state.apiUrl) {
      setSubmitStatus("Enter the API URL first.", true);
      el.apiUrl.focus();
      return;
    }
    el.submit.disabled = true;
    setSubmitStatus("Submitting…", false);
    try {
      const res = await call("POST", "/jobs", text);
      if (res.status === 202 && res.body && typeof res.body.jobId === "string") {
        clearNotice();
        const job = {
          jobId: res.body.jobId,
          apiUrl: state.apiUrl,
          status: res.body.status || "PENDING",
          history: [res.body.status || "PENDING"],
          createdAt: res.body.createdAt,
          input: text.length > 300 ? `${text.slice(0, 300)}…` : text,
        };
        state.jobs.unshift(job);
        trimJobs();
        addListedFirst(job);
        save();
        render();
        setSubmitStatus(`Submitted job ${job.jobId}.`, false);
        schedule(job, retryAfter(res, 1));
      } else {
        if (res.status === 403) forbidden(res);
        const e = errorOf(res);
        setSubmitStatus(`${res.status} ${e.code}: ${e.message}`, true);
      }
    } catch {
      setSubmitStatus(networkMessage(), true);
    } finally {
      el.submit.disabled = !validateInput();
    }
  }

  async function cancel(jobId) {
    const job = findJob(jobId);
    if (!job) return;
    job.note = "Cancelling…";
    render();
    try {
      const res = await call("DELETE", `/jobs/${encodeURIComponent(jobId)}`);
      if (res.status === 202) {
        job.note = undefined;
        applyStatus(job, { status: (res.body && res.body.status) || "CANCELLED" });
        stopPolling(jobId);
        // One more read for the record's final updatedAt.
        const after = await call("GET", `/jobs/${encodeURIComponent(jobId)}`).catch(() => undefined);
        if (after && after.status === 200 && after.body && after.body.status === job.status && after.body.updatedAt) job.updatedAt = after.body.updatedAt;
      } else if (res.status === 409) {
        job.note = "It had already finished.";
        schedule(job, 0);
      } else if (res.status === 404) {
        job.lost = true;
        job.note = "The API no longer knows this job.";
      } else {
        if (res.status === 403) forbidden(res);
        const e = errorOf(res);
        job.note = `Cancel failed: ${e.code}: ${e.message}`;
      }
    } catch {
      job.note = `Cancel failed: ${networkMessage()}`;
    }
    save();
    render();
  }

  function forget(jobId) {
    stopPolling(jobId);
    state.jobs = state.jobs.filter((j) => j.jobId !== jobId);
    save();
    render();
  }

  function trimJobs() {
    while (state.jobs.length > MAX_JOBS) {
      const i = state.jobs.map((j) => isTerminal(j.status) || j.lost).lastIndexOf(true);
      const [dropped] = state.jobs.splice(i >= 0 ? i : state.jobs.length - 1, 1);
      stopPolling(dropped.jobId);
    }
  }

  /**
   * Tracks a job of "All my jobs" as if it had been submitted here: placed among the tracked jobs by
   * its creation time, polled while it runs, read once when it has ended (the list has no result).
   */
  function track(jobId) {
    const listed = listing.jobs.find((j) => j.jobId === jobId);
    if (!listed || trackedJob(jobId)) return;
    const job = { jobId, apiUrl: state.apiUrl, status: listed.status, history: [listed.status] };
    copyFields(job, listed);
    const created = Date.parse(job.createdAt);
    const at = state.jobs.findIndex((j) => !(Date.parse(j.createdAt) >= created));
    state.jobs.splice(at < 0 ? state.jobs.length : at, 0, job);
    trimJobs();
    save();
    render();
    if (isTerminal(job.status)) readFinished(job);
    else schedule(job, 0);
  }

  /** One read of a job tracked after it ended, for what the list leaves out: its result. */
  async function readFinished(job) {
    job.note = "Reading its result…";
    render();
    try {
      const res = await call("GET", `/jobs/${encodeURIComponent(job.jobId)}`);
      if (res.status === 200 && res.body) {
        job.note = undefined;
        copyFields(job, res.body);
      } else if (res.status === 404) {
        job.lost = true;
        job.note = "The API no longer knows this job (expired, or not visible with these credentials).";
      } else {
        const e = errorOf(res);
        job.note = `Could not read its result: ${e.code}: ${e.message}`;
      }
    } catch {
      job.note = `Could not read its result: ${networkMessage()}`;
    }
    save();
    render();
  }

  /** Brings a tracked job's card into view and focus. */
  function showTracked(jobId) {
    const card = cards.get(jobId);
    if (!card) return;
    card.li.scrollIntoView({ block: "nearest" });
    card.li.focus();
  }

  function setSubmitStatus(text, isError) {
    el.submitStatus.textContent = text;
    el.submitStatus.classList.toggle("error", Boolean(isError));
    el.submitStatus.setAttribute("role", isError ? "alert" : "status");
  }

  /** The JSON validity hint; true when the editor holds valid JSON. */
  function validateInput() {
    try {
      JSON.parse(el.input.value);
      el.jsonHint.textContent = "✓ Valid JSON";
      el.jsonHint.className = "hint ok";
      el.input.removeAttribute("aria-invalid");
      el.submit.disabled = false;
      return true;
    } catch (e) {
      el.jsonHint.textContent = `✗ Invalid JSON: ${e.message}`;
      el.jsonHint.className = "hint error";
      el.input.setAttribute("aria-invalid", "true");
      el.submit.disabled = true;
      return false;
    }
  }

  // ---- settings ------------------------------------------------------------------------------

  function applySettings(initial = false) {
    const url = normalizeUrl(el.apiUrl.value);
    const auth = el.connection.querySelector('input[name="auth"]:checked').value;
    const changed = initial || url !== state.apiUrl || auth !== state.auth;
    state.apiUrl = url;
    state.auth = auth;
    el.apiKeyRow.hidden = auth !== "apiKey";
    try {
      if (apiKey()) sessionStorage.setItem(KEY_KEY, apiKey());
      else sessionStorage.removeItem(KEY_KEY);
    } catch {
      /* no session storage */
    }
    save();
    clearNotice();
    for (const job of state.jobs) if (job.note && job.note.startsWith("Paused")) job.note = undefined;
    if (changed) loadSchema();
    resumeAll();
    render();
    loadListed(true);
  }

  /** GET /openapi.json (no credentials): the API's title and the job's input schema. */
  async function loadSchema() {
    const url = state.apiUrl;
    el.apiInfo.textContent = "";
    if (!url) {
      el.schemaText.textContent = "Enter the API URL to see the job's input schema.";
      return;
    }
    el.schemaText.textContent = "Loading…";
    try {
      const res = await fetch(`${url}/openapi.json`, { cache: "no-store" });
      if (url !== state.apiUrl) return;
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const doc = await res.json();
      const op = doc.paths && doc.paths["/jobs"] && doc.paths["/jobs"].post;
      let schema = op && op.requestBody && op.requestBody.content && op.requestBody.content["application/json"] && op.requestBody.content["application/json"].schema;
      const ref = schema && schema.$ref;
      if (typeof ref === "string" && ref.startsWith("#/components/schemas/")) schema = ((doc.components || {}).schemas || {})[ref.slice(21)];
      el.schemaText.textContent = schema ? JSON.stringify(schema, null, 2) : "The API document has no input schema for POST /jobs.";
      const info = doc.info || {};
      el.apiInfo.textContent = `API document: ${info.title || "untitled"}${info.version ? ` ${info.version}` : ""}.`;
    } catch (e) {
      if (url !== state.apiUrl) return;
      el.schemaText.textContent = `Input schema unavailable (${e instanceof TypeError ? "network or CORS" : e.message}).`;
    }
  }

  // ---- all my jobs (GET /jobs) ---------------------------------------------------------------

  /** `/jobs?limit=…[&status=…][&cursor=…]` for the status filter and the list's page size. */
  function listRoute(cursor) {
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
  async function loadListed(reset) {
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
  function addListed(jobs) {
    const known = new Set(listing.jobs.map((j) => j.jobId));
    const fresh = jobs.filter((j) => j && typeof j.jobId === "string" && typeof j.status === "string" && !known.has(j.jobId));
    listing.jobs.push(...fresh);
    return fresh.length;
  }

  /** A job just submitted here heads the list, when the filter lets it in. */
  function addListedFirst(job) {
    if (el.listedStatus.value && el.listedStatus.value !== job.status) return;
    if (listing.jobs.some((j) => j.jobId === job.jobId)) return;
    listing.jobs.unshift({ jobId: job.jobId, status: job.status, createdAt: job.createdAt, updatedAt: job.createdAt });
    if (!listing.loading) setListedState(listedSummary(), false);
  }

  function listedError(res) {
    const e = errorOf(res);
    if (res.status !== 403) return `${res.status} ${e.code}: ${e.message}`;
    const hint = state.auth === "apiKey" ? "Check the API key. " : "";
    return `403 ${e.code}: ${e.message} ${hint}This console lists the jobs of stacks with auth apiKey or none.`;
  }

  function listedSummary() {
    const n = listing.jobs.length;
    const filter = el.listedStatus.value ? ` ${statusWords(el.listedStatus.value)}` : "";
    if (n === 0 && !listing.nextCursor) return `No${filter} jobs.`;
    return `${n}${filter} job${n === 1 ? "" : "s"}${listing.nextCursor ? " so far: Load more for older ones." : "."}`;
  }

  function setListedState(text, isError) {
    el.listedState.textContent = text;
    el.listedState.classList.toggle("error", Boolean(isError));
  }

  /** One listed job: a tracked one as its card shows it now, another as the list said. */
  function listedRow(jobId, job, tracked) {
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

  function renderListed() {
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

  // ---- rendering -----------------------------------------------------------------------------

  function node(tag, attrs, ...children) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") n.className = v;
      else if (k === "text") n.textContent = v;
      else if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
      else n.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) if (c !== undefined && c !== null && c !== false) n.append(c);
    return n;
  }

  const time = (iso) => {
    const d = iso ? new Date(iso) : undefined;
    return d && !Number.isNaN(d.getTime()) ? d.toLocaleTimeString() : "–";
  };

  const dateTime = (iso) => {
    const d = iso ? new Date(iso) : undefined;
    return d && !Number.isNaN(d.getTime()) ? d.toLocaleString() : "–";
  };

  function duration(job) {
    const a = Date.parse(job.createdAt);
    const b = Date.parse(job.updatedAt);
    if (!isTerminal(job.status) || Number.isNaN(a) || Number.isNaN(b)) return "";
    return ` · ${statusWords(job.status)} after ${((b - a) / 1000).toFixed(1)} s`;
  }

  function shown(value) {
    const text = JSON.stringify(value, null, 2);
    if (text === undefined) return "null";
    return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}\n… (${text.length} characters in all)` : text;
  }

  const safeHref = (url) => (typeof url === "string" && /^https?:\/\//i.test(url) ? url : undefined);

  function cardBody(job) {
    const short = shortId(job.jobId);
    const outcome = [];
    if (job.status === "SUCCEEDED" && job.result !== undefined) {
      outcome.push(node("p", { class: "label", text: "Result" }), node("pre", { class: "code result", text: shown(job.result) }));
    }
    const href = job.status === "SUCCEEDED" ? safeHref(job.resultUrl) : undefined;
    if (href) {
      outcome.push(
        node("p", {}, node("a", { href, download: "", target: "_blank", rel: "noopener noreferrer", text: "Download result" }), " (a presigned link; it expires)"),
      );
    }
    if (job.error && (job.status === "FAILED" || job.status === "TIMED_OUT")) {
      outcome.push(
        node("p", { class: "job-error" }, node("strong", { class: "error-code", text: String(job.error.code) }), ": ", node("span", { text: String(job.error.message ?? "") })),
      );
    }
    const active = !isTerminal(job.status) && !job.lost;
    const parts = [
      node(
        "div",
        { class: "job-head" },
        node("code", { class: "job-id", title: job.jobId, text: job.jobId }),
        node("span", { class: `badge s-${job.status.toLowerCase()}`, text: job.status.replace("_", " ") }),
      ),
      node("p", { class: "meta", text: `created ${time(job.createdAt)} · updated ${time(job.updatedAt || job.createdAt)}${duration(job)}` }),
      node("p", { class: "history", "aria-label": "Status history", text: (job.history || [job.status]).join(" → ") }),
      progressNode(job.progress),
      ...outcome,
      job.note ? node("p", { class: "note", text: job.note }) : null,
      node(
        "div",
        { class: "job-foot" },
        // A job tracked from "All my jobs" was submitted elsewhere: its input is not known here.
        job.input !== undefined
          ? node("details", { class: "input" }, node("summary", { text: "Input" }), node("pre", { class: "code", text: job.input || "" }))
          : node("p", { class: "meta", text: "Submitted elsewhere." }),
        active ? node("button", { type: "button", class: "danger", "aria-label": `Cancel job ${short}`, onclick: () => cancel(job.jobId), text: "Cancel" }) : null,
        !active ? node("button", { type: "button", class: "quiet", "aria-label": `Forget job ${short}`, onclick: () => forget(job.jobId), text: "Forget" }) : null,
      ),
    ];
    return parts.filter(Boolean);
  }

  /** The job's latest progress report: a bar for the percent, and the message. */
  function progressNode(progress) {
    if (!progress || typeof progress !== "object") return null;
    const percent = typeof progress.percent === "number" ? Math.min(100, Math.max(0, progress.percent)) : undefined;
    const message = typeof progress.message === "string" ? progress.message : "";
    return node(
      "div",
      { class: "progress", "aria-label": "Progress" },
      percent !== undefined ? node("progress", { max: "100", value: String(percent), "aria-label": `${Math.round(percent)} percent` }) : null,
      node("span", { class: "progress-text", text: `${percent !== undefined ? `${Math.round(percent)}% ` : ""}${message}`.trim() }),
    );
  }

  function render() {
    const visible = state.jobs.filter((j) => j.apiUrl === state.apiUrl);
    const ids = new Set(visible.map((j) => j.jobId));
    for (const [jobId, card] of cards) {
      if (!ids.has(jobId)) {
        card.li.remove();
        cards.delete(jobId);
      }
    }
    let previous = null;
    for (const job of visible) {
      const signature = JSON.stringify([job.status, job.history, job.updatedAt, job.result, job.resultUrl, job.error, job.note, job.lost, job.progress]);
      let card = cards.get(job.jobId);
      if (!card) {
        card = { li: node("li", { class: "job", tabindex: "-1" }), signature: "" };
        cards.set(job.jobId, card);
      }
      if (card.signature !== signature) {
        const open = card.li.querySelector("details.input[open]") !== null;
        card.li.replaceChildren(...cardBody(job));
        if (open) card.li.querySelector("details.input").open = true;
        card.li.dataset.jobId = job.jobId;
        card.li.dataset.status = job.status;
        card.signature = signature;
      }
      const expected = previous ? previous.nextSibling : el.jobs.firstChild;
      if (expected !== card.li) el.jobs.insertBefore(card.li, expected);
      previous = card.li;
    }
    el.jobsEmpty.hidden = visible.length > 0;
    const running = visible.filter((j) => !isTerminal(j.status) && !j.lost).length;
    el.jobsCount.textContent = visible.length ? `(${visible.length}${running ? `, ${running} active` : ""})` : "";
    el.clearFinished.hidden = !visible.some((j) => isTerminal(j.status) || j.lost);
    renderListed();
  }

  // ---- start ---------------------------------------------------------------------------------

  el.apiUrl.value = initialApiUrl();
  el.connection.querySelector(`input[name="auth"][value="${state.auth}"]`).checked = true;
  try {
    el.apiKey.value = sessionStorage.getItem(KEY_KEY) || "";
  } catch {
    /* no session storage */
  }
  el.connection.addEventListener("change", () => applySettings());
  el.connection.addEventListener("submit", (e) => {
    e.preventDefault();
    applySettings();
  });
  el.input.addEventListener("input", validateInput);
  el.form.addEventListener("submit", submit);
  el.listedStatus.addEventListener("change", () => loadListed(true));
  el.listedRefresh.addEventListener("click", () => loadListed(true));
  el.listedMore.addEventListener("click", () => loadListed(false));
  el.clearFinished.addEventListener("click", () => {
    state.jobs = state.jobs.filter((j) => j.apiUrl !== state.apiUrl || (!isTerminal(j.status) && !j.lost));
    save();
    render();
  });
  window.addEventListener("storage", (e) => {
    // Another tab changed the saved jobs: take its list, keep this tab's settings.
    if (e.key !== STORE_KEY) return;
    state.jobs = load().jobs;
    resumeAll();
    render();
  });

  validateInput();
  applySettings(true);
})();
