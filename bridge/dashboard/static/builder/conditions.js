// Step 2, the conditions: rows (field, operator, value) that the API compiles into the
// rule's `if:`, and the Advanced box holding the expression itself.
import { api, describeErrors } from "./api.js";
import { $, clear, field, h, nextId, option } from "./dom.js";
import { sampleFields } from "./sample.js";
import { state } from "./state.js";
import { preview } from "./text.js";

const OPS = ["==", "!=", "contains", "not contains", "starts with", ">", ">=", "<", "<=",
  "is empty", "is not empty"];
const NO_VALUE = { "is empty": true, "is not empty": true };

function note(text) { $("cond-note").textContent = text; }

function showJoin() { $("cond-join").value = state.any ? "any" : "all"; }

// The sample's fields offered to the rows, then the rows again (they show sample values).
export function renderFieldList() {
  const list = clear($("sample-fields"));
  sampleFields().forEach((f) => { list.appendChild(h("option", { value: f.path, label: preview(f.value) })); });
  if (state.sample) { note("Sample event: " + (state.sample.source || "sample") + " " + (state.sample.event.type || "")); }
  renderRows();
}

export function renderRows() {
  const box = clear($("cond-rows"));
  if (state.exprOnly) {
    box.appendChild(h("p", { "class": "alert alert-warn", text: "This condition is hand-written and cannot be shown as rows; edit it in the Advanced box below. It is kept exactly as written." }));
    $("cond-advanced").open = true;
    return;
  }
  state.rows.forEach((row, i) => { box.appendChild(conditionRow(row, i)); });
}

function conditionRow(row, i) {
  const n = i + 1;
  const fid = nextId("cf"), oid = nextId("co"), vid = nextId("cv");
  const seen = h("span", { "class": "muted small sample-value" });
  const showValue = () => {
    const f = sampleFields().filter((x) => x.path === row.field)[0];
    seen.textContent = f ? "sample: " + preview(f.value) : "";
  };
  const fieldInput = h("input", { id: fid, type: "text", list: "sample-fields", value: row.field, spellcheck: "false",
    on: { input: (e) => { row.field = e.target.value.trim(); showValue(); }, change: compileRowsSoon } });
  const op = h("select", { id: oid, on: { change: (e) => { row.op = e.target.value; renderRows(); compileRowsSoon(); } } },
    OPS.map((o) => option(o, o, o === row.op)));
  const value = h("input", { id: vid, type: "text", value: row.value, disabled: NO_VALUE[row.op] ? true : null,
    on: { input: (e) => { row.value = e.target.value; }, change: compileRowsSoon } });
  showValue();
  return h("div", { "class": "cond-row", role: "group", "aria-label": "Condition " + n },
    field(fid, "Field of condition " + n, fieldInput, seen),
    field(oid, "Operator of condition " + n, op),
    field(vid, "Value of condition " + n, value),
    h("button", { type: "button", "class": "btn btn-small btn-danger", text: "Remove",
      "aria-label": "Remove condition " + n,
      on: { click: () => { state.rows.splice(i, 1); renderRows(); compileRowsSoon(); $("cond-add").focus(); } } }));
}

export function addCondition() {
  state.exprOnly = false;
  state.rows.push({ field: "", op: "==", value: "" });
  renderRows();
  const inputs = document.querySelectorAll(".cond-row input[list]");
  inputs[inputs.length - 1].focus();
}

export function changeJoin(e) {
  state.any = e.target.value === "any";
  compileRowsSoon();
}

let compileTimer = null;
// Only rows a person changed are compiled again: an `if:` loaded from a file is sent
// back exactly as written until then, never silently rewritten.
function compileRowsSoon() {
  state.rowsDirty = true;
  clearTimeout(compileTimer);
  compileTimer = setTimeout(compileRows, 250);
}

// Resolves to whether the rows (if changed) compiled into state.expr.
export function compileRows() {
  clearTimeout(compileTimer);
  if (state.exprOnly || !state.rowsDirty) { return Promise.resolve(true); }
  const rows = state.rows.filter((r) => r.field);
  if (!rows.length) { state.expr = ""; $("cond-expr").value = ""; return Promise.resolve(true); }
  const body = { rows: rows };
  if (state.any) { body.any = true; }
  return api("POST", "/api/builder/conditions", body).then((res) => {
    if (res.ok && res.data && typeof res.data["if"] === "string") {
      state.expr = res.data["if"];
      state.rowsDirty = false;
      $("cond-expr").value = state.expr;
      note("");
      return true;
    }
    note("The conditions are not valid: " + describeErrors(res));
    return false;
  });
}

// The Advanced box's "Use this expression": shown as rows where the API can, else kept as is.
export function useExpression() {
  const text = $("cond-expr").value.trim();
  if (!text) { state.expr = ""; state.exprOnly = false; state.rows = []; renderRows(); return; }
  api("POST", "/api/builder/conditions", { "if": text }).then((res) => {
    if (!res.ok) { note("That expression is not valid: " + describeErrors(res)); return; }
    state.expr = text;
    state.rowsDirty = false;
    note(adoptRows(res.data) ? "The expression is shown as rows above." : "Kept as a hand-written expression.");
    renderRows();
  });
}

// The rows the API read from an expression, or (none) the expression kept as written.
function adoptRows(data) {
  if (data && Array.isArray(data.rows)) {
    state.rows = data.rows; state.any = !!data.any; state.exprOnly = false;
    showJoin();
    return true;
  }
  state.exprOnly = true;
  return false;
}

// A loaded rule's `if:` (state.expr): its rows as the API gave them with the rule (null: no
// rows can show it), or asked for now when they did not come with it.
export function showConditions(rows) {
  if (!state.expr) { return; }
  if (rows !== undefined) {
    state.exprOnly = rows === null;
    state.rows = Array.isArray(rows) ? rows : [];
    showJoin();
    renderRows();
    return;
  }
  api("POST", "/api/builder/conditions", { "if": state.expr }).then((res) => {
    adoptRows(res.ok ? res.data : null);
    renderRows();
  });
}
