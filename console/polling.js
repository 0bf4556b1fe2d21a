// Following tracked jobs: a GET at the time Retry-After says, until each job has ended.
import { findJob, isTerminal, save, state, timers } from "./store.js";
import { call, errorOf, forbidden, retryAfter } from "./http.js";
import { render } from "./render.js";

export function schedule(job, seconds) {
  clearTimeout(timers.get(job.jobId));
  timers.set(
    job.jobId,
    setTimeout(() => poll(job.jobId), seconds * 1000),
  );
}

export function stopPolling(jobId) {
  clearTimeout(timers.get(jobId));
  timers.delete(jobId);
}

export function applyStatus(job, body) {
  // The first terminal status wins: a poll answered before a cancel must not undo it.
  if (isTerminal(job.status)) return;
  if (typeof body.status === "string" && body.status !== job.status) {
    job.status = body.status;
    job.history = [...(job.history || []), body.status];
  }
  copyFields(job, body);
}

export function copyFields(job, body) {
  for (const key of ["createdAt", "updatedAt", "result", "resultUrl", "error", "progress"]) {
    if (body[key] !== undefined) job[key] = body[key];
  }
}

export async function poll(jobId) {
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
export function resumeAll() {
  for (const job of state.jobs) {
    if (job.apiUrl === state.apiUrl && !isTerminal(job.status) && !job.lost) schedule(job, 0);
    else if (job.apiUrl !== state.apiUrl) stopPolling(job.jobId);
  }
}
