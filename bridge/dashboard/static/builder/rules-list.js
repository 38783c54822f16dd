// The Rules page (/rules): its Enable / Disable buttons switch a rule on or off through the
// API and show the new state at once.
import { api, describeErrors } from "./api.js";
import { append, clear, h, setStatus } from "./dom.js";

export function initRulesPage() {
  document.addEventListener("click", (e) => {
    const button = e.target.closest("[data-enable]");
    if (button) { toggleRule(button); }
  });
}

function toggleRule(button) {
  const name = button.getAttribute("data-enable");
  const value = button.getAttribute("data-value") === "true";
  button.disabled = true;
  api("POST", "/api/rules/" + encodeURIComponent(name) + "/enabled", { enabled: value }).then((res) => {
    button.disabled = false;
    if (!res.ok) {
      const d = res.data || {};
      setStatus("Rule " + name + " not changed: " + (d.conflict === "read_only" ? "the rules are read-only here." : describeErrors(res)), "bad");
      return;
    }
    setStatus("Rule " + name + (value ? " enabled." : " disabled.") + " The bridge picks the change up within seconds.", "ok");
    showSwitched(button, name, value);
    button.focus();
  });
}

// The page itself reflects the reload on its next visit; until then the button and badge do.
function showSwitched(button, name, enabled) {
  button.setAttribute("data-value", enabled ? "false" : "true");
  clear(button);
  append(button, [enabled ? "Disable" : "Enable", h("span", { "class": "sr-only", text: " rule " + name })]);
  const card = button.closest(".rule");
  const heading = card ? card.querySelector("h3") : null;
  const badge = heading ? heading.querySelector(".badge") : null;
  if (!enabled && heading && !badge) { append(heading, [" ", h("span", { "class": "badge badge-muted", text: "disabled" })]); }
  if (enabled && badge) { badge.remove(); }
}
