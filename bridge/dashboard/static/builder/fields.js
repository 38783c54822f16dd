// The form field of one parameter of a step, drawn for what it holds: key/value pairs,
// JSON, a secret's variable name, a choice of values, or text with the field picker.
import { append, clear, h, nextId, option, setStatus } from "./dom.js";
import { pickerButton } from "./picker.js";
import { bareVarName, envBadges, envRefs, secretsSet, varNameOf } from "./secrets.js";
import { pretty } from "./text.js";

// f: { step, stepIndex, key, meta (the catalogue's word on it), legend ("step 2") }.
export function fieldRow(step, stepIndex, key, meta, legend) {
  const f = { step: step, stepIndex: stepIndex, key: key, meta: meta, legend: legend, id: nextId("f") };
  f.helpId = meta.description ? f.id + "-help" : null;
  const value = step.params[key];
  const isObject = value !== null && typeof value === "object";
  if ((key === "body" || key === "headers") && step.action === "webhook" && (value === undefined || isFlat(value))) {
    return kvEditor(f);
  }
  if (key === "do" || isObject) { return jsonField(f, value); }
  const text = value === undefined || value === null ? "" : String(value);
  if (key === "secret" && step.action === "webhook") { return secretField(f, text); }
  const values = Array.isArray(meta.values) && meta.values.length ? meta.values : null;
  if (values && meta.values_open) { return suggestField(f, text, values, storer(f, value)); }
  if (values) { return selectField(f, text, values, storer(f, value)); }
  return textField(f, text, storer(f, value));
}

// An object of plain values (no nesting): a key/value editor can show it.
function isFlat(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    && Object.keys(value).every((k) => value[k] === null || typeof value[k] !== "object");
}

// Stores what was typed, as a number or a boolean where the value was one.
function storer(f, original) {
  return (v) => {
    if (typeof original === "number" && v.trim() !== "" && !isNaN(Number(v))) { f.step.params[f.key] = Number(v); }
    else if (typeof original === "boolean" && (v === "true" || v === "false")) { f.step.params[f.key] = v === "true"; }
    else { f.step.params[f.key] = v; }
  };
}

// The field's name; the star of a required one is drawn by CSS, so the name stays the name.
function fieldLabel(f) {
  return h("label", { "for": f.id, "class": f.meta.required ? "required" : null, title: f.meta.required ? "required" : null }, f.key);
}

function help(f, text) {
  return f.helpId ? h("span", { id: f.helpId, "class": "muted small", text: text }) : null;
}

function fieldBox(f, ...children) {
  return h("div", { "class": "field", "data-field": f.key }, ...children);
}

function jsonField(f, value) {
  const input = h("textarea", { id: f.id, rows: "4", spellcheck: "false", "aria-describedby": f.helpId,
    on: { change: (e) => { storeJson(f, e.target); } } });
  input.value = value === undefined ? "" : pretty(value);
  return fieldBox(f, fieldLabel(f), input, help(f, f.meta.description + " (JSON)"));
}

function storeJson(f, input) {
  try {
    f.step.params[f.key] = input.value.trim() ? JSON.parse(input.value) : undefined;
    input.removeAttribute("aria-invalid");
  } catch (err) {
    input.setAttribute("aria-invalid", "true");
    setStatus(f.key + ": not valid JSON (" + err.message + ")", "bad");
  }
}

// A webhook's signing secret: the name of the variable holding it, written as ${NAME}.
function secretField(f, text) {
  const input = h("input", { id: f.id, type: "text", value: varNameOf(text) ?? text, placeholder: "CHAT_SIGNING_SECRET", spellcheck: "false",
    "aria-describedby": f.id + "-help",
    on: { change: (e) => { const n = bareVarName(e.target.value); e.target.value = n; f.step.params[f.key] = n ? "${" + n + "}" : ""; } } });
  return fieldBox(f, h("label", { "for": f.id, text: "secret: environment variable name" }), input,
    h("span", { id: f.id + "-help", "class": "muted small", text: "Signs each delivery (Standard Webhooks). Give the name of the variable holding it, never the value." }));
}

// Values the catalogue suggests, any other allowed too.
function suggestField(f, text, values, store) {
  const listId = f.id + "-values";
  const input = h("input", { id: f.id, type: "text", list: listId, "aria-describedby": f.helpId, "aria-required": f.meta.required ? "true" : null,
    on: { input: (e) => { store(e.target.value); } } });
  input.value = text;
  return fieldBox(f, fieldLabel(f), input,
    h("datalist", { id: listId }, values.map((v) =>
      h("option", { value: String(typeof v === "object" ? v.value : v), label: typeof v === "object" ? v.label : String(v) }))),
    help(f, f.meta.description));
}

