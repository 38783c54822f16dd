// The entry of the builder's pages (a module script, under the dashboard's CSP): wires the
// rule builder's controls to its modules, or starts the gallery, audit or Rules page.
import { api, errorText, listOf } from "./api.js";
import { initAudit } from "./audit.js";
import { $, setStatus } from "./dom.js";
import { addCondition, changeJoin, renderFieldList, useExpression } from "./conditions.js";
import { initGallery } from "./gallery.js";
import { loadRule, loadTemplate } from "./load.js";
import { arrive, goTo } from "./panels.js";
import { closePickerOnEscape } from "./picker.js";
import { initRulesPage } from "./rules-list.js";
import { onSampleLoaded } from "./sample.js";
import { deleteRule, save } from "./save.js";
import { state } from "./state.js";
import { renderActions, renderSteps } from "./steps.js";
import { runTest } from "./test.js";
import { renderTriggers } from "./trigger.js";

function initBuilder(root) {
  state.mode = root.getAttribute("data-mode");
  const name = root.getAttribute("data-name");
  // The page ships these disabled: a click before the modules ran would do nothing.
  document.querySelectorAll("[data-goto]").forEach((b) => {
    b.addEventListener("click", () => { goTo(b.getAttribute("data-goto")); });
    b.disabled = false;
  });
  $("trigger-search").addEventListener("input", renderTriggers);
  $("action-search").addEventListener("input", renderActions);
  $("cond-add").addEventListener("click", addCondition);
  $("cond-join").addEventListener("change", changeJoin);
  $("cond-use").addEventListener("click", useExpression);
  $("test-run").addEventListener("click", runTest);
  $("save-rule").addEventListener("click", () => { save(); });
  $("delete-rule").addEventListener("click", deleteRule);
  document.addEventListener("keydown", closePickerOnEscape);
  onSampleLoaded(renderFieldList);
  goTo("trigger");
  api("GET", "/api/catalogue").then((res) => {
    if (!res.ok) { setStatus("The catalogue could not be loaded: " + errorText(res), "bad"); return; }
    state.catalogue = { triggers: listOf(res.data.triggers, "triggers"), actions: listOf(res.data.actions, "actions") };
    renderTriggers();
    renderActions();
    renderSteps();
    setStatus("Pick a trigger, add conditions and steps, test, then save.");
    if (state.mode === "edit") { loadRule(name).then(arrive); }
    else if (state.mode === "template") { loadTemplate(name).then(arrive); }
  });
}

// Module scripts run once the page is parsed: the elements are all there.
const builder = $("builder");
if (builder) { initBuilder(builder); }
const gallery = document.querySelector("[data-gallery]");
if (gallery) { initGallery(gallery); }
const audit = document.querySelector("[data-audit]");
if (audit) { initAudit(audit); }
if (document.querySelector("[data-enable]")) { initRulesPage(); }
