// The template gallery page (/rules/templates): the templates as cards, searchable, each
// saying what it needs and linking to the builder started from it.
import { api, errorText, listOf } from "./api.js";
import { $, clear, commaList, h } from "./dom.js";
import { friendlyPath } from "./problems.js";
import { templateEnv } from "./secrets.js";
import { matches } from "./text.js";

export function initGallery(root) {
  let all = [];
  const draw = () => {
    clear(root);
    const query = $("template-search").value;
    all.filter((t) => matches(query, [t.title, t.description || "", t.id])).forEach((t) => { root.appendChild(templateCard(t)); });
    if (!root.firstChild) { root.appendChild(h("p", { "class": "empty", text: "No template matches." })); }
  };
  api("GET", "/api/builder/templates").then((res) => {
    if (!res.ok) { clear(root).appendChild(h("p", { "class": "alert alert-bad", text: "Templates could not be loaded: " + errorText(res) })); return; }
    all = listOf(res.data, "templates");
    draw();
    // Searched only once they are in: "No template matches." while loading would be untrue.
    $("template-search").addEventListener("input", draw);
  });
}

function templateCard(t) {
  const fields = (t.needs || {}).fields || [];
  const env = templateEnv(t);
  return h("section", { "class": "card template", "aria-labelledby": "tpl-" + t.id },
    h("h2", { id: "tpl-" + t.id, text: t.title }),
    t.description ? h("p", { text: t.description }) : null,
    env.length ? h("p", { "class": "muted small" }, "Needs: ", commaList(env, (n) => h("code", { text: n }))) : null,
    fields.length ? h("p", { "class": "muted small" }, "You give: ", commaList(fields, (n) => h("strong", { text: friendlyPath(n) }))) : null,
    h("a", { "class": "btn btn-primary", href: "/rules/new?template=" + encodeURIComponent(t.id) }, "Use this template", h("span", { "class": "sr-only", text: ": " + t.title })));
}
