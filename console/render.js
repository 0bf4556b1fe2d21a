// Drawing the tracked jobs and their cards.
import { MAX_SHOWN_CHARS, el } from "./dom.js";
import { cards, isTerminal, shortId, state, statusWords } from "./store.js";
import { cancel, forget } from "./actions.js";
import { renderListed } from "./listed.js";

export function node(tag, attrs, ...children) {
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

export const time = (iso) => {
  const d = iso ? new Date(iso) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d.toLocaleTimeString() : "–";
};

export const dateTime = (iso) => {
  const d = iso ? new Date(iso) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d.toLocaleString() : "–";
};

export function duration(job) {
  const a = Date.parse(job.createdAt);
  const b = Date.parse(job.updatedAt);
  if (!isTerminal(job.status) || Number.isNaN(a) || Number.isNaN(b)) return "";
  return ` · ${statusWords(job.status)} after ${((b - a) / 1000).toFixed(1)} s`;
}

export function shown(value) {
  const text = JSON.stringify(value, null, 2);
  if (text === undefined) return "null";
  return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}\n… (${text.length} characters in all)` : text;
}

export const safeHref = (url) => (typeof url === "string" && /^https?:\/\//i.test(url) ? url : undefined);

export function cardBody(job) {
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
export function progressNode(progress) {
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

export function render() {
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
