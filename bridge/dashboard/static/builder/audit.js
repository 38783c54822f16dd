// The rule changes page (/rules/audit): who changed which rule through the builder, when.
import { api, errorText, listOf } from "./api.js";
import { clear, h } from "./dom.js";
import { dateOf, utcText } from "./text.js";

export function initAudit(table) {
  const body = table.querySelector("tbody");
  api("GET", "/api/rules/audit").then((res) => {
    clear(body);
    if (!res.ok) { body.appendChild(wideRow("error-text", errorText(res))); return; }
    const items = listOf(res.data, "items");
    if (!items.length) { body.appendChild(wideRow("empty", "No rule has been changed through the builder yet.")); }
    items.forEach((it) => { body.appendChild(auditRow(it)); });
  });
}

function wideRow(className, text) {
  return h("tr", {}, h("td", { colspan: "4", "class": className, text: text }));
}

function auditRow(it) {
  const when = dateOf(it.time);
  return h("tr", {},
    h("td", { "class": "nowrap", text: isNaN(when) ? String(it.time) : utcText(when) }),
    h("td", {}, h("a", { href: "/rules/" + encodeURIComponent(it.rule) + "/edit", text: it.rule })),
    h("td", { text: it.change || it.action || "" }),
    h("td", { "class": "muted", text: it.who || "" }));
}
