// DOM building blocks shared by the builder's pages: elements from a short description,
// a labelled form field, <option>s, and the page's status line. No page logic here.

// An element: attrs set as attributes, except `text` (its text) and `on` (event handlers);
// a null, undefined or false attribute is left out. Children may be strings or arrays.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([key, value]) => {
    if (value === null || value === undefined || value === false) { return; }
    if (key === "text") { el.textContent = value; }
    else if (key === "on") { Object.entries(value).forEach(([name, fn]) => el.addEventListener(name, fn)); }
    else { el.setAttribute(key, value === true ? "" : String(value)); }
  });
  children.forEach((child) => append(el, child));
  return el;
}

export function append(el, child) {
  if (child === null || child === undefined || child === false) { return; }
  if (Array.isArray(child)) { child.forEach((c) => append(el, c)); return; }
  el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
}

export function clear(el) {
  while (el.firstChild) { el.removeChild(el.firstChild); }
  return el;
}

export function $(id) { return document.getElementById(id); }

let uid = 0;
// A page-unique id for an element drawn more than once (rows, steps, fields).
export function nextId(prefix) {
  uid += 1;
  return prefix + "-" + uid;
}

export function option(value, text, selected) {
  const el = h("option", { value: value, text: text });
  el.selected = selected;
  return el;
}

// <div class="field"> with the label for `id` first, then the control and whatever follows.
export function field(id, labelText, ...rest) {
  return h("div", { "class": "field" }, h("label", { "for": id, text: labelText }), ...rest);
}

// "a, b, c" with each item drawn by `draw`.
export function commaList(items, draw) {
  return items.map((item, i) => [i ? ", " : "", draw(item)]);
}

// The page's status line: the builder's, or the Rules page's.
export function setStatus(text, kind) {
  const el = $("builder-status") || $("rules-status");
  if (!el) { return; }
  el.textContent = text;
  el.className = kind ? "alert alert-" + kind : "muted";
}
