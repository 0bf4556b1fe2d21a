// async-api console: a static page that talks to any async-api through its public HTTP API only.
// No framework, no build step: ES modules served as they are. Jobs and settings live in localStorage; the API key in
// sessionStorage. This module wires the page's events and starts it.
import { KEY_KEY, STORE_KEY, el } from "./dom.js";
import { initialApiUrl, isTerminal, load, save, state } from "./store.js";
import { resumeAll } from "./polling.js";
import { submit, validateInput } from "./actions.js";
import { applySettings } from "./settings.js";
import { loadListed } from "./listed.js";
import { render } from "./render.js";

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
