// Opening a rule in the builder: a saved rule to edit, or a template to start from, put
// into the builder's state and drawn in every step.
import { api, errorText, listOf } from "./api.js";
import { $, append, clear, commaList, h, setStatus } from "./dom.js";
import { showConditions } from "./conditions.js";
import { friendlyPath, markStepField } from "./problems.js";
import { stepFromRaw } from "./rule.js";
import { loadSample } from "./sample.js";
import { envBadges, secretsSet, templateEnv, varNameOf } from "./secrets.js";
import { state } from "./state.js";
import { renderSteps } from "./steps.js";
import { renderTriggerExtra, renderTriggers } from "./trigger.js";

// What the builder edits itself; any other key of a rule is kept as it was.
const EDITED = ["name", "description", "on", "if", "do", "enabled", "schedule"];

export function loadRule(name) {
  return api("GET", "/api/rules/" + encodeURIComponent(name)).then((res) => {
    if (!res.ok) { setStatus("Cannot load rule " + name + ": " + errorText(res), "bad"); return; }
    const d = res.data;
    state.version = d.version; state.writable = d.writable !== false; state.name = name;
    $("delete-rule").hidden = !state.writable;
    state.any = !!d.conditions_any;
    applyRule(d.rule, d.hooks, d.conditions);
    setStatus(d.file ? "Editing " + name + " from " + d.file + (state.writable ? "." : " (read-only: you can build and test; saving offers the YAML).") : "Editing " + name + ".",
      state.writable ? null : "warn");
  });
}

export function loadTemplate(id) {
  return api("GET", "/api/builder/templates").then((res) => {
    const t = listOf(res.data, "templates").filter((x) => x.id === id)[0];
    if (!t) { setStatus("No template " + id + ".", "bad"); return; }
    state.mode = "template";
    return applyRule(JSON.parse(JSON.stringify(t.rule)), t.hooks || []).then(() => {
      const fields = (t.needs || {}).fields || [];
      markTemplateNeeds(fields);
      showTemplateStatus(t, fields, templateEnv(t));
    });
  });
}

// The fields a template leaves to fill in, marked (the condition, and steps' fields).
function markTemplateNeeds(fields) {
  if (fields.indexOf("if") >= 0) {
    $("cond-rows").classList.add("needs");
    $("cond-note").textContent = "This template needs its condition filled in (marked).";
  }
  fields.forEach((path) => { markStepField(path, "needs"); });
}

// "Template: … Fill in: … Environment: <badges>" in the status line.
function showTemplateStatus(t, fields, env) {
  const status = clear($("builder-status"));
  status.className = "alert alert-info";
  status.appendChild(h("strong", { text: "Template: " + t.title + ". " }));
  if (fields.length) {
    status.appendChild(h("span", { text: "Fill in: " }));
    status.appendChild(h("span", {}, commaList(fields, (f) => h("strong", { text: friendlyPath(f) }))));
    status.appendChild(h("span", { text: " (marked in yellow). " }));
  }
  if (env.length) {
    secretsSet(env).then((set) => {
      status.appendChild(h("span", { text: "Environment: " }));
      append(status, envBadges(env, set));
    });
  }
}

// Puts a rule (and the hooks of its file) into the builder; resolves once its sample is in.
function applyRule(rule, hooks, conditions) {
  keepUnedited(rule);
  $("rule-name").value = rule.name || "";
  $("rule-description").value = rule.description || "";
  $("rule-enabled").checked = rule.enabled !== false;
  state.on = Array.isArray(rule.on) ? rule.on[0] : (rule.on || "");
  state.hooks = (hooks || []).slice();
  if (rule.schedule) { applySchedule(rule.schedule); }
  state.expr = rule["if"] || "";
  $("cond-expr").value = state.expr;
  state.steps = (rule["do"] || []).map(stepFromRaw);
  state.trigger = triggerOf(state.on);
  renderTriggers();
  renderTriggerExtra();
  const ready = loadSample();
  renderSteps();
  showConditions(conditions);
  return ready;
}

function keepUnedited(rule) {
  state.base = {};
  Object.keys(rule).forEach((k) => { if (EDITED.indexOf(k) < 0) { state.base[k] = rule[k]; } });
  if ("enabled" in rule) { state.base.enabled = rule.enabled; }
  if (Array.isArray(rule.on)) { state.base.on = rule.on; }
}

function applySchedule(schedule) {
  const sc = state.schedule;
  sc.mode = schedule.cron ? "cron" : "every";
  sc.cron = schedule.cron || sc.cron;
  sc.every = schedule.every || sc.every;
  sc.timezone = schedule.timezone || "UTC";
}

// The trigger of an event type: exact, else the hook or resource it refines, else shown as
// typed. A hook of the rule's own (a template's, or this file's) becomes the editable one.
function triggerOf(on) {
  const ts = state.catalogue.triggers;
  const t = ts.filter((x) => x.type === on)[0]
    || (on === "schedule" ? ts.filter((x) => x.kind === "schedule")[0] : null)
    || ts.filter((x) => x.type && on.indexOf(x.type + ".") === 0)[0];
  const hookName = on.indexOf("webhook.") === 0 ? on.split(".")[1] : "";
  const ownHook = state.hooks.filter((hk) => hk.name === hookName)[0];
  if (ownHook && (!t || state.mode === "template")) { return adoptOwnHook(ownHook, on, hookName); }
  return t || { type: on, title: on, kind: "perfex" };
}

// The hook becomes the form's (written with the rule); an edited rule's file keeps it too.
function adoptOwnHook(ownHook, on, hookName) {
  state.hooks = state.hooks.filter((hk) => hk !== ownHook);
  state.hook = { name: ownHook.name, verify: ownHook.verify || "none", secretVar: varNameOf(String(ownHook.secret || "")) ?? "", fresh: true, rest: ownHook,
    username: ownHook.username || "", header: ownHook.header || "",
    suffix: on.slice(("webhook." + hookName).length) };
  if (state.mode === "edit") { state.hook.fresh = false; state.hooks.push(ownHook); }
  return state.catalogue.triggers.filter((x) => x.kind === "new_hook")[0]
    || { type: "new_hook", title: "A webhook arrives on /hooks/" + hookName, kind: "new_hook" };
}
