// Step 1, the trigger: searching the catalogue's triggers, choosing one, and what a chosen
// trigger asks for besides (a new hook's form, a schedule, the event type).
import { $, clear, h, nextId } from "./dom.js";
import { hookForm } from "./hook.js";
import { loadSample } from "./sample.js";
import { scheduleForm } from "./schedule.js";
import { state } from "./state.js";
import { matches } from "./text.js";

// What the list shows before anything is searched: the everyday choices.
const POPULAR_TRIGGERS = ["perfex.leads.created", "perfex.customers.created", "perfex.tickets.created",
  "perfex.tickets.reply_created", "perfex.tasks.updated", "perfex.invoices.paid", "perfex.leads.status_changed",
  "schedule", "webhook.{name}"];
const MOST_SHOWN = 40;

export function renderTriggers() {
  const list = clear($("trigger-list"));
  const query = $("trigger-search").value;
  const chosenType = state.trigger ? state.trigger.type : null;
  let shown = 0;
  state.catalogue.triggers.forEach((t) => {
    if (!listed(t, query, chosenType)) { return; }
    if (shown >= MOST_SHOWN && chosenType !== t.type) { return; }
    shown += 1;
    list.appendChild(triggerChoice(t));
  });
  if (!shown) { list.appendChild(h("p", { "class": "empty", text: "No trigger matches that search." })); }
  if (!query.trim()) {
    list.appendChild(h("p", { "class": "muted small list-hint", text: chosenType
      ? "Search to choose another trigger (" + state.catalogue.triggers.length + " in all)."
      : "The everyday ones; search for the other " + (state.catalogue.triggers.length - shown) + "." }));
  }
}

// Searched: the triggers matching; else the chosen one, or (none yet) the everyday ones.
function listed(t, query, chosenType) {
  if (query.trim()) {
    return matches(query, [t.title, t.type, t.group, t.description || ""].concat((t.presets || []).map((p) => p.title)));
  }
  if (chosenType) { return t.type === chosenType; }
  return POPULAR_TRIGGERS.indexOf(t.type) >= 0 || t.kind === "webhook";
}

function triggerChoice(t) {
  const id = nextId("trig");
  const input = h("input", { type: "radio", name: "trigger", id: id, value: t.type,
    on: { change: () => { chooseTrigger(t); } } });
  input.checked = state.trigger !== null && state.trigger.type === t.type;
  return h("div", { "class": "choice" }, input,
    h("label", { "for": id }, h("strong", { text: t.title }),
      h("span", { "class": "muted small" }, (t.group ? t.group + " · " : ""), h("code", { text: t.type })),
      t.description ? h("span", { "class": "choice-desc muted small", text: t.description }) : null));
}

function chooseTrigger(t) {
  state.trigger = t;
  state.on = t.kind === "schedule" ? "schedule" : (t.kind === "new_hook" ? "" : t.type);
  state.hook = t.kind === "new_hook" ? { name: "", verify: "token", secretVar: "", fresh: true } : null;
  renderTriggerExtra();
  loadSample();
}

// "Runs when: …" and, below the list, what the chosen trigger needs filled in.
export function renderTriggerExtra() {
  const box = clear($("trigger-extra"));
  const chosen = clear($("trigger-chosen"));
  const t = state.trigger;
  if (!t) { return; }
  const hook = state.hook;
  const title = hook && hook.name && hook.fresh ? "A webhook arrives on /hooks/" + hook.name : t.title;
  chosen.appendChild(h("p", { "class": "alert alert-ok" }, "Runs when: ", h("strong", { text: title })));
  if (t.needs) { box.appendChild(triggerNeeds(t.needs)); }
  if (t.kind === "new_hook" || hook) {
    box.appendChild(hookForm(hook, t.schemes, t.scheme_titles || {}, renderTriggerExtra));
  } else if (t.kind === "schedule") {
    box.appendChild(scheduleForm(renderTriggerExtra));
  } else {
    box.appendChild(eventTypeBox(t));
    if (t.kind === "webhook") {
      const hookName = t.type.split(".")[1] || "";
      box.appendChild(h("p", {}, "The sender posts to ", h("code", { text: location.origin + "/hooks/" + hookName })));
    }
  }
}

// The catalogue marks names and commands with backticks: shown as code.
function triggerNeeds(needs) {
  return h("p", { "class": "muted small trigger-needs" }, "Needs: ",
    needs.split("`").map((part, i) => i % 2 ? h("code", { text: part }) : part));
}

// The event type the trigger stands for, open to refine (webhook.github.issues).
function eventTypeBox(t) {
  const typeInput = h("input", { id: "event-type", type: "text", value: state.on, spellcheck: "false",
    on: { change: (e) => { state.on = e.target.value.trim(); loadSample(); } } });
  return h("details", { "class": "advanced", open: state.on !== t.type ? true : null },
    h("summary", { text: "Advanced: the event type" }),
    h("div", { "class": "field" },
      h("label", { "for": "event-type", text: "Event type" }), typeInput,
      h("span", { "class": "muted small", text: "Filled in by the trigger; refine it only for a sub-event (webhook.github.issues)." })));
}
