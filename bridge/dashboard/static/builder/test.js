// Step 4, the test: a dry run of the rule through the API on the sample event or a stored
// one, each step shown as the request it would send. Nothing is sent.
import { api, listOf } from "./api.js";
import { $, clear, h } from "./dom.js";
import { compileRows } from "./conditions.js";
import { errorsBox } from "./problems.js";
import { buildHooks, buildRule, suggestedName } from "./rule.js";
import { actionOf, state } from "./state.js";
import { dateOf, pretty, utcText } from "./text.js";

const SOURCES = { stored: "the newest stored event of this type", perfex: "a record read from Perfex", reference: "the example of the API reference" };

let eventsLoadedFor = null;
// Fills "Event to test with" with stored events of the trigger's type (once per type).
export function loadStoredEvents() {
  // A saved schedule rule's ticks are stored as `schedule.<name>`: try it on one of them.
  const type = state.on === "schedule" ? (state.mode === "edit" && state.name ? "schedule." + state.name : "") : state.on;
  if (!type || eventsLoadedFor === type) { return; }
  eventsLoadedFor = type;
  const select = $("test-event");
  api("GET", "/api/events?limit=20&type=" + encodeURIComponent(type)).then((res) => {
    while (select.options.length > 1) { select.remove(1); }
    select.options[0].textContent = "The sample event" + (state.sample ? ": " + (SOURCES[state.sample.source] || state.sample.source) : "");
    listOf(res.data, "items").forEach((ev) => { select.appendChild(h("option", { value: ev.id, text: eventLabel(ev) })); });
  });
}

// "Ada Lovelace · <id> · 2026-01-02 10:00:00 UTC"
function eventLabel(ev) {
  const data = ev.data || {};
  const what = data.name || data.subject || data.title || data.company || data.number || data.scheduled_for || "";
  const when = dateOf(ev.time);
  return (what ? what + " · " : "") + (ev.id || "") + (isNaN(when) ? "" : " · " + utcText(when));
}

export function runTest() {
  const out = clear($("test-result"));
  out.appendChild(h("p", { "class": "muted", text: "Rendering…" }));
  compileRows().then(() => api("POST", "/api/rules/test", testBody())).then(showTest);
}

function testBody() {
  const chosen = $("test-event").value;
  const event = state.sample ? state.sample.event : null;
  const body = { rule: buildRule() };
  if (!body.rule.name) { body.rule.name = suggestedName() || "draft"; }  // a test needs none yet
  // A schedule rule is tried on a tick of its own (`schedule.<name>`), made by the API.
  if (chosen) { body.event_id = chosen; } else if (event && state.on !== "schedule") { body.event = event; }
  const hooks = buildHooks();
  if (hooks.length) { body.hooks = hooks; }
  return body;
}

function showTest(res) {
  const out = clear($("test-result"));
  if (!res.ok) {
    out.appendChild(errorsBox("The test could not run", res));
    return;
  }
  const d = res.data || {};
  const result = outcome(d);
  out.appendChild(result.matched
    ? h("p", { "class": "alert alert-ok", text: "The rule matches this event. Nothing was sent: this is what each step would send." })
    : h("p", { "class": "alert alert-warn", text: "The rule does not match this event" + (result.reason ? ": " + result.reason : ".") }));
  (result.steps || []).forEach((st, i) => { out.appendChild(renderedStep(st, String(i + 1))); });
  (d.notes || []).forEach((n) => { out.appendChild(h("p", { "class": "muted small", text: n })); });
}

// { matched, steps, reason } of either answer shape: one rule's, or lists of (not) matched.
function outcome(d) {
  if (!Array.isArray(d.matched)) { return { matched: d.matched, steps: d.steps, reason: d.reason }; }
  const matched = d.matched.length > 0;
  const reason = !matched && d.not_matched && d.not_matched[0] ? d.not_matched[0].reason : d.reason;
  return { matched: matched, steps: matched ? d.matched[0].steps : [], reason: reason };
}

