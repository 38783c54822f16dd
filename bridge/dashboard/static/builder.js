// perfex-bridge rule builder: trigger -> conditions -> actions -> test -> save.
// Vanilla JS under the dashboard's CSP (no inline script, no CDN). Everything goes
// through the admin API with the session cookie and the X-CSRF-Token header.
(function () {
  "use strict";

  var CSRF = "";
  var OPS = ["==", "!=", "contains", "not contains", "starts with", ">", ">=", "<", "<=",
    "is empty", "is not empty"];
  // What the lists show before anything is searched: the everyday choices.
  var POPULAR_TRIGGERS = ["perfex.leads.created", "perfex.customers.created", "perfex.tickets.created",
    "perfex.tickets.reply_created", "perfex.tasks.updated", "perfex.invoices.paid", "perfex.leads.status_changed",
    "schedule", "webhook.{name}"];
  var POPULAR_ACTIONS = ["perfex.tasks.create", "webhook", "perfex.leads.create", "perfex.tickets.reply",
    "perfex.customers.create", "perfex.payments.create", "perfex.tasks.update", "perfex.leads.update", "delay", "for_each"];
  var NO_VALUE = { "is empty": true, "is not empty": true };
  var SCHEMES_TEXT = {
    none: "none (anyone with the URL)", token: "token (Authorization: Bearer)",
    basic: "basic (user and password)", hmac: "hmac (signature header)",
    github: "GitHub", stripe: "Stripe", slack: "Slack",
    standard: "Standard Webhooks", perfex: "Perfex module webhooks"
  };

  // ---------------------------------------------------------------- helpers
  function h(tag, attrs) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) { return; }
      if (k === "text") { el.textContent = v; }
      else if (k === "on") { Object.keys(v).forEach(function (e) { el.addEventListener(e, v[e]); }); }
      else if (k === "props") { Object.assign(el, v); }
      else { el.setAttribute(k, v === true ? "" : String(v)); }
    });
    for (var i = 2; i < arguments.length; i++) { append(el, arguments[i]); }
    return el;
  }
  function append(el, child) {
    if (child === null || child === undefined || child === false) { return; }
    if (Array.isArray(child)) { child.forEach(function (c) { append(el, c); }); return; }
    el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
  function clear(el) { while (el.firstChild) { el.removeChild(el.firstChild); } return el; }
  function $(id) { return document.getElementById(id); }
  var uid = 0;
  function nextId(prefix) { uid += 1; return prefix + "-" + uid; }

  function api(method, path, body) {
    var opts = {
      method: method, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": CSRF }
    };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (r) {
      return r.text().then(function (t) {
        var data = null;
        try { data = t ? JSON.parse(t) : null; } catch (e) { data = { error: t.slice(0, 300) }; }
        return { status: r.status, ok: r.ok, data: data };
      });
    }, function () { return { status: 0, ok: false, data: { error: "The bridge cannot be reached." } }; });
  }
  function errorText(res) {
    var d = res.data || {};
    if (res.status === 401) { return "Your session ended: log in again."; }
    if (res.status === 403) { return "Refused (CSRF): reload the page and try again."; }
    return d.error || d.detail || d.message || ("HTTP " + res.status);
  }
  function listOf(data, key) {
    if (Array.isArray(data)) { return data; }
    if (data && Array.isArray(data[key])) { return data[key]; }
    if (data && Array.isArray(data.items)) { return data.items; }
    return [];
  }
  function preview(value) {
    var text = typeof value === "string" ? value : JSON.stringify(value);
    if (text === undefined) { text = ""; }
    return text.length > 48 ? text.slice(0, 47) + "…" : text;
  }
  function pretty(value) { return JSON.stringify(value, null, 2); }
  function setStatus(text, kind) {
    var el = $("builder-status") || $("rules-status");
    if (!el) { return; }
    el.textContent = text;
    el.className = kind ? "alert alert-" + kind : "muted";
  }
  function words(text) { return String(text || "").toLowerCase(); }
  function matches(query, parts) {
    var q = words(query).trim();
    if (!q) { return true; }
    var hay = words(parts.join(" "));
    return q.split(/\s+/).every(function (w) { return hay.indexOf(w) >= 0; });
  }
  function friendlyPath(path) {
    if (path === "if") { return "the condition (step 2)"; }
    var m = /^do\[(\d+)\]\.(?:.*\.)?([A-Za-z0-9_]+)$/.exec(path || "");
    return m ? m[2] + " of step " + (Number(m[1]) + 1) : path;
  }
  function secretsSet(names) {
    var wanted = names.filter(function (n) { return /^[A-Z_][A-Z0-9_]*$/.test(n); });
    if (!wanted.length) { return Promise.resolve({}); }
    return api("GET", "/api/builder/secrets?names=" + encodeURIComponent(wanted.join(",")))
      .then(function (res) { return res.ok && res.data ? res.data : {}; });
  }
  function envBadge(name, isSet) {
    if (isSet === undefined) { return h("span", { "class": "badge badge-muted", text: "unknown" }); }
    return isSet
      ? h("span", { "class": "badge badge-ok", text: name + " is set" })
      : h("span", { "class": "badge badge-warn", text: name + " is not set" });
  }
  function envRefs(value, out) {
    if (typeof value === "string") {
      var re = /\$\{([A-Z_][A-Z0-9_]*)\}/g, m;
      while ((m = re.exec(value)) !== null) { if (out.indexOf(m[1]) < 0) { out.push(m[1]); } }
    } else if (value && typeof value === "object") {
      Object.keys(value).forEach(function (k) { envRefs(value[k], out); });
    }
    return out;
  }

  // ---------------------------------------------------------------- state
  var S = {
    mode: "new", name: "", catalogue: { triggers: [], actions: [] },
    trigger: null, on: "", hook: null, hooks: [], schedule: { mode: "cron", cron: "0 9 * * 1", every: "1h", timezone: "UTC" },
    sample: null, rows: [], any: false, expr: "", exprOnly: false,
    steps: [], base: {}, version: null, rowsDirty: false, writable: true, needs: [], panel: "trigger"
  };

  function actionOf(name) {
    return S.catalogue.actions.filter(function (a) { return a.name === name; })[0] || null;
  }

  // ---------------------------------------------------------------- panels
  var HINTS = {
    trigger: "Pick what starts the rule.",
    conditions: "Optional: narrow it down. Leave empty to run for every event.",
    actions: "Add the steps; Insert field fills a field from the sample event or an earlier step.",
    test: "Run the test to see each request as it would be sent. Nothing is sent.",
    save: "Name the rule and save it, switched on or off."
  };
  function goTo(panel) {
    if (S.panel !== panel && $("builder-status") && !$("builder-status").classList.contains("alert")) { setStatus(HINTS[panel] || ""); }
    if (S.panel === "conditions" && panel !== "conditions") { compileRows(); }
    S.panel = panel;
    document.querySelectorAll("[data-panel]").forEach(function (p) {
      p.hidden = p.getAttribute("data-panel") !== panel;
    });
    document.querySelectorAll(".stepper-btn").forEach(function (b) {
      var on = b.getAttribute("data-goto") === panel;
      b.classList.toggle("current", on);
      if (on) { b.setAttribute("aria-current", "step"); } else { b.removeAttribute("aria-current"); }
    });
    if (panel === "test") { loadStoredEvents(); }
    if (panel === "save") { renderSummary(); }
    var heading = $("h-" + panel);
    if (heading) { heading.focus(); }
  }

  // ---------------------------------------------------------------- 1. trigger
  function renderTriggers() {
    var list = clear($("trigger-list"));
    var query = $("trigger-search").value;
    var shown = 0;
    var chosenType = S.trigger ? S.trigger.type : null;
    S.catalogue.triggers.forEach(function (t) {
      if (!query.trim()) {
        if (chosenType ? t.type !== chosenType : POPULAR_TRIGGERS.indexOf(t.type) < 0 && t.kind !== "webhook") { return; }
      } else if (!matches(query, [t.title, t.type, t.group, t.description || ""].concat(
        (t.presets || []).map(function (p) { return p.title; })))) { return; }
      if (shown >= 40 && !(S.trigger && S.trigger.type === t.type)) { return; }
      shown += 1;
      var id = nextId("trig");
      var input = h("input", {
        type: "radio", name: "trigger", id: id, value: t.type,
        on: { change: function () { chooseTrigger(t, true); } }
      });
      input.checked = S.trigger !== null && S.trigger.type === t.type;
      list.appendChild(h("div", { "class": "choice" }, input,
        h("label", { "for": id }, h("strong", { text: t.title }),
          h("span", { "class": "muted small" }, (t.group ? t.group + " · " : ""), h("code", { text: t.type })),
          t.description ? h("span", { "class": "choice-desc muted small", text: t.description }) : null)));
    });
    if (!shown) { list.appendChild(h("p", { "class": "empty", text: "No trigger matches that search." })); }
    if (!query.trim()) {
      list.appendChild(h("p", { "class": "muted small list-hint", text: chosenType
        ? "Search to choose another trigger (" + S.catalogue.triggers.length + " in all)."
        : "The everyday ones; search for the other " + (S.catalogue.triggers.length - shown) + "." }));
    }
  }

  function chooseTrigger(t, fresh) {
    S.trigger = t;
    if (fresh) {
      S.on = t.kind === "schedule" ? "schedule" : (t.kind === "new_hook" ? "" : t.type);
      S.hook = t.kind === "new_hook" ? { name: "", verify: "token", secretVar: "", fresh: true } : null;
    }
    renderTriggerExtra();
    loadSample();
  }

  function renderTriggerExtra() {
    var box = clear($("trigger-extra"));
    var chosen = clear($("trigger-chosen"));
    var t = S.trigger;
    if (!t) { return; }
    var title = S.hook && S.hook.name && !S.hook.fresh ? t.title : (S.hook && S.hook.name ? "A webhook arrives on /hooks/" + S.hook.name : t.title);
    chosen.appendChild(h("p", { "class": "alert alert-ok" }, "Runs when: ", h("strong", { text: title })));
    if (t.needs) {  // the catalogue marks names and commands with backticks: shown as code
      box.appendChild(h("p", { "class": "muted small trigger-needs" }, "Needs: ", t.needs.split("`").map(function (part, i) {
        return i % 2 ? h("code", { text: part }) : part;
      })));
    }
    if (t.kind === "new_hook" || S.hook) {
      box.appendChild(hookForm(S.hook, t.schemes || Object.keys(SCHEMES_TEXT), t.scheme_titles || {}));
    } else if (t.kind === "schedule") {
      box.appendChild(scheduleForm());
    } else {
      var typeInput = h("input", {
        id: "event-type", type: "text", value: S.on, spellcheck: "false",
        on: { change: function (e) { S.on = e.target.value.trim(); loadSample(); } }
      });
      box.appendChild(h("details", { "class": "advanced", open: S.on !== t.type ? true : null },
        h("summary", { text: "Advanced: the event type" }),
        h("div", { "class": "field" },
          h("label", { "for": "event-type", text: "Event type" }), typeInput,
          h("span", { "class": "muted small", text: "Filled in by the trigger; refine it only for a sub-event (webhook.github.issues)." }))));
      if (t.kind === "webhook") {
        var hookName = t.type.split(".")[1] || "";
        box.appendChild(h("p", {}, "The sender posts to ", h("code", { text: location.origin + "/hooks/" + hookName })));
      }
    }
  }

  function hookForm(hook, schemes, titles) {
    var wrap = h("fieldset", { "class": "hook-form" }, h("legend", { text: "The inbound hook" }));
    var urlLine = h("p", { "class": "hook-url" });
    var secretLine = h("span", { "class": "secret-state", "aria-live": "polite" });
    function refresh() {
      S.on = hook.name ? "webhook." + hook.name + (hook.suffix || "") : "";
      clear(urlLine);
      if (hook.name) {
        var url = location.origin + "/hooks/" + hook.name;
        urlLine.appendChild(h("span", { text: "Give the sender this URL: " }));
        urlLine.appendChild(h("code", { id: "hook-url", text: url }));
        urlLine.appendChild(h("button", { type: "button", "class": "btn btn-small", "data-copy": url, "aria-label": "Copy the hook URL", text: "Copy" }));
      }
      clear(secretLine);
      if (hook.verify !== "none" && hook.secretVar) {
        secretsSet([hook.secretVar]).then(function (set) { clear(secretLine); secretLine.appendChild(envBadge(hook.secretVar, set[hook.secretVar])); });
      }
    }
    var name = h("input", {
      id: "hook-name", type: "text", value: hook.name, pattern: "[a-z0-9][a-z0-9_-]*", maxlength: "64", spellcheck: "false",
      on: { input: function (e) { hook.name = e.target.value.trim(); refresh(); }, change: loadSample }
    });
    var scheme = h("select", { id: "hook-verify", on: { change: function (e) { hook.verify = e.target.value; renderTriggerExtra(); $("hook-verify").focus(); loadSample(); } } },
      schemes.map(function (s) { var o = h("option", { value: s, text: s + ": " + (titles[s] || SCHEMES_TEXT[s] || s) }); o.selected = s === hook.verify; return o; }));
    var secret = h("input", {
      id: "hook-secret", type: "text", value: hook.secretVar, placeholder: "GITHUB_WEBHOOK_SECRET", spellcheck: "false",
      "aria-describedby": "hook-secret-help",
      on: { change: function (e) { hook.secretVar = e.target.value.trim().replace(/^\$\{|\}$/g, ""); e.target.value = hook.secretVar; refresh(); } }
    });
    wrap.appendChild(h("div", { "class": "grid3" },
      h("div", { "class": "field" }, h("label", { "for": "hook-name", text: "Hook name" }), name),
      h("div", { "class": "field" }, h("label", { "for": "hook-verify", text: "Verification" }), scheme),
      h("div", { "class": "field" }, h("label", { "for": "hook-secret", text: "Environment variable holding the secret" }), secret,
        h("span", { id: "hook-secret-help", "class": "muted small", text: "The bridge reads the secret from this variable; it is never written into the rules file." }),
        secretLine)));
    if (hook.verify === "basic" || hook.verify === "hmac") {
      var key = hook.verify === "basic" ? "username" : "header";
      var extra = h("input", { id: "hook-" + key, type: "text", value: hook[key] || "", spellcheck: "false",
        placeholder: key === "header" ? "X-Signature" : "",
        on: { input: function (e) { hook[key] = e.target.value.trim(); } } });
      wrap.appendChild(h("div", { "class": "field" }, h("label", { "for": "hook-" + key,
        text: key === "header" ? "Header carrying the signature" : "Username (the password is the secret)" }), extra));
    }
    wrap.appendChild(urlLine);
    refresh();
    return wrap;
  }

  function scheduleForm() {
    var sc = S.schedule;
    var zones = [];
    try { zones = Intl.supportedValuesOf("timeZone"); } catch (e) { zones = ["UTC", "Europe/London", "Europe/Athens", "America/New_York"]; }
    var every = h("input", { id: "sched-every", type: "text", value: sc.every, placeholder: "30s, 5m, 2h, 1d",
      on: { input: function (e) { sc.every = e.target.value.trim(); } } });
    var cron = h("input", { id: "sched-cron", type: "text", value: sc.cron, placeholder: "0 9 * * 1", spellcheck: "false",
      "aria-describedby": "sched-cron-help", on: { input: function (e) { sc.cron = e.target.value.trim(); } } });
    var mode = h("select", { id: "sched-mode", on: { change: function (e) { sc.mode = e.target.value; renderTriggerExtra(); } } },
      [["cron", "At set times (cron)"], ["every", "Every so often"]].map(function (p) {
        var o = h("option", { value: p[0], text: p[1] }); o.selected = sc.mode === p[0]; return o;
      }));
    var tz = h("input", { id: "sched-tz", type: "text", list: "tz-list", value: sc.timezone,
      on: { input: function (e) { sc.timezone = e.target.value.trim(); } } });
    var dl = h("datalist", { id: "tz-list" }, zones.map(function (z) { return h("option", { value: z }); }));
    var presets = (S.trigger && S.trigger.presets) || [];
    var preset = presets.length ? h("div", { "class": "field" }, h("label", { "for": "sched-preset", text: "Common schedules" }),
      h("select", { id: "sched-preset", on: { change: function (e) {
        var p = presets[Number(e.target.value)];
        if (!p) { return; }
        sc.preset = e.target.value;
        sc.mode = p.schedule.cron ? "cron" : "every";
        if (p.schedule.cron) { sc.cron = p.schedule.cron; } else { sc.every = p.schedule.every; }
        renderTriggerExtra();
        $("sched-preset").focus();
      } } }, h("option", { value: "", text: "Choose…" }), presets.map(function (p, i) {
        var o = h("option", { value: String(i), text: p.title }); o.selected = sc.preset === String(i); return o;
      }))) : null;
    return h("fieldset", { "class": "hook-form" }, h("legend", { text: "The schedule" }), preset,
      h("div", { "class": "grid3" },
        h("div", { "class": "field" }, h("label", { "for": "sched-mode", text: "Kind of schedule" }), mode),
        sc.mode === "cron"
          ? h("div", { "class": "field" }, h("label", { "for": "sched-cron", text: "Cron expression" }), cron,
            h("span", { id: "sched-cron-help", "class": "muted small", text: "minute hour day month weekday: 0 9 * * 1 is every Monday at 9:00" }))
          : h("div", { "class": "field" }, h("label", { "for": "sched-every", text: "Every" }), every),
        sc.mode === "cron"  // an `every:` counts from the rule's start: a time zone means nothing
          ? h("div", { "class": "field" }, h("label", { "for": "sched-tz", text: "Time zone" }), tz, dl) : null));
  }

  // ---------------------------------------------------------------- sample + field picker
  function loadSample() {
    var type = S.on;
    if (!type) { S.sample = null; renderFieldList(); return Promise.resolve(); }
    var query = S.hook && S.hook.fresh && S.hook.verify ? "?verify=" + encodeURIComponent(S.hook.verify) : "";
    return api("GET", "/api/samples/" + encodeURIComponent(type) + query).then(function (res) {
      S.sample = res.ok && res.data && res.data.event ? res.data : null;
      renderFieldList();
    });
  }

  function flatten(prefix, value, out, depth) {
    if (value && typeof value === "object" && !Array.isArray(value) && depth < 4) {
      Object.keys(value).forEach(function (k) {
        if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) { flatten(prefix + "." + k, value[k], out, depth + 1); }
        else { out.push({ path: prefix + "[" + JSON.stringify(k) + "]", value: value[k] }); }
      });
    } else {
      out.push({ path: prefix, value: value });
    }
    return out;
  }
  function sampleFields() {
    if (!S.sample || !S.sample.event) { return []; }
    return flatten("event.data", S.sample.event.data || {}, [], 0);
  }
  function renderFieldList() {
    var dl = $("sample-fields");
    if (dl) {
      clear(dl);
      sampleFields().forEach(function (f) { dl.appendChild(h("option", { value: f.path, label: preview(f.value) })); });
    }
    var note = $("cond-note");
    if (note && S.sample) { note.textContent = "Sample event: " + (S.sample.source || "sample") + " " + (S.sample.event.type || ""); }
    renderRows();
  }

  // The picker: a small dialog listing the sample's fields and earlier steps' outputs.
  var picker = null;
  function openPicker(input, stepIndex, labelText, opener) {
    closePicker();
    var options = [];
    sampleFields().forEach(function (f) {
      var shown = preview(f.value);
      options.push({ text: "{{ " + f.path + " }}", name: f.path, value: shown === "" || shown === "null" ? "(empty)" : shown });
    });
    S.steps.slice(0, stepIndex).forEach(function (st, i) {
      if (!st.id) { return; }
      var a = actionOf(st.action);
      // Perfex answers some creates without the new record's id: offer it only where it comes back.
      var parts = a && a.kind === "perfex" && !a.returns_id ? ["status", "body"] : ["id", "status", "body"];
      parts.forEach(function (part) {
        var what = part === "id" ? "the id step " + (i + 1) + " returns" : (part === "status" ? "HTTP status of step " : "answer of step ") + (part === "id" ? "" : String(i + 1));
        options.push({ text: "{{ steps." + st.id + "." + part + " }}", name: "steps." + st.id + "." + part, value: what });
      });
    });
    options.push({ text: "{{ now.strftime('%Y-%m-%d') }}", name: "today's date", value: new Date().toISOString().slice(0, 10) });
    options.push({ text: "{{ event.id }}", name: "event.id", value: S.sample && S.sample.event ? preview(S.sample.event.id || "") : "" });
    var search = h("input", { type: "search", id: "picker-search", autocomplete: "off" });
    var list = h("ul", { "class": "picker-list" });
    function fill() {
      clear(list);
      options.forEach(function (o) {
        if (!matches(search.value, [o.name, o.value])) { return; }
        list.appendChild(h("li", {}, h("button", {
          type: "button", "class": "picker-option",
          on: { click: function () { insertAt(input, o.text); closePicker(); input.focus(); } }
        }, h("code", { text: o.name }), h("span", { "class": "picker-value", text: o.value }))));
      });
      if (!list.firstChild) { list.appendChild(h("li", { "class": "muted small", text: "Nothing matches." })); }
    }
    search.addEventListener("input", fill);
    picker = h("div", { "class": "picker", role: "dialog", "aria-label": opener.getAttribute("aria-label") || "Insert a field into " + labelText },
      h("label", { "for": "picker-search", text: "Find a field" }), search, list,
      h("button", { type: "button", "class": "btn btn-small", text: "Close", on: { click: function () { closePicker(); opener.focus(); } } }));
    picker.addEventListener("focusout", function (e) {
      if (picker && e.relatedTarget && !picker.contains(e.relatedTarget)) { closePicker(); }
    });
    picker.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.preventDefault(); closePicker(); opener.focus(); }
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        var buttons = Array.prototype.slice.call(list.querySelectorAll("button"));
        var at = buttons.indexOf(document.activeElement);
        var next = e.key === "ArrowDown" ? at + 1 : at - 1;
        if (next < 0) { search.focus(); } else if (buttons[next]) { buttons[next].focus(); }
        e.preventDefault();
      }
    });
    fill();
    opener.parentNode.insertBefore(picker, opener.nextSibling);
    search.focus();
  }
  function closePicker() { if (picker && picker.parentNode) { picker.parentNode.removeChild(picker); } picker = null; }
  function insertAt(input, text) {
    var start = input.selectionStart === null ? input.value.length : input.selectionStart;
    var end = input.selectionEnd === null ? input.value.length : input.selectionEnd;
    input.setRangeText(text, start, end, "end");
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // ---------------------------------------------------------------- 2. conditions
  function renderRows() {
    var box = $("cond-rows");
    if (!box) { return; }
    clear(box);
    if (S.exprOnly) {
      box.appendChild(h("p", { "class": "alert alert-warn", text: "This condition is hand-written and cannot be shown as rows; edit it in the Advanced box below. It is kept exactly as written." }));
      $("cond-advanced").open = true;
      return;
    }
    S.rows.forEach(function (row, i) {
      var n = i + 1;
      var fid = nextId("cf"), oid = nextId("co"), vid = nextId("cv");
      var field = h("input", { id: fid, type: "text", list: "sample-fields", value: row.field, spellcheck: "false",
        on: { input: function (e) { row.field = e.target.value.trim(); showValue(); }, change: compileRowsSoon } });
      var op = h("select", { id: oid, on: { change: function (e) { row.op = e.target.value; renderRows(); compileRowsSoon(); } } },
        OPS.map(function (o) { var opt = h("option", { value: o, text: o }); opt.selected = o === row.op; return opt; }));
      var value = h("input", { id: vid, type: "text", value: row.value, disabled: NO_VALUE[row.op] ? true : null,
        on: { input: function (e) { row.value = e.target.value; }, change: compileRowsSoon } });
      var seen = h("span", { "class": "muted small sample-value" });
      function showValue() {
        var f = sampleFields().filter(function (x) { return x.path === row.field; })[0];
        seen.textContent = f ? "sample: " + preview(f.value) : "";
      }
      showValue();
      box.appendChild(h("div", { "class": "cond-row", role: "group", "aria-label": "Condition " + n },
        h("div", { "class": "field" }, h("label", { "for": fid, text: "Field of condition " + n }), field, seen),
        h("div", { "class": "field" }, h("label", { "for": oid, text: "Operator of condition " + n }), op),
        h("div", { "class": "field" }, h("label", { "for": vid, text: "Value of condition " + n }), value),
        h("button", { type: "button", "class": "btn btn-small btn-danger", text: "Remove",
          "aria-label": "Remove condition " + n,
          on: { click: function () { S.rows.splice(i, 1); renderRows(); compileRowsSoon(); $("cond-add").focus(); } } })));
    });
  }
  var compileTimer = null;
  // Only rows a person changed are compiled again: an `if:` loaded from a file is sent
  // back exactly as written until then, never silently rewritten.
  function compileRowsSoon() { S.rowsDirty = true; clearTimeout(compileTimer); compileTimer = setTimeout(compileRows, 250); }
  function compileRows() {
    clearTimeout(compileTimer);
    if (S.exprOnly || !S.rowsDirty) { return Promise.resolve(true); }
    var rows = S.rows.filter(function (r) { return r.field; });
    if (!rows.length) { S.expr = ""; $("cond-expr").value = ""; return Promise.resolve(true); }
    var body = { rows: rows };
    if (S.any) { body.any = true; }
    return api("POST", "/api/builder/conditions", body).then(function (res) {
      if (res.ok && res.data && typeof res.data["if"] === "string") {
        S.expr = res.data["if"];
        S.rowsDirty = false;
        $("cond-expr").value = S.expr;
        $("cond-note").textContent = "";
        return true;
      }
      $("cond-note").textContent = "The conditions are not valid: " + describeErrors(res);
      return false;
    });
  }
  function useExpression() {
    var text = $("cond-expr").value.trim();
    if (!text) { S.expr = ""; S.exprOnly = false; S.rows = []; renderRows(); return; }
    api("POST", "/api/builder/conditions", { "if": text }).then(function (res) {
      if (!res.ok) { $("cond-note").textContent = "That expression is not valid: " + describeErrors(res); return; }
      S.expr = text;
      S.rowsDirty = false;
      if (res.data && Array.isArray(res.data.rows)) {
        S.rows = res.data.rows; S.exprOnly = false; S.any = !!res.data.any;
        $("cond-join").value = S.any ? "any" : "all";
        $("cond-note").textContent = "The expression is shown as rows above.";
      } else {
        S.exprOnly = true;
        $("cond-note").textContent = "Kept as a hand-written expression.";
      }
      renderRows();
    });
  }
  function describeErrors(res) {
    var d = res.data || {};
    if (Array.isArray(d.errors)) {
      return d.errors.map(function (e) { return typeof e === "string" ? e : (e.path ? e.path + ": " : "") + e.message; }).join("; ");
    }
    return errorText(res);
  }

  // ---------------------------------------------------------------- 3. actions
  function stepKeyOf(raw) {
    var known = ["id", "if", "retry", "do", "max_items", "delay_until"];
    var keys = Object.keys(raw);
    if (keys.indexOf("webhook") >= 0) { return "webhook"; }
    if (keys.indexOf("for_each") >= 0) { return "for_each"; }
    if (keys.indexOf("delay") >= 0 || keys.indexOf("delay_until") >= 0) { return "delay"; }
    return keys.filter(function (k) { return known.indexOf(k) < 0; })[0] || "";
  }
  function stepFromRaw(raw) {
    var action = stepKeyOf(raw);
    var params = {}, extra = {};
    Object.keys(raw).forEach(function (k) { if (k !== action && k !== "id") { extra[k] = raw[k]; } });
    if (action === "delay") {
      params = {}; if (raw.delay !== undefined) { params.delay = raw.delay; }
      if (raw.delay_until !== undefined) { params.delay_until = raw.delay_until; delete extra.delay_until; }
    } else if (action === "for_each") {
      params = { for_each: raw.for_each, max_items: raw.max_items, "do": raw["do"] };
      delete extra.max_items; delete extra["do"];
    } else {
      params = raw[action] && typeof raw[action] === "object" ? Object.assign({}, raw[action]) : {};
    }
    return { action: action, id: raw.id || "", params: params, extra: extra };
  }
  function stepToRaw(step) {
    var raw = {};
    if (step.id) { raw.id = step.id; }
    var p = {};
    Object.keys(step.params).forEach(function (k) {
      var v = step.params[k];
      if (v === "" || v === undefined || v === null) { return; }
      p[k] = v;
    });
    if (step.action === "delay") { Object.assign(raw, p); }
    else if (step.action === "for_each") { Object.assign(raw, p); }
    else { raw[step.action] = p; }
    Object.keys(step.extra).forEach(function (k) { raw[k] = step.extra[k]; });
    return raw;
  }
  function defaultStepId(action) {
    var parts = action.split(".");
    var base = parts.length >= 3 ? parts[1].replace(/s$/, "") : parts[0];
    base = base.replace(/[^a-z0-9_]/g, "_");
    var id = base, n = 2;
    var taken = S.steps.map(function (s) { return s.id; });
    while (taken.indexOf(id) >= 0) { id = base + n; n += 1; }
    return id;
  }
  function addStep(action) {
    var step = { action: action.name, id: defaultStepId(action.name), params: {}, extra: {} };
    if (action.name === "webhook") { step.params = { url: "", body: { text: "" } }; }
    S.steps.push(step);
    renderSteps();
    var fs = document.querySelectorAll(".step-edit");
    var last = fs[fs.length - 1];
    if (last) { var first = last.querySelector("input, select, textarea"); if (first) { first.focus(); } }
    setStatus("Added step " + S.steps.length + ": " + (action.title || action.name) + ".");
  }
  function renderActions() {
    var list = clear($("action-list"));
    var query = $("action-search").value;
    var shown = 0;
    var actions = query.trim() ? S.catalogue.actions : POPULAR_ACTIONS.map(actionOf).filter(Boolean);
    actions.forEach(function (a) {
      if (shown >= 12 || !matches(query, [a.title, a.name, a.group || "", a.path || ""])) { return; }
      shown += 1;
      list.appendChild(h("li", {}, h("button", { type: "button", "class": "btn action-add", on: { click: function () { addStep(a); } } },
        "Add: " + a.title), " ", h("span", { "class": "muted small" }, h("code", { text: a.name }), a.method && a.path ? " · " + a.method + " " + a.path : "")));
    });
    if (!shown) { list.appendChild(h("li", { "class": "empty", text: "No action matches that search." })); }
    if (!query.trim()) { list.appendChild(h("li", { "class": "muted small list-hint", text: "The everyday ones; search for any of the " + S.catalogue.actions.length + " actions." })); }
  }

  function fieldRow(step, stepIndex, key, meta, legend) {
    var id = nextId("f");
    var value = step.params[key];
    // The star is drawn by CSS, so the label's name stays the field's name.
    var label = h("label", { "for": id, "class": meta.required ? "required" : null, title: meta.required ? "required" : null }, key);
    var helpId = meta.description ? id + "-help" : null;
    var input;
    var isObject = value !== null && typeof value === "object";
    var flat = isObject && !Array.isArray(value) && Object.keys(value).every(function (k) {
      var v = value[k]; return v === null || typeof v !== "object";
    });
    if ((key === "body" || key === "headers") && step.action === "webhook" && (value === undefined || flat)) {
      return kvEditor(step, stepIndex, key, meta, legend);
    }
    if (key === "do" || isObject) {
      input = h("textarea", { id: id, rows: "4", spellcheck: "false", "aria-describedby": helpId,
        on: { change: function (e) {
          try { step.params[key] = e.target.value.trim() ? JSON.parse(e.target.value) : undefined; e.target.removeAttribute("aria-invalid"); }
          catch (err) { e.target.setAttribute("aria-invalid", "true"); setStatus(key + ": not valid JSON (" + err.message + ")", "bad"); }
        } } });
      input.value = value === undefined ? "" : pretty(value);
      return h("div", { "class": "field", "data-field": key }, label, input,
        helpId ? h("span", { id: helpId, "class": "muted small", text: meta.description + " (JSON)" }) : null);
    }
    var text = value === undefined || value === null ? "" : String(value);
    var wasNumber = typeof value === "number";
    var wasBool = typeof value === "boolean";
    function store(v) {
      if (wasNumber && v.trim() !== "" && !isNaN(Number(v))) { step.params[key] = Number(v); }
      else if (wasBool && (v === "true" || v === "false")) { step.params[key] = v === "true"; }
      else { step.params[key] = v; }
    }
    if (key === "secret" && step.action === "webhook") {
      var varName = (text.match(/^\$\{([A-Z_][A-Z0-9_]*)\}$/) || [null, text])[1];
      input = h("input", { id: id, type: "text", value: varName, placeholder: "CHAT_SIGNING_SECRET", spellcheck: "false",
        "aria-describedby": id + "-help",
        on: { change: function (e) { var n = e.target.value.trim().replace(/^\$\{|\}$/g, ""); e.target.value = n; step.params[key] = n ? "${" + n + "}" : ""; } } });
      return h("div", { "class": "field", "data-field": key },
        h("label", { "for": id, text: "secret: environment variable name" }), input,
        h("span", { id: id + "-help", "class": "muted small", text: "Signs each delivery (Standard Webhooks). Give the name of the variable holding it, never the value." }));
    }
    if (Array.isArray(meta.values) && meta.values.length && meta.values_open) {
      var listId = id + "-values";
      input = h("input", { id: id, type: "text", list: listId, "aria-describedby": helpId, "aria-required": meta.required ? "true" : null,
        on: { input: function (e) { store(e.target.value); } } });
      input.value = text;
      return h("div", { "class": "field", "data-field": key }, label, input,
        h("datalist", { id: listId }, meta.values.map(function (v) {
          return h("option", { value: String(typeof v === "object" ? v.value : v), label: typeof v === "object" ? v.label : String(v) });
        })),
        helpId ? h("span", { id: helpId, "class": "muted small", text: meta.description }) : null);
    }
    if (Array.isArray(meta.values) && meta.values.length) {
      input = h("select", { id: id, "aria-describedby": helpId, "aria-required": meta.required ? "true" : null,
        on: { change: function (e) { store(e.target.value); } } });
      input.appendChild(h("option", { value: "", text: "—" }));
      var found = false;
      meta.values.forEach(function (v) {
        var val = typeof v === "object" ? String(v.value) : String(v);
        var lab = typeof v === "object" && v.label ? v.label : val;
        if (lab !== val && lab.indexOf("(" + val + ")") < 0) { lab += " (" + val + ")"; }
        var o = h("option", { value: val, text: lab });
        if (val === text) { o.selected = true; found = true; }
        input.appendChild(o);
      });
      if (text && !found) { var own = h("option", { value: text, text: text }); own.selected = true; input.appendChild(own); }
      return h("div", { "class": "field", "data-field": key }, label, input,
        helpId ? h("span", { id: helpId, "class": "muted small", text: meta.description }) : null);
    }
    var long = key === "description" || key === "message" || key === "text" || text.length > 60;
    var lines = Math.min(6, Math.max(2, text.split("\n").length));
    input = h(long ? "textarea" : "input", { id: id, type: long ? null : "text", rows: long ? String(lines) : null,
      "aria-describedby": helpId, "aria-required": meta.required ? "true" : null,
      on: { input: function (e) { store(e.target.value); } } });
    input.value = text;
    var pickerBtn = h("button", { type: "button", "class": "btn btn-small pick", "aria-label": "Insert a field into " + key + " of " + legend,
      title: "Insert a field", text: "Insert field",
      on: { click: function (e) { openPicker(input, stepIndex, key + " of " + legend, e.currentTarget); } } });
    // A ${VAR} in the field: say whether the bridge has it (never its value).
    var envState = h("span", { "class": "env-state", "aria-live": "polite" });
    function showEnv() {
      var names = envRefs(input.value, []);
      clear(envState);
      if (!names.length) { return; }
      secretsSet(names).then(function (set) {
        clear(envState);
        names.forEach(function (n) { append(envState, [envBadge(n, set[n]), " "]); });
      });
    }
    input.addEventListener("change", showEnv);
    showEnv();
    return h("div", { "class": "field", "data-field": key }, label, h("div", { "class": "with-picker" }, input, pickerBtn),
      helpId ? h("span", { id: helpId, "class": "muted small", text: meta.description }) : null, envState);
  }

  function kvEditor(step, stepIndex, key, meta, legend) {
    var obj = step.params[key] && typeof step.params[key] === "object" ? step.params[key] : {};
    var pairs = Object.keys(obj).map(function (k) { return [k, obj[k] === null ? "" : String(obj[k])]; });
    var box = h("fieldset", { "class": "kv-edit", "data-field": key },
      h("legend", {}, key, meta.description ? h("span", { "class": "muted small", text: " · " + meta.description }) : null));
    function sync() {
      var out = {};
      pairs.forEach(function (p) { if (p[0]) { out[p[0]] = p[1]; } });
      step.params[key] = Object.keys(out).length ? out : undefined;
    }
    function draw() {
      while (box.children.length > 1) { box.removeChild(box.lastChild); }
      pairs.forEach(function (p, i) {
        var kid = nextId("k"), vid = nextId("v");
        var name = h("input", { id: kid, type: "text", value: p[0], spellcheck: "false", "class": "kv-key",
          on: { input: function (e) { p[0] = e.target.value.trim(); sync(); } } });
        var val = h("input", { id: vid, type: "text", value: p[1],
          on: { input: function (e) { p[1] = e.target.value; sync(); } } });
        var what = key + " " + (p[0] || "entry " + (i + 1));
        box.appendChild(h("div", { "class": "kv-row" },
          h("div", { "class": "field" }, h("label", { "for": kid, text: key + " key " + (i + 1) }), name),
          h("div", { "class": "field grow" }, h("label", { "for": vid, text: key + " value " + (i + 1) }),
            h("div", { "class": "with-picker" }, val,
              h("button", { type: "button", "class": "btn btn-small pick", text: "Insert field",
                "aria-label": "Insert a field into " + key + " value " + (i + 1) + " of " + legend,
                on: { click: function (e) { openPicker(val, stepIndex, what + " of " + legend, e.currentTarget); } } }))),
          h("button", { type: "button", "class": "btn btn-small btn-danger", text: "Remove",
            "aria-label": "Remove " + key + " entry " + (i + 1) + " of " + legend,
            on: { click: function () { pairs.splice(i, 1); sync(); draw(); } } })));
      });
      box.appendChild(h("button", { type: "button", "class": "btn btn-small", text: "Add " + (key === "body" ? "a body field" : "a header"),
        "aria-label": "Add " + (key === "body" ? "a body field" : "a header") + " to " + legend,
        on: { click: function () { pairs.push(["", ""]); draw(); var ks = box.querySelectorAll(".kv-key"); ks[ks.length - 1].focus(); } } }));
    }
    draw();
    return box;
  }

  function fieldsOf(step) {
    var action = actionOf(step.action);
    var fields = {};
    var order = [];
    if (action && action.fields) {
      var names = (action.required || []).concat(action.optional || []);
      Object.keys(action.fields).forEach(function (k) { if (names.indexOf(k) < 0) { names.push(k); } });
      names.forEach(function (k) { fields[k] = action.fields[k] || { required: (action.required || []).indexOf(k) >= 0 }; order.push(k); });
    }
    Object.keys(step.params).forEach(function (k) { if (!fields[k]) { fields[k] = { description: "" }; order.push(k); } });
    return { action: action, fields: fields, order: order };
  }

  function renderSteps() {
    closePicker();
    var box = clear($("steps"));
    if (!S.steps.length) {
      box.appendChild(h("p", { "class": "empty", text: "No steps yet: add one below." }));
      return;
    }
    S.steps.forEach(function (step, i) {
      var n = i + 1;
      var info = fieldsOf(step);
      var title = info.action ? info.action.title : step.action;
      var legend = "step " + n;
      var idInput = h("input", { id: nextId("sid"), type: "text", value: step.id, pattern: "[A-Za-z_][A-Za-z0-9_]*", "class": "step-id",
        on: { change: function (e) { step.id = e.target.value.trim(); } } });
      var head = h("div", { "class": "step-edit-head" },
        h("h3", {}, "Step " + n + ": " + title),
        info.action && info.action.method && info.action.path ? h("code", { "class": "muted", text: info.action.method + " " + info.action.path }) : h("code", { "class": "muted", text: step.action }),
        h("span", { "class": "step-buttons" },
          h("button", { type: "button", "class": "btn btn-small", text: "↑", "aria-label": "Move step " + n + " up", disabled: i === 0 ? true : null,
            on: { click: function () { moveStep(i, -1); } } }),
          h("button", { type: "button", "class": "btn btn-small", text: "↓", "aria-label": "Move step " + n + " down", disabled: i === S.steps.length - 1 ? true : null,
            on: { click: function () { moveStep(i, 1); } } }),
          h("button", { type: "button", "class": "btn btn-small btn-danger", text: "Remove", "aria-label": "Remove step " + n,
            on: { click: function () { S.steps.splice(i, 1); renderSteps(); setStatus("Removed step " + n + "."); $("action-search").focus(); } } })));
      var required = [], optional = [];
      info.order.forEach(function (k) {
        var meta = info.fields[k];
        var row = fieldRow(step, i, k, meta, legend);
        if (meta.required || step.params[k] !== undefined || step.action === "webhook" && (k === "url" || k === "body")
          || step.action === "delay" && k === "delay") { required.push(row); }  // a wait: its usual field shown
        else { optional.push(row); }
      });
      var more = optional.length ? h("details", { "class": "more-fields" },
        h("summary", { text: "More fields (" + optional.length + ")" }), h("div", { "class": "field-grid" }, optional)) : null;
      var extraNote = Object.keys(step.extra).length ? h("p", { "class": "muted small" }, "Also kept as written: ",
        Object.keys(step.extra).map(function (k) { return h("code", { text: k }); })) : null;
      box.appendChild(h("fieldset", { "class": "step-edit", "data-step": String(i) },
        h("legend", { "class": "sr-only", text: "Step " + n + ": " + title }),
        head,
        h("div", { "class": "field inline" }, h("label", { "for": idInput.id, text: "Step id of step " + n }), idInput,
          h("span", { "class": "muted small" }, "later steps read its result as ", h("code", { text: "steps." + (step.id || "<id>") + ".id" }))),
        h("div", { "class": "field-grid" }, required), more, extraNote));
    });
  }
  function moveStep(i, delta) {
    var j = i + delta;
    var tmp = S.steps[i]; S.steps[i] = S.steps[j]; S.steps[j] = tmp;
    renderSteps();
    setStatus("Moved step " + (i + 1) + " to position " + (j + 1) + ".");
    var btn = document.querySelector("[aria-label='Move step " + (j + 1) + (delta < 0 ? " up" : " down") + "']");
    if (btn && !btn.disabled) { btn.focus(); } else { var h3 = document.querySelectorAll(".step-edit h3")[j]; if (h3) { h3.setAttribute("tabindex", "-1"); h3.focus(); } }
  }

  // ---------------------------------------------------------------- the rule as JSON
  function buildRule() {
    var rule = {};
    Object.keys(S.base).forEach(function (k) { rule[k] = S.base[k]; });
    rule.name = $("rule-name").value.trim();
    var desc = $("rule-description").value.trim();
    if (desc) { rule.description = desc; } else { delete rule.description; }
    rule.on = Array.isArray(S.base.on) && S.base.on[0] === S.on ? S.base.on : S.on;
    if (S.on === "schedule") {
      var sc = S.schedule;
      rule.schedule = sc.mode === "cron" ? { cron: sc.cron } : { every: sc.every };
      if (sc.mode === "cron" && sc.timezone) { rule.schedule.timezone = sc.timezone; }
    } else { delete rule.schedule; }
    if (S.expr) { rule["if"] = S.expr; } else { delete rule["if"]; }
    var enabled = $("rule-enabled").checked;
    if (!enabled || "enabled" in S.base) { rule.enabled = enabled; }
    rule["do"] = S.steps.map(stepToRaw);
    return rule;
  }
  function buildHooks() {
    var hooks = [];
    S.hooks.forEach(function (hk) { hooks.push(hk); });
    if (S.hook && S.hook.fresh && S.hook.name) {
      var hook = Object.assign({}, S.hook.rest || {}, { name: S.hook.name, verify: S.hook.verify });
      delete hook.secret; delete hook.username; delete hook.header;
      if (S.hook.verify === "basic" && S.hook.username) { hook.username = S.hook.username; }
      if (S.hook.verify === "hmac" && S.hook.header) { hook.header = S.hook.header; }
      if (S.hook.verify !== "none" && S.hook.secretVar) { hook.secret = "${" + S.hook.secretVar + "}"; }
      hooks.push(hook);
    }
    return hooks;
  }

  // ---------------------------------------------------------------- 4. test
  var eventsLoadedFor = null;
  function loadStoredEvents() {
    // A saved schedule rule's ticks are stored as `schedule.<name>`: try it on one of them.
    var type = S.on === "schedule" ? (S.mode === "edit" && S.name ? "schedule." + S.name : "") : S.on;
    if (!type || eventsLoadedFor === type) { return; }
    eventsLoadedFor = type;
    var select = $("test-event");
    api("GET", "/api/events?limit=20&type=" + encodeURIComponent(type)).then(function (res) {
      while (select.options.length > 1) { select.remove(1); }
      var sources = { stored: "the newest stored event of this type", perfex: "a record read from Perfex", reference: "the example of the API reference" };
      select.options[0].textContent = "The sample event" + (S.sample ? ": " + (sources[S.sample.source] || S.sample.source) : "");
      listOf(res.data, "items").forEach(function (ev) {
        var data = ev.data || {};
        var what = data.name || data.subject || data.title || data.company || data.number || data.scheduled_for || "";
        var when = new Date(typeof ev.time === "number" ? ev.time * 1000 : ev.time);
        var label = (what ? what + " · " : "") + (ev.id || "") + (isNaN(when) ? "" : " · " + when.toISOString().replace("T", " ").slice(0, 19) + " UTC");
        select.appendChild(h("option", { value: ev.id, text: label }));
      });
    });
  }
  function runTest() {
    var out = clear($("test-result"));
    out.appendChild(h("p", { "class": "muted", text: "Rendering…" }));
    compileRows().then(function () {
      var chosen = $("test-event").value;
      return Promise.resolve(S.sample ? S.sample.event : null).then(function (event) {
        var body = { rule: buildRule() };
        if (!body.rule.name) { body.rule.name = suggestedName() || "draft"; }  // a test needs none yet
        // A schedule rule is tried on a tick of its own (`schedule.<name>`), made by the API.
        if (chosen) { body.event_id = chosen; } else if (event && S.on !== "schedule") { body.event = event; }
        var hooks = buildHooks();
        if (hooks.length) { body.hooks = hooks; }
        return api("POST", "/api/rules/test", body);
      });
    }).then(function (res) { showTest(res); });
  }
  function showTest(res) {
    var out = clear($("test-result"));
    if (!res.ok) {
      out.appendChild(errorsBox("The test could not run", res));
      return;
    }
    var d = res.data || {};
    var steps = d.steps, matched = d.matched, reason = d.reason;
    if (Array.isArray(d.matched)) {
      matched = d.matched.length > 0;
      steps = matched ? d.matched[0].steps : [];
      if (!matched && d.not_matched && d.not_matched[0]) { reason = d.not_matched[0].reason; }
    }
    out.appendChild(matched
      ? h("p", { "class": "alert alert-ok", text: "The rule matches this event. Nothing was sent: this is what each step would send." })
      : h("p", { "class": "alert alert-warn", text: "The rule does not match this event" + (reason ? ": " + reason : ".") }));
    (steps || []).forEach(function (st, i) { out.appendChild(renderedStep(st, String(i + 1))); });
    (d.notes || []).forEach(function (n) { out.appendChild(h("p", { "class": "muted small", text: n })); });
  }

  function renderedStep(st, label) {
    var action = actionOf(st.action);
    var method = st.method || (action && action.method) || (st.action === "webhook" && st.params ? st.params.method || "POST" : "");
    var path = st.path || st.url || (action && action.path) || (st.action === "webhook" && st.params ? st.params.url : "");
    var card = h("div", { "class": "rendered" },
      h("h3", {}, "Step " + label + ": " + (action ? action.title : st.action), " ",
        (method || path) ? h("code", { "class": "muted", text: (method + " " + (path || "")).trim() }) : null));  // flow steps send nothing
    if (st.skipped) { card.appendChild(h("p", { "class": "muted", text: "Skipped: its own condition is false for this event." })); }
    if (st.error) { card.appendChild(h("p", { "class": "plain-error", text: st.error })); }
    if (st.resume_at) {
      card.appendChild(h("p", { "class": "flow-note", text: "Waits " + st.seconds + " s: the run would go on at " + st.resume_at + "." }));
    }
    if (st.action === "for_each" && !st.error && !st.skipped) {
      card.appendChild(h("p", { "class": "flow-note", text: st.items === null || st.items === undefined
        ? "Runs its steps once per item of the list. " + (st.note || "")
        : "Runs its steps once per item: " + st.items + (st.items === 1 ? " item" : " items") + " in the list." }));
      if (st.first_item) {
        var nested = h("div", { "class": "nested-steps", role: "group", "aria-label": "First item of step " + label },
          h("p", { "class": "label", text: "The first item (index 0)" }),
          h("pre", { tabindex: "0", "aria-label": "First item of step " + label }, h("code", { text: pretty(st.first_item.item) })));
        st.first_item.steps.forEach(function (inner, j) { nested.appendChild(renderedStep(inner, label + "." + (j + 1))); });
        card.appendChild(nested);
      }
    }
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

  function httpText(req) {
    var lines = [(req.method || "") + " " + (req.url || "")];
    Object.keys(req.headers || {}).forEach(function (k) { lines.push(k + ": " + req.headers[k]); });
    var body = req.body === undefined || req.body === null ? "" : (typeof req.body === "string" ? req.body : pretty(req.body));
    if (body && /json/.test((req.headers || {})["content-type"] || "")) {
      try { body = pretty(JSON.parse(body)); } catch (e) { /* shown as sent */ }
    } else if (body && /x-www-form-urlencoded/.test((req.headers || {})["content-type"] || "")) {
      body += "\n\n# decoded:\n" + body.split("&").map(function (pair) {
        var kv = pair.split("=");
        var dec = function (x) { try { return decodeURIComponent((x || "").replace(/\+/g, " ")); } catch (e) { return x; } };
        return dec(kv[0]) + " = " + dec(kv.slice(1).join("="));
      }).join("\n");
    }
    return lines.join("\n") + (body ? "\n\n" + body : "");
  }

  // ---------------------------------------------------------------- 5. save
  function suggestedName() {
    var on = S.hook && S.hook.name ? S.hook.name : S.on.replace(/^perfex\./, "").replace(/\./g, "-");
    var acts = S.steps.map(function (st) {
      var parts = st.action.split(".");
      return parts.length >= 3 ? parts[1].replace(/s$/, "") : parts[0];
    });
    return (on + (acts.length ? "-to-" + acts.join("-") : "")).toLowerCase().replace(/[^a-z0-9_.-]+/g, "-").slice(0, 60);
  }
  function renderSummary() {
    var box = clear($("rule-summary"));
    if (!$("rule-name").value.trim() && S.mode !== "edit" && S.on) { $("rule-name").value = suggestedName(); }
    var title = S.trigger ? S.trigger.title : "(no trigger yet)";
    if (S.hook && S.hook.name) { title = "A webhook arrives on /hooks/" + S.hook.name; }
    if (S.on === "schedule") {
      title = "On the schedule " + (S.schedule.mode === "cron" ? S.schedule.cron + " (" + S.schedule.timezone + ")" : "every " + S.schedule.every);
    }
    box.appendChild(h("p", {}, h("strong", { text: "When: " }), title));
    if (S.expr) { box.appendChild(h("p", {}, h("strong", { text: "Only if: " }), h("code", { text: S.expr }))); }
    box.appendChild(h("p", {}, h("strong", { text: S.steps.length ? "Do:" : "Do: nothing yet (add a step in 3)" })));
    if (S.steps.length) {
      box.appendChild(h("ol", { "class": "steps" }, S.steps.map(function (st) {
        var a = actionOf(st.action);
        return h("li", {}, a ? a.title : st.action, st.id ? h("span", { "class": "muted small", text: " as steps." + st.id }) : null);
      })));
    }
  }
  function errorsBox(title, res) {
    var d = res.data || {};
    var box = h("div", { "class": "alert alert-bad", role: "alert" }, h("h2", { text: title }));
    if (Array.isArray(d.errors)) {
      box.appendChild(h("ul", { "class": "problems" }, d.errors.map(function (e) {
        if (typeof e === "string") { return h("li", {}, h("code", { text: e })); }
        markInvalid(e.path);
        var message = String(e.message || "");
        if (e.path && message.indexOf(e.path + ":") === 0) { message = message.slice(e.path.length + 1).trim(); }
        return h("li", {}, h("code", { text: e.path || "rule" }), ": " + message);
      })));
    } else {
      box.appendChild(h("p", { text: errorText(res) }));
    }
    return box;
  }
  function markInvalid(path) {
    if (!path) { return; }
    var m = /^do\[(\d+)\]\.(?:.*\.)?([A-Za-z0-9_]+)$/.exec(path);
    if (m) {
      var fs = document.querySelector(".step-edit[data-step='" + m[1] + "'] [data-field='" + m[2] + "']");
      if (fs) {
        fs.classList.add("invalid");
        var input = fs.querySelector("input, select, textarea");
        if (input) { input.setAttribute("aria-invalid", "true"); }
        var details = fs.closest("details"); if (details) { details.open = true; }
      }
    } else if (path === "name") { $("rule-name").setAttribute("aria-invalid", "true"); }
  }
  function save(overwriteVersion) {
    var out = clear($("save-result"));
    document.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    document.querySelectorAll(".invalid").forEach(function (el) { el.classList.remove("invalid"); });
    var name = $("rule-name").value.trim();
    if (!name) {
      $("rule-name").setAttribute("aria-invalid", "true");
      out.appendChild(h("p", { "class": "alert alert-bad", role: "alert", text: "Give the rule a name first." }));
      $("rule-name").focus();
      return;
    }
    compileRows().then(function () {
      var body = { rule: buildRule() };
      var hooks = buildHooks().filter(function (hk) { return !S.version || S.hook && S.hook.fresh && hk.name === S.hook.name; });
      if (hooks.length) { body.hooks = hooks; }
      if (S.version) {
        body.version = overwriteVersion || S.version;
        return api("PUT", "/api/rules/" + encodeURIComponent(S.name), body);
      }
      return api("POST", "/api/rules", body);
    }).then(function (res) { showSave(res); });
  }
  function showSave(res) {
    var out = clear($("save-result"));
    var d = res.data || {};
    if (res.ok) {
      var enabled = $("rule-enabled").checked;
      S.version = d.version || S.version;
      S.name = d.name || $("rule-name").value.trim();
      if (S.hook) { S.hook.fresh = false; }
      S.mode = "edit";
      history.replaceState(null, "", "/rules/" + encodeURIComponent(S.name) + "/edit");
      $("builder-title").textContent = "Edit rule " + S.name;
      $("delete-rule").hidden = false;
      out.appendChild(h("div", { "class": "alert alert-ok", role: "status" },
        h("strong", { text: "Saved " + S.name + (enabled ? " (enabled)" : " (disabled)") + "." }),
        d.file ? " Written to " : null, d.file ? h("code", { text: d.file }) : null,
        ". The bridge picks it up within seconds. ",
        h("a", { href: "/rules", text: "See it in the rules list" })));
      return;
    }
    if (res.status === 409 && d.conflict === "version") {
      var cur = d.current || {};
      out.appendChild(h("div", { "class": "alert alert-warn", role: "alert" },
        h("h2", { text: "Someone else changed this rule since you opened it" }),
        h("p", { text: "Here is the difference between the file now and what you would save:" }),
        h("pre", { tabindex: "0", "aria-label": "Difference" }, h("code", { text: d.diff || "" })),
        h("div", { "class": "row-actions" },
          h("button", { type: "button", "class": "btn", text: "Load their version",
            on: { click: function () { loadRule(S.name).then(function () { clear($("save-result")); setStatus("Loaded the current version.", "ok"); }); } } }),
          h("button", { type: "button", "class": "btn btn-danger", text: "Save mine over it",
            on: { click: function () { save(cur.version); } } }))));
      return;
    }
    if (res.status === 409 && d.conflict === "read_only") {
      var yaml = d.yaml || "";
      var area = h("textarea", { id: "yaml-out", rows: "14", readonly: true, spellcheck: "false" });
      area.value = yaml;
      var blob = new Blob([yaml], { type: "text/yaml" });
      out.appendChild(h("div", { "class": "alert alert-warn", role: "alert" },
        h("h2", { text: "The rules live in a read-only place" }),
        h("p", { text: d.error || "The bridge cannot write its rules here: copy or download the YAML and add it where your rules are kept (a ConfigMap, the repository)." }),
        h("label", { "for": "yaml-out", text: "YAML of the rule" }), area,
        h("div", { "class": "row-actions" },
          h("button", { type: "button", "class": "btn", "data-copy": yaml, text: "Copy YAML" }),
          h("a", { "class": "btn", href: URL.createObjectURL(blob), download: ($("rule-name").value.trim() || "rule") + ".yml", text: "Download YAML" }))));
      return;
    }
    out.appendChild(errorsBox(res.status === 422 ? "The rule has problems; nothing was saved" : "Not saved", res));
  }

  // ---------------------------------------------------------------- loading a rule
  function applyRule(rule, hooks, conditions) {
    S.base = {};
    Object.keys(rule).forEach(function (k) {
      if (["name", "description", "on", "if", "do", "enabled", "schedule"].indexOf(k) < 0) { S.base[k] = rule[k]; }
    });
    if ("enabled" in rule) { S.base.enabled = rule.enabled; }
    if (Array.isArray(rule.on)) { S.base.on = rule.on; }
    $("rule-name").value = rule.name || "";
    $("rule-description").value = rule.description || "";
    $("rule-enabled").checked = rule.enabled !== false;
    S.on = Array.isArray(rule.on) ? rule.on[0] : (rule.on || "");
    S.hooks = (hooks || []).slice();
    if (rule.schedule) {
      S.schedule.mode = rule.schedule.cron ? "cron" : "every";
      S.schedule.cron = rule.schedule.cron || S.schedule.cron;
      S.schedule.every = rule.schedule.every || S.schedule.every;
      S.schedule.timezone = rule.schedule.timezone || "UTC";
    }
    S.expr = rule["if"] || "";
    $("cond-expr").value = S.expr;
    S.steps = (rule["do"] || []).map(stepFromRaw);
    // The trigger: exact type, else the hook or resource it refines, else shown as typed.
    var ts = S.catalogue.triggers;
    var t = ts.filter(function (x) { return x.type === S.on; })[0]
      || (S.on === "schedule" ? ts.filter(function (x) { return x.kind === "schedule"; })[0] : null)
      || ts.filter(function (x) { return x.type && S.on.indexOf(x.type + ".") === 0; })[0];
    var hookName = S.on.indexOf("webhook.") === 0 ? S.on.split(".")[1] : "";
    var ownHook = S.hooks.filter(function (hk) { return hk.name === hookName; })[0];
    if (ownHook && (!t || S.mode === "template")) {
      // A template's (or this file's) own hook: editable, written with the rule.
      S.hooks = S.hooks.filter(function (hk) { return hk !== ownHook; });
      var secretVar = (String(ownHook.secret || "").match(/^\$\{([A-Z_][A-Z0-9_]*)\}$/) || [null, ""])[1];
      S.hook = { name: ownHook.name, verify: ownHook.verify || "none", secretVar: secretVar, fresh: true, rest: ownHook,
        username: ownHook.username || "", header: ownHook.header || "",
        suffix: S.on.slice(("webhook." + hookName).length) };
      t = ts.filter(function (x) { return x.kind === "new_hook"; })[0] || { type: "new_hook", title: "A webhook arrives on /hooks/" + hookName, kind: "new_hook" };
      if (S.mode === "edit") { S.hook.fresh = false; S.hooks.push(ownHook); }
    }
    S.trigger = t || { type: S.on, title: S.on, kind: "perfex" };
    renderTriggers();
    renderTriggerExtra();
    var ready = loadSample();
    renderSteps();
    if (S.expr && conditions !== undefined) {
      S.exprOnly = conditions === null;
      S.rows = Array.isArray(conditions) ? conditions : [];
      $("cond-join").value = S.any ? "any" : "all";
      renderRows();
    } else if (S.expr) {
      api("POST", "/api/builder/conditions", { "if": S.expr }).then(function (res) {
        if (res.ok && res.data && Array.isArray(res.data.rows)) {
          S.rows = res.data.rows; S.any = !!res.data.any; S.exprOnly = false;
          $("cond-join").value = S.any ? "any" : "all";
        } else { S.exprOnly = true; }
        renderRows();
      });
    }
    return ready;
  }
  function deleteRule() {
    if (!window.confirm("Delete the rule " + S.name + "? Its file entry is removed; the bridge stops running it.")) { return; }
    api("DELETE", "/api/rules/" + encodeURIComponent(S.name) + "?version=" + encodeURIComponent(S.version || "")).then(function (res) {
      var out = clear($("save-result"));
      if (res.ok) {
        out.appendChild(h("div", { "class": "alert alert-ok", role: "status" }, h("strong", { text: "Deleted " + S.name + ". " }),
          h("a", { href: "/rules", text: "Back to the rules list" })));
        $("save-rule").disabled = true; $("delete-rule").hidden = true;
        return;
      }
      showSave(res);
    });
  }
  function loadRule(name) {
    return api("GET", "/api/rules/" + encodeURIComponent(name)).then(function (res) {
      if (!res.ok) { setStatus("Cannot load rule " + name + ": " + errorText(res), "bad"); return; }
      var d = res.data;
      S.version = d.version; S.writable = d.writable !== false; S.name = name;
      $("delete-rule").hidden = !S.writable;
      S.any = !!d.conditions_any;
      applyRule(d.rule, d.hooks, d.conditions);
      setStatus(d.file ? "Editing " + name + " from " + d.file + (S.writable ? "." : " (read-only: you can build and test; saving offers the YAML).") : "Editing " + name + ".",
        S.writable ? null : "warn");
    });
  }
  function loadTemplate(id) {
    return api("GET", "/api/builder/templates").then(function (res) {
      var t = listOf(res.data, "templates").filter(function (x) { return x.id === id; })[0];
      if (!t) { setStatus("No template " + id + ".", "bad"); return; }
      S.mode = "template";
      var rule = JSON.parse(JSON.stringify(t.rule));
      return applyRule(rule, t.hooks || []).then(function () {
        var needs = t.needs || {};
        if ((needs.fields || []).indexOf("if") >= 0) {
          $("cond-rows").classList.add("needs");
          $("cond-note").textContent = "This template needs its condition filled in (marked).";
        }
        (needs.fields || []).forEach(function (p) {
          var m = /^do\[(\d+)\]\.(?:.*\.)?([A-Za-z0-9_]+)$/.exec(p);
          if (!m) { return; }
          var fs = document.querySelector(".step-edit[data-step='" + m[1] + "'] [data-field='" + m[2] + "']");
          if (fs) { fs.classList.add("needs"); var d2 = fs.closest("details"); if (d2) { d2.open = true; } }
        });
        var env = (needs.env || []).slice();
        envRefs(t.rule, env);
        var status = $("builder-status");
        clear(status);
        status.className = "alert alert-info";
        status.appendChild(h("strong", { text: "Template: " + t.title + ". " }));
        if ((needs.fields || []).length) {
          status.appendChild(h("span", { text: "Fill in: " }));
          status.appendChild(h("span", {}, needs.fields.map(function (f, i) { return [i ? ", " : "", h("strong", { text: friendlyPath(f) })]; })));
          status.appendChild(h("span", { text: " (marked in yellow). " }));
        }
        if (env.length) {
          secretsSet(env).then(function (set) {
            status.appendChild(h("span", { text: "Environment: " }));
            env.forEach(function (n) { status.appendChild(envBadge(n, set[n])); status.appendChild(document.createTextNode(" ")); });
          });
        }
      });
    });
  }

  // ---------------------------------------------------------------- pages
  function initBuilder(root) {
    S.mode = root.getAttribute("data-mode");
    var name = root.getAttribute("data-name");
    document.querySelectorAll("[data-goto]").forEach(function (b) {
      b.addEventListener("click", function () { goTo(b.getAttribute("data-goto")); });
    });
    $("trigger-search").addEventListener("input", renderTriggers);
    $("action-search").addEventListener("input", renderActions);
    $("cond-add").addEventListener("click", function () {
      S.exprOnly = false;
      S.rows.push({ field: "", op: "==", value: "" });
      renderRows();
      var inputs = document.querySelectorAll(".cond-row input[list]");
      inputs[inputs.length - 1].focus();
    });
    $("cond-join").addEventListener("change", function (e) { S.any = e.target.value === "any"; compileRowsSoon(); });
    $("cond-use").addEventListener("click", useExpression);
    $("test-run").addEventListener("click", runTest);
    $("save-rule").addEventListener("click", function () { save(); });
    $("delete-rule").addEventListener("click", deleteRule);
    document.addEventListener("keydown", function (e) { if (e.key === "Escape" && picker) { closePicker(); } });
    goTo("trigger");
    api("GET", "/api/catalogue").then(function (res) {
      if (!res.ok) { setStatus("The catalogue could not be loaded: " + errorText(res), "bad"); return; }
      S.catalogue = { triggers: listOf(res.data.triggers, "triggers"), actions: listOf(res.data.actions, "actions") };
      renderTriggers();
      renderActions();
      renderSteps();
      setStatus("Pick a trigger, add conditions and steps, test, then save.");
      if (S.mode === "edit") { loadRule(name); }
      else if (S.mode === "template") { loadTemplate(name); }
    });
  }

  function initGallery(root) {
    var all = [];
    function draw() {
      clear(root);
      var q = $("template-search").value;
      all.filter(function (t) { return matches(q, [t.title, t.description || "", t.id]); }).forEach(function (t) {
        var needs = t.needs || {};
        var env = (needs.env || []).slice();
        envRefs(t.rule || {}, env);
        root.appendChild(h("section", { "class": "card template", "aria-labelledby": "tpl-" + t.id },
          h("h2", { id: "tpl-" + t.id, text: t.title }),
          t.description ? h("p", { text: t.description }) : null,
          env.length ? h("p", { "class": "muted small" }, "Needs: ", env.map(function (n, i) { return [i ? ", " : "", h("code", { text: n })]; })) : null,
          (needs.fields || []).length ? h("p", { "class": "muted small" }, "You give: ", needs.fields.map(function (n, i) { return [i ? ", " : "", h("strong", { text: friendlyPath(n) })]; })) : null,
          h("a", { "class": "btn btn-primary", href: "/rules/new?template=" + encodeURIComponent(t.id) }, "Use this template", h("span", { "class": "sr-only", text: ": " + t.title }))));
      });
      if (!root.firstChild) { root.appendChild(h("p", { "class": "empty", text: "No template matches." })); }
    }
    $("template-search").addEventListener("input", draw);
    api("GET", "/api/builder/templates").then(function (res) {
      if (!res.ok) { clear(root).appendChild(h("p", { "class": "alert alert-bad", text: "Templates could not be loaded: " + errorText(res) })); return; }
      all = listOf(res.data, "templates");
      draw();
    });
  }

  function initAudit(table) {
    var body = table.querySelector("tbody");
    api("GET", "/api/rules/audit").then(function (res) {
      clear(body);
      if (!res.ok) { body.appendChild(h("tr", {}, h("td", { colspan: "4", "class": "error-text", text: errorText(res) }))); return; }
      var items = listOf(res.data, "items");
      if (!items.length) { body.appendChild(h("tr", {}, h("td", { colspan: "4", "class": "empty", text: "No rule has been changed through the builder yet." }))); }
      items.forEach(function (it) {
        var when = typeof it.time === "number" ? new Date(it.time * 1000) : new Date(it.time);
        body.appendChild(h("tr", {},
          h("td", { "class": "nowrap", text: isNaN(when) ? String(it.time) : when.toISOString().replace("T", " ").slice(0, 19) + " UTC" }),
          h("td", {}, h("a", { href: "/rules/" + encodeURIComponent(it.rule) + "/edit", text: it.rule })),
          h("td", { text: it.change || it.action || "" }),
          h("td", { "class": "muted", text: it.who || "" })));
      });
    });
  }

  function initRulesPage() {
    document.addEventListener("click", function (e) {
      var b = e.target.closest("[data-enable]");
      if (!b) { return; }
      var name = b.getAttribute("data-enable");
      var value = b.getAttribute("data-value") === "true";
      b.disabled = true;
      api("POST", "/api/rules/" + encodeURIComponent(name) + "/enabled", { enabled: value }).then(function (res) {
        if (res.ok) {
          setStatus("Rule " + name + (value ? " enabled." : " disabled.") + " The bridge picks the change up within seconds.", "ok");
          // Show the new state at once (the page itself reflects the reload on its next visit).
          b.disabled = false;
          b.setAttribute("data-value", value ? "false" : "true");
          clear(b);
          append(b, [value ? "Disable" : "Enable", h("span", { "class": "sr-only", text: " rule " + name })]);
          var card = b.closest(".rule");
          var heading = card ? card.querySelector("h3") : null;
          var badge = heading ? heading.querySelector(".badge") : null;
          if (!value && heading && !badge) { append(heading, [" ", h("span", { "class": "badge badge-muted", text: "disabled" })]); }
          if (value && badge) { badge.remove(); }
          b.focus();
        } else {
          b.disabled = false;
          var d = res.data || {};
          setStatus("Rule " + name + " not changed: " + (d.conflict === "read_only" ? "the rules are read-only here." : describeErrors(res)), "bad");
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var meta = document.querySelector("meta[name=csrf-token]");
    CSRF = meta ? meta.getAttribute("content") : "";
    var root = $("builder");
    if (root) { initBuilder(root); }
    var gallery = document.querySelector("[data-gallery]");
    if (gallery) { initGallery(gallery); }
    var audit = document.querySelector("[data-audit]");
    if (audit) { initAudit(audit); }
    if (document.querySelector("[data-enable]")) { initRulesPage(); }
  });
})();
