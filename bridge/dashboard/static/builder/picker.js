// The field picker: a small dialog next to a step's field listing the sample event's fields
// and earlier steps' results; choosing one inserts its {{ template }} at the cursor.
import { clear, h } from "./dom.js";
import { sampleFields } from "./sample.js";
import { actionOf, state } from "./state.js";
import { matches, preview } from "./text.js";

let picker = null;

// The "Insert field" button of an input; its aria-label names the dialog it opens.
export function pickerButton(input, stepIndex, ariaLabel, title) {
  return h("button", { type: "button", "class": "btn btn-small pick", "aria-label": ariaLabel, title: title, text: "Insert field",
    on: { click: (e) => { openPicker(input, stepIndex, e.currentTarget); } } });
}

function openPicker(input, stepIndex, opener) {
  closePicker();
  const options = pickerOptions(stepIndex);
  const search = h("input", { type: "search", id: "picker-search", autocomplete: "off" });
  const list = h("ul", { "class": "picker-list" });
  const fill = () => fillList(list, options, search.value, (text) => { insertAt(input, text); closePicker(); input.focus(); });
  search.addEventListener("input", fill);
  picker = h("div", { "class": "picker", role: "dialog", "aria-label": opener.getAttribute("aria-label") },
    h("label", { "for": "picker-search", text: "Find a field" }), search, list,
    h("button", { type: "button", "class": "btn btn-small", text: "Close", on: { click: () => { closePicker(); opener.focus(); } } }));
  picker.addEventListener("focusout", (e) => {
    if (picker && e.relatedTarget && !picker.contains(e.relatedTarget)) { closePicker(); }
  });
  picker.addEventListener("keydown", (e) => { pickerKey(e, list, search, opener); });
  fill();
  opener.parentNode.insertBefore(picker, opener.nextSibling);
  search.focus();
}

// Escape closes and gives the focus back; the arrows walk the list (up from the top: search).
function pickerKey(e, list, search, opener) {
  if (e.key === "Escape") { e.preventDefault(); closePicker(); opener.focus(); }
  if (e.key === "ArrowDown" || e.key === "ArrowUp") {
    const buttons = Array.from(list.querySelectorAll("button"));
    const at = buttons.indexOf(document.activeElement);
    const next = e.key === "ArrowDown" ? at + 1 : at - 1;
    if (next < 0) { search.focus(); } else if (buttons[next]) { buttons[next].focus(); }
    e.preventDefault();
  }
}

function fillList(list, options, query, choose) {
  clear(list);
  options.forEach((o) => {
    if (!matches(query, [o.name, o.value])) { return; }
    list.appendChild(h("li", {}, h("button", { type: "button", "class": "picker-option", on: { click: () => { choose(o.text); } } },
      h("code", { text: o.name }), h("span", { "class": "picker-value", text: o.value }))));
  });
  if (!list.firstChild) { list.appendChild(h("li", { "class": "muted small", text: "Nothing matches." })); }
}

// What the picker offers a field of step `stepIndex`: { text inserted, name, value shown }.
function pickerOptions(stepIndex) {
  const options = sampleFields().map((f) => {
    const shown = preview(f.value);
    return { text: "{{ " + f.path + " }}", name: f.path, value: shown === "" || shown === "null" ? "(empty)" : shown };
  });
  state.steps.slice(0, stepIndex).forEach((step, i) => { options.push(...stepResultOptions(step, i)); });
  options.push({ text: "{{ now.strftime('%Y-%m-%d') }}", name: "today's date", value: new Date().toISOString().slice(0, 10) });
  options.push({ text: "{{ event.id }}", name: "event.id", value: state.sample && state.sample.event ? preview(state.sample.event.id || "") : "" });
  return options;
}

function stepResultOptions(step, i) {
  if (!step.id) { return []; }
  const a = actionOf(step.action);
  // Perfex answers some creates without the new record's id: offer it only where it comes back.
  const parts = a && a.kind === "perfex" && !a.returns_id ? ["status", "body"] : ["id", "status", "body"];
  const what = {
    id: "the id step " + (i + 1) + " returns",
    status: "HTTP status of step " + (i + 1),
    body: "answer of step " + (i + 1)
  };
  return parts.map((part) => ({ text: "{{ steps." + step.id + "." + part + " }}", name: "steps." + step.id + "." + part, value: what[part] }));
}

export function closePicker() {
  if (picker && picker.parentNode) { picker.parentNode.removeChild(picker); }
  picker = null;
}

export function closePickerOnEscape(e) {
  if (e.key === "Escape" && picker) { closePicker(); }
}

function insertAt(input, text) {
  const start = input.selectionStart === null ? input.value.length : input.selectionStart;
  const end = input.selectionEnd === null ? input.value.length : input.selectionEnd;
  input.setRangeText(text, start, end, "end");
  input.dispatchEvent(new Event("input", { bubbles: true }));
}