// One of the catalogue's values; a value it does not list (written by hand) is kept.
function selectField(f, text, values, store) {
  const input = h("select", { id: f.id, "aria-describedby": f.helpId, "aria-required": f.meta.required ? "true" : null,
    on: { change: (e) => { store(e.target.value); } } });
  input.appendChild(h("option", { value: "", text: "—" }));
  let found = false;
  values.forEach((v) => {
    const val = typeof v === "object" ? String(v.value) : String(v);
    found = found || val === text;
    input.appendChild(option(val, choiceLabel(v, val), val === text));
  });
  if (text && !found) { input.appendChild(option(text, text, true)); }
  return fieldBox(f, fieldLabel(f), input, help(f, f.meta.description));
}

// "Label (value)" where the label does not already say the value.
function choiceLabel(v, val) {
  const label = typeof v === "object" && v.label ? v.label : val;
  return label !== val && label.indexOf("(" + val + ")") < 0 ? label + " (" + val + ")" : label;
}

function textField(f, text, store) {
  const long = f.key === "description" || f.key === "message" || f.key === "text" || text.length > 60;
  const lines = Math.min(6, Math.max(2, text.split("\n").length));
  const input = h(long ? "textarea" : "input", { id: f.id, type: long ? null : "text", rows: long ? String(lines) : null,
    "aria-describedby": f.helpId, "aria-required": f.meta.required ? "true" : null,
    on: { input: (e) => { store(e.target.value); } } });
  input.value = text;
  const pick = pickerButton(input, f.stepIndex, "Insert a field into " + f.key + " of " + f.legend, "Insert a field");
  return fieldBox(f, fieldLabel(f), h("div", { "class": "with-picker" }, input, pick),
    help(f, f.meta.description), envState(input));
}

// A ${VAR} in the field: say whether the bridge has it (never its value).
function envState(input) {
  const box = h("span", { "class": "env-state", "aria-live": "polite" });
  const show = () => {
    const names = envRefs(input.value, []);
    clear(box);
    if (!names.length) { return; }
    secretsSet(names).then((set) => { clear(box); append(box, envBadges(names, set)); });
  };
  input.addEventListener("change", show);
  show();
  return box;
}

// A webhook's body or headers as rows of key and value.
function kvEditor(f) {
  const obj = f.step.params[f.key] && typeof f.step.params[f.key] === "object" ? f.step.params[f.key] : {};
  const pairs = Object.keys(obj).map((k) => [k, obj[k] === null ? "" : String(obj[k])]);
  const box = h("fieldset", { "class": "kv-edit", "data-field": f.key },
    h("legend", {}, f.key, f.meta.description ? h("span", { "class": "muted small", text: " · " + f.meta.description }) : null));
  const sync = () => {
    const out = {};
    pairs.forEach((p) => { if (p[0]) { out[p[0]] = p[1]; } });
    f.step.params[f.key] = Object.keys(out).length ? out : undefined;
  };
  const draw = () => {
    while (box.children.length > 1) { box.removeChild(box.lastChild); }
    pairs.forEach((pair, i) => {
      box.appendChild(kvRow(f, pair, i, sync, () => { pairs.splice(i, 1); sync(); draw(); }));
    });
    const what = f.key === "body" ? "a body field" : "a header";
    box.appendChild(h("button", { type: "button", "class": "btn btn-small", text: "Add " + what, "aria-label": "Add " + what + " to " + f.legend,
      on: { click: () => { pairs.push(["", ""]); draw(); const keys = box.querySelectorAll(".kv-key"); keys[keys.length - 1].focus(); } } }));
  };
  draw();
  return box;
}

function kvRow(f, pair, i, sync, remove) {
  const n = i + 1;
  const kid = nextId("k"), vid = nextId("v");
  const name = h("input", { id: kid, type: "text", value: pair[0], spellcheck: "false", "class": "kv-key",
    on: { input: (e) => { pair[0] = e.target.value.trim(); sync(); } } });
  const val = h("input", { id: vid, type: "text", value: pair[1],
    on: { input: (e) => { pair[1] = e.target.value; sync(); } } });
  return h("div", { "class": "kv-row" },
    h("div", { "class": "field" }, h("label", { "for": kid, text: f.key + " key " + n }), name),
    h("div", { "class": "field grow" }, h("label", { "for": vid, text: f.key + " value " + n }),
      h("div", { "class": "with-picker" }, val, pickerButton(val, f.stepIndex, "Insert a field into " + f.key + " value " + n + " of " + f.legend))),
    h("button", { type: "button", "class": "btn btn-small btn-danger", text: "Remove",
      "aria-label": "Remove " + f.key + " entry " + n + " of " + f.legend, on: { click: remove } }));
}
