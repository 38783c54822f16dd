// Step 3, the actions: the list of actions to add from, and each step's form (its id, its
// fields, moving and removing it).
import { $, clear, h, nextId, setStatus } from "./dom.js";
import { fieldRow } from "./fields.js";
import { closePicker } from "./picker.js";
import { actionStem } from "./rule.js";
import { actionOf, state } from "./state.js";
import { matches } from "./text.js";

// What the list shows before anything is searched: the everyday choices.
const POPULAR_ACTIONS = ["perfex.tasks.create", "webhook", "perfex.leads.create", "perfex.tickets.reply",
  "perfex.customers.create", "perfex.payments.create", "perfex.tasks.update", "perfex.leads.update", "delay", "for_each"];

export function renderActions() {
  const list = clear($("action-list"));
  const query = $("action-search").value;
  const actions = query.trim() ? state.catalogue.actions : POPULAR_ACTIONS.map(actionOf).filter(Boolean);
  let shown = 0;
  actions.forEach((a) => {
    if (shown >= 12 || !matches(query, [a.title, a.name, a.group || "", a.path || ""])) { return; }
    shown += 1;
    list.appendChild(actionChoice(a));
  });
  if (!shown) { list.appendChild(h("li", { "class": "empty", text: "No action matches that search." })); }
  if (!query.trim()) { list.appendChild(h("li", { "class": "muted small list-hint", text: "The everyday ones; search for any of the " + state.catalogue.actions.length + " actions." })); }
}

function actionChoice(a) {
  return h("li", {}, h("button", { type: "button", "class": "btn action-add", on: { click: () => { addStep(a); } } },
    "Add: " + a.title), " ", h("span", { "class": "muted small" }, h("code", { text: a.name }), a.method && a.path ? " · " + a.method + " " + a.path : ""));
}

function addStep(action) {
  const step = { action: action.name, id: defaultStepId(action.name), params: {}, extra: {} };
  if (action.name === "webhook") { step.params = { url: "", body: { text: "" } }; }
  state.steps.push(step);
  renderSteps();
  const forms = document.querySelectorAll(".step-edit");
  const last = forms[forms.length - 1];
  if (last) { const first = last.querySelector("input, select, textarea"); if (first) { first.focus(); } }
  setStatus("Added step " + state.steps.length + ": " + (action.title || action.name) + ".");
}

// task, task2, task3…: the first id no step has yet.
function defaultStepId(action) {
  const base = actionStem(action).replace(/[^a-z0-9_]/g, "_");
  const taken = state.steps.map((s) => s.id);
  let id = base, n = 2;
  while (taken.indexOf(id) >= 0) { id = base + n; n += 1; }
  return id;
}

export function renderSteps() {
  closePicker();
  const box = clear($("steps"));
  if (!state.steps.length) {
    box.appendChild(h("p", { "class": "empty", text: "No steps yet: add one below." }));
    return;
  }
  state.steps.forEach((step, i) => { box.appendChild(stepForm(step, i)); });
}

function stepForm(step, i) {
  const n = i + 1;
  const info = fieldsOf(step);
  const title = info.action ? info.action.title : step.action;
  const idInput = h("input", { id: nextId("sid"), type: "text", value: step.id, pattern: "[A-Za-z_][A-Za-z0-9_]*", "class": "step-id",
    on: { change: (e) => { step.id = e.target.value.trim(); } } });
  const required = [], optional = [];
  info.order.forEach((k) => {
    const row = fieldRow(step, i, k, info.fields[k], "step " + n);
    (shownAtOnce(step, k, info.fields[k]) ? required : optional).push(row);
  });
  const more = optional.length ? h("details", { "class": "more-fields" },
    h("summary", { text: "More fields (" + optional.length + ")" }), h("div", { "class": "field-grid" }, optional)) : null;
  const extraNote = Object.keys(step.extra).length ? h("p", { "class": "muted small" }, "Also kept as written: ",
    Object.keys(step.extra).map((k) => h("code", { text: k }))) : null;
  return h("fieldset", { "class": "step-edit", "data-step": String(i) },
    h("legend", { "class": "sr-only", text: "Step " + n + ": " + title }),
    stepHead(step, i, title, info.action),
    h("div", { "class": "field inline" }, h("label", { "for": idInput.id, text: "Step id of step " + n }), idInput,
      h("span", { "class": "muted small" }, "later steps read its result as ", h("code", { text: "steps." + (step.id || "<id>") + ".id" }))),
    h("div", { "class": "field-grid" }, required), more, extraNote);
}

// Required and filled fields, and an action's usual ones, show; the rest fold away.
function shownAtOnce(step, key, meta) {
  return meta.required || step.params[key] !== undefined
    || step.action === "webhook" && (key === "url" || key === "body")
    || step.action === "delay" && key === "delay";
}

function stepHead(step, i, title, action) {
  const n = i + 1;
  return h("div", { "class": "step-edit-head" },
    h("h3", {}, "Step " + n + ": " + title),
    h("code", { "class": "muted", text: action && action.method && action.path ? action.method + " " + action.path : step.action }),
    h("span", { "class": "step-buttons" },
      h("button", { type: "button", "class": "btn btn-small", text: "↑", "aria-label": "Move step " + n + " up", disabled: i === 0 ? true : null,
        on: { click: () => { moveStep(i, -1); } } }),
      h("button", { type: "button", "class": "btn btn-small", text: "↓", "aria-label": "Move step " + n + " down", disabled: i === state.steps.length - 1 ? true : null,
        on: { click: () => { moveStep(i, 1); } } }),
      h("button", { type: "button", "class": "btn btn-small btn-danger", text: "Remove", "aria-label": "Remove step " + n,
        on: { click: () => { removeStep(i); } } })));
}

// The action's fields in order (required, optional, the rest), then any the step has besides.
function fieldsOf(step) {
  const action = actionOf(step.action);
  const fields = {};
  const order = [];
  if (action && action.fields) {
    const required = action.required || [];
    const names = required.concat(action.optional || []);
    Object.keys(action.fields).forEach((k) => { if (names.indexOf(k) < 0) { names.push(k); } });
    names.forEach((k) => { fields[k] = action.fields[k] || { required: required.indexOf(k) >= 0 }; order.push(k); });
  }
  Object.keys(step.params).forEach((k) => { if (!fields[k]) { fields[k] = { description: "" }; order.push(k); } });
  return { action: action, fields: fields, order: order };
}

function removeStep(i) {
  state.steps.splice(i, 1);
  renderSteps();
  setStatus("Removed step " + (i + 1) + ".");
  $("action-search").focus();
}

// Swaps step i with its neighbour; the focus follows the step's same button where it can.
function moveStep(i, delta) {
  const j = i + delta;
  const moved = state.steps[i];
  state.steps[i] = state.steps[j];
  state.steps[j] = moved;
  renderSteps();
  setStatus("Moved step " + (i + 1) + " to position " + (j + 1) + ".");
  const btn = document.querySelector("[aria-label='Move step " + (j + 1) + (delta < 0 ? " up" : " down") + "']");
  if (btn && !btn.disabled) { btn.focus(); return; }
  const heading = document.querySelectorAll(".step-edit h3")[j];
  if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
}
