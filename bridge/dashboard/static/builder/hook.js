// The form of an inbound hook made with the rule: its name (and so its URL), how senders
// are verified, and the environment variable holding its secret.
import { $, clear, field, h, option } from "./dom.js";
import { loadSample } from "./sample.js";
import { bareVarName, envBadge, secretsSet } from "./secrets.js";
import { state } from "./state.js";

const SCHEMES_TEXT = {
  none: "none (anyone with the URL)", token: "token (Authorization: Bearer)",
  basic: "basic (user and password)", hmac: "hmac (signature header)",
  github: "GitHub", stripe: "Stripe", slack: "Slack",
  standard: "Standard Webhooks", perfex: "Perfex module webhooks"
};

// `redraw` draws the trigger's part again (a change of scheme changes the fields asked for).
export function hookForm(hook, schemes, titles, redraw) {
  const urlLine = h("p", { "class": "hook-url" });
  const secretLine = h("span", { "class": "secret-state", "aria-live": "polite" });
  const refresh = () => {
    state.on = hook.name ? "webhook." + hook.name + (hook.suffix || "") : "";
    showUrl(urlLine, hook.name);
    showSecretState(secretLine, hook);
  };
  const name = h("input", { id: "hook-name", type: "text", value: hook.name, pattern: "[a-z0-9][a-z0-9_-]*", maxlength: "64", spellcheck: "false",
    on: { input: (e) => { hook.name = e.target.value.trim(); refresh(); }, change: loadSample } });
  const scheme = h("select", { id: "hook-verify", on: { change: (e) => { hook.verify = e.target.value; redraw(); $("hook-verify").focus(); loadSample(); } } },
    (schemes || Object.keys(SCHEMES_TEXT)).map((s) => option(s, s + ": " + (titles[s] || SCHEMES_TEXT[s] || s), s === hook.verify)));
  const secret = h("input", { id: "hook-secret", type: "text", value: hook.secretVar, placeholder: "GITHUB_WEBHOOK_SECRET", spellcheck: "false",
    "aria-describedby": "hook-secret-help",
    on: { change: (e) => { hook.secretVar = bareVarName(e.target.value); e.target.value = hook.secretVar; refresh(); } } });
  const form = h("fieldset", { "class": "hook-form" }, h("legend", { text: "The inbound hook" }),
    h("div", { "class": "grid3" },
      field("hook-name", "Hook name", name),
      field("hook-verify", "Verification", scheme),
      field("hook-secret", "Environment variable holding the secret", secret,
        h("span", { id: "hook-secret-help", "class": "muted small", text: "The bridge reads the secret from this variable; it is never written into the rules file." }),
        secretLine)),
    schemeField(hook), urlLine);
  refresh();
  return form;
}

// basic asks for the username, hmac for the header carrying the signature.
function schemeField(hook) {
  if (hook.verify !== "basic" && hook.verify !== "hmac") { return null; }
  const key = hook.verify === "basic" ? "username" : "header";
  const input = h("input", { id: "hook-" + key, type: "text", value: hook[key] || "", spellcheck: "false",
    placeholder: key === "header" ? "X-Signature" : "",
    on: { input: (e) => { hook[key] = e.target.value.trim(); } } });
  return field("hook-" + key, key === "header" ? "Header carrying the signature" : "Username (the password is the secret)", input);
}

function showUrl(line, name) {
  clear(line);
  if (!name) { return; }
  const url = location.origin + "/hooks/" + name;
  line.appendChild(h("span", { text: "Give the sender this URL: " }));
  line.appendChild(h("code", { id: "hook-url", text: url }));
  line.appendChild(h("button", { type: "button", "class": "btn btn-small", "data-copy": url, "aria-label": "Copy the hook URL", text: "Copy" }));
}

function showSecretState(line, hook) {
  clear(line);
  if (hook.verify === "none" || !hook.secretVar) { return; }
  secretsSet([hook.secretVar]).then((set) => { clear(line); line.appendChild(envBadge(hook.secretVar, set[hook.secretVar])); });
}
