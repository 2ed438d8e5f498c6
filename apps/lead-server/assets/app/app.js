// Sales inbox: live updates without reloads. One EventSource per page; on `changed` the page is
// fetched again and every [data-live-region] is replaced in place, unless the person is typing
// in a form (then a notice offers the update instead of losing their text).
(function () {
  "use strict";
  var url = document.body && document.body.getAttribute("data-live");
  if (!url || !window.EventSource || !window.fetch || !window.DOMParser) return;
  var busy = false;
  function typing() {
    var el = document.activeElement;
    return el && (el.tagName === "TEXTAREA" || el.tagName === "INPUT" || el.tagName === "SELECT") && el.value;
  }
  function refresh() {
    if (busy) return;
    if (typing()) {
      var notice = document.getElementById("live-notice");
      if (notice) notice.hidden = false;
      return;
    }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live-region]").forEach(function (region) {
          var fresh = region.id && doc.getElementById(region.id);
          if (fresh) region.replaceWith(fresh);
        });
      })
      .catch(function () {})
      .then(function () { busy = false; });
  }
  var source = new EventSource(url);
  source.addEventListener("changed", refresh);
  var notice = document.getElementById("live-notice");
  if (notice) notice.addEventListener("click", function () { window.location.reload(); });
})();
