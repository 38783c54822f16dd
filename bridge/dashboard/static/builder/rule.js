// The rule as the API takes it: built from the builder's state (steps, hooks, schedule,
// condition), steps read back from a rule, and the name suggested for a new rule.
import { $ } from "./dom.js";
import { state } from "./state.js";

const STEP_KEYS = ["id", "if", "retry", "do", "max_items", "delay_until"];

// Which action a step of a rule is: its one key that is not a step option.
function stepKeyOf(raw) {
  const keys = Object.keys(raw);
  if (keys.indexOf("webhook") >= 0) { return "webhook"; }
  if (keys.indexOf("for_each") >= 0) { return "for_each"; }
  if (keys.indexOf("delay") >= 0 || keys.indexOf("delay_until") >= 0) { return "delay"; }
  return keys.filter((k) => STEP_KEYS.indexOf(k) < 0)[0] || "";
}

// { action, id, params (its form's fields), extra (options kept as written) }.
export function stepFromRaw(raw) {
  const action = stepKeyOf(raw);
  const extra = {};
  Object.keys(raw).forEach((k) => { if (k !== action && k !== "id") { extra[k] = raw[k]; } });
  let params;
  if (action === "delay") {
    params = {};
    if (raw.delay !== undefined) { params.delay = raw.delay; }
    if (raw.delay_until !== undefined) { params.delay_until = raw.delay_until; delete extra.delay_until; }
  } else if (action === "for_each") {
    params = { for_each: raw.for_each, max_items: raw.max_items, "do": raw["do"] };
    delete extra.max_items; delete extra["do"];
  } else {
    params = raw[action] && typeof raw[action] === "object" ? Object.assign({}, raw[action]) : {};
  }
  return { action: action, id: raw.id || "", params: params, extra: extra };
}

// The step as written in a rule; empty fields are left out.
function stepToRaw(step) {
  const raw = {};
  if (step.id) { raw.id = step.id; }
  const params = {};
  Object.keys(step.params).forEach((k) => {
    const v = step.params[k];
    if (v !== "" && v !== undefined && v !== null) { params[k] = v; }
  });
  if (step.action === "delay" || step.action === "for_each") { Object.assign(raw, params); }
  else { raw[step.action] = params; }
  Object.keys(step.extra).forEach((k) => { raw[k] = step.extra[k]; });
  return raw;
}

// What an action is about, for names: perfex.tasks.create -> task, webhook -> webhook.
export function actionStem(action) {
  const parts = action.split(".");
  return parts.length >= 3 ? parts[1].replace(/s$/, "") : parts[0];
}

// The rule from the form, over what the loaded rule had that the builder does not edit.
export function buildRule() {
  const rule = {};
  Object.keys(state.base).forEach((k) => { rule[k] = state.base[k]; });
  rule.name = $("rule-name").value.trim();
  const desc = $("rule-description").value.trim();
  if (desc) { rule.description = desc; } else { delete rule.description; }
  rule.on = Array.isArray(state.base.on) && state.base.on[0] === state.on ? state.base.on : state.on;
  if (state.on === "schedule") { rule.schedule = scheduleOf(state.schedule); } else { delete rule.schedule; }
  if (state.expr) { rule["if"] = state.expr; } else { delete rule["if"]; }
  const enabled = $("rule-enabled").checked;
  if (!enabled || "enabled" in state.base) { rule.enabled = enabled; }
  rule["do"] = state.steps.map(stepToRaw);
  return rule;
}

function scheduleOf(sc) {
  const schedule = sc.mode === "cron" ? { cron: sc.cron } : { every: sc.every };
  if (sc.mode === "cron" && sc.timezone) { schedule.timezone = sc.timezone; }
  return schedule;
}

// The hooks to send with the rule: those kept from the file, then the one made here.
export function buildHooks() {
  const hooks = state.hooks.slice();
  const made = state.hook;
  if (made && made.fresh && made.name) {
    const hook = Object.assign({}, made.rest || {}, { name: made.name, verify: made.verify });
    delete hook.secret; delete hook.username; delete hook.header;
    if (made.verify === "basic" && made.username) { hook.username = made.username; }
    if (made.verify === "hmac" && made.header) { hook.header = made.header; }
    if (made.verify !== "none" && made.secretVar) { hook.secret = "${" + made.secretVar + "}"; }
    hooks.push(hook);
  }
  return hooks;
}

// trigger-to-step1-step2, e.g. leads-created-to-task-webhook.
export function suggestedName() {
  const on = state.hook && state.hook.name ? state.hook.name : state.on.replace(/^perfex\./, "").replace(/\./g, "-");
  const acts = state.steps.map((st) => actionStem(st.action));
  return (on + (acts.length ? "-to-" + acts.join("-") : "")).toLowerCase().replace(/[^a-z0-9_.-]+/g, "-").slice(0, 60);
}
