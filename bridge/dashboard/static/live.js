// perfex-bridge dashboard: live refresh of [data-live] parts, and copy buttons.
(function () {
  "use strict";
  var PERIOD = 5000;

  function refresh(el) {
    var url = el.getAttribute("data-live") || location.pathname;
    if (url === "self") { url = location.pathname + location.search; }
    fetch(url, { headers: { "X-Bridge-Fragment": "1" }, credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 401) { location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) { if (html !== null) { el.innerHTML = html; } })
      .catch(function () {});
  }

  function copy(button) {
    var text = button.getAttribute("data-copy");
    var done = function () {
      var old = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = old; }, 1200);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else {
      var area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      try { document.execCommand("copy"); done(); } finally { area.remove(); }
    }
  }

  document.addEventListener("click", function (e) {
    var t = e.target.closest("[data-copy]");
    if (t) { copy(t); }
    var c = e.target.closest("[data-confirm]");
    if (c && !window.confirm(c.getAttribute("data-confirm"))) { e.preventDefault(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live]").forEach(function (el) {
      setInterval(function () { if (!document.hidden) { refresh(el); } }, PERIOD);
    });
  });
})();
