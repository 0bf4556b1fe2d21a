// The connection settings (API URL, auth) and the job input's schema from the API's document.
import { KEY_KEY, el } from "./dom.js";
import { apiKey, normalizeUrl, save, state } from "./store.js";
import { clearNotice } from "./http.js";
import { resumeAll } from "./polling.js";
import { loadListed } from "./listed.js";
import { render } from "./render.js";

export function applySettings(initial = false) {
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
export async function loadSchema() {
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