// One step of the dry run; a for_each's first item's steps nested in it as 1.1, 1.2…
function renderedStep(st, label) {
  const action = actionOf(st.action);
  const card = h("div", { "class": "rendered" }, stepHeading(st, label, action));
  if (st.skipped) { card.appendChild(h("p", { "class": "muted", text: "Skipped: its own condition is false for this event." })); }
  if (st.error) { card.appendChild(h("p", { "class": "plain-error", text: st.error })); }
  if (st.resume_at) {
    card.appendChild(h("p", { "class": "flow-note", text: "Waits " + st.seconds + " s: the run would go on at " + st.resume_at + "." }));
  }
  if (st.action === "for_each" && !st.error && !st.skipped) { forEachParts(st, label).forEach((el) => { card.appendChild(el); }); }
  if (st.request) {
    card.appendChild(h("p", { "class": "label", text: "The request, as it would be sent" }));
    card.appendChild(h("pre", { tabindex: "0", "class": "http", "aria-label": "Rendered request of step " + label }, h("code", { text: httpText(st.request) })));
  }
  if (st.params !== undefined) {
    card.appendChild(h("details", { "class": "more-fields", open: st.request ? null : true },
      h("summary", { text: "Its fields" }),
      h("pre", { tabindex: "0", "aria-label": "Rendered fields of step " + label }, h("code", { text: pretty(st.params) }))));
  }
  return card;
}

// "Step 1: Create a task in Perfex POST /tasks" (flow steps send nothing: no method).
function stepHeading(st, label, action) {
  const webhookParams = st.action === "webhook" && st.params;
  const method = st.method || (action && action.method) || (webhookParams ? st.params.method || "POST" : "");
  const path = st.path || st.url || (action && action.path) || (webhookParams ? st.params.url : "");
  return h("h3", {}, "Step " + label + ": " + (action ? action.title : st.action), " ",
    (method || path) ? h("code", { "class": "muted", text: (method + " " + (path || "")).trim() }) : null);
}

function forEachParts(st, label) {
  const parts = [h("p", { "class": "flow-note", text: st.items === null || st.items === undefined
    ? "Runs its steps once per item of the list. " + (st.note || "")
    : "Runs its steps once per item: " + st.items + (st.items === 1 ? " item" : " items") + " in the list." })];
  if (st.first_item) {
    const nested = h("div", { "class": "nested-steps", role: "group", "aria-label": "First item of step " + label },
      h("p", { "class": "label", text: "The first item (index 0)" }),
      h("pre", { tabindex: "0", "aria-label": "First item of step " + label }, h("code", { text: pretty(st.first_item.item) })));
    st.first_item.steps.forEach((inner, j) => { nested.appendChild(renderedStep(inner, label + "." + (j + 1))); });
    parts.push(nested);
  }
  return parts;
}

// The request as HTTP text; a JSON body pretty, a form body decoded below it.
function httpText(req) {
  const headers = req.headers || {};
  const lines = [(req.method || "") + " " + (req.url || "")];
  Object.keys(headers).forEach((k) => { lines.push(k + ": " + headers[k]); });
  let body = req.body === undefined || req.body === null ? "" : (typeof req.body === "string" ? req.body : pretty(req.body));
  const type = headers["content-type"] || "";
  if (body && /json/.test(type)) {
    try { body = pretty(JSON.parse(body)); } catch (e) { /* shown as sent */ }
  } else if (body && /x-www-form-urlencoded/.test(type)) {
    body += "\n\n# decoded:\n" + decodedForm(body);
  }
  return lines.join("\n") + (body ? "\n\n" + body : "");
}

function decodedForm(body) {
  const decode = (x) => { try { return decodeURIComponent((x || "").replace(/\+/g, " ")); } catch (e) { return x; } };
  return body.split("&").map((pair) => {
    const kv = pair.split("=");
    return decode(kv[0]) + " = " + decode(kv.slice(1).join("="));
  }).join("\n");
}
