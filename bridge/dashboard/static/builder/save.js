// Step 5, saving: the summary of what the rule does, saving it through the API and what
// came of it (saved; someone else's change with the difference; rules read-only, so the
// YAML to copy), and deleting it.
import { api } from "./api.js";
import { $, clear, h, setStatus } from "./dom.js";
import { compileRows } from "./conditions.js";
import { loadRule } from "./load.js";
import { clearInvalid, errorsBox } from "./problems.js";
import { buildHooks, buildRule, suggestedName } from "./rule.js";
import { actionOf, state } from "./state.js";

// "When / Only if / Do" of the rule; a new rule gets a suggested name.
export function renderSummary() {
  const box = clear($("rule-summary"));
  if (!$("rule-name").value.trim() && state.mode !== "edit" && state.on) { $("rule-name").value = suggestedName(); }
  box.appendChild(h("p", {}, h("strong", { text: "When: " }), whenText()));
  if (state.expr) { box.appendChild(h("p", {}, h("strong", { text: "Only if: " }), h("code", { text: state.expr }))); }
  box.appendChild(h("p", {}, h("strong", { text: state.steps.length ? "Do:" : "Do: nothing yet (add a step in 3)" })));
  if (state.steps.length) {
    box.appendChild(h("ol", { "class": "steps" }, state.steps.map((st) => {
      const a = actionOf(st.action);
      return h("li", {}, a ? a.title : st.action, st.id ? h("span", { "class": "muted small", text: " as steps." + st.id }) : null);
    })));
  }
}

function whenText() {
  const sc = state.schedule;
  if (state.on === "schedule") {
    return "On the schedule " + (sc.mode === "cron" ? sc.cron + " (" + sc.timezone + ")" : "every " + sc.every);
  }
  if (state.hook && state.hook.name) { return "A webhook arrives on /hooks/" + state.hook.name; }
  return state.trigger ? state.trigger.title : "(no trigger yet)";
}

// Creates the rule, or (loaded) saves it over the version it was loaded at, or over
// `overwriteVersion` when the person chose to save theirs over someone else's.
export function save(overwriteVersion) {
  const out = clear($("save-result"));
  clearInvalid();
  const name = $("rule-name").value.trim();
  if (!name) {
    $("rule-name").setAttribute("aria-invalid", "true");
    out.appendChild(h("p", { "class": "alert alert-bad", role: "alert", text: "Give the rule a name first." }));
    $("rule-name").focus();
    return;
  }
  compileRows().then(() => {
    const body = { rule: buildRule() };
    // A loaded rule's file keeps its hooks: only the one made here goes with it.
    const hooks = buildHooks().filter((hk) => !state.version || state.hook && state.hook.fresh && hk.name === state.hook.name);
    if (hooks.length) { body.hooks = hooks; }
    if (!state.version) { return api("POST", "/api/rules", body); }
    body.version = overwriteVersion || state.version;
    return api("PUT", "/api/rules/" + encodeURIComponent(state.name), body);
  }).then(showSave);
}

function showSave(res) {
  const out = clear($("save-result"));
  const d = res.data || {};
  if (res.ok) { out.appendChild(saved(d)); return; }
  if (res.status === 409 && d.conflict === "version") { out.appendChild(conflict(d)); return; }
  if (res.status === 409 && d.conflict === "read_only") { out.appendChild(readOnly(d)); return; }
  out.appendChild(errorsBox(res.status === 422 ? "The rule has problems; nothing was saved" : "Not saved", res));
}

// Saved: from now on the page edits that rule.
function saved(d) {
  const enabled = $("rule-enabled").checked;
  state.version = d.version || state.version;
  state.name = d.name || $("rule-name").value.trim();
  if (state.hook) { state.hook.fresh = false; }
  state.mode = "edit";
  history.replaceState(null, "", "/rules/" + encodeURIComponent(state.name) + "/edit");
  $("builder-title").textContent = "Edit rule " + state.name;
  $("delete-rule").hidden = false;
  return h("div", { "class": "alert alert-ok", role: "status" },
    h("strong", { text: "Saved " + state.name + (enabled ? " (enabled)" : " (disabled)") + "." }),
    d.file ? " Written to " : null, d.file ? h("code", { text: d.file }) : null,
    ". The bridge picks it up within seconds. ",
    h("a", { href: "/rules", text: "See it in the rules list" }));
}

// Someone saved the rule since it was loaded: their change shown, theirs or mine to keep.
function conflict(d) {
  const current = d.current || {};
  const loadTheirs = () => {
    loadRule(state.name).then(() => { clear($("save-result")); setStatus("Loaded the current version.", "ok"); });
  };
  return h("div", { "class": "alert alert-warn", role: "alert" },
    h("h2", { text: "Someone else changed this rule since you opened it" }),
    h("p", { text: "Here is the difference between the file now and what you would save:" }),
    h("pre", { tabindex: "0", "aria-label": "Difference" }, h("code", { text: d.diff || "" })),
    h("div", { "class": "row-actions" },
      h("button", { type: "button", "class": "btn", text: "Load their version", on: { click: loadTheirs } }),
      h("button", { type: "button", "class": "btn btn-danger", text: "Save mine over it",
        on: { click: () => { save(current.version); } } })));
}

// The rules cannot be written here: the YAML to copy or download instead.
function readOnly(d) {
  const yaml = d.yaml || "";
  const area = h("textarea", { id: "yaml-out", rows: "14", readonly: true, spellcheck: "false" });
  area.value = yaml;
  const blob = new Blob([yaml], { type: "text/yaml" });
  return h("div", { "class": "alert alert-warn", role: "alert" },
    h("h2", { text: "The rules live in a read-only place" }),
    h("p", { text: d.error || "The bridge cannot write its rules here: copy or download the YAML and add it where your rules are kept (a ConfigMap, the repository)." }),
    h("label", { "for": "yaml-out", text: "YAML of the rule" }), area,
    h("div", { "class": "row-actions" },
      h("button", { type: "button", "class": "btn", "data-copy": yaml, text: "Copy YAML" }),
      h("a", { "class": "btn", href: URL.createObjectURL(blob), download: ($("rule-name").value.trim() || "rule") + ".yml", text: "Download YAML" })));
}

export function deleteRule() {
  if (!window.confirm("Delete the rule " + state.name + "? Its file entry is removed; the bridge stops running it.")) { return; }
  api("DELETE", "/api/rules/" + encodeURIComponent(state.name) + "?version=" + encodeURIComponent(state.version || "")).then((res) => {
    if (!res.ok) { showSave(res); return; }
    clear($("save-result")).appendChild(h("div", { "class": "alert alert-ok", role: "status" }, h("strong", { text: "Deleted " + state.name + ". " }),
      h("a", { href: "/rules", text: "Back to the rules list" })));
    $("save-rule").disabled = true;
    $("delete-rule").hidden = true;
  });
}
