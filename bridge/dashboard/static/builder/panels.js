// The builder's five panels behind the stepper: showing one, with what it needs on arrival
// (conditions compiled on leaving, stored events for the test, the summary for saving).
import { $, setStatus } from "./dom.js";
import { compileRows } from "./conditions.js";
import { renderSummary } from "./save.js";
import { state } from "./state.js";
import { loadStoredEvents } from "./test.js";

const HINTS = {
  trigger: "Pick what starts the rule.",
  conditions: "Optional: narrow it down. Leave empty to run for every event.",
  actions: "Add the steps; Insert field fills a field from the sample event or an earlier step.",
  test: "Run the test to see each request as it would be sent. Nothing is sent.",
  save: "Name the rule and save it, switched on or off."
};

export function goTo(panel) {
  // The status line says what to do here, unless it holds a message (an alert) to keep.
  if (state.panel !== panel && !$("builder-status").classList.contains("alert")) { setStatus(HINTS[panel] || ""); }
  if (state.panel === "conditions" && panel !== "conditions") { compileRows(); }
  state.panel = panel;
  document.querySelectorAll("[data-panel]").forEach((p) => { p.hidden = p.getAttribute("data-panel") !== panel; });
  document.querySelectorAll(".stepper-btn").forEach((b) => {
    const on = b.getAttribute("data-goto") === panel;
    b.classList.toggle("current", on);
    if (on) { b.setAttribute("aria-current", "step"); } else { b.removeAttribute("aria-current"); }
  });
  arrive();
  const heading = $("h-" + panel);
  if (heading) { heading.focus(); }
}

// What the current panel shows from the rule: stored events to test with, the summary. Run
// again once the opened rule is in, for a panel opened before it was.
export function arrive() {
  if (state.panel === "test") { loadStoredEvents(); }
  if (state.panel === "save") { renderSummary(); }
}
