// The admin API as the builder's pages call it: JSON over fetch with the session cookie and
// the page's CSRF token (X-CSRF-Token), and the API's refusals turned into one line of text.

const CSRF = csrfToken();

function csrfToken() {
  const meta = document.querySelector("meta[name=csrf-token]");
  return meta ? meta.getAttribute("content") : "";
}

// Resolves to { status, ok, data } always: a network failure is status 0 with an error.
export function api(method, path, body) {
  const opts = {
    method: method, credentials: "same-origin",
    headers: { "Accept": "application/json", "X-CSRF-Token": CSRF }
  };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  return fetch(path, opts).then(
    (response) => response.text().then((text) => ({ status: response.status, ok: response.ok, data: parsed(text) })),
    () => ({ status: 0, ok: false, data: { error: "The bridge cannot be reached." } }));
}

function parsed(text) {
  try { return text ? JSON.parse(text) : null; } catch (e) { return { error: text.slice(0, 300) }; }
}

export function errorText(res) {
  const d = res.data || {};
  if (res.status === 401) { return "Your session ended: log in again."; }
  if (res.status === 403) { return "Refused (CSRF): reload the page and try again."; }
  return d.error || d.detail || d.message || ("HTTP " + res.status);
}

// The API's list of problems on one line ("path: message; ..."), else its error.
export function describeErrors(res) {
  const d = res.data || {};
  if (Array.isArray(d.errors)) {
    return d.errors.map((e) => typeof e === "string" ? e : (e.path ? e.path + ": " : "") + e.message).join("; ");
  }
  return errorText(res);
}

// The list in an answer: the answer itself, or its `key` or `items` member.
export function listOf(data, key) {
  if (Array.isArray(data)) { return data; }
  if (data && Array.isArray(data[key])) { return data[key]; }
  if (data && Array.isArray(data.items)) { return data.items; }
  return [];
}
