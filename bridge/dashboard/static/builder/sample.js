// The sample event of the chosen trigger (read through the API), and its fields as paths
// (event.data.x) for the condition rows and the field picker.
import { api } from "./api.js";
import { state } from "./state.js";

let whenLoaded = () => {};

// What to redraw once a sample is loaded (or gone): set once by main.js.
export function onSampleLoaded(redraw) { whenLoaded = redraw; }

export function loadSample() {
  const type = state.on;
  if (!type) { state.sample = null; whenLoaded(); return Promise.resolve(); }
  const hook = state.hook;
  const query = hook && hook.fresh && hook.verify ? "?verify=" + encodeURIComponent(hook.verify) : "";
  return api("GET", "/api/samples/" + encodeURIComponent(type) + query).then((res) => {
    state.sample = res.ok && res.data && res.data.event ? res.data : null;
    whenLoaded();
  });
}

// [{ path, value }] of the sample's data, four levels deep.
export function sampleFields() {
  if (!state.sample || !state.sample.event) { return []; }
  return flatten("event.data", state.sample.event.data || {}, [], 0);
}

function flatten(prefix, value, out, depth) {
  if (value && typeof value === "object" && !Array.isArray(value) && depth < 4) {
    Object.keys(value).forEach((k) => {
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) { flatten(prefix + "." + k, value[k], out, depth + 1); }
      else { out.push({ path: prefix + "[" + JSON.stringify(k) + "]", value: value[k] }); }
    });
  } else {
    out.push({ path: prefix, value: value });
  }
  return out;
}
