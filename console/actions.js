// What the buttons do: submit, cancel, forget, track, read a finished job's result.
import { MAX_JOBS, el } from "./dom.js";
import { cards, findJob, isTerminal, listing, save, state, trackedJob } from "./store.js";
import { call, clearNotice, errorOf, forbidden, networkMessage, retryAfter } from "./http.js";
import { applyStatus, copyFields, schedule, stopPolling } from "./polling.js";
import { addListedFirst } from "./listed.js";
import { render } from "./render.js";

export async function submit(event) {
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

export async function cancel(jobId) {
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

export function forget(jobId) {
  stopPolling(jobId);
  state.jobs = state.jobs.filter((j) => j.jobId !== jobId);
  save();
  render();
}

export function trimJobs() {
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
export function track(jobId) {
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
export async function readFinished(job) {
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
export function showTracked(jobId) {
  const card = cards.get(jobId);
  if (!card) return;
  card.li.scrollIntoView({ block: "nearest" });
  card.li.focus();
}

export function setSubmitStatus(text, isError) {
  el.submitStatus.textContent = text;
  el.submitStatus.classList.toggle("error", Boolean(isError));
  el.submitStatus.setAttribute("role", isError ? "alert" : "status");
}

/** The JSON validity hint; true when the editor holds valid JSON. */
export function validateInput() {
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
