// Environment variables a rule names as ${VAR}: finding them, asking the bridge whether it
// has them set, and the badge saying so (never their values).
import { api } from "./api.js";
import { h } from "./dom.js";

const VAR_NAME = /^[A-Z_][A-Z0-9_]*$/;
const VAR_REF = /^\$\{([A-Z_][A-Z0-9_]*)\}$/;

// { NAME: true|false } for the names that look like variables.
export function secretsSet(names) {
  const wanted = names.filter((n) => VAR_NAME.test(n));
  if (!wanted.length) { return Promise.resolve({}); }
  return api("GET", "/api/builder/secrets?names=" + encodeURIComponent(wanted.join(",")))
    .then((res) => res.ok && res.data ? res.data : {});
}

export function envBadge(name, isSet) {
  if (isSet === undefined) { return h("span", { "class": "badge badge-muted", text: "unknown" }); }
  return isSet
    ? h("span", { "class": "badge badge-ok", text: name + " is set" })
    : h("span", { "class": "badge badge-warn", text: name + " is not set" });
}

// A badge and a space for each name.
export function envBadges(names, set) {
  return names.map((n) => [envBadge(n, set[n]), " "]);
}

// Adds to `out` every ${VAR} named in a value (strings, nested objects and lists).
export function envRefs(value, out) {
  if (typeof value === "string") {
    const re = /\$\{([A-Z_][A-Z0-9_]*)\}/g;
    let m;
    while ((m = re.exec(value)) !== null) { if (out.indexOf(m[1]) < 0) { out.push(m[1]); } }
  } else if (value && typeof value === "object") {
    Object.keys(value).forEach((k) => { envRefs(value[k], out); });
  }
  return out;
}

// The variables a template needs: those it lists, then those its rule reads.
export function templateEnv(template) {
  const needs = template.needs || {};
  return envRefs(template.rule || {}, (needs.env || []).slice());
}

// VAR of a value that is exactly "${VAR}", else null.
export function varNameOf(text) {
  const m = VAR_REF.exec(text);
  return m ? m[1] : null;
}

// What a person typed as a variable's name, without a ${ } around it.
export function bareVarName(text) {
  return text.trim().replace(/^\$\{|\}$/g, "");
}
