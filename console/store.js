// What the console remembers: settings and tracked jobs in localStorage (the API key in sessionStorage), and what it shows now.
import { STORE_KEY, TERMINAL, el } from "./dom.js";

export const state = load();
export const timers = new Map(); // jobId -> timeout of its next poll
export const cards = new Map(); // jobId -> { li, signature }
// GET /jobs as far as it has been read. Never saved: the API is its source.
export const listing = { generation: 0, jobs: [], nextCursor: undefined, loading: false };
export const rows = new Map(); // jobId -> { li, signature }

export function load() {
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

export function save() {
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify({ apiUrl: state.apiUrl, auth: state.auth, jobs: state.jobs }));
  } catch {
    /* storage full or disabled: the page still works for this visit */
  }
}

export const normalizeUrl = (url) => url.trim().replace(/\/+$/, "");
export const isTerminal = (status) => TERMINAL.includes(status);
export const apiKey = () => el.apiKey.value.trim();
export const findJob = (jobId) => state.jobs.find((j) => j.jobId === jobId);
export const trackedJob = (jobId) => state.jobs.find((j) => j.jobId === jobId && j.apiUrl === state.apiUrl);
export const shortId = (jobId) => (jobId.length > 12 ? `${jobId.slice(0, 8)}…` : jobId);
export const statusWords = (status) => String(status).toLowerCase().replace("_", " ");

/** `?apiUrl=`, else this page's own API when the local cloud serves it at …/<stage>/console/, else the saved one. */
export function initialApiUrl() {
  const fromQuery = new URLSearchParams(location.search).get("apiUrl");
  if (fromQuery) return normalizeUrl(fromQuery);
  if (location.protocol === "http:" || location.protocol === "https:") {
    const m = /^(.*\/[^/]+)\/console(?:\/(?:index\.html)?)?$/.exec(location.pathname);
    if (m) return location.origin + m[1];
  }
  return state.apiUrl;
}
