// Text helpers: short previews of values, pretty JSON, search matching and UTC times.

export function preview(value) {
  let text = typeof value === "string" ? value : JSON.stringify(value);
  if (text === undefined) { text = ""; }
  return text.length > 48 ? text.slice(0, 47) + "…" : text;
}

export function pretty(value) { return JSON.stringify(value, null, 2); }

// Every word of the query appears somewhere in the parts (case-insensitive).
export function matches(query, parts) {
  const q = String(query || "").toLowerCase().trim();
  if (!q) { return true; }
  const hay = parts.join(" ").toLowerCase();
  return q.split(/\s+/).every((word) => hay.indexOf(word) >= 0);
}

// A time from the API: unix seconds or an ISO-8601 string.
export function dateOf(time) {
  return new Date(typeof time === "number" ? time * 1000 : time);
}

export function utcText(date) {
  return date.toISOString().replace("T", " ").slice(0, 19) + " UTC";
}
