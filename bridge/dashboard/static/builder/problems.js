// The API's problems with a rule: listed in a box, and the step fields they name marked
// (invalid after a refused save, needed in a template).
import { errorText } from "./api.js";
import { $, h } from "./dom.js";

const STEP_FIELD = /^do\[(\d+)\]\.(?:.*\.)?([A-Za-z0-9_]+)$/;

// The form field a path names (do[0].perfex.tasks.create.name: step 1's name), or null.
function stepFieldAt(path) {
  const m = STEP_FIELD.exec(path || "");
  return m ? document.querySelector(".step-edit[data-step='" + m[1] + "'] [data-field='" + m[2] + "']") : null;
}

// Marks the field a path names with a class, unfolding it; returns the field, or null.
export function markStepField(path, className) {
  const box = stepFieldAt(path);
  if (box) {
    box.classList.add(className);
    const details = box.closest("details");
    if (details) { details.open = true; }
  }
  return box;
}

// A path as a person reads it: "name of step 1", "the condition (step 2)".
export function friendlyPath(path) {
  if (path === "if") { return "the condition (step 2)"; }
  const m = STEP_FIELD.exec(path || "");
  return m ? m[2] + " of step " + (Number(m[1]) + 1) : path;
}

export function errorsBox(title, res) {
  const d = res.data || {};
  const box = h("div", { "class": "alert alert-bad", role: "alert" }, h("h2", { text: title }));
  box.appendChild(Array.isArray(d.errors)
    ? h("ul", { "class": "problems" }, d.errors.map(problemItem))
    : h("p", { text: errorText(res) }));
  return box;
}

function problemItem(e) {
  if (typeof e === "string") { return h("li", {}, h("code", { text: e })); }
  markInvalid(e.path);
  let message = String(e.message || "");
  if (e.path && message.indexOf(e.path + ":") === 0) { message = message.slice(e.path.length + 1).trim(); }
  return h("li", {}, h("code", { text: e.path || "rule" }), ": " + message);
}

function markInvalid(path) {
  if (!path) { return; }
  if (path === "name") { $("rule-name").setAttribute("aria-invalid", "true"); return; }
  const box = markStepField(path, "invalid");
  const input = box ? box.querySelector("input, select, textarea") : null;
  if (input) { input.setAttribute("aria-invalid", "true"); }
}

// Clears the marks of an earlier refusal.
export function clearInvalid() {
  document.querySelectorAll("[aria-invalid]").forEach((el) => { el.removeAttribute("aria-invalid"); });
  document.querySelectorAll(".invalid").forEach((el) => { el.classList.remove("invalid"); });
}
